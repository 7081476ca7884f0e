//! Every spec mistake fails generation with a diagnostic naming the spec file, the line and
//! column, and what is wrong: `error: spec/<file>.yaml:LINE:COL: message`.
//!
//! Each spec below is written from column 0 and starts at line 1, so the line in an expected
//! diagnostic can be counted in the text above it. Specs are generated behind
//! `tests/fixtures/common.yaml` (the `api` section, the envelope and the error codes
//! `bad_request` and `not_found`) unless a test says otherwise.

mod common;

use agora_chat_codegen::{SpecSource, generate};
use common::{common, generate_with_common, source};

/// The diagnostics of a spec given as `spec/broken.yaml`, as printed.
fn diagnostics(text: &str) -> String {
    match generate_with_common("spec/broken.yaml", text) {
        Ok(_) => panic!("the spec generated, but a diagnostic was expected:\n{text}"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

/// The diagnostics of several spec files, as printed.
fn diagnostics_of(sources: &[SpecSource]) -> String {
    match generate(sources) {
        Ok(_) => panic!("the spec generated, but a diagnostic was expected"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

/// A valid operation; tests break it in one place.
const GET_ROOM: &str = "\
operations:
  get_room:
    doc: Get a room.
    source: Get a room
    method: GET
    path: /rooms/{room_id}
    params:
      room_id:
        in: path
        type: string
        doc: The room.
    response: json
    rate_limit_per_sec: 10
    retry_safe: true
    errors:
      - { status: 404, code: not_found, doc: No such room. }
";

#[test]
fn the_operation_the_tests_break_is_valid() {
    let generated = generate_with_common("spec/broken.yaml", GET_ROOM);
    assert!(generated.is_ok(), "{}", generated.unwrap_err());
}

#[test]
fn a_missing_method() {
    let text = GET_ROOM.replace("    method: GET\n", "");
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:3:5: operations.get_room: missing field `method`"
    );
}

#[test]
fn an_unknown_http_method() {
    let text = GET_ROOM.replace("method: GET", "method: FETCH");
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:5:13: operations.get_room.method: unknown variant `FETCH`, \
         expected one of `GET`, `POST`, `PUT`, `DELETE`"
    );
}

#[test]
fn an_unknown_type_in_a_field() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      owner:
        type: User
        doc: The owner.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: unknown type `User`"
    );
}

#[test]
fn an_unknown_type_inside_a_list_response() {
    let text = GET_ROOM.replace("response: json", "response: \"[Room]\"");
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:12:5: unknown type `Room`"
    );
}

#[test]
fn a_path_template_parameter_that_is_not_declared() {
    let text = "\
operations:
  get_room:
    doc: Get a room.
    source: Get a room
    method: GET
    path: /rooms/{room_id}
    response: json
    rate_limit_per_sec: 10
    retry_safe: true
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:6:5: path parameter `{room_id}` is not declared in `params` \
         with `in: path`"
    );
}

#[test]
fn a_path_template_parameter_declared_in_the_query() {
    let text = GET_ROOM.replace("in: path", "in: query");
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:6:5: path parameter `{room_id}` is not declared in `params` \
         with `in: path`"
    );
}

#[test]
fn a_declared_path_parameter_missing_from_the_template() {
    let text = GET_ROOM.replace("path: /rooms/{room_id}", "path: /rooms");
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:8:7: path parameter `room_id` does not appear in path `/rooms`"
    );
}

#[test]
fn a_duplicate_operation_across_two_files() {
    let second = "\
operations:
  delete_room:
    doc: Delete a room.
    source: Delete a room
    method: DELETE
    path: /rooms
    response: json
    rate_limit_per_sec: 10
    retry_safe: true
  get_room:
    doc: Get a room, again.
    source: Get a room
    method: GET
    path: /rooms
    response: json
    rate_limit_per_sec: 10
    retry_safe: true
";
    assert_eq!(
        diagnostics_of(&[
            common(),
            source("spec/a.yaml", GET_ROOM),
            source("spec/b.yaml", second)
        ]),
        "error: spec/b.yaml:10:3: operation `get_room` is already declared in spec/a.yaml"
    );
}

