//! The README's table of every operation the client supports, written from the spec (so it
//! cannot go stale: `cargo xtask gen` writes it between marker comments, `--check` compares).

use crate::ir::{Ir, Method, Operation, Pagination};

/// A Markdown table: one row per operation, in spec order.
pub fn operations_table(ir: &Ir) -> String {
    let mut out = String::from(
        "| Client method | Request | What it does | Also | Limit/s | Retry safe |\n\
         |---|---|---|---|---|---|\n",
    );
    for op in &ir.operations {
        out.push_str(&row(op));
    }
    out
}

fn row(op: &Operation) -> String {
    format!(
        "| `{}` | `{} {}` | {} | {} | {} | {} |\n",
        op.id,
        method(op.method),
        op.path,
        summary(&op.doc),
        derived(op),
        op.rate_limit_per_sec,
        if op.retry_safe { "yes" } else { "no" },
    )
}

fn method(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
    }
}

/// The doc's first sentence, on one line, with `|` escaped for the table.
fn summary(doc: &str) -> String {
    let text = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = match text.find(". ") {
        Some(end) => &text[..=end],
        None => text.as_str(),
    };
    first.replace('|', "\\|")
}

/// The methods built on the plain one.
fn derived(op: &Operation) -> String {
    let mut also = Vec::new();
    if let Some(pagination) = &op.pagination {
        let kind = match pagination {
            Pagination::Cursor { .. } => "cursor",
            Pagination::PageNumber { .. } => "page number",
        };
        also.push(format!("`_page`, `_stream` ({kind})"));
    }
    if let Some(batch) = &op.batch {
        also.push(format!("`_batched` (chunks of {})", batch.chunk));
    }
    if op.bulk.is_some() {
        also.push("`_bulk`".to_owned());
    }
    if also.is_empty() {
        "".to_owned()
    } else {
        also.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_one_escaped_sentence() {
        assert_eq!(summary("List a | b. Then\n more."), "List a \\| b.");
        assert_eq!(summary("Delete a chatroom."), "Delete a chatroom.");
        assert_eq!(summary("No period\nhere"), "No period here");
    }
}
