//! Generator speed: parse, check, emit and format the whole spec in-process (cargo building
//! xtask is not counted). Target: under 50 ms. Also prints the lines of generated code.

use agora_chat_codegen::{generate, read_spec_dir};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

fn generate_spec(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let sources =
        read_spec_dir(&dir, "spec").unwrap_or_else(|err| panic!("reading the spec: {err}"));
    let files = generate(&sources).unwrap_or_else(|err| panic!("{err}"));
    let lines: usize = files.iter().map(|f| f.contents.lines().count()).sum();
    println!("generated: {} files, {lines} lines", files.len());
    c.bench_function("generate_whole_spec", |b| {
        b.iter(|| black_box(generate(black_box(&sources))))
    });
}

criterion_group!(benches, generate_spec);
criterion_main!(benches);
