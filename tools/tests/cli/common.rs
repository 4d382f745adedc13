//! Helpers shared by the end-to-end tests of the `edgesim` binary.

use std::process::{Child, Command, Output};

/// The `edgesim` binary under test, as a command to add arguments to.
pub fn edgesim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_edgesim"))
}

/// Runs `cmd` to its end and returns its output, failing the test with its
/// stderr if it did not succeed.
pub fn succeed(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
use std::time::{Duration, Instant};

/// Sends SIGINT to a running `edgesim` and waits for it to exit, failing the
/// test if it is still running 60 s later (it must stop at its next epoch,
/// never run on to its horizon).
pub fn interrupt_and_wait(mut child: Child) -> Output {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let t1 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t1.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running 60 s after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Sends SIGKILL to a running `edgesim` (no handler runs, files stay as
/// they are at that instant) and waits for it to exit.
pub fn kill_and_wait(child: Child) -> Output {
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait_with_output().unwrap()
}
