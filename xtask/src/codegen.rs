//! `cargo xtask gen [--check]`: regenerate the generated modules (the client's code, the
//! emulator's server skeleton, the command line's subcommands) and the OpenAPI document, or
//! verify them.

use agora_chat_codegen::{
    Diagnostics, GeneratedFile, SpecSource, generate, generate_cli, generate_openapi,
    generate_server, operations_table, read_spec_dir,
};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

type Generator = fn(&[SpecSource]) -> Result<Vec<GeneratedFile>, Diagnostics>;

/// Each generated module, relative to the workspace root, and what fills it.
const OUTPUTS: [(&str, Generator); 4] = [
    ("generated-client/src/generated", generate),
    ("emulator/src/generated", generate_server),
    ("cli/src/generated", generate_cli),
    // Inside the emulator crate, so it ships with it (served at /_emulator/openapi.json).
    ("emulator/openapi", generate_openapi),
];
const SPEC_DIR: &str = "spec";
/// The README, whose operations table is generated between these markers.
const README: &str = "README.md";
const TABLE_BEGIN: &str =
    "<!-- operations:begin (written by `cargo xtask gen` from spec/*.yaml; do not edit) -->";
const TABLE_END: &str = "<!-- operations:end -->";
const FIX: &str = "run `cargo xtask gen` to update them, then review the diff";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn generated_files(root: &Path, generator: Generator) -> Result<Vec<GeneratedFile>, String> {
    let sources = read_spec_dir(&root.join(SPEC_DIR), SPEC_DIR)
        .map_err(|err| format!("cannot read {SPEC_DIR}/: {err}"))?;
    generator(&sources).map_err(|diagnostics| format!("{diagnostics}\ngeneration failed"))
}

/// What differs between the generated files and the tree.
#[derive(Debug, Default)]
struct Drift {
    out_dir: &'static str,
    stale: Vec<String>,
    missing: Vec<String>,
    extra: Vec<String>,
}

impl Drift {
    /// One line per file that differs.
    fn lines(&self) -> Vec<String> {
        let out_dir = self.out_dir;
        let lines = [
            ("stale", &self.stale),
            ("missing", &self.missing),
            ("extra", &self.extra),
        ]
        .into_iter()
        .flat_map(|(kind, paths)| paths.iter().map(move |p| format!("{kind}: {out_dir}/{p}")));
        lines.collect()
    }
}

