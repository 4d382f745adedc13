//! Writing output files so that none is ever left half-written: each file is
//! written under a temporary name in its own directory, flushed, then renamed
//! over its final name (a rename within one directory is atomic on POSIX).
//! This guards against the process stopping midway (Ctrl-C, a crash); files
//! are not fsynced, so it does not guard against a power cut.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Writes `contents` to `path` atomically (temporary name + rename), creating
/// the parent directory if needed.
///
/// # Errors
///
/// The directory cannot be created or the file cannot be written.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).with_context(|| format!("creating directory {}", dir.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?;
    let tmp = dir.join(temp_name(name));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(contents)?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

fn temp_name(name: &std::ffi::OsStr) -> String {
    format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id())
}

/// The temporary name [`write_atomic`] uses for `path`, for callers that
/// stream a file and rename it themselves.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .unwrap_or_else(|| std::ffi::OsStr::new("output"));
    path.with_file_name(temp_name(name))
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

    #[test]
    fn missing_input_is_bad_input() {
        let e = read_input(Path::new("/nonexistent/x.ron")).unwrap_err();
        assert_eq!(crate::failure::exit_code(&e), 2);
        assert!(e.to_string().contains("/nonexistent/x.ron"));
    }
}
