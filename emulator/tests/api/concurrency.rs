//! Concurrent writes are neither lost nor duplicated.

use std::collections::HashSet;
use std::sync::Arc;

use crate::common::{Api, ids};

const TASKS: usize = 16;
const CREATES: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_creates_are_all_listed() {
    let api = Arc::new(Api::start().await);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let api = Arc::clone(&api);
        // Spread 1000 creates over 16 tasks: the first 1000 % 16 take one more.
        let n = CREATES / TASKS + usize::from(t < CREATES % TASKS);
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::with_capacity(n);
            for i in 0..n {
                made.push(
                    api.create(&format!("t{t}-{i}"), &format!("user{t}"), &[])
                        .await,
                );
            }
            made
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        created.extend(task.await.expect("task finishes"));
    }
    let unique: HashSet<String> = created.iter().cloned().collect();
    assert_eq!((created.len(), unique.len()), (CREATES, CREATES));

    let listed = list_all(&api).await;
    let listed_set: HashSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), CREATES);
    assert_eq!(listed_set, unique);
    let numbers: Vec<u64> = listed
        .iter()
        .map(|id| id.parse().expect("digits"))
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(api.emu.chatroom_count(), CREATES);
}

async fn list_all(api: &Api) -> Vec<String> {
    let mut all = Vec::new();
    let mut path = "/chatrooms?limit=100".to_owned();
    loop {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        all.extend(ids(&r));
        match r.body["cursor"].as_str() {
            Some(cursor) => path = format!("/chatrooms?limit=100&cursor={cursor}"),
            None => return all,
        }
    }
}
