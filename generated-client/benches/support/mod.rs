//! Shared by the benchmarks: a details response of N rooms, and the hand-written structs a
//! minimal client would decode it into (the baseline).

#![allow(dead_code)]

use serde::Deserialize;
use std::collections::HashMap;

/// A details response (`GET /chatrooms/{ids}`) of `rooms` rooms, shaped like the service's.
pub fn details_body(rooms: usize) -> Vec<u8> {
    let data: Vec<serde_json::Value> = (0..rooms)
        .map(|i| {
            serde_json::json!({
                "id": format!("{}", 66_213_271_109_633u64 + i as u64),
                "name": format!("room {i}"),
                "description": "a benchmark room",
                "membersonly": false,
                "allowinvites": false,
                "maxusers": 1000,
                "owner": "alice",
                "created": 1_641_365_888_209u64,
                "custom": "",
                "affiliations_count": 3,
                "affiliations": [{"owner": "alice"}, {"member": "bob"}, {"member": "carol"}],
                "public": true
            })
        })
        .collect();
    let body = serde_json::json!({
        "action": "get",
        "application": "22bcffa0-8f86-11ea-9df8-516f6df68c6d",
        "applicationName": "bench",
        "count": rooms,
        "data": data,
        "duration": 0,
        "entities": [],
        "organization": "bench",
        "timestamp": 1_642_064_417_048u64,
        "uri": "http://127.0.0.1/bench/bench/chatrooms/..."
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

pub const CREATED_BODY: &[u8] = br#"{"action":"post","application":"22bcffa0-8f86-11ea-9df8-516f6df68c6d","applicationName":"bench","data":{"id":"66213271109633"},"duration":0,"entities":[],"organization":"bench","timestamp":1642064417048,"uri":"http://127.0.0.1/bench/bench/chatrooms"}"#;

/// The hand-written baseline: what a minimal client written against the service's
/// documentation decodes, the whole envelope in plain structs of `Option` fields.
#[derive(Debug, Deserialize)]
pub struct HandResponse<T> {
    pub data: T,
    pub action: Option<String>,
    pub application: Option<String>,
    #[serde(rename = "applicationName")]
    pub application_name: Option<String>,
    pub organization: Option<String>,
    pub uri: Option<String>,
    pub path: Option<String>,
    pub entities: Option<Vec<serde_json::Value>>,
    pub timestamp: Option<i64>,
    pub duration: Option<i64>,
    pub count: Option<u64>,
    pub cursor: Option<String>,
    pub properties: Option<serde_json::Value>,
    pub params: Option<HashMap<String, Vec<String>>>,
}

#[derive(Debug, Deserialize)]
pub struct HandDetail {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub membersonly: Option<bool>,
    pub allowinvites: Option<bool>,
    pub maxusers: Option<u32>,
    pub owner: Option<String>,
    pub created: Option<i64>,
    pub custom: Option<String>,
    pub affiliations_count: Option<u32>,
    #[serde(default)]
    pub affiliations: Vec<HandAffiliation>,
    pub public: Option<bool>,
}

/// `{"owner": ..}` or `{"member": ..}`, as a hand-written client would declare it.
#[derive(Debug, Deserialize)]
pub struct HandAffiliation {
    pub owner: Option<String>,
    pub member: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct HandCreated {
    pub id: String,
}
