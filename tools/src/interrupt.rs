//! Ctrl-C and SIGTERM: the first one sets the stop flag the simulation reads
//! at its next epoch (results so far are then written, marked partial); a
//! second one exits at once with status 130 (files being written are under
//! temporary names, so no output file is left half-written).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Exit status of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

/// The process-wide stop flag, installing the signal handler on first use.
pub fn stop_flag() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&flag);
        let installed = ctrlc::set_handler(move || {
            if seen.swap(true, Ordering::SeqCst) {
                eprintln!("\ninterrupted again: exiting now");
                std::process::exit(INTERRUPTED as i32);
            }
            eprintln!("\ninterrupted: stopping at the next epoch and writing the results so far (Ctrl-C again to quit at once)");
        });
        if let Err(e) = installed {
            eprintln!("warning: cannot install the Ctrl-C handler: {e}");
        }
        flag
    })
    .clone()
}
