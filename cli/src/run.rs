//! What the generated subcommands stand on: the run context (client, output mode), turning
//! flags into typed requests (through serde, so the client's generated types and validation
//! decide), reading keys for bulk calls, and printing answers, streams and per-key results.
//! Nothing here names an operation.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use agora_chat::bulk::{BulkOptions, Lookup, Progress};
use agora_chat::{Client, Response};
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use crate::exit::CliError;
use crate::exit::ExitClass;
use crate::output::{Output, render};

/// What a subcommand runs with.
pub struct Ctx {
    client: Result<Client, String>,
    pub output: Output,
}

impl Ctx {
    /// `client` is the configured client, or why there is none (a usage error when used).
    pub fn new(client: Result<Client, String>, output: Output) -> Self {
        Self { client, output }
    }

    pub fn client(&self) -> Result<&Client, CliError> {
        self.client
            .as_ref()
            .map_err(|message| CliError::new(ExitClass::Usage, message.clone()))
    }

    /// Prints an answer's `data`; a next-page cursor is reported on stderr.
    pub fn print_response<T: Serialize>(&self, response: Response<T>) -> Result<(), CliError> {
        if let Some(cursor) = response.cursor() {
            eprintln!("more: repeat with --cursor {cursor} (or --all)");
        }
        self.print(&to_json(&response.data)?)
    }

    /// Prints one JSON value in the chosen format.
    pub fn print(&self, value: &Value) -> Result<(), CliError> {
        write_out(&render(self.output, value))
    }

    /// Every item of a stream: JSON lines as they come, or one table at the end. An error
    /// ends the output after what was printed.
    pub async fn print_stream<T, S>(&self, stream: S) -> Result<(), CliError>
    where
        T: Serialize,
        S: Stream<Item = Result<T, agora_chat::Error>>,
    {
        let mut stream = std::pin::pin!(stream);
        let mut rows = Vec::new();
        let mut failure = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(item) if self.output == Output::Json => {
                    let line = serde_json::to_string(&to_json(&item)?).unwrap_or_default();
                    write_out(&format!("{line}\n"))?;
                }
                Ok(item) => rows.push(to_json(&item)?),
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        if self.output == Output::Table {
            self.print(&Value::Array(rows))?;
        }
        failure.map_or(Ok(()), |err| Err(err.into()))
    }

    /// One result per key of a bulk call; fails (with the first failure's class) when any did.
    pub fn print_bulk<K: Serialize, R: Answer>(
        &self,
        results: Vec<(K, Result<R, agora_chat::Error>)>,
    ) -> Result<(), CliError> {
        let total = results.len();
        let mut first_failure = None;
        let mut failed = 0;
        let mut rows = Vec::with_capacity(total);
        for (key, result) in results {
            let mut row = Map::new();
            row.insert("key".into(), to_json(&key)?);
            match result {
                Ok(value) => {
                    row.insert("ok".into(), Value::Bool(true));
                    let value = value.answer_json().map_err(|e| {
                        CliError::new(ExitClass::Other, format!("cannot show the answer: {e}"))
                    })?;
                    row.insert("result".into(), value);
                }
                Err(err) => {
                    failed += 1;
                    row.insert("ok".into(), Value::Bool(false));
                    row.insert("error".into(), Value::String(err.to_string()));
                    first_failure.get_or_insert(ExitClass::of(&err));
                }
            }
            rows.push(Value::Object(row));
        }
        self.print(&Value::Array(rows))?;
        match first_failure {
            Some(class) => Err(CliError::new(class, format!("{failed} of {total} failed"))),
            None => Ok(()),
        }
    }

    /// The found items of a batched lookup; missing keys on stderr, then a not-found failure.
    pub fn print_lookups<K: Serialize, T: Serialize>(
        &self,
        lookups: Vec<Lookup<K, T>>,
    ) -> Result<(), CliError> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for lookup in lookups {
            match lookup {
                Lookup::Found(item) => found.push(to_json(&item)?),
                Lookup::NotFound(key) => missing.push(to_json(&key)?),
            }
        }
        self.print(&Value::Array(found))?;
        if missing.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = missing.iter().map(plain).collect();
        Err(CliError::new(
            ExitClass::NotFound,
            format!("not found: {}", keys.join(", ")),
        ))
    }

    /// Bulk options with a progress bar on stderr, only when stderr is a terminal.
    pub fn bulk_options(&self, total: usize) -> BulkOptions {
        let options = BulkOptions::default();
        if !std::io::stderr().is_terminal() || total == 0 {
            return options;
        }
        options.progress(draw_progress)
    }
}

/// What one key of a bulk call answers: a response (its `data`) or the items of every page.
pub trait Answer {
    fn answer_json(&self) -> Result<Value, serde_json::Error>;
}

impl<T: Serialize> Answer for Response<T> {
    fn answer_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(&self.data)
    }
}

