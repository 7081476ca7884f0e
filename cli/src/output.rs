//! Output formats: a readable table (the default) or JSON. Tables are built from the JSON
//! form of any answer, so every operation prints without code of its own.

use serde_json::{Map, Value};

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    /// One JSON document (JSON lines for streams).
    Json,
}

/// `value` as the output format says, ending in a newline.
pub fn render(output: Output, value: &Value) -> String {
    match output {
        Output::Json => {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            text
        }
        Output::Table => table(value),
    }
}

/// A list of objects as columns, an object as KEY/VALUE rows, anything else as text.
pub fn table(value: &Value) -> String {
    match value {
        Value::Array(items) if items.is_empty() => "(none)\n".to_owned(),
        Value::Array(items) if items.iter().all(Value::is_object) => rows_table(items),
        Value::Array(items) => lines(items.iter().map(cell)),
        Value::Object(object) => key_value_table(object),
        other => format!("{}\n", cell(other)),
    }
}

fn lines(cells: impl Iterator<Item = String>) -> String {
    cells.map(|c| format!("{c}\n")).collect()
}

fn key_value_table(object: &Map<String, Value>) -> String {
    let rows: Vec<Vec<String>> = object
        .iter()
        .map(|(key, value)| vec![key.clone(), cell(value)])
        .collect();
    aligned(&["KEY".to_owned(), "VALUE".to_owned()], &rows)
}

fn rows_table(items: &[Value]) -> String {
    let columns = columns(items);
    let header: Vec<String> = columns.iter().map(|c| c.to_ascii_uppercase()).collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|column| item.get(column).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    aligned(&header, &rows)
}

/// Every key of any item in order of first appearance, `key` and `id` first (they name the row).
fn columns(items: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for key in items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(Map::keys)
    {
        if !columns.contains(key) {
            columns.push(key.clone());
        }
    }
    columns.sort_by_key(|c| match c.as_str() {
        "key" => 0,
        "id" => 1,
        _ => 2,
    });
    columns
}

/// One cell: strings as they are, null empty, anything else compact JSON; on one line.
fn cell(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    text.replace('\n', "\\n")
}

fn aligned(header: &[String], rows: &[Vec<String>]) -> String {
    let width = |i: usize| {
        std::iter::once(&header[i])
            .chain(rows.iter().map(|r| &r[i]))
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    std::iter::once(header)
        .chain(rows.iter().map(Vec::as_slice))
        .map(|row| line(row, &widths))
        .collect()
}

fn line(row: &[String], widths: &[usize]) -> String {
    let cells: Vec<String> = row
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect();
    format!("{}\n", cells.join("  ").trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_of_objects_are_columns_with_the_id_first() {
        let value =
            json!([{"name": "lobby", "id": "1"}, {"id": "22", "name": "x", "disabled": false}]);
        insta::assert_snapshot!(table(&value), @r"
        ID  NAME   DISABLED
        1   lobby
        22  x      false
        ");
    }

    #[test]
    fn objects_are_key_value_rows_and_scalars_text() {
        let value = json!({"id": "1", "members": ["a", "b"], "note": "two\nlines"});
        insta::assert_snapshot!(table(&value), @r#"
        KEY      VALUE
        id       1
        members  ["a","b"]
        note     two\nlines
        "#);
        assert_eq!(table(&json!([])), "(none)\n");
        assert_eq!(table(&json!("done")), "done\n");
    }
}
