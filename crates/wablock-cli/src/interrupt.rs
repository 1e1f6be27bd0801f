//! Ctrl-C during `block`/`unblock`: the first one asks the core to stop at the next batch
//! boundary, so the accounting of every user can still be printed; a second one ends the
//! process at once, as Ctrl-C normally does.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// True once Ctrl-C (SIGINT) arrived after [`catch_ctrl_c`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

#[cfg(unix)]
extern "C" fn on_sigint(_signal: libc::c_int) {
    // Only an atomic store: anything else is not async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the handler for the first Ctrl-C. `SA_RESETHAND` restores the default for the
/// next one (the process ends); `SA_RESTART` lets the requests in flight finish their reads
/// instead of failing with EINTR. Elsewhere than Unix, Ctrl-C keeps its default.
pub fn catch_ctrl_c() {
    #[cfg(unix)]
    // SAFETY: `action` is fully initialised (zeroed, then an empty mask and our flags), the
    // handler only stores to an atomic, and a null old-action pointer is allowed.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut()) != 0 {
            log_unavailable();
        }
    }
}

#[cfg(unix)]
fn log_unavailable() {
    eprintln!("wablock: warning: cannot catch Ctrl-C; it will stop wablock without a summary");
}
