//! `cargo xtask gen [--check]`: regenerate the client's generated module, or verify it.

use agora_chat_codegen::{GeneratedFile, generate, read_spec_dir};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The generated module, relative to the workspace root.
const OUT_DIR: &str = "generated-client/src/generated";
const SPEC_DIR: &str = "spec";
const FIX: &str = "run `cargo xtask gen` to update them, then review the diff";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn generated_files(root: &Path) -> Result<Vec<GeneratedFile>, String> {
    let sources = read_spec_dir(&root.join(SPEC_DIR), SPEC_DIR)
        .map_err(|err| format!("cannot read {SPEC_DIR}/: {err}"))?;
    generate(&sources).map_err(|diagnostics| format!("{diagnostics}\ngeneration failed"))
}

/// What differs between the generated files and the tree.
#[derive(Debug, Default)]
struct Drift {
    stale: Vec<String>,
    missing: Vec<String>,
    extra: Vec<String>,
}

impl Drift {
    fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }

    fn report(&self) -> String {
        let lines = [
            ("stale", &self.stale),
            ("missing", &self.missing),
            ("extra", &self.extra),
        ]
        .into_iter()
        .flat_map(|(kind, paths)| paths.iter().map(move |p| format!("{kind}: {OUT_DIR}/{p}")));
        let mut out: Vec<String> = lines.collect();
        out.push(format!(
            "generated files are out of date with the spec: {FIX}"
        ));
        out.join("\n")
    }
}

fn drift(root: &Path, files: &[GeneratedFile]) -> Result<Drift, String> {
    let out = root.join(OUT_DIR);
    let mut drift = Drift::default();
    for file in files {
        match fs::read_to_string(out.join(&file.path)) {
            Ok(current) if current == file.contents => {}
            Ok(_) => drift.stale.push(file.path.clone()),
            Err(_) => drift.missing.push(file.path.clone()),
        }
    }
    let expected: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    drift.extra = existing_files(&out)?
        .into_iter()
        .filter(|name| !expected.contains(name.as_str()))
        .collect();
    Ok(drift)
}

/// Every file under `dir`, as paths relative to it (`chatrooms/types.rs`), sorted.
fn existing_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    collect_files(dir, "", &mut names)?;
    names.sort();
    Ok(names)
}

fn collect_files(dir: &Path, prefix: &str, names: &mut Vec<String>) -> Result<(), String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list {}: {err}", dir.display()))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            collect_files(&entry.path(), &format!("{name}/"), names)?;
        } else {
            names.push(name);
        }
    }
    Ok(())
}

/// Writes one generated file, creating its module directory if needed.
fn write_file(out: &Path, file: &GeneratedFile) -> Result<(), String> {
    let path = out.join(&file.path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    }
    fs::write(&path, &file.contents)
        .map_err(|err| format!("cannot write {OUT_DIR}/{}: {err}", file.path))
}

/// Removes a file that is no longer generated, and its directory once empty.
fn remove_file(out: &Path, extra: &str) -> Result<(), String> {
    let path = out.join(extra);
    fs::remove_file(&path).map_err(|err| format!("cannot remove {OUT_DIR}/{extra}: {err}"))?;
    if let Some(parent) = path.parent().filter(|p| *p != out) {
        // Fails, harmlessly, while the directory still holds files.
        let _ = fs::remove_dir(parent);
    }
    Ok(())
}

/// `cargo xtask gen --check`
pub fn check() -> Result<String, String> {
    check_at(&workspace_root())
}

fn check_at(root: &Path) -> Result<String, String> {
    let files = generated_files(root)?;
    let drift = drift(root, &files)?;
    if drift.is_empty() {
        Ok(format!("{OUT_DIR}: {} files up to date", files.len()))
    } else {
        Err(drift.report())
    }
}

/// `cargo xtask gen`
pub fn write() -> Result<String, String> {
    let root = workspace_root();
    let files = generated_files(&root)?;
    let drift = drift(&root, &files)?;
    let out = root.join(OUT_DIR);
    fs::create_dir_all(&out).map_err(|err| format!("cannot create {OUT_DIR}: {err}"))?;
    for file in &files {
        if drift.stale.contains(&file.path) || drift.missing.contains(&file.path) {
            write_file(&out, file)?;
        }
    }
    for extra in &drift.extra {
        remove_file(&out, extra)?;
    }
    let changed = drift.stale.len() + drift.missing.len() + drift.extra.len();
    Ok(format!(
        "{OUT_DIR}: {} files, {changed} changed",
        files.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain `cargo test` fails on a stale generated tree, not only CI's `gen --check`.
    #[test]
    fn generated_code_matches_the_spec() {
        if let Err(report) = check() {
            panic!("{report}");
        }
    }
}
