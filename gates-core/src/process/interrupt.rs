//! Ctrl-C: a process-wide flag the executor polls. Running command gates are killed (their
//! whole process group) and the summary is still printed.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The shared interrupt flag, installing the Ctrl-C handler on first use.
pub fn flag() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let f = Arc::new(AtomicBool::new(false));
        let g = f.clone();
        // If a handler is already installed (e.g. by an embedding program) we keep theirs;
        // the run then simply cannot be interrupted through this flag.
        let _ = ctrlc::set_handler(move || g.store(true, Ordering::SeqCst));
        f
    })
    .clone()
}
