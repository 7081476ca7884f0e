//! Finds the line of a key path in YAML text, so that checks can point at the spec.
//!
//! serde_norway gives locations only for parse errors; semantic checks run on the parsed
//! model, so they find their line again from the text. Block-style YAML is enough for that:
//! a key path that enters a flow mapping resolves to its deepest block-style ancestor.

/// 1-based (line, column) of the deepest key of `path` that can be found.
pub fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = None;
    let mut start = 0;
    let mut parent_indent: Option<usize> = None;
    for key in path {
        match find_child(&lines, start, parent_indent, key) {
            Some((line, column)) => {
                found = Some((line + 1, column + 1));
                start = line + 1;
                // A key's children sit deeper than the key itself (also after a `- `).
                parent_indent = Some(column);
            }
            None => break,
        }
    }
    found
}

/// The first line at or after `start`, inside the parent's block, that holds `key`:
/// its 0-based index and the 0-based column of the key.
fn find_child(
    lines: &[&str],
    start: usize,
    parent_indent: Option<usize>,
    key: &str,
) -> Option<(usize, usize)> {
    for (index, line) in lines.iter().enumerate().skip(start) {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if parent_indent.is_some_and(|parent| indent <= parent) {
            return None;
        }
        let content = content.strip_prefix("- ").unwrap_or(content);
        if key_of(content) == Some(key) {
            return Some((index, line.len() - content.len()));
        }
    }
    None
}

fn key_of(content: &str) -> Option<&str> {
    let colon = content.find(':')?;
    let rest = &content[colon + 1..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some(
        content[..colon]
            .trim()
            .trim_matches(|c| c == '"' || c == '\''),
    )
}

#[cfg(test)]
mod tests {
    use super::locate;

    const TEXT: &str = "\
# comment
types:
  A:
    doc: x
    struct:
      name: { type: string }
operations:
  op:
    doc: y
    method: GET
";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(locate(TEXT, &["operations", "op", "method"]), Some((10, 5)));
        assert_eq!(
            locate(TEXT, &["types", "A", "struct", "name"]),
            Some((6, 7))
        );
    }

    #[test]
    fn falls_back_to_the_deepest_ancestor() {
        assert_eq!(
            locate(TEXT, &["types", "A", "struct", "name", "type"]),
            Some((6, 7))
        );
        assert_eq!(locate(TEXT, &["operations", "op", "missing"]), Some((8, 3)));
    }

    #[test]
    fn does_not_leave_the_parent_block() {
        assert_eq!(locate(TEXT, &["types", "method"]), Some((2, 1)));
    }
}
