//! Output files are never left half-written: each is written to a temporary
//! file in its own directory (`tempfile`'s `NamedTempFile`, named
//! `.NAME.XXXXXX.tmp`), flushed and fsynced, then persisted (renamed) over
//! its final name, which is atomic on POSIX. The temporary file is removed
//! on every error path (it is deleted when dropped uncommitted); only a
//! process killed outright (SIGKILL) can leave one behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use tempfile::NamedTempFile;

/// The directory `path` is in (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A file being written under a temporary name beside its final path,
/// which [`AtomicFile::commit`] fsyncs and renames into place. Dropped
/// without a commit, the temporary file is removed.
pub struct AtomicFile {
    tmp: NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path`, creating its directory if needed.
    ///
    /// # Errors
    ///
    /// The directory or the temporary file cannot be created.
    pub fn create(path: &Path) -> anyhow::Result<AtomicFile> {
        let dir = parent_dir(path);
        fs::create_dir_all(&dir)
            .with_context(|| format!("creating directory {}", dir.display()))?;
        let name = path
            .file_name()
            .with_context(|| format!("{} names no file", path.display()))?;
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // An output file gets the usual mode (0666 less the umask), not
        // tempfile's private 0600: results are meant to be shared.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder
            .tempfile_in(&dir)
            .with_context(|| format!("creating a temporary file for {}", path.display()))?;
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, fsyncs and renames the file over its final path.
    ///
    /// # Errors
    ///
    /// The file cannot be synced or renamed (the temporary file is then removed).
    pub fn commit(mut self) -> anyhow::Result<()> {
        let path = self.path;
        self.tmp
            .flush()
            .and_then(|_| self.tmp.as_file().sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
        self.tmp
            .persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

/// Writes `contents` to `path` atomically (temporary file, fsync, rename),
/// creating the parent directory if needed.
///
/// # Errors
///
/// The directory cannot be created or the file cannot be written.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))?;
    f.commit()
}

/// Writes `value` as pretty JSON with a final newline, atomically.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut json = serde_json::to_string_pretty(value)
        .with_context(|| format!("serializing {}", path.display()))?;
    json.push('\n');
    write_atomic(path, json.as_bytes())
}

/// The default output directory of a scenario: `out/<name>/`, with any
/// character other than letters, digits, `-`, `_` and `.` replaced by `_`.
pub fn default_out(name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe.is_empty() || safe.chars().all(|c| c == '.') {
        "scenario".to_string()
    } else {
        safe
    };
    PathBuf::from("out").join(safe)
}

/// Reads a file to a string, with the file name in the error (a file that
/// cannot be read is the user's input being wrong: exit status 2).
///
/// # Errors
///
/// Bad input naming the file when it cannot be read.
pub fn read_input(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path)
        .map_err(|e| crate::failure::bad_input(format!("cannot read {}: {e}", path.display())))
}

/// Reads a file's bytes, with the file name in the error (exit status 2), for
/// readers that report invalid UTF-8 at its line and column.
///
/// # Errors
///
/// Bad input naming the file when it cannot be read.
pub fn read_input_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    fs::read(path)
        .map_err(|e| crate::failure::bad_input(format!("cannot read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_leaving_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
    }

    #[cfg(unix)]
    #[test]
    fn committed_files_get_the_mode_a_plain_create_gets() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("shared.txt");
        write_atomic(&path, b"x").unwrap();
        // The independent reference: what File::create (0666 less the umask) gives here.
        let plain = tmp.path().join("plain.txt");
        fs::File::create(&plain).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain));
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.csv");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn missing_input_is_bad_input() {
        let e = read_input(Path::new("/nonexistent/x.ron")).unwrap_err();
        assert_eq!(crate::failure::exit_code(&e), 2);
        assert!(e.to_string().contains("/nonexistent/x.ron"));
    }
}
