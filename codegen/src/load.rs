//! Reading spec files and parsing them into the [`spec`](crate::spec) model.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::spec::SpecFile;
use std::path::Path;

/// The text of one spec file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct SpecSource {
    pub path: String,
    pub text: String,
}

/// A parsed spec file, kept with its source so later stages can point at lines.
#[derive(Debug)]
pub struct LoadedSpec {
    pub source: SpecSource,
    pub spec: SpecFile,
}

pub fn read_dir(dir: &Path, label: &str) -> std::io::Result<Vec<SpecSource>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.retain(|p| p.extension().is_some_and(|ext| ext == "yaml"));
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            Ok(SpecSource {
                path: format!("{label}/{}", name.unwrap_or_default()),
                text: std::fs::read_to_string(&path)?,
            })
        })
        .collect()
}

/// Parses every source; reports the parse errors of all files, not just the first.
pub fn parse_all(sources: &[SpecSource]) -> Result<Vec<LoadedSpec>, Diagnostics> {
    let mut loaded = Vec::new();
    let mut problems = Diagnostics::default();
    for source in sources {
        match serde_norway::from_str::<SpecFile>(&source.text) {
            Ok(spec) => loaded.push(LoadedSpec {
                source: source.clone(),
                spec,
            }),
            Err(err) => problems.0.push(parse_diagnostic(&source.path, &err)),
        }
    }
    problems.into_result().map(|()| loaded)
}

fn parse_diagnostic(path: &str, err: &serde_norway::Error) -> Diagnostic {
    let location = err.location().map(|l| (l.line(), l.column()));
    let text = err.to_string();
    // The location goes in front, as `file:line:col`; drop serde_norway's own suffix.
    let message = match text.rfind(" at line ") {
        Some(at) if location.is_some() => text[..at].to_owned(),
        _ => text,
    };
    Diagnostic::new(path, location, message)
}