#[test]
fn a_duplicate_type_across_two_files() {
    let first = "\
types:
  Room:
    doc: A room.
    newtype: string
";
    let second = "\
types:
  User:
    doc: A user.
    newtype: string

  Room:
    doc: A room, again.
    newtype: string
";
    assert_eq!(
        diagnostics_of(&[
            common(),
            source("spec/a.yaml", first),
            source("spec/b.yaml", second)
        ]),
        "error: spec/b.yaml:6:3: type `Room` is already declared in spec/a.yaml"
    );
}

#[test]
fn an_empty_enum() {
    let text = "\
types:
  Color:
    doc: Colors.
    enum: {}
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:4:5: `Color` has no variants"
    );
}

#[test]
fn an_unknown_key() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      name:
        type: string
        requried: true
        doc: The name.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:7:9: types.Room.struct.name: unknown field `requried`, \
         expected one of `type`, `doc`, `required`, `wire`, `in`, `join`, `default`, \
         `lenient`, `flag_for`, `min_chars`, `max_chars`, `forbid_chars`, `format`, `min`, \
         `max`, `min_items`, `max_items`, `max_items_from`, `items`, `keys`"
    );
}

#[test]
fn max_chars_on_an_integer() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      size:
        type: u32
        max_chars: 10
        doc: The size.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: `min_chars`, `max_chars`, `forbid_chars` and `format` \
         apply to strings only"
    );
}

#[test]
fn min_greater_than_max() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      size:
        type: u32
        min: 10
        max: 1
        doc: The size.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: `min`/`max` must fit `u32` with min <= max"
    );
}

#[test]
fn a_minimum_outside_the_integer_type() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      size:
        type: u32
        min: -1
        doc: The size.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: `min`/`max` must fit `u32` with min <= max"
    );
}

#[test]
fn min_chars_greater_than_max_chars() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      name:
        type: string
        min_chars: 10
        max_chars: 5
        doc: The name.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: a minimum is greater than its maximum"
    );
}

#[test]
fn a_join_on_a_parameter_that_is_not_a_list() {
    let text = GET_ROOM.replace(
        "        in: path\n",
        "        in: path\n        join: \",\"\n",
    );
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:8:7: a list path parameter needs `join`, and only a list takes it"
    );
}

#[test]
fn a_list_path_parameter_without_join() {
    let text = GET_ROOM.replace("type: string", "type: \"[string]\"");
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:8:7: a list path parameter needs `join`, and only a list takes it"
    );
}

#[test]
fn a_join_on_a_struct_field() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      ids:
        type: \"[string]\"
        join: \",\"
        doc: The ids.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: `in` and `join` apply to operation parameters only"
    );
}

#[test]
fn check_applied_flags_without_an_applied_flags_response() {
    let text = "\
types:
  Patch:
    doc: A patch.
    struct:
      name:
        type: string
        doc: The name.

  Patched:
    doc: The result.
    struct:
      name:
        type: bool
        doc: Whether the name was applied.

operations:
  patch_room:
    doc: Patch a room.
    source: Patch a room
    method: PUT
    path: /rooms
    body: Patch
    response: Patched
    check: applied_flags
    rate_limit_per_sec: 10
    retry_safe: true
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:24:5: `check: applied_flags` needs a response struct with \
         `applied_flags: true` or a `success_flag`"
    );
}

#[test]
fn success_flag_and_tolerant_on_a_type_that_is_not_a_struct() {
    let text = "\
types:
  RoomId:
    doc: A room id.
    newtype: string
    tolerant: true
";
    assert_one_diagnostic_at(
        &diagnostics(text),
        "spec/broken.yaml:2:3",
        &["success_flag", "tolerant", "structs only"],
    );
}

