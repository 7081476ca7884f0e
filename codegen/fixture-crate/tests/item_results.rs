//! End to end through spec, generator, client and a test server: the `item_results` fixture's
//! operation has a fixed path parameter beside a list one. The batched method chunks the list
//! by its `max_items`, sends it joined by an escaped comma, and reports each name's result
//! (a name that breaks the spec's rules is reported, not sent),
//! whether the service answers an array or (for one name) an object, with `result` as a bool
//! or the string "success".

use agora_chat_codegen_fixtures::Client;
use agora_chat_codegen_fixtures::bulk::{BulkOptions, ItemOutcome};
use axum::extract::{OriginalUri, Path, State};
use axum::routing::delete;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<String>>>;

/// Answers per name: `u3` fails with a reason, `u5` is left out, odd names answer "success".
async fn remove(
    State(seen): State<Seen>,
    OriginalUri(uri): OriginalUri,
    Path((room, names)): Path<(String, String)>,
) -> Json<Value> {
    if let Ok(mut seen) = seen.lock() {
        seen.push(uri.path().to_owned());
    }
    let items: Vec<Value> = names
        .split(',')
        .filter(|name| !name.is_empty() && *name != "u5")
        .map(|name| match name {
            "u3" => json!({"result": false, "reason": "not a member", "user": name, "id": room}),
            _ if name.ends_with(['1', '3', '5', '7', '9']) => {
                json!({"result": "success", "user": name, "id": room})
            }
            _ => json!({"result": true, "user": name, "id": room}),
        })
        .collect();
    let data = match items.as_slice() {
        [one] => one.clone(),
        _ => Value::Array(items),
    };
    Json(json!({ "data": data }))
}

async fn serve(seen: Seen) -> String {
    let app = Router::new()
        .route("/org/app/rooms/{room}/members/{names}", delete(remove))
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_list_path_parameter_beside_a_fixed_one_is_chunked_and_answered_per_item() {
    let seen = Seen::default();
    let client = Client::builder()
        .base_url(serve(seen.clone()).await)
        .allow_http(true)
        .app_key("org#app")
        .app_token("token")
        .build()
        .expect("a valid client");
    // 61 names: one chunk of 60 (an array) and one of 1 (an object).
    let names: Vec<String> = (0..61).map(|i| format!("u{i}")).collect();
    let mut with_bad = names.clone();
    with_bad.insert(2, "bad name".to_owned());
    let results = client
        .remove_members_batched("r1", &with_bad, &BulkOptions::default().concurrency(1))
        .await;

    assert_eq!(results.len(), 62, "one report per name given");
    let keys: Vec<&str> = results.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        with_bad.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let outcome = |name: &str| {
        let report = results.iter().find(|r| r.key == name);
        report.map(|r| match &r.outcome {
            ItemOutcome::Applied(item) => format!("applied {}", item.user),
            ItemOutcome::Refused(failure) => format!("refused {:?}", failure.reason),
            ItemOutcome::Duplicate => "duplicate".to_owned(),
            ItemOutcome::Unreported => "unreported".to_owned(),
            // Display names the error; the broken rule is its source.
            ItemOutcome::Failed(err) => format!(
                "failed {err}: {}",
                std::error::Error::source(&**err)
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
        })
    };
    assert_eq!(outcome("u0").as_deref(), Some("applied u0"));
    assert_eq!(
        outcome("u1").as_deref(),
        Some("applied u1"),
        "\"success\" is applied"
    );
    assert_eq!(
        outcome("u3").as_deref(),
        Some("refused Some(\"not a member\")")
    );
    assert_eq!(outcome("u5").as_deref(), Some("unreported"));
    assert_eq!(
        outcome("u60").as_deref(),
        Some("applied u60"),
        "a lone object"
    );
    let bad = outcome("bad name").unwrap_or_default();
    assert!(
        bad.starts_with("failed") && bad.contains("usernames[2]"),
        "{bad}"
    );

    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.len(), 2, "chunks of at most 60: {seen:?}");
    assert!(
        seen[0].starts_with("/org/app/rooms/r1/members/u0%2Cu1%2C"),
        "{}",
        seen[0]
    );
    assert_eq!(seen[1], "/org/app/rooms/r1/members/u60");
}
