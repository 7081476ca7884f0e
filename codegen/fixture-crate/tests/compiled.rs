//! The fixtures' generated code compiled against the real runtime (building this test builds
//! the library with every fixture in it); a few items are used to show they are real.

use agora_chat_codegen_fixtures::fixtures;

#[test]
fn the_fixtures_compile_against_the_runtime() {
    assert_eq!(fixtures::operation::operations::OPERATIONS.len(), 1);
    assert_eq!(fixtures::operation::operations::GET_ROOM.id, "get_room");
    let code = fixtures::plain_struct::common::types::ErrorCode::Throttled;
    assert_eq!(
        code.retry_class(),
        Some(agora_chat_codegen_fixtures::error_code::RetryClass::Throttled)
    );
}
