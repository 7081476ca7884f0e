//! Building a request: the path (percent-encoded, shape-preserving), query and body bytes.

use crate::error::Error;
use crate::operation::OperationMeta;
use crate::validate::Rule;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

/// Everything but RFC 3986's unreserved characters is escaped, so no value can add a `/`,
/// `?` or `#` to the path.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One request, ready for the runtime's pipeline. Body bytes can be sent again unchanged.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub op: &'static OperationMeta,
    /// The path below `/{org_name}/{app_name}`, already encoded.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    /// Query parameters named at run time (raw requests), after `query`.
    pub extra_query: Vec<(String, String)>,
    pub body: Option<bytes::Bytes>,
    /// How many items the answer's list is expected to hold (one per item of a list in the
    /// path, e.g. the rooms of a batch get); 0 when unknown. A capacity hint for decoding.
    pub expected_items: usize,
}

impl Call {
    pub fn new(op: &'static OperationMeta, path: impl Into<BuiltPath>) -> Self {
        let BuiltPath {
            path,
            expected_items,
        } = path.into();
        Self {
            op,
            path,
            query: Vec::new(),
            extra_query: Vec::new(),
            body: None,
            expected_items,
        }
    }

    pub fn json_body<T: Serialize>(&mut self, body: &T) -> Result<(), Error> {
        let bytes = serde_json::to_vec(body).map_err(|source| Error::Encode {
            operation: self.op.id,
            source: crate::JsonError::new(source),
        })?;
        self.body = Some(bytes.into());
        Ok(())
    }
}

/// An encoded path, with the number of items of its longest list parameter.
#[derive(Debug)]
pub(crate) struct BuiltPath {
    pub path: String,
    pub expected_items: usize,
}

impl From<String> for BuiltPath {
    fn from(path: String) -> Self {
        Self {
            path,
            expected_items: 0,
        }
    }
}

/// Appends literal text and encoded parameters to a path.
#[derive(Debug)]
pub(crate) struct PathBuilder {
    op: &'static OperationMeta,
    path: String,
    /// The most items of one list parameter so far.
    listed: usize,
}

impl PathBuilder {
    pub fn new(op: &'static OperationMeta) -> Self {
        Self {
            op,
            // Most paths fit: no regrowth while the literals and one id are appended.
            path: String::with_capacity(64),
            listed: 0,
        }
    }

    pub fn literal(&mut self, text: &str) {
        self.path.push_str(text);
    }

    /// One parameter as one whole path segment.
    pub fn segment(&mut self, name: &'static str, value: &str) -> Result<(), Error> {
        self.push_list(name, [value], "").map(drop)
    }

    /// A list parameter as one path segment, items joined by `separator` (itself escaped,
    /// so `,` is sent as `%2C` as the service expects). Encoded straight into the path: no
    /// string per item, and room for the whole list reserved at once (growing a long path
    /// by doubling costs more in the allocator than encoding it, under concurrent calls).
    pub fn list<'a, I>(
        &mut self,
        name: &'static str,
        values: I,
        separator: &str,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: Clone,
    {
        let items = self.push_list(name, values, separator)?;
        self.listed = self.listed.max(items);
        Ok(())
    }

    /// Appends the encoded list; how many items it held.
    fn push_list<'a, I>(
        &mut self,
        name: &'static str,
        values: I,
        separator: &str,
    ) -> Result<usize, Error>
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: Clone,
    {
        let values = values.into_iter();
        // Encoded once, not once per item (`,` is always `%2C`).
        let separator = encode_segment(separator);
        self.path
            .reserve(encoded_len_hint(values.clone(), &separator));
        let start = self.path.len();
        let mut items = 0;
        for value in values {
            if items > 0 {
                self.path.push_str(&separator);
            }
            push_encoded(&mut self.path, value);
            items += 1;
        }
        // `.` and `..` survive encoding as dot segments (URL parsers treat `%2E` as `.`),
        // and an empty segment changes the path as well.
        let segment = &self.path[start..];
        if segment.is_empty() || segment == "." || segment == ".." {
            let error = self.unsendable(name, segment);
            self.path.truncate(start);
            return Err(error);
        }
        Ok(items)
    }

    fn unsendable(&self, name: &'static str, segment: &str) -> Error {
        let rule = if segment.is_empty() {
            Rule::Chars {
                min: Some(1),
                max: None,
                actual: 0,
            }
        } else {
            Rule::DotSegment
        };
        Error::violation(self.op, name, rule)
    }

    pub fn finish(self) -> BuiltPath {
        BuiltPath {
            path: self.path,
            expected_items: self.listed,
        }
    }
}