impl<T: Serialize> Answer for Vec<T> {
    fn answer_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

fn draw_progress(progress: Progress) {
    const WIDTH: usize = 30;
    let filled = WIDTH * progress.done / progress.total.max(1);
    let bar = format!("{}{}", "#".repeat(filled), " ".repeat(WIDTH - filled));
    let end = if progress.done == progress.total {
        "\n"
    } else {
        ""
    };
    eprint!(
        "\r[{bar}] {}/{} ({} failed){end}",
        progress.done, progress.total, progress.failed
    );
}

fn write_out(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(ExitClass::Other, format!("cannot write output: {e}")))
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, CliError> {
    serde_json::to_value(value)
        .map_err(|e| CliError::new(ExitClass::Other, format!("cannot show the answer: {e}")))
}

/// A JSON string as its text, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Sets `wire` when the flag was given.
pub fn put<T: Serialize>(fields: &mut Map<String, Value>, wire: &str, value: Option<T>) {
    if let Some(value) = value.and_then(|v| serde_json::to_value(v).ok()) {
        fields.insert(wire.to_owned(), value);
    }
}

/// Sets `wire` to the repeated flag's values when it was given at least once.
pub fn put_list<T: Serialize>(fields: &mut Map<String, Value>, wire: &str, values: Vec<T>) {
    if values.is_empty() {
        return;
    }
    if let Ok(value) = serde_json::to_value(values) {
        fields.insert(wire.to_owned(), value);
    }
}

/// Reads a JSON value into the client's type; a mismatch is a validation error naming `what`.
pub fn decode_value<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, CliError> {
    serde_json::from_value(value)
        .map_err(|e| CliError::new(ExitClass::Validation, format!("{what}: {e}")))
}

/// Keys read from a file, as the client's key type.
pub fn decode_keys<T: DeserializeOwned>(what: &str, keys: Vec<String>) -> Result<Vec<T>, CliError> {
    keys.into_iter()
        .map(|key| decode_value(what, Value::String(key)))
        .collect()
}

/// The clap value parser of JSON flags. The message names the problem, not the value.
pub fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))
}

/// Keys, one per line, from `path` (`-`: standard input); blank lines and `#` comments skipped.
pub fn read_keys(path: &Path) -> Result<Vec<String>, CliError> {
    let text = read_input(path)?;
    let keys: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if keys.is_empty() {
        return Err(CliError::new(
            ExitClass::Usage,
            format!("{}: no values (one per line)", shown(path)),
        ));
    }
    Ok(keys)
}

fn read_input(path: &Path) -> Result<String, CliError> {
    let fail = |e: std::io::Error| {
        CliError::new(
            ExitClass::Usage,
            format!("cannot read {}: {e}", shown(path)),
        )
    };
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(fail)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(fail)
}

fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

/// The whole request body as JSON, for shapes no flag can say (and for scripts). The field
/// names (clap's argument ids) stay clear of the generated `body_<field>` flags.
#[derive(Debug, clap::Args)]
pub struct BodyArgs {
    /// The whole request body as JSON; field flags given beside it replace its fields
    #[arg(long = "body-json", value_name = "JSON", value_parser = parse_json, conflicts_with = "whole_body_file")]
    whole_body_json: Option<Value>,
    /// The whole request body from a JSON file (`-`: standard input); field flags replace its fields
    #[arg(long = "body-file", value_name = "PATH")]
    whole_body_file: Option<PathBuf>,
}

impl BodyArgs {
    /// The body: `--body-json`/`--body-file` (or `{}`), with the field flags laid over it.
    pub fn decode<T: DeserializeOwned>(self, fields: Map<String, Value>) -> Result<T, CliError> {
        let base = match (self.whole_body_json, self.whole_body_file) {
            (Some(json), _) => json,
            (None, Some(path)) => {
                let text = read_input(&path)?;
                parse_json(&text).map_err(|e| {
                    CliError::new(ExitClass::Usage, format!("{}: {e}", shown(&path)))
                })?
            }
            (None, None) => Value::Object(Map::new()),
        };
        let merged = match base {
            Value::Object(mut object) => {
                object.extend(fields);
                Value::Object(object)
            }
            other if fields.is_empty() => other,
            _ => {
                return Err(CliError::new(
                    ExitClass::Usage,
                    "field flags need a JSON object body".to_owned(),
                ));
            }
        };
        decode_value("body", merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_laid_over_the_json_body() {
        let body = BodyArgs {
            whole_body_json: Some(serde_json::json!({"name": "a", "owner": "o"})),
            whole_body_file: None,
        };
        let mut fields = Map::new();
        put(&mut fields, "name", Some("b"));
        put_list::<String>(&mut fields, "members", vec![]);
        let value: Value = body.decode(fields).expect("decodes");
        assert_eq!(value, serde_json::json!({"name": "b", "owner": "o"}));
    }

    #[test]
    fn a_bad_value_is_a_validation_error_naming_the_part() {
        let err = decode_value::<u32>("query", serde_json::json!("x")).expect_err("fails");
        assert_eq!(err.class, ExitClass::Validation);
        assert!(err.message.starts_with("query: "), "{}", err.message);
        assert!(parse_json("{").is_err());
    }
}