#[test]
fn success_flag_beside_applied_flags() {
    let text = "\
types:
  Applied:
    doc: The result.
    applied_flags: true
    success_flag: done
    struct:
      done:
        type: bool
        doc: Whether it was done.
";
    assert_one_diagnostic_at(
        &diagnostics(text),
        "spec/broken.yaml:5:5",
        &["success_flag", "applied_flags", "exclude"],
    );
}

#[test]
fn retry_observes_done_names_an_error_code_and_success_flag_a_required_bool() {
    let text = "\
types:
  Removed:
    doc: The result.
    success_flag: id
    struct:
      id:
        type: string
        required: true
        doc: The id.

operations:
  remove_room:
    doc: Remove a room.
    source: Remove a room
    method: DELETE
    path: /rooms
    response: Removed
    check: applied_flags
    rate_limit_per_sec: 10
    retry_safe: true
    retry_observes_done: no_such_code
";
    // Types resolve before operations, so the type's problem comes first.
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:4:5: `success_flag: id` must name a required bool field\n\
         error: spec/broken.yaml:21:5: `retry_observes_done: no_such_code` is not a variant of \
         the error code enum"
    );
}

#[test]
fn an_applied_flag_for_a_field_the_body_does_not_have() {
    let text = "\
types:
  Patch:
    doc: A patch.
    struct:
      name:
        type: string
        doc: The name.

  Patched:
    doc: The result.
    applied_flags: true
    struct:
      groupname:
        type: bool
        flag_for: title
        doc: Whether the name was applied.

operations:
  patch_room:
    doc: Patch a room.
    source: Patch a room
    method: PUT
    path: /rooms
    body: Patch
    response: Patched
    check: applied_flags
    rate_limit_per_sec: 10
    retry_safe: true
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:26:5: flag `groupname` reports on `title`, which the body \
         does not have"
    );
}

#[test]
fn an_error_code_that_is_not_in_the_error_enum() {
    let text = format!("{GET_ROOM}      - {{ status: 409, code: conflict, doc: Taken. }}\n");
    assert_eq!(
        diagnostics(&text),
        "error: spec/broken.yaml:15:5: errors[1]: `conflict` is not a variant of the error \
         code enum"
    );
}

#[test]
fn a_pagination_style_missing_its_query_parameters() {
    let text = "\
operations:
  list_rooms:
    doc: List rooms.
    source: List rooms
    method: GET
    path: /rooms
    params:
      limit:
        in: query
        type: u32
        max: 100
        doc: Page size.
    response: \"[json]\"
    pagination: { style: cursor, size: limit, cursor: cursor }
    rate_limit_per_sec: 10
    retry_safe: true
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:14:5: this pagination style needs the optional query parameter \
         `cursor: string`"
    );
    let page_number = text.replace(
        "pagination: { style: cursor, size: limit, cursor: cursor }",
        "pagination: { style: page_number, number: pagenum, size: pagesize }",
    );
    assert_eq!(
        diagnostics(&page_number),
        "error: spec/broken.yaml:14:5: this pagination style needs the optional query parameter `pagenum: u32`\n\
         error: spec/broken.yaml:14:5: this pagination style needs the optional query parameter `pagesize: u32` with a `max`"
    );
}

#[test]
fn a_bad_type_expression() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      tags:
        type: \"[string\"
        doc: The tags.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: `[string` is not a type expression"
    );
}

#[test]
fn no_api_section() {
    let text = "\
types:
  Room:
    doc: A room.
    newtype: string
";
    assert_eq!(
        diagnostics_of(&[source("spec/rooms.yaml", text)]),
        "error: spec/rooms.yaml: no spec file has the `api` section"
    );
}

