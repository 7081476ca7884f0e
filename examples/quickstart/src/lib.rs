//! Nothing but a home for the workspace README's Rust examples, compiled as doctests (the
//! published crates compile their own READMEs). The quickstart itself is `src/main.rs`.

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
