//! Cancellation from outside a call: a token any thread can trigger, which every call of a
//! client made with [`Client::with_cancel`](crate::Client::with_cancel) observes at each batch
//! boundary, before each request, and during each backoff sleep (docs/behaviour.md §3.2,
//! `CANCELLED`).

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A cancellation handle. Clones share one state: cancelling any clone cancels them all.
/// Cancelling is idempotent and may happen from any thread, at any time; a token never
/// becomes un-cancelled, so use a fresh one per call you may want to stop.
///
/// A call made through a client that observes the token ([`Client::with_cancel`]) stops
/// sending: no new batch, page or retry starts once the token is cancelled, and a sleeping
/// retry wakes at once. Requests already in flight finish (their users land in the error's
/// `partial` outcome); the call then fails with [`ErrorKind::Cancelled`], every input still
/// accounted for.
///
/// [`Client::with_cancel`]: crate::Client::with_cancel
/// [`ErrorKind::Cancelled`]: crate::ErrorKind::Cancelled
#[derive(Clone, Default)]
pub struct CancelToken {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    cancelled: Mutex<bool>,
    wake: Condvar,
}

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call observing this token (or any clone of it). Idempotent.
    pub fn cancel(&self) {
        let mut cancelled = self
            .shared
            .cancelled
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !*cancelled {
            *cancelled = true;
            log::debug!("cancellation requested");
        }
        self.shared.wake.notify_all();
    }

    /// True once [`CancelToken::cancel`] ran on this token or a clone.
    pub fn is_cancelled(&self) -> bool {
        *self
            .shared
            .cancelled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits `duration`, or less if the token is cancelled meanwhile. Returns true when it
    /// returned because of a cancellation (before or during the wait).
    pub(crate) fn wait(&self, duration: Duration) -> bool {
        let end = Instant::now().checked_add(duration);
        let mut cancelled = self
            .shared
            .cancelled
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*cancelled {
            let left = match end {
                Some(end) => end.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return false;
            }
            cancelled = self
                .shared
                .wake
                .wait_timeout(cancelled, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_state_and_cancel_is_idempotent() {
        let token = CancelToken::new();
        let clone = token.clone();
        assert!(!token.is_cancelled());
        clone.cancel();
        clone.cancel();
        assert!(token.is_cancelled());
        assert!(!CancelToken::new().is_cancelled());
    }

    #[test]
    fn a_cancel_from_another_thread_wakes_a_wait() {
        let token = CancelToken::new();
        let other = token.clone();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.cancel();
        });
        // An hour's wait ends as soon as the other thread cancels.
        assert!(token.wait(Duration::from_secs(3600)));
        canceller.join().ok();
        // Already cancelled: returns at once.
        assert!(token.wait(Duration::from_secs(3600)));
    }

    #[test]
    fn a_wait_without_cancel_runs_its_course() {
        let token = CancelToken::new();
        assert!(!token.wait(Duration::from_millis(5)));
        assert!(!token.wait(Duration::ZERO));
    }
}