#[test]
fn several_problems_are_reported_together() {
    let types = "\
types:
  Room:
    doc: A room.
    struct:
      owner:
        type: User
        doc: The owner.
      size:
        type: u32
        max_chars: 10
        doc: The size.

  Color:
    doc: Colors.
    enum: {}
";
    let operations = "\
operations:
  get_room:
    doc: Get a room.
    source: Get a room
    method: GET
    path: /rooms/{room_id}
    response: Room
    pagination: { style: cursor, size: limit, cursor: cursor }
    rate_limit_per_sec: 0
    retry_safe: true
    errors:
      - { status: 200, code: gone, doc: Gone. }
";
    assert_eq!(
        diagnostics_of(&[
            common(),
            source("spec/room_operations.yaml", operations),
            source("spec/room_types.yaml", types),
        ]),
        "\
error: spec/room_types.yaml:5:7: unknown type `User`
error: spec/room_types.yaml:8:7: `min_chars`, `max_chars`, `forbid_chars` and `format` apply to strings only
error: spec/room_types.yaml:15:5: `Color` has no variants
error: spec/room_operations.yaml:6:5: path parameter `{room_id}` is not declared in `params` with `in: path`
error: spec/room_operations.yaml:9:5: `rate_limit_per_sec` must be at least 1
error: spec/room_operations.yaml:11:5: errors[0]: status 200 is not an error status
error: spec/room_operations.yaml:11:5: errors[0]: `gone` is not a variant of the error code enum
error: spec/room_operations.yaml:8:5: this pagination style needs the optional query parameter `limit: u32` with a `max`
error: spec/room_operations.yaml:8:5: this pagination style needs the optional query parameter `cursor: string`
error: spec/room_operations.yaml:8:5: a paginated operation must respond with a list"
    );
}

#[test]
fn parse_errors_of_several_files_are_reported_together() {
    let typo = GET_ROOM.replace("retry_safe", "retry_sfae");
    let missing = GET_ROOM.replace("    source: Get a room\n", "");
    assert_eq!(
        diagnostics_of(&[
            common(),
            source("spec/a.yaml", &typo),
            source("spec/b.yaml", &missing)
        ]),
        "\
error: spec/a.yaml:14:5: operations.get_room: unknown field `retry_sfae`, expected one of `doc`, `source`, `method`, `path`, `params`, `body`, `response`, `payload`, `pagination`, `batch`, `bulk`, `check`, `item_results`, `one_item_as_object`, `dispatch`, `served_by`, `rate_limit_per_sec`, `retry_safe`, `retry_observes_done`, `errors`
error: spec/b.yaml:3:5: operations.get_room: missing field `source`"
    );
}

// Generator bugs: the mistakes below are not diagnosed, and the generated code does not
// compile or is silently wrong. The exact wording of each diagnostic is left to the fix;
// these tests pin the file, the line and the subject.

/// Asserts one diagnostic at `location` (`file:line:col`) that names every one of `subjects`.
fn assert_one_diagnostic_at(actual: &str, location: &str, subjects: &[&str]) {
    assert_eq!(
        actual.lines().count(),
        1,
        "one diagnostic expected:\n{actual}"
    );
    let prefix = format!("error: {location}: ");
    assert!(
        actual.starts_with(&prefix),
        "expected `{prefix}...`, got:\n{actual}"
    );
    for subject in subjects {
        assert!(
            actual.contains(subject),
            "`{subject}` is not named in:\n{actual}"
        );
    }
}

#[test]
fn a_required_applied_flag() {
    let text = "\
types:
  Patch:
    doc: A patch.
    struct:
      name:
        type: string
        doc: The name.

  Patched:
    doc: The result.
    applied_flags: true
    struct:
      name:
        type: bool
        required: true
        doc: Whether the name was applied.
";
    assert_one_diagnostic_at(
        &diagnostics(text),
        "spec/broken.yaml:13:7",
        &["applied_flags", "required"],
    );
}