fn drift(root: &Path, out_dir: &'static str, files: &[GeneratedFile]) -> Result<Drift, String> {
    let out = root.join(out_dir);
    let mut drift = Drift {
        out_dir,
        ..Drift::default()
    };
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
fn write_file(out: &Path, out_dir: &str, file: &GeneratedFile) -> Result<(), String> {
    let path = out.join(&file.path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    }
    fs::write(&path, &file.contents)
        .map_err(|err| format!("cannot write {out_dir}/{}: {err}", file.path))
}

/// Removes a file that is no longer generated, and its directory once empty.
fn remove_file(out: &Path, out_dir: &str, extra: &str) -> Result<(), String> {
    let path = out.join(extra);
    fs::remove_file(&path).map_err(|err| format!("cannot remove {out_dir}/{extra}: {err}"))?;
    if let Some(parent) = path.parent().filter(|p| *p != out) {
        // Fails, harmlessly, while the directory still holds files.
        let _ = fs::remove_dir(parent);
    }
    Ok(())
}

/// The README with its operations table replaced by `table`; an error when the markers
/// are missing or out of order.
fn with_table(readme: &str, table: &str) -> Result<String, String> {
    let start = readme.find(TABLE_BEGIN);
    let end = readme.find(TABLE_END);
    let (Some(start), Some(end)) = (start, end.filter(|end| Some(*end) > start)) else {
        return Err(format!(
            "{README} needs the markers `{TABLE_BEGIN}` and then `{TABLE_END}`"
        ));
    };
    let before = &readme[..start + TABLE_BEGIN.len()];
    Ok(format!("{before}\n{table}{}", &readme[end..]))
}

/// The README as it should be: (current text, expected text).
fn readme_texts(root: &Path) -> Result<(String, String), String> {
    let sources = read_spec_dir(&root.join(SPEC_DIR), SPEC_DIR)
        .map_err(|err| format!("cannot read {SPEC_DIR}/: {err}"))?;
    let table = operations_table(&sources)
        .map_err(|diagnostics| format!("{diagnostics}\ngeneration failed"))?;
    let current = fs::read_to_string(root.join(README))
        .map_err(|err| format!("cannot read {README}: {err}"))?;
    let expected = with_table(&current, &table)?;
    Ok((current, expected))
}

/// `cargo xtask gen --check`
pub fn check() -> Result<String, String> {
    check_at(&workspace_root())
}

fn check_at(root: &Path) -> Result<String, String> {
    let mut summary = Vec::new();
    let mut report = Vec::new();
    for (out_dir, generator) in OUTPUTS {
        let files = generated_files(root, generator)?;
        let drift = drift(root, out_dir, &files)?;
        summary.push(format!("{out_dir}: {} files up to date", files.len()));
        report.extend(drift.lines());
    }
    match readme_texts(root) {
        Ok((current, expected)) if current == expected => {
            summary.push(format!("{README}: operations table up to date"));
        }
        Ok(_) => report.push(format!("stale: {README} (operations table)")),
        Err(err) => report.push(err),
    }
    if report.is_empty() {
        Ok(summary.join("\n"))
    } else {
        report.push(format!(
            "generated files are out of date with the spec: {FIX}"
        ));
        Err(report.join("\n"))
    }
}

/// `cargo xtask gen`
pub fn write() -> Result<String, String> {
    let root = workspace_root();
    let mut summary = Vec::new();
    for (out_dir, generator) in OUTPUTS {
        let files = generated_files(&root, generator)?;
        summary.push(write_out(&root, out_dir, &files)?);
    }
    let (current, expected) = readme_texts(&root)?;
    let changed = usize::from(current != expected);
    if changed > 0 {
        fs::write(root.join(README), expected)
            .map_err(|err| format!("cannot write {README}: {err}"))?;
    }
    summary.push(format!("{README}: operations table, {changed} changed"));
    Ok(summary.join("\n"))
}

fn write_out(
    root: &Path,
    out_dir: &'static str,
    files: &[GeneratedFile],
) -> Result<String, String> {
    let drift = drift(root, out_dir, files)?;
    let out = root.join(out_dir);
    fs::create_dir_all(&out).map_err(|err| format!("cannot create {out_dir}: {err}"))?;
    for file in files {
        if drift.stale.contains(&file.path) || drift.missing.contains(&file.path) {
            write_file(&out, out_dir, file)?;
        }
    }
    for extra in &drift.extra {
        remove_file(&out, out_dir, extra)?;
    }
    let changed = drift.stale.len() + drift.missing.len() + drift.extra.len();
    Ok(format!(
        "{out_dir}: {} files, {changed} changed",
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

    /// Drift is reported per output root: files missing from one, extra in the other.
    #[test]
    fn check_reports_drift_in_both_roots() {
        let root = std::env::temp_dir().join(format!("xtask-drift-{}", std::process::id()));
        let spec = root.join(SPEC_DIR);
        fs::create_dir_all(&spec).expect("temp spec dir");
        for entry in fs::read_dir(workspace_root().join(SPEC_DIR)).expect("spec dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("a file name");
            fs::copy(&path, spec.join(name)).expect("spec copied");
        }
        let server = root.join("emulator/src/generated");
        fs::create_dir_all(&server).expect("temp server dir");
        fs::write(server.join("old.rs"), "").expect("extra file");
        let report = check_at(&root).expect_err("drift");
        let _ = fs::remove_dir_all(&root);
        assert!(
            report.contains("missing: generated-client/src/generated/mod.rs"),
            "{report}"
        );
        assert!(
            report.contains("missing: emulator/src/generated/api.rs"),
            "{report}"
        );
        assert!(
            report.contains("extra: emulator/src/generated/old.rs"),
            "{report}"
        );
        assert!(report.contains("cannot read README.md"), "{report}");
    }

    /// The table goes between the markers, replacing what was there; stale tables and
    /// missing markers are reported.
    #[test]
    fn the_readme_table_is_spliced_between_its_markers() {
        let readme = format!("intro\n{TABLE_BEGIN}\nold table\n{TABLE_END}\noutro\n");
        let spliced = with_table(&readme, "| new |\n").expect("markers present");
        assert_eq!(
            spliced,
            format!("intro\n{TABLE_BEGIN}\n| new |\n{TABLE_END}\noutro\n")
        );
        assert_eq!(with_table(&spliced, "| new |\n").as_ref(), Ok(&spliced));
        assert!(with_table("no markers", "x").is_err());
        let reversed = format!("{TABLE_END}\n{TABLE_BEGIN}");
        assert!(with_table(&reversed, "x").is_err());

        let root = std::env::temp_dir().join(format!("xtask-readme-{}", std::process::id()));
        fs::create_dir_all(root.join(SPEC_DIR)).expect("temp spec dir");
        for entry in fs::read_dir(workspace_root().join(SPEC_DIR)).expect("spec dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("a file name");
            fs::copy(&path, root.join(SPEC_DIR).join(name)).expect("spec copied");
        }
        fs::write(root.join(README), &readme).expect("readme written");
        let stale = readme_texts(&root).map(|(current, expected)| current == expected);
        let (_, expected) = readme_texts(&root).expect("readme texts");
        let _ = fs::remove_dir_all(&root);
        assert_eq!(stale, Ok(false), "a stale table is reported");
        assert!(
            expected.contains("| `add_chatroom_members` | `POST /chatrooms/{chatroom_id}/users` |"),
            "{expected}"
        );
        assert!(expected.contains("`_batched` (chunks of 60)"), "{expected}");
    }
}
