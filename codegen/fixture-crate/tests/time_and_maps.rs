//! The `millis` and `map_rules` fixtures at run time: the generated time types encode and
//! decode their wire milliseconds (every "forever" value decodes as `Forever`, the first is
//! sent), range rules check the finite milliseconds only, and map rules name the entry.

use agora_chat_codegen_fixtures::fixtures::map_rules::map_rules::types::Labels;
use agora_chat_codegen_fixtures::fixtures::millis::millis::types::{Ban, Elapsed, Lasting, Until};
use agora_chat_codegen_fixtures::validate::Validate;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serializable")
}

#[test]
fn durations_send_milliseconds_and_forever_as_its_sentinel() {
    assert_eq!(json(&Lasting::from(Duration::from_secs(600))), "600000");
    assert_eq!(json(&Lasting::Forever), "-1");
    let decoded: Lasting = serde_json::from_str("-1").expect("forever");
    assert_eq!(decoded, Lasting::Forever);
    assert!(
        serde_json::from_str::<Lasting>("-2").is_err(),
        "no negative durations"
    );
    assert!(
        serde_json::from_str::<Elapsed>("-1").is_err(),
        "no forever without a sentinel"
    );
    assert_eq!(
        Elapsed::from_millis(5),
        Some(Elapsed::For(Duration::from_millis(5)))
    );
}

#[test]
fn timestamps_decode_to_system_time_and_every_sentinel_to_forever() {
    let at: Until = serde_json::from_str("1489158589481").expect("a time");
    let want = SystemTime::UNIX_EPOCH + Duration::from_millis(1_489_158_589_481);
    assert_eq!(at, Until::At(want));
    for sentinel in ["99", "-1"] {
        let decoded: Until = serde_json::from_str(sentinel).expect("forever");
        assert_eq!(decoded, Until::Forever);
    }
    assert_eq!(json(&Until::Forever), "99", "the first sentinel is sent");
    assert!(serde_json::from_str::<Until>("\"soon\"").is_err());
}

#[test]
fn range_rules_check_finite_milliseconds_only() {
    assert!(Ban::new(Lasting::Forever).validate().is_ok());
    assert!(Ban::new(Duration::from_secs(1)).validate().is_ok());
    let zero = Ban::new(Duration::ZERO)
        .validate()
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        zero.as_deref(),
        Some("`length` must be 1 to 86400000, is 0")
    );
    assert!(Ban::new(Duration::from_secs(86_401)).validate().is_err());
}

#[test]
fn map_rules_name_the_entry_they_apply_to() {
    let ok = BTreeMap::from([("a.b-c_1".to_owned(), "v".to_owned())]);
    assert!(Labels::new(ok).validate().is_ok());
    let bad = BTreeMap::from([
        ("no space".to_owned(), "v".to_owned()),
        ("long".to_owned(), "x".repeat(17)),
    ]);
    let text = Labels::new(bad).validate().err().map(|e| e.to_string());
    let text = text.unwrap_or_default();
    assert!(
        text.contains("`labelMap key \"no space\"` may only contain"),
        "{text}"
    );
    assert!(
        text.contains("`labelMap[\"long\"]` must have at most 16 characters"),
        "{text}"
    );
    let too_many: BTreeMap<String, String> =
        (0..4).map(|i| (format!("k{i}"), String::new())).collect();
    assert!(Labels::new(too_many).validate().is_err());
    assert!(Labels::new(BTreeMap::new()).validate().is_err());
    let wire = json(&Labels::new(BTreeMap::from([(
        "k".to_owned(),
        "v".to_owned(),
    )])));
    assert_eq!(wire, r#"{"labelMap":{"k":"v"}}"#);
}
