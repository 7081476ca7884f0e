//! Request validation: the rules the generated code checks before any network I/O.
//!
//! Generated `Validate` impls call the [`Checker`] once per rule; the checker collects every
//! violation, so one error names all that is wrong with a request.

use std::fmt;

/// A request that can check itself against the spec's rules.
pub trait Validate {
    /// Records every violation of `self` in `checker`.
    fn check(&self, checker: &mut Checker);

    /// Checks `self` alone.
    fn validate(&self) -> Result<(), ValidationError> {
        let mut checker = Checker::default();
        self.check(&mut checker);
        checker.finish()
    }
}

/// The field a rule applies to: a name on the wire, an item of a list, or a key or the value
/// of one entry of a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A field by its name on the wire, e.g. `name`.
    Named(&'static str),
    /// An item of a list field by its index, e.g. `members[3]`.
    Item(&'static str, usize),
    /// The key of a map entry, e.g. `metaData key "k"`.
    Key(&'static str, String),
    /// The value of a map entry, e.g. `metaData["k"]`.
    Value(&'static str, String),
}

impl Field {
    /// Item `index` of the list `list`.
    pub fn item(list: &'static str, index: usize) -> Self {
        Field::Item(list, index)
    }

    /// The key `key` of the map `map` (a rule on the key itself).
    pub fn key(map: &'static str, key: &str) -> Self {
        Field::Key(map, key.to_owned())
    }

    /// The value at `key` of the map `map`.
    pub fn value(map: &'static str, key: &str) -> Self {
        Field::Value(map, key.to_owned())
    }
}

impl From<&'static str> for Field {
    fn from(name: &'static str) -> Self {
        Field::Named(name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Named(name) => f.write_str(name),
            Field::Item(list, index) => write!(f, "{list}[{index}]"),
            Field::Key(map, key) => write!(f, "{map} key {key:?}"),
            Field::Value(map, key) => write!(f, "{map}[{key:?}]"),
        }
    }
}

/// The rule a value broke, with the numbers involved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// Text length in characters (not bytes).
    Chars {
        /// The fewest characters allowed, if any.
        min: Option<u32>,
        /// The most characters allowed, if any.
        max: Option<u32>,
        /// The value's length in characters.
        actual: usize,
    },
    /// The text contains a character the service does not accept here.
    ForbiddenChar {
        /// The first forbidden character found.
        forbidden: char,
    },
    /// Not a username: 1 to 64 characters of `a-z A-Z 0-9 _ - .`.
    Username {
        /// What is wrong with it.
        problem: UsernameProblem,
    },
    /// A key may only contain `a-z A-Z 0-9 _ - .`.
    KeyChar {
        /// The first character outside the allowed set.
        found: char,
    },
    /// An integer out of its range.
    Range {
        /// The smallest value allowed, if any.
        min: Option<i64>,
        /// The largest value allowed, if any.
        max: Option<i64>,
        /// The value given.
        actual: i128,
    },
    /// A list with too few or too many items.
    Items {
        /// The fewest items allowed, if any.
        min: Option<u32>,
        /// The most items allowed, if any.
        max: Option<u32>,
        /// The number of items given.
        actual: usize,
    },
    /// A list with more items than another field allows (e.g. members vs `maxusers`).
    ItemsWithin {
        /// The field that bounds the list (e.g. `maxusers`).
        bound_field: &'static str,
        /// That field's value.
        bound: i128,
        /// The number of items given.
        actual: usize,
    },
    /// Fewer fields set than the request needs (e.g. an empty update).
    MinFields {
        /// How many of the fields must be set.
        min: u32,
        /// The fields that count.
        fields: Vec<&'static str>,
    },
    /// A path segment that would change the path (`.` or `..`).
    DotSegment,
    /// The request's URL would be longer than a URL can be (4 GiB).
    UrlTooLong {
        /// The length of its path and query, in bytes.
        actual: usize,
    },
}

/// Why a value is not a username (see [`Rule::Username`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameProblem {
    /// The username is empty.
    Empty,
    /// Longer than [`USERNAME_MAX_CHARS`] characters.
    TooLong {
        /// Its length in characters.
        actual: usize,
    },
    /// A character outside `a-z A-Z 0-9 _ - .`.
    BadChar {
        /// The first such character.
        found: char,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Chars { min, max, actual } => {
                write!(f, "must have {} characters, has {actual}", bounds(min, max))
            }
            Rule::ForbiddenChar { forbidden } => write!(f, "must not contain {forbidden:?}"),
            Rule::Username { problem } => match problem {
                UsernameProblem::Empty => f.write_str("username must not be empty"),
                UsernameProblem::TooLong { actual } => {
                    write!(f, "username must have at most 64 characters, has {actual}")
                }
                UsernameProblem::BadChar { found } => {
                    write!(
                        f,
                        "username may only contain a-z A-Z 0-9 _ - ., found {found:?}"
                    )
                }
            },
            Rule::KeyChar { found } => {
                write!(f, "may only contain a-z A-Z 0-9 _ - ., found {found:?}")
            }
            Rule::Range { min, max, actual } => {
                write!(f, "must be {}, is {actual}", bounds(min, max))
            }
            Rule::Items { min, max, actual } => {
                write!(f, "must have {} items, has {actual}", bounds(min, max))
            }
            Rule::ItemsWithin {
                bound_field,
                bound,
                actual,
            } => {
                write!(
                    f,
                    "must have at most `{bound_field}` ({bound}) items, has {actual}"
                )
            }
            Rule::MinFields { min, fields } => {
                write!(f, "at least {min} of {fields:?} must be set")
            }
            Rule::DotSegment => f.write_str("must not be `.` or `..` (it would change the path)"),
            Rule::UrlTooLong { actual } => {
                write!(f, "makes a URL of {actual} bytes, longer than a URL can be")
            }
        }
    }
}

