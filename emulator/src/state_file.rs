//! State documents on disk, for `--state FILE` and `--seed FILE`: reading names the file and
//! the problem; writing is atomic (a temporary file in the same directory, flushed to disk,
//! then renamed over the target), so a crash leaves the old file or the new one, never half.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::store::{StateError, StateSnapshot};

impl StateSnapshot {
    /// Reads a state document; the error names the file and what is wrong with it.
    pub fn read_file(path: &Path) -> Result<Self, StateError> {
        let shown = path.display();
        let text = fs::read_to_string(path)
            .map_err(|e| StateError(format!("cannot read state file {shown}: {e}")))?;
        Self::from_json(&text).map_err(|e| StateError(format!("state file {shown}: {e}")))
    }

    /// Writes this document to `path` atomically.
    pub fn write_file(&self, path: &Path) -> Result<(), StateError> {
        let shown = path.display();
        let fail = |e: std::io::Error| StateError(format!("cannot write state file {shown}: {e}"));
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| StateError(format!("cannot write state file {shown}: {e}")))?;
        let temp = temp_path(path);
        let written = write_synced(&temp, &text).and_then(|()| fs::rename(&temp, path));
        if written.is_err() {
            // Nothing useful remains of a failed attempt.
            let _ = fs::remove_file(&temp);
        }
        written.map_err(fail)?;
        sync_dir(path);
        Ok(())
    }
}

// `.NAME.tmp-PID` next to the target: same directory, so the rename is atomic.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = format!(".{}.tmp-{}", name.unwrap_or_default(), std::process::id());
    path.with_file_name(temp)
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

// Makes the rename itself durable where the platform allows opening a directory.
fn sync_dir(path: &Path) {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Ok(dir) = File::open(dir.unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::STATE_VERSION;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("emu-state-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let _ = fs::create_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_atomically_and_reads_back() {
        let dir = scratch("rw");
        let path = dir.join("state.json");
        let doc = StateSnapshot {
            version: STATE_VERSION,
            next_id: Some(5),
            chatrooms: Vec::new(),
            super_admins: Vec::new(),
        };
        assert_eq!(doc.write_file(&path), Ok(()));
        assert_eq!(doc.write_file(&path), Ok(()), "replaces an existing file");
        assert_eq!(StateSnapshot::read_file(&path), Ok(doc));
        let left: Vec<_> = fs::read_dir(&dir).into_iter().flatten().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let dir = scratch("bad");
        let path = dir.join("bad.json");
        let _ = fs::write(&path, "{\"version\": 1}");
        let err = StateSnapshot::read_file(&path)
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(
            err.contains("bad.json") && err.contains("missing field `chatrooms`"),
            "{err}"
        );
        let missing = StateSnapshot::read_file(&dir.join("none.json")).err();
        assert!(missing.is_some_and(|e| e.0.contains("cannot read state file")));
        let _ = fs::remove_dir_all(&dir);
    }
}
