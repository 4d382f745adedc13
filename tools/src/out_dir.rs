//! Output directories that cannot be mistaken: one process at a time, and
//! nothing of an earlier run left where this run writes.
//!
//! - [`DirLock`]: a lock file, `edgesim.lock`, holding the holder's PID. A
//!   second process asking for the same directory is refused (bad input,
//!   exit status 2, naming the holder) while the holder is alive; a lock
//!   left by a process that died (SIGKILL, a crash) is taken over. The lock
//!   file is created with its contents in one step (written to a temporary
//!   file, then linked into place without replacing anything), so nobody
//!   ever reads a half-written PID. Released (removed) on drop. Once it is
//!   taken, the temporary files a killed writer left in the directory are
//!   removed.
//! - [`remove_outputs`]: removes the files and directories a command owns
//!   in its output directory before it writes new ones.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::failure::bad_input;

/// Name of the lock file in an output directory.
pub const LOCK_FILE: &str = "edgesim.lock";

/// A held output directory; the lock file is removed on drop.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
}

/// Whether process `pid` is alive (Linux: `/proc/PID` exists; elsewhere
/// `kill -0 PID` succeeds).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_root = Path::new("/proc/self");
    if proc_root.exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl DirLock {
    /// Creates `dir` if needed and takes its lock.
    ///
    /// # Errors
    ///
    /// Bad input (exit status 2) when a live process holds the directory;
    /// another failure when the directory or the lock file cannot be written.
    pub fn acquire(dir: &Path) -> anyhow::Result<DirLock> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(LOCK_FILE);
        for _ in 0..3 {
            let mut tmp = tempfile::Builder::new()
                .prefix(".edgesim.lock.")
                .tempfile_in(dir)
                .with_context(|| format!("creating {}", path.display()))?;
            writeln!(tmp, "{}", std::process::id())
                .with_context(|| format!("writing {}", path.display()))?;
            match tmp.persist_noclobber(&path) {
                Ok(_) => {
                    let lock = DirLock { path };
                    remove_stale_temporaries(dir)?;
                    return Ok(lock);
                }
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e.error).with_context(|| format!("creating {}", path.display()))
                }
            }
            let text = fs::read_to_string(&path).unwrap_or_default();
            match text.trim().parse::<u32>() {
                Ok(pid) if alive(pid) => {
                    return Err(bad_input(format!(
                        "{} is in use by edgesim process {pid} (lock file {}); wait for it to finish or choose another output directory",
                        dir.display(),
                        path.display()
                    )))
                }
                // The holder died (or the file is not a lock we wrote): take over.
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        Err(bad_input(format!(
            "{}: cannot take the lock file {} (other processes keep taking it)",
            dir.display(),
            path.display()
        )))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Removes the temporary files (`.NAME.XXXXXX.tmp`, [`crate::files`]) that
/// a process killed outright (SIGKILL, a second Ctrl-C) left in `dir`. Call
/// it while holding `dir`'s [`DirLock`]: no live process is writing them.
///
/// # Errors
///
/// One cannot be removed.
pub fn remove_stale_temporaries(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".tmp") && e.path().is_file() {
            fs::remove_file(e.path())
                .with_context(|| format!("removing the stale {}", e.path().display()))?;
        }
    }
    Ok(())
}

/// Removes `names` (files or directories) under `dir`, those that exist.
///
/// # Errors
///
/// One that exists cannot be removed.
pub fn remove_outputs(dir: &Path, names: &[&str]) -> anyhow::Result<()> {
    for name in names {
        let p = dir.join(name);
        let r = match fs::symlink_metadata(&p) {
            Err(_) => continue,
            Ok(m) if m.is_dir() => fs::remove_dir_all(&p),
            Ok(_) => fs::remove_file(&p),
        };
        r.with_context(|| format!("removing the earlier {}", p.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_holder_refuses_and_a_dead_one_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("o");
        let held = DirLock::acquire(&d).unwrap();
        // This process holds it: a second acquire is refused as bad input.
        let e = DirLock::acquire(&d).unwrap_err();
        assert_eq!(crate::failure::exit_code(&e), 2);
        assert!(e.to_string().contains("in use"), "{e}");
        drop(held);
        assert!(!d.join(LOCK_FILE).exists());
        // A PID that is not running (beyond Linux's pid_max of 2^22): stale.
        fs::write(d.join(LOCK_FILE), "4294967295\n").unwrap();
        let l = DirLock::acquire(&d).unwrap();
        let pid: u32 = fs::read_to_string(d.join(LOCK_FILE))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(pid, std::process::id());
        drop(l);
        assert_eq!(fs::read_dir(&d).unwrap().count(), 0);
        // A killed writer's temporary file is removed when the lock is taken.
        fs::write(d.join(".epochs.csv.AbC123.tmp"), "half").unwrap();
        fs::write(d.join("kept.tmp"), "not ours").unwrap();
        drop(DirLock::acquire(&d).unwrap());
        let left: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("kept.tmp")]);
    }

    #[test]
    fn removes_files_and_directories_that_exist() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::write(d.join("a.csv"), "x").unwrap();
        fs::create_dir_all(d.join("points/sub")).unwrap();
        fs::write(d.join("keep"), "x").unwrap();
        remove_outputs(d, &["a.csv", "points", "missing"]).unwrap();
        let left: Vec<_> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("keep")]);
    }
}