fn bounds<T: fmt::Display>(min: &Option<T>, max: &Option<T>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "any number of".to_owned(),
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field on the wire, e.g. `name` or `members[3]`; `(request)` for rules of the whole body.
    pub field: String,
    /// The rule it broke, with the numbers involved.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.rule)
    }
}

/// Every rule a request broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Each broken rule, in the order the fields were checked; never empty.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, violation) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// The longest username the service accepts, in characters.
pub const USERNAME_MAX_CHARS: usize = 64;

/// Collects violations; one method per rule of the spec. Used by the generated code and
/// the emulator, not meant to be called directly: every request type implements
/// [`Validate`], and the client validates before sending.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Checker {
    violations: Vec<Violation>,
}

impl Checker {
    fn push(&mut self, field: impl Into<Field>, rule: Rule) {
        self.violations.push(Violation {
            field: field.into().to_string(),
            rule,
        });
    }

    /// Length in characters (Unicode scalar values), as the service counts it.
    pub fn chars(
        &mut self,
        field: impl Into<Field>,
        value: &str,
        min: Option<u32>,
        max: Option<u32>,
    ) {
        // A string has at most as many characters as bytes and at least a quarter as many:
        // most values are decided from their byte length, without counting.
        let bytes = value.len();
        let surely_short_enough = max.is_none_or(|max| bytes <= max as usize);
        let surely_long_enough = min.is_none_or(|min| bytes.div_ceil(4) >= min as usize);
        if surely_short_enough && surely_long_enough {
            return;
        }
        let actual = value.chars().count();
        let too_short = min.is_some_and(|min| actual < min as usize);
        let too_long = max.is_some_and(|max| actual > max as usize);
        if too_short || too_long {
            self.push(field, Rule::Chars { min, max, actual });
        }
    }

    pub fn forbid_chars(&mut self, field: impl Into<Field>, value: &str, forbidden: &str) {
        if let Some(found) = value.chars().find(|c| forbidden.contains(*c)) {
            self.push(field, Rule::ForbiddenChar { forbidden: found });
        }
    }

    /// 1 to 64 characters of `a-z A-Z 0-9 _ - .`; not stricter than the service.
    pub fn username(&mut self, field: impl Into<Field>, value: &str) {
        if let Err(problem) = check_username(value) {
            self.push(field, Rule::Username { problem });
        }
    }

