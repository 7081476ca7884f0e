//! Decoding a 100-room details response: the generated types (envelope, tolerant list,
//! one-key affiliations, every metadata field) against `serde_json::from_slice` into a
//! hand-written struct of the payload alone. Target: within 10%.

mod support;

use agora_chat::response::OneOrMany;
use agora_chat::types::{ChatroomDetail, Envelope};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use support::{HandDetail, HandResponse, details_body};

fn decode(c: &mut Criterion) {
    let body = details_body(100);
    let mut group = c.benchmark_group("decode_details_100");
    group.bench_function("generated", |b| {
        b.iter(|| {
            let envelope: Envelope<OneOrMany<ChatroomDetail>> =
                serde_json::from_slice(black_box(&body)).unwrap_or_else(|err| panic!("{err}"));
            black_box(envelope.into_parts())
        })
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            let response: HandResponse<Vec<HandDetail>> =
                serde_json::from_slice(black_box(&body)).unwrap_or_else(|err| panic!("{err}"));
            black_box(response)
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