/// The length of `values` joined by the encoded `separator`: exact when every byte of the
/// values is unreserved (ids, usernames), otherwise a first estimate that grows as needed.
fn encoded_len_hint<'a>(values: impl Iterator<Item = &'a str>, separator: &str) -> usize {
    values.fold(0, |len, value| len + value.len() + separator.len())
}

/// Appends `value` percent-encoded. A value of unreserved characters only (ids, usernames:
/// the common case) is appended in one copy; profiling showed the byte-by-byte encoder and
/// the string's regrowth as the main cost of a 100-id path.
fn push_encoded(path: &mut String, value: &str) {
    if value.bytes().all(|b| UNRESERVED[usize::from(b)]) {
        path.push_str(value);
    } else {
        path.extend(utf8_percent_encode(value, SEGMENT));
    }
}

/// The bytes `SEGMENT` leaves as they are (RFC 3986 unreserved), as a table: one load per
/// byte where the range tests took several.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        byte += 1;
    }
    table
};

/// Percent-encodes one path segment (UTF-8, every reserved character escaped).
pub fn encode_segment(value: &str) -> std::borrow::Cow<'_, str> {
    utf8_percent_encode(value, SEGMENT).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Method, Pagination};

    static OP: OperationMeta = OperationMeta {
        id: "test_op",
        method: Method::Get,
        path: "/chatrooms/{id}",
        rate_limit_per_sec: 1,
        retry_safe: true,
        retry_observes_done: None,
        pagination: Pagination::None,
        payload: crate::operation::Payload::Data,
    };

    fn built(values: &[&str], separator: &str) -> Result<String, Error> {
        let mut path = PathBuilder::new(&OP);
        path.literal("/chatrooms/");
        path.list("ids", values.iter().copied(), separator)?;
        Ok(path.finish().path)
    }

    #[test]
    fn a_list_in_the_path_expects_one_answer_item_per_value() {
        let mut path = PathBuilder::new(&OP);
        path.literal("/chatrooms/");
        path.segment("id", "room").expect("valid");
        assert_eq!(
            path.finish().expected_items,
            0,
            "a single id expects no list"
        );
        let mut path = PathBuilder::new(&OP);
        path.literal("/chatrooms/");
        path.list("ids", ["a", "b", "c"], ",").expect("valid");
        let built = path.finish();
        assert_eq!(
            (built.path.as_str(), built.expected_items),
            ("/chatrooms/a%2Cb%2Cc", 3)
        );
    }

    #[test]
    fn escapes_separators_and_reserved_characters() {
        assert_eq!(
            built(&["1", "2"], ",").ok().as_deref(),
            Some("/chatrooms/1%2C2")
        );
        assert_eq!(
            built(&["a/b"], "").ok().as_deref(),
            Some("/chatrooms/a%2Fb")
        );
        assert_eq!(
            built(&["../x"], "").ok().as_deref(),
            Some("/chatrooms/..%2Fx")
        );
        assert_eq!(
            built(&["a?b#c d%"], "").ok().as_deref(),
            Some("/chatrooms/a%3Fb%23c%20d%25")
        );
        assert_eq!(
            built(&["聊天"], "").ok().as_deref(),
            Some("/chatrooms/%E8%81%8A%E5%A4%A9")
        );
        assert_eq!(
            built(&["a-b_c.d~e"], "").ok().as_deref(),
            Some("/chatrooms/a-b_c.d~e")
        );
    }

    #[test]
    fn the_unreserved_fast_path_encodes_like_the_encoder() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for value in [
            "66213271109633",
            "a-b_c.d~e",
            "a b",
            "聊天",
            "%2C",
            &every_ascii,
        ] {
            let mut path = String::new();
            push_encoded(&mut path, value);
            assert_eq!(path, encode_segment(value), "{value:?}");
        }
        // Each ASCII character alone (the table against the encoder), and no byte of a
        // non-ASCII character is left unencoded.
        for value in (0u8..128).map(|b| char::from(b).to_string()) {
            let mut path = String::new();
            push_encoded(&mut path, &value);
            assert_eq!(path, encode_segment(&value), "{value:?}");
        }
        assert!(UNRESERVED[128..].iter().all(|unreserved| !unreserved));
    }

    #[test]
    fn refuses_segments_that_change_the_path() {
        for bad in [&[".."][..], &["."], &[""], &[]] {
            match built(bad, ",") {
                Err(Error::Validation {
                    operation: "test_op",
                    ..
                }) => {}
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        // Inside a list, `..` is only part of a segment.
        assert_eq!(
            built(&["..", "1"], ",").ok().as_deref(),
            Some("/chatrooms/..%2C1")
        );
    }
}
