//! Decoding responses: the success envelope into [`Response<T>`], failures into
//! [`Error::Api`], and the tolerant decoders the generated types use.

use crate::types::ResponseMeta;
use serde::{Deserialize, Deserializer, Serialize};
// Decoding a call's answer is the HTTP client's part (the `client` feature).
#[cfg(feature = "client")]
use {
    crate::error::{ApiError, Error, RawBody},
    crate::operation::{OperationMeta, Payload},
    crate::types::{Envelope, ErrorBody},
    serde::de::DeserializeOwned,
    std::time::Duration,
};

/// A successful call: the payload and the envelope's metadata.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The payload: the envelope's `data` (or `entities`) decoded as the operation's type.
    pub data: T,
    /// The envelope's metadata: request id, timestamp, duration, cursor, count...
    pub meta: ResponseMeta,
    /// The HTTP status (a 2xx).
    pub status: u16,
}

impl<T> Response<T> {
    /// A response, e.g. to test code that consumes responses.
    pub fn new(data: T, meta: ResponseMeta, status: u16) -> Self {
        Self { data, meta, status }
    }

    /// The payload, without the metadata.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The next page's cursor, on cursor-paginated calls; `None` on the last page.
    pub fn cursor(&self) -> Option<&str> {
        self.meta.cursor.as_deref()
    }

    /// The same response with its payload transformed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            meta: self.meta,
            status: self.status,
        }
    }
}

/// What the transport hands to decoding.
#[derive(Debug)]
#[cfg(feature = "client")]
pub(crate) struct RawResponse {
    pub status: u16,
    pub body: bytes::Bytes,
    pub retry_after: Option<Duration>,
}

/// Decodes a response: a 2xx into `Response<T>`, anything else into `Error::Api`.
#[cfg(feature = "client")]
pub(crate) fn decode<T: DeserializeOwned>(
    op: &'static OperationMeta,
    raw: RawResponse,
    expected_items: usize,
) -> Result<Response<T>, Error> {
    if !(200..300).contains(&raw.status) {
        return Err(decode_error(op, raw));
    }
    let decoded = expected_items::during(expected_items, || match op.payload {
        Payload::Data => serde_json::from_slice::<Envelope<T>>(&raw.body).map(Envelope::into_parts),
        Payload::Entities => decode_entities(&raw.body),
        Payload::Body => decode_whole(&raw.body),
    });
    match decoded {
        Ok((data, meta)) => Ok(Response {
            data,
            meta,
            status: raw.status,
        }),
        Err(source) => Err(Error::Decode {
            operation: op.id,
            status: raw.status,
            source: crate::JsonError::new(source),
            body: RawBody::new(&raw.body),
        }),
    }
}

/// The answer from `entities`, the metadata from the other fields (user calls).
#[cfg(feature = "client")]
fn decode_entities<T: DeserializeOwned>(
    body: &[u8],
) -> Result<(T, ResponseMeta), serde_json::Error> {
    let mut fields: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)?;
    let entities = fields.remove("entities").unwrap_or_default();
    let data = T::deserialize(entities)?;
    let meta = ResponseMeta::deserialize(serde_json::Value::Object(fields))?;
    Ok((data, meta))
}

/// The answer from the whole body (its own fields pick the payload), and the metadata too.
#[cfg(feature = "client")]
fn decode_whole<T: DeserializeOwned>(body: &[u8]) -> Result<(T, ResponseMeta), serde_json::Error> {
    Ok((serde_json::from_slice(body)?, serde_json::from_slice(body)?))
}

/// Keeps every field of the service's flat error body; keeps the raw body (bounded) when it
/// is not that JSON (gateway HTML, an empty or truncated body).
#[cfg(feature = "client")]
pub(crate) fn decode_error(op: &'static OperationMeta, raw: RawResponse) -> Error {
    let (body, raw_body) = match serde_json::from_slice::<ErrorBody>(&raw.body) {
        // Some other JSON (e.g. a gateway's `{"message": ..}`): nothing of it would be kept.
        Ok(body) if body == ErrorBody::default() => (body, Some(RawBody::new(&raw.body))),
        Ok(body) => (body, None),
        Err(_) => (ErrorBody::default(), Some(RawBody::new(&raw.body))),
    };
    Error::Api(Box::new(ApiError {
        operation: op.id,
        status: raw.status,
        body,
        raw_body,
        retry_after: raw.retry_after,
    }))
}