    /// Only `a-z A-Z 0-9 _ - .` (the length is a separate rule).
    pub fn key_chars(&mut self, field: impl Into<Field>, value: &str) {
        if let Some(found) = value.chars().find(|c| !is_key_char(*c)) {
            self.push(field, Rule::KeyChar { found });
        }
    }

    pub fn range(
        &mut self,
        field: impl Into<Field>,
        value: i128,
        min: Option<i64>,
        max: Option<i64>,
    ) {
        let too_small = min.is_some_and(|min| value < i128::from(min));
        let too_large = max.is_some_and(|max| value > i128::from(max));
        if too_small || too_large {
            self.push(
                field,
                Rule::Range {
                    min,
                    max,
                    actual: value,
                },
            );
        }
    }

    pub fn items(
        &mut self,
        field: impl Into<Field>,
        count: usize,
        min: Option<u32>,
        max: Option<u32>,
    ) {
        let too_few = min.is_some_and(|min| count < min as usize);
        let too_many = max.is_some_and(|max| count > max as usize);
        if too_few || too_many {
            self.push(
                field,
                Rule::Items {
                    min,
                    max,
                    actual: count,
                },
            );
        }
    }

    /// At most `bound` items, where `bound` is the value of another field.
    pub fn items_within(
        &mut self,
        field: impl Into<Field>,
        count: usize,
        bound_field: &'static str,
        bound: i128,
    ) {
        if i128::try_from(count).map_or(true, |count| count > bound) {
            self.push(
                field,
                Rule::ItemsWithin {
                    bound_field,
                    bound,
                    actual: count,
                },
            );
        }
    }

    /// At least `min` of the optional fields are set.
    /// Runs `check` on a nested value (an item of a list of structs) and names each of its
    /// violations below `field`, e.g. `users[3].password`.
    pub fn within(&mut self, field: impl Into<Field>, check: impl FnOnce(&mut Checker)) {
        let mut inner = Checker::default();
        check(&mut inner);
        let prefix = field.into();
        for violation in inner.violations {
            self.violations.push(Violation {
                field: format!("{prefix}.{}", violation.field),
                rule: violation.rule,
            });
        }
    }

    pub fn min_fields(&mut self, set: &[(&'static str, bool)], min: u32) {
        let count = set.iter().filter(|(_, is_set)| *is_set).count();
        if count < min as usize {
            let fields = set.iter().map(|(name, _)| *name).collect();
            self.push("(request)", Rule::MinFields { min, fields });
        }
    }

    pub fn finish(self) -> Result<(), ValidationError> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                violations: self.violations,
            })
        }
    }
}

/// Whether `c` may appear in a username or a key: `a-z A-Z 0-9 _ - .`.
pub fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The username rule on its own, for callers and the emulator.
pub fn check_username(value: &str) -> Result<(), UsernameProblem> {
    if value.is_empty() {
        return Err(UsernameProblem::Empty);
    }
    if let Some(found) = value.chars().find(|c| !is_key_char(*c)) {
        return Err(UsernameProblem::BadChar { found });
    }
    // Only ASCII is left, so bytes are characters.
    if value.len() > USERNAME_MAX_CHARS {
        return Err(UsernameProblem::TooLong {
            actual: value.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte-length shortcut decides exactly as counting characters does.
        #[test]
        fn chars_decides_by_the_character_count(
            value in "[a-z\u{e9}\u{804a}\u{1f600}]{0,24}",
            min in proptest::option::of(0u32..30),
            max in proptest::option::of(0u32..30),
        ) {
            let mut checker = Checker::default();
            checker.chars("field", &value, min, max);
            let actual = value.chars().count();
            let breaks = min.is_some_and(|min| actual < min as usize)
                || max.is_some_and(|max| actual > max as usize);
            let expected = breaks.then_some(Rule::Chars { min, max, actual });
            prop_assert_eq!(checker.violations.first().map(|v| v.rule.clone()), expected);
            prop_assert!(checker.violations.len() <= 1);
        }
    }
}