#[test]
fn a_newtype_over_something_else_than_a_string() {
    let text = "\
types:
  Count:
    doc: A count.
    newtype: u64
";
    assert_one_diagnostic_at(
        &diagnostics(text),
        "spec/broken.yaml:4:5",
        &["newtype", "string"],
    );
}

#[test]
fn a_one_key_variant_named_like_the_default_unknown_variant() {
    let text = "\
types:
  Role:
    doc: A role.
    one_key:
      owner: { variant: Owner, doc: The owner. }
      other: { variant: Other, doc: Another role. }
";
    assert_one_diagnostic_at(&diagnostics(text), "spec/broken.yaml:4:5", &["Other"]);
}

#[test]
fn two_one_key_keys_with_the_same_variant() {
    let text = "\
types:
  Role:
    doc: A role.
    one_key:
      owner: { variant: Owner, doc: The owner. }
      boss: { variant: Owner, doc: Also the owner. }
";
    assert_one_diagnostic_at(&diagnostics(text), "spec/broken.yaml:4:5", &["Owner"]);
}

#[test]
fn enum_values_that_give_the_same_variant_name() {
    let text = "\
types:
  Mode:
    doc: A mode.
    enum:
      read_only: { doc: Read only. }
      read-only: { doc: Also read only. }
";
    assert_one_diagnostic_at(&diagnostics(text), "spec/broken.yaml:4:5", &["ReadOnly"]);
}

#[test]
fn a_reserved_keyword_as_a_field_name() {
    let text = "\
types:
  Attempt:
    doc: An attempt.
    struct:
      try:
        type: string
        doc: The try.
";
    assert_one_diagnostic_at(&diagnostics(text), "spec/broken.yaml:5:7", &["try"]);
}

#[test]
fn self_as_a_type_name() {
    let text = "\
types:
  Self:
    doc: Oneself.
    newtype: string
";
    assert_one_diagnostic_at(&diagnostics(text), "spec/broken.yaml:2:3", &["Self"]);
}

#[test]
fn an_error_table_entry_on_an_enum_that_is_not_the_error_code() {
    let text = "\
types:
  Color:
    doc: Colors.
    enum:
      red: { doc: Red., status: 400 }
";
    assert_one_diagnostic_at(
        &diagnostics(text),
        "spec/broken.yaml:5:7",
        &["status", "error code enum"],
    );
}

#[test]
fn an_error_table_status_that_is_not_an_error() {
    let common = common()
        .text
        .replace("status: 404, retry", "status: 200, retry");
    assert_eq!(
        diagnostics_of(&[source("spec/common.yaml", &common)]),
        "error: spec/common.yaml:31:7: `status` must be an error status (400 to 599)"
    );
}

#[test]
fn an_operation_error_whose_status_differs_from_the_error_table() {
    let text = GET_ROOM.replace(
        "status: 404, code: not_found",
        "status: 410, code: not_found",
    );
    assert_one_diagnostic_at(
        &diagnostics(&text),
        "spec/broken.yaml:15:5",
        &["errors[0]", "410", "404", "not_found"],
    );
}

#[test]
fn a_cursor_pagination_without_the_name_of_its_cursor() {
    let text = "\
operations:
  list_rooms:
    doc: List rooms.
    source: List rooms
    method: GET
    path: /rooms
    response: \"[json]\"
    pagination: { style: cursor, size: limit, number: page }
    rate_limit_per_sec: 10
    retry_safe: true
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:8:5: `number` does not apply to this pagination style\n\
         error: spec/broken.yaml:8:5: this pagination style needs `cursor`: the name of its query parameter"
    );
}

#[test]
fn a_bulk_over_a_list_parameter() {
    let text = GET_ROOM
        .replace("type: string", "type: \"[string]\"\n        join: \",\"")
        .replace(
            "    retry_safe: true\n",
            "    retry_safe: true\n    bulk: room_id\n",
        );
    assert_one_diagnostic_at(
        &diagnostics(&text),
        "spec/broken.yaml:16:5",
        &["bulk: room_id", "one string"],
    );
}