/// A response struct of `bool` flags where `false` means "not applied".
// Only the client decodes answers; without it the generated impls are unused.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) trait AppliedFlags {
    /// The request fields the service reports as not applied.
    fn not_applied(&self) -> Vec<&'static str>;
}

/// Turns a success that did not apply every field into `Error::NotApplied`, so that a
/// partial update cannot pass unnoticed.
#[cfg(feature = "client")]
pub(crate) fn ensure_applied<T: AppliedFlags>(
    op: &'static OperationMeta,
    response: Response<T>,
) -> Result<Response<T>, Error> {
    let fields = response.data.not_applied();
    if fields.is_empty() {
        Ok(response)
    } else {
        Err(Error::NotApplied {
            operation: op.id,
            fields,
            meta: Box::new(response.meta),
        })
    }
}

/// Exactly one entity, sent as a list of one (or as a lone object): the answer of a call
/// about one user. An empty list or several entities fail decoding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) struct Single<T>(pub T);

#[cfg_attr(not(feature = "client"), allow(dead_code))]
impl<T> Single<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Single<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let OneOrMany(mut items) = OneOrMany::<T>::deserialize(deserializer)?;
        match (items.pop(), items.is_empty()) {
            (Some(one), true) => Ok(Single(one)),
            (None, _) => Err(serde::de::Error::invalid_length(0, &"exactly one entity")),
            (Some(_), false) => Err(serde::de::Error::invalid_length(
                items.len() + 1,
                &"exactly one entity",
            )),
        }
    }
}

/// The expected length of the list an answer carries (a batch get of N ids answers N
/// rooms), for the first list [`OneOrMany`] decodes: allocated at once instead of grown by
/// doubling (five reallocations of up to 26 KB for 100 rooms). Passed beside serde, which
/// has no room for it, and only around one synchronous decode on this thread; a wrong
/// value changes a capacity, never a result.
pub(crate) mod expected_items {
    use std::cell::Cell;

    /// The largest capacity taken from the hint or the format's size hint (the expected
    /// count comes from the caller's list, which validation bounds, but need not be
    /// validated).
    pub const MAX: usize = 1000;

    thread_local! {
        static EXPECTED: Cell<usize> = const { Cell::new(0) };
    }

    /// Runs `decode` with `items` as the hint; cleared afterwards, even on unwinding.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub fn during<R>(items: usize, decode: impl FnOnce() -> R) -> R {
        struct Clear;
        impl Drop for Clear {
            fn drop(&mut self) {
                EXPECTED.set(0);
            }
        }
        EXPECTED.set(items);
        let _clear = Clear;
        decode()
    }

    /// The hint, once: only the first list decoded uses it.
    pub fn take() -> usize {
        EXPECTED.replace(0)
    }
}

/// A list the service sometimes sends as a lone object (or `null` for none).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> OneOrMany<T> {
    /// The items; empty for `null`.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer};
        use std::marker::PhantomData;

        struct OneOrManyVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array, a single object, or null")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // Bounded like serde's own `Vec` (a format's size hint is the input's word).
                let expected = expected_items::take().max(seq.size_hint().unwrap_or(0));
                let mut items = Vec::with_capacity(expected.min(expected_items::MAX));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|one| OneOrMany(vec![one]))
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }

            fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }
        }

        deserializer.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

/// An optional field of a `tolerant` struct (envelope metadata, error bodies): the value is
/// decoded on its own, and one of an unexpected type (a `timestamp` string, an `entities`
/// object, a negative `count`) is dropped as `None` instead of failing the whole body.
///
/// A scalar is decoded straight from the input; only an array or an object is first
/// buffered as a `serde_json::Value` (it must be read whole before it can be dropped).
pub(crate) fn tolerant<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    deserializer.deserialize_any(tolerant_impl::Tolerant(std::marker::PhantomData))
}

