//! The server skeleton the generator writes into the emulator crate: snapshots, and what its
//! router and handlers do with path templates.
//!
//! Update with `INSTA_UPDATE=always cargo test -p agora-chat-codegen --test server`, then
//! read the diff.

mod common;

use agora_chat_codegen::generate_server;
use common::{file, generate_server_fixture, real_spec};

fn assert_named_snapshot(name: &str, contents: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, contents);
    });
}

/// The generated code without whitespace, so assertions do not depend on line breaks.
fn compact(code: &str) -> String {
    code.split_whitespace().collect()
}

#[test]
fn two_path_parameters_one_a_list() {
    let files = generate_server_fixture("two_path_params");
    let api = file(&files, "api.rs");
    assert_named_snapshot("two_path_params__server_api", api);
    let code = compact(api);
    // The route names captures by segment; each parameter is read from its own segment.
    assert!(
        code.contains(r#".route("/{s1}/{s2}/rooms/{s4}/users/{s6}","#),
        "{api}"
    );
    let room = r#"letroom_id:String=server::path_param(&parts,4usize,"room_id")?;"#;
    assert!(code.contains(room), "{api}");
    // (prettyplease may break the call and add a trailing comma)
    let users = r#"letusernames:Vec<String>=server::path_list(&parts,6usize,"usernames",","#;
    assert!(code.contains(users), "{api}");
    // Both reach the trait method, checked by the spec's rules first.
    assert!(
        code.contains("api.remove_room_users(room_id,usernames)"),
        "{api}"
    );
    assert!(code.contains(r#"checker.items("usernames",value.len(),Some(1u32),Some(100u32));"#));
    assert!(code.contains(r#"checker.chars("room_id""#), "{api}");
}

/// Every file of the real spec's server skeleton, as `real_spec__server_<file stem>`.
#[test]
fn real_spec_server() {
    let files = generate_server(&real_spec())
        .unwrap_or_else(|diagnostics| panic!("the real spec does not generate:\n{diagnostics}"));
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["mod.rs", "api.rs"]);
    for generated in &files {
        let stem = generated.path.trim_end_matches(".rs");
        assert_named_snapshot(&format!("real_spec__server_{stem}"), &generated.contents);
    }
}

/// `{chatroom_ids}` and `{chatroom_id}` name the same segment: one route serves the three
/// operations, each tagged with its own metadata.
#[test]
fn differently_named_parameters_share_a_route() {
    let files = generate_server(&real_spec())
        .unwrap_or_else(|diagnostics| panic!("the real spec does not generate:\n{diagnostics}"));
    let code = compact(file(&files, "api.rs"));
    let route = r#".route("/{s1}/{s2}/chatrooms/{s4}","#;
    assert_eq!(code.matches(route).count(), 1);
    for meta in ["&GET_CHATROOMS", "&UPDATE_CHATROOM", "&DELETE_CHATROOM"] {
        assert!(code.contains(meta), "{meta}");
    }
}

#[test]
fn operations_on_one_method_and_path_are_told_apart_by_a_body_key() {
    let files = generate_server_fixture("dispatch");
    let api = file(&files, "api.rs");
    assert_named_snapshot("dispatch__server_api", api);
    let code = compact(api);
    // One PUT route, through the dispatcher, tagged with the default operation.
    assert!(
        code.contains("axum::routing::put(dispatch_rename_room::<A>),&RENAME_ROOM"),
        "{api}"
    );
    assert!(
        code.contains(r#"server::body_has_key(request,"newowner")"#),
        "{api}"
    );
    assert!(
        code.contains("returnhand_over_room::<A>(State(api),request).await;"),
        "{api}"
    );
}

#[test]
fn a_per_item_answer_for_one_name_is_a_lone_object() {
    let files = generate_server_fixture("item_results");
    let api = file(&files, "api.rs");
    assert_named_snapshot("item_results__server_api", api);
    let code = compact(api);
    assert!(
        code.contains("Vec<agora_chat::response::ItemResult<RemovedMember>>"),
        "{api}"
    );
    assert!(code.contains("lone=usernames.len()==1;"), "{api}");
    assert!(code.contains("server::respond_one_or_list("), "{api}");
}