#[test]
fn a_spec_file_named_like_an_api_wide_module() {
    let text = "\
types:
  Room:
    doc: A room.
    newtype: string
";
    assert_eq!(
        diagnostics_of(&[common(), source("spec/types.yaml", text)]),
        "error: spec/types.yaml: the file name `types` must be a snake_case module name other \
         than `types`, `operations` and `validate`"
    );
}

#[test]
fn item_results_on_a_response_that_is_not_a_list_of_structs() {
    let text = GET_ROOM.replace(
        "    retry_safe: true\n",
        "    retry_safe: true\n    item_results: true\n",
    );
    assert_one_diagnostic_at(
        &diagnostics(&text),
        "spec/broken.yaml:15:5",
        &["item_results", "result", "reason"],
    );
}

/// A fixture's text, to break in one place.
fn fixture_text(name: &str) -> String {
    let path = common::fixtures_dir().join(format!("{name}.yaml"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The line (1-based) of the first line of `text` that is exactly `line`.
fn line_of(text: &str, line: &str) -> usize {
    text.lines()
        .position(|l| l == line)
        .map(|index| index + 1)
        .unwrap_or_else(|| panic!("no line `{line}` in:\n{text}"))
}

#[test]
fn a_batch_applied_list_that_the_response_does_not_have() {
    let text = fixture_text("batch_body").replace("applied: newmembers", "applied: added");
    let at = format!("spec/broken.yaml:{}:5", line_of(&text, "    batch:"));
    assert_one_diagnostic_at(
        &diagnostics(&text),
        &at,
        &["batch.applied: added", "response struct"],
    );
}

#[test]
fn a_batch_param_that_is_neither_a_list_path_parameter_nor_a_body_list() {
    let text = fixture_text("batch_body").replace(
        "param: usernames\n      applied",
        "param: room_id\n      applied",
    );
    let at = format!("spec/broken.yaml:{}:5", line_of(&text, "    batch:"));
    assert_one_diagnostic_at(
        &diagnostics(&text),
        &at,
        &["batch.param: room_id", "max_items"],
    );
}

#[test]
fn a_batch_without_key_or_applied() {
    let text = fixture_text("batch_body").replace("      applied: newmembers\n", "");
    let at = format!("spec/broken.yaml:{}:5", line_of(&text, "    batch:"));
    assert_one_diagnostic_at(&diagnostics(&text), &at, &["`key`", "`applied`"]);
}

#[test]
fn two_operations_on_one_method_and_path_without_a_dispatch_key() {
    let text = fixture_text("dispatch").replace("    dispatch: { body_has_key: newowner }\n", "");
    let at = format!("spec/broken.yaml:{}:3", line_of(&text, "  hand_over_room:"));
    assert_one_diagnostic_at(&diagnostics(&text), &at, &["rename_room", "`dispatch`"]);
}

#[test]
fn a_dispatch_key_that_the_body_does_not_have() {
    let text = fixture_text("dispatch").replace("body_has_key: newowner", "body_has_key: owner");
    let at = format!(
        "spec/broken.yaml:{}:5",
        line_of(&text, "    dispatch: { body_has_key: owner }")
    );
    assert_one_diagnostic_at(&diagnostics(&text), &at, &["body_has_key: owner", "body"]);
}

#[test]
fn a_success_string_flag_that_is_optional() {
    let text = fixture_text("dispatch").replace(
        "        required: true\n        lenient: success_string",
        "        lenient: success_string",
    );
    let at = format!("spec/broken.yaml:{}:7", line_of(&text, "      result:"));
    let found = diagnostics(&text);
    assert!(
        found.contains(&at) && found.contains("success_string"),
        "{found}"
    );
}

#[test]
fn one_item_as_object_without_a_list_path_parameter() {
    let text = GET_ROOM.replace(
        "    retry_safe: true\n",
        "    retry_safe: true\n    one_item_as_object: true\n",
    );
    assert_one_diagnostic_at(
        &diagnostics(&text),
        "spec/broken.yaml:15:5",
        &["one_item_as_object", "list path parameter"],
    );
}

#[test]
fn served_by_an_operation_on_another_path() {
    let text = fixture_text("dispatch").replace(
        "    dispatch: { body_has_key: newowner }\n",
        "    served_by: get_nothing\n",
    );
    let at = format!(
        "spec/broken.yaml:{}:5",
        line_of(&text, "    served_by: get_nothing")
    );
    assert_one_diagnostic_at(
        &diagnostics(&text),
        &at,
        &["served_by: get_nothing", "same method and path"],
    );
}

#[test]
fn millis_forever_values_must_be_distinct() {
    let text = "\
types:
  Lasting:
    doc: A duration.
    millis: { of: duration, forever: [-1, -1] }
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:4:5: the `forever` values must be distinct"
    );
}

#[test]
fn map_rules_on_a_field_that_is_not_a_map() {
    let text = "\
types:
  Room:
    doc: A room.
    struct:
      name:
        type: string
        keys: { max_chars: 3 }
        max_items: 2
        doc: The name.
";
    assert_eq!(
        diagnostics(text),
        "error: spec/broken.yaml:5:7: `min_items`, `max_items`, `max_items_from` and `items` apply to lists and maps only\n\
         error: spec/broken.yaml:5:7: `keys` rules apply to maps only"
    );
}

#[test]
fn transparent_needs_one_required_field() {
    let text = "\
types:
  Pair:
    doc: Two fields.
    transparent: true
    struct:
      a: { type: string, required: true, doc: A. }
      b: { type: string, doc: B. }
";
    let found = diagnostics(text);
    assert!(
        found.contains("`transparent` needs a struct of exactly one required field"),
        "{found}"
    );
}

/// A batch of struct items in a transparent list body; `BATCH` is replaced by its spec.
const STRUCT_ITEMS: &str = "\
types:
  Item:
    doc: An item.
    struct:
      name: { type: string, required: true, doc: Name. }
  Items:
    doc: Items.
    transparent: true
    struct:
      items: { type: \"[Item]\", required: true, max_items: 10, doc: The items. }
  Answer:
    doc: The answer.
    struct:
      ok: { type: \"[Item]\", doc: Done. }
operations:
  put_items:
    doc: Put items.
    source: Put items
    method: POST
    path: /items
    body: Items
    response: Answer
    batch: BATCH
    rate_limit_per_sec: 1
    retry_safe: false
";

#[test]
fn a_batch_of_struct_items_needs_a_failed_list_with_a_reason() {
    let text = STRUCT_ITEMS.replace(
        "BATCH",
        "{ param: items, key: name, succeeded: ok, failed: ok, reason: why }",
    );
    let found = diagnostics(&text);
    assert!(
        found.contains("`batch` with `succeeded`, `failed` and `reason` needs `key`"),
        "{found}"
    );
}

#[test]
fn a_batch_of_struct_items_without_succeeded_and_failed() {
    let text = STRUCT_ITEMS.replace("BATCH", "{ param: items, key: name }");
    let found = diagnostics(&text);
    assert!(
        found.contains("a `batch` of struct items needs `succeeded`, `failed` and `reason`"),
        "{found}"
    );
}

#[test]
fn a_secret_takes_string_rules() {
    let text = "\
types:
  Login:
    doc: A login.
    struct:
      password: { type: secret, required: true, max_chars: 64, doc: The password. }
      pin: { type: secret, min: 1, doc: A pin. }
";
    let found = diagnostics(text);
    assert_eq!(
        found.lines().count(),
        1,
        "only the integer rule on a secret is refused: {found}"
    );
    assert!(
        found.contains("`min` and `max` apply to integers and `millis` types only"),
        "{found}"
    );
}