mod tolerant_impl {
    use serde::de::value::{
        BoolDeserializer, Error as Dropped, F64Deserializer, I64Deserializer,
        MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, U64Deserializer,
        UnitDeserializer,
    };
    use serde::de::{DeserializeOwned, Error, IntoDeserializer, MapAccess, SeqAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use std::fmt;
    use std::marker::PhantomData;

    pub(super) struct Tolerant<T>(pub PhantomData<T>);

    /// `T` from one value, or `None` when it is not a `T`.
    fn from<'a, T: DeserializeOwned>(value: impl Deserializer<'a, Error = Dropped>) -> Option<T> {
        T::deserialize(value).ok()
    }

    impl<'de, T: DeserializeOwned> Visitor<'de> for Tolerant<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(from(BoolDeserializer::new(v)))
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(from(I64Deserializer::new(v)))
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(from(U64Deserializer::new(v)))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(from(F64Deserializer::new(v)))
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(from(StrDeserializer::new(v)))
        }

        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            let unit: UnitDeserializer<Dropped> = ().into_deserializer();
            Ok(from(unit))
        }

        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            self.visit_unit()
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            let value = serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))?;
            Ok(T::deserialize(value).ok())
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let value = serde_json::Value::deserialize(MapAccessDeserializer::new(map))?;
            Ok(T::deserialize(value).ok())
        }
    }
}

/// Decoders for values the service sends in more than one form.
pub(crate) mod lenient {
    use serde::Deserializer;
    use serde::de::{Error, Unexpected, Visitor};
    use std::fmt;

    struct BoolOrString;

    impl Visitor<'_> for BoolOrString {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a bool, or \"true\" or \"false\"")
        }

        fn visit_bool<E: Error>(self, value: bool) -> Result<bool, E> {
            Ok(value)
        }

        fn visit_str<E: Error>(self, value: &str) -> Result<bool, E> {
            match value.trim() {
                v if v.eq_ignore_ascii_case("true") => Ok(true),
                v if v.eq_ignore_ascii_case("false") => Ok(false),
                _ => Err(E::invalid_value(Unexpected::Str(value), &self)),
            }
        }
    }

    /// A bool sent as `true` or as `"true"`.
    pub fn bool_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(BoolOrString)
    }

    /// A result flag the service sends as the string `"success"` (admin calls) or as a bool:
    /// `true`, `"success"` and `"true"` are success, anything else a failure.
    pub fn success_or_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        struct SuccessOrBool;

        impl Visitor<'_> for SuccessOrBool {
            type Value = bool;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a bool or a string such as \"success\"")
            }

            fn visit_bool<E: Error>(self, value: bool) -> Result<bool, E> {
                Ok(value)
            }

            fn visit_str<E: Error>(self, value: &str) -> Result<bool, E> {
                let value = value.trim();
                Ok(value.eq_ignore_ascii_case("success") || value.eq_ignore_ascii_case("true"))
            }
        }

        deserializer.deserialize_any(SuccessOrBool)
    }

    /// Writes a success flag as the service does: `"success"` for true, `false` otherwise.
    pub fn serialize_success<S: serde::Serializer>(
        value: &bool,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            true => serializer.serialize_str("success"),
            false => serializer.serialize_bool(false),
        }
    }

    /// An optional bool sent as `true`, `"true"` or `null`.
    pub fn option_bool_or_string<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<bool>, D::Error> {
        struct OptionVisitor;

        impl<'de> Visitor<'de> for OptionVisitor {
            type Value = Option<bool>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a bool, a bool as a string, or null")
            }

            fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                bool_or_string(deserializer).map(Some)
            }
        }

        deserializer.deserialize_option(OptionVisitor)
    }
}

/// One-key objects such as `{"owner": "u1"}`.
pub(crate) mod one_key {
    use serde::de::{DeserializeSeed, Error, MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};
    use std::fmt;

    pub fn serialize<S: Serializer>(
        key: &str,
        value: &str,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(key, value)?;
        map.end()
    }

    /// The object's single entry, built by the variant `known` gives for its key, or by
    /// `unknown` for a key this client does not know; none or several keys are an error.
    /// The key is matched once, as it is read (like a derived struct's fields), and copied
    /// only when unknown.
    pub fn deserialize<'de, D: Deserializer<'de>, T>(
        deserializer: D,
        known: KnownKeys<T>,
        unknown: fn(String, String) -> T,
    ) -> Result<T, D::Error> {
        deserializer.deserialize_map(OneKeyVisitor { known, unknown })
    }

