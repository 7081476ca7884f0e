//! Drives the emulator over real HTTP on loopback with raw requests.
//! One test binary with modules, so the suite links once.

mod auth;
mod cli;
mod common;
mod concurrency;
mod controls;
mod counts;
mod errors;
mod faults;
mod lifecycle;
mod members;
mod moderation;
mod paging;
mod protocol;
mod quotas;
mod shapes;
mod skeleton;
mod users;