    /// The variant (a constructor from the value) of a known key; `None` when unknown.
    pub type KnownKeys<T> = fn(&str) -> Option<fn(String) -> T>;

    struct OneKeyVisitor<T> {
        known: KnownKeys<T>,
        unknown: fn(String, String) -> T,
    }

    impl<'de, T> Visitor<'de> for OneKeyVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object with exactly one key")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let key = map
                .next_key_seed(KeySeed(self.known))?
                .ok_or_else(|| A::Error::invalid_length(0, &self))?;
            let value: String = map.next_value()?;
            if map.next_key::<serde::de::IgnoredAny>()?.is_some() {
                return Err(A::Error::invalid_length(2, &self));
            }
            Ok(match key {
                Key::Known(build) => build(value),
                Key::Unknown(key) => (self.unknown)(key, value),
            })
        }
    }

    /// A map key: the variant it selects, or the key itself when unknown.
    enum Key<T> {
        Known(fn(String) -> T),
        Unknown(String),
    }

    struct KeySeed<T>(KnownKeys<T>);

    impl<'de, T> DeserializeSeed<'de> for KeySeed<T> {
        type Value = Key<T>;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<T>, D::Error> {
            deserializer.deserialize_str(self)
        }
    }

    impl<'de, T> Visitor<'de> for KeySeed<T> {
        type Value = Key<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string key")
        }

        fn visit_str<E: Error>(self, key: &str) -> Result<Key<T>, E> {
            Ok(match (self.0)(key) {
                Some(build) => Key::Known(build),
                None => Key::Unknown(key.to_owned()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{OneOrMany, expected_items};
    use crate::types::{Affiliation, ResponseMeta};
    use serde_json::json;

    fn list(json: &str) -> Vec<u32> {
        serde_json::from_str::<OneOrMany<u32>>(json)
            .expect("decodes")
            .into_vec()
    }

    /// The hint sizes the first list decoded, once, within bounds, and changes no result.
    #[test]
    fn the_expected_length_sizes_the_first_list_only() {
        let (first, second) = expected_items::during(50, || (list("[1,2,3]"), list("[4]")));
        assert_eq!(
            (first.as_slice(), second.as_slice()),
            (&[1, 2, 3][..], &[4][..])
        );
        assert!(first.capacity() >= 50, "{}", first.capacity());
        assert!(second.capacity() < 50, "used once: {}", second.capacity());
        assert_eq!(expected_items::take(), 0, "cleared afterwards");
        assert!(list("[1,2,3]").capacity() < 50, "no hint outside");
        let huge = expected_items::during(usize::MAX, || list("[]"));
        assert!(huge.capacity() <= expected_items::MAX);
        assert!(expected_items::during(9, || list("null")).is_empty());
    }

    #[test]
    fn tolerant_fields_keep_good_values_and_drop_bad_ones() {
        let body = br#"{"action":"get","timestamp":"soon","count":-3,"duration":7,
            "entities":{"not":"a list"},"properties":null,"params":{"limit":["5"]},
            "cursor":12,"uri":"http://x/\u0041"}"#;
        let meta: ResponseMeta = serde_json::from_slice(body).expect("decodes");
        assert_eq!(meta.action.as_deref(), Some("get"));
        assert_eq!(meta.timestamp, None);
        assert_eq!(meta.count, None);
        assert_eq!(meta.duration, Some(7));
        assert_eq!(meta.entities, None);
        assert_eq!(meta.properties, Some(serde_json::Value::Null));
        assert_eq!(
            meta.params.and_then(|p| p.get("limit").cloned()),
            Some(vec!["5".to_owned()])
        );
        assert_eq!(meta.cursor, None);
        assert_eq!(meta.uri.as_deref(), Some("http://x/A"));
    }

    #[test]
    fn tolerant_fields_decode_from_any_deserializer() {
        // A `Value` lends no strings: the same results as from bytes.
        let value = json!({"action": "get", "timestamp": 5, "entities": [], "count": 1.5});
        let meta: ResponseMeta = serde_json::from_value(value).expect("decodes");
        assert_eq!(meta.action.as_deref(), Some("get"));
        assert_eq!(meta.timestamp, Some(5));
        assert_eq!(meta.entities, Some(Vec::new()));
        assert_eq!(meta.count, None);
    }

    #[test]
    fn one_key_objects_decode_with_borrowed_escaped_or_owned_keys() {
        let borrowed: Vec<Affiliation> =
            serde_json::from_slice(br#"[{"owner":"a"},{"member":"b"},{"admin":"c"}]"#)
                .expect("decodes");
        let escaped: Affiliation =
            serde_json::from_slice(br#"{"\u006fwner":"a"}"#).expect("decodes");
        let owned: Affiliation = serde_json::from_value(json!({"member": "b"})).expect("decodes");
        assert_eq!(
            borrowed,
            vec![
                Affiliation::Owner("a".into()),
                Affiliation::Member("b".into()),
                Affiliation::Other {
                    key: "admin".into(),
                    value: "c".into()
                },
            ]
        );
        assert_eq!(escaped, Affiliation::Owner("a".into()));
        assert_eq!(owned, Affiliation::Member("b".into()));
        for bad in [
            &br#"{}"#[..],
            br#"{"owner":"a","member":"b"}"#,
            br#"{"owner":1}"#,
        ] {
            assert!(serde_json::from_slice::<Affiliation>(bad).is_err());
        }
    }
}

/// One item's answer in a batch response: the service's `result` flag and `reason` beside the
/// item's own fields, e.g. `{"result": false, "reason": "user: u1 doesn't exist", "user": "u1"}`.
/// `result` arrives as a bool or as the string `"success"`; both are decoded here, once for
/// every operation that answers per item.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemResult<T> {
    /// Whether the service applied the request to this item.
    #[serde(rename = "result", deserialize_with = "item_flag::deserialize")]
    pub ok: bool,
    /// Why not, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The item's own fields (e.g. the user it is about).
    #[serde(flatten)]
    pub item: T,
}

impl<T> ItemResult<T> {
    /// The item when it was applied, or the reason it was not.
    pub fn into_result(self) -> Result<T, ItemFailure<T>> {
        if self.ok {
            Ok(self.item)
        } else {
            Err(ItemFailure {
                reason: self.reason,
                item: Some(self.item),
            })
        }
    }
}

/// An item the service did not apply a batch request to, with its reason.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ItemFailure<T> {
    /// The service's reason, when it gave one (e.g. `"user: u1 doesn't exist"`).
    pub reason: Option<String>,
    /// The service's answer for the item, when it answers with one (per-item results do;
    /// a list of refused names with reasons does not).
    pub item: Option<T>,
}

/// `result`: `true`/`false`, or a string where `"success"` (and `"true"`) mean applied.
mod item_flag {
    use serde::de::{Deserializer, Error, Visitor};
    use std::fmt;

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(Flag)
    }

    struct Flag;

    impl Visitor<'_> for Flag {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a bool or a string such as \"success\"")
        }

        fn visit_bool<E: Error>(self, value: bool) -> Result<bool, E> {
            Ok(value)
        }

        fn visit_str<E: Error>(self, value: &str) -> Result<bool, E> {
            Ok(matches!(value, "success" | "true"))
        }
    }
}

#[cfg(test)]
mod item_result_tests {
    use super::ItemResult;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct User {
        user: String,
    }

    fn decode(json: &str) -> ItemResult<User> {
        match serde_json::from_str(json) {
            Ok(result) => result,
            Err(err) => panic!("{json}: {err}"),
        }
    }

    #[test]
    fn decodes_bool_and_string_results_with_reasons() {
        let ok = decode(r#"{"result":true,"action":"remove_member","user":"u1"}"#);
        assert!(ok.ok && ok.reason.is_none() && ok.item.user == "u1");
        let success = decode(r#"{"result":"success","user":"u2"}"#);
        assert!(success.ok);
        let failed = decode(r#"{"result":false,"reason":"not a member","user":"u3"}"#);
        let failure = failed.into_result().expect_err("result false is a failure");
        assert_eq!(failure.reason.as_deref(), Some("not a member"));
        assert_eq!(failure.item.map(|item| item.user).as_deref(), Some("u3"));
    }
}
