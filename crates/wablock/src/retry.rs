//! Retry policy (docs/behaviour.md §3.3), the one retry loop every request goes through (block,
//! unblock and listing alike), and the injectable clock that lets tests run without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::cancel::CancelToken;
use crate::error::{Error, ErrorKind};

/// Time as wablock sees it. The default is the real clock; tests pass a fake one whose
/// `sleep` only advances `now`, so retry tests never sleep for real.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration);
    /// Waits `duration`, or less when `cancel` is cancelled meanwhile; returns true when the
    /// token is cancelled. The real clock wakes as soon as the token is cancelled; this default
    /// (used by test clocks, whose sleeps take no time) sleeps, then reports the token.
    fn sleep_unless_cancelled(&self, duration: Duration, cancel: &CancelToken) -> bool {
        if cancel.is_cancelled() {
            return true;
        }
        self.sleep(duration);
        cancel.is_cancelled()
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
    fn sleep_unless_cancelled(&self, duration: Duration, cancel: &CancelToken) -> bool {
        cancel.wait(duration)
    }
}

/// A clock for tests: `sleep` records the duration and moves `now` forward at once. Behind the
/// `testing` feature: a test hook, not part of the public API.
#[cfg(any(test, feature = "testing"))]
#[derive(Debug)]
pub struct FakeClock {
    start: Instant,
    state: std::sync::Mutex<(Duration, Vec<Duration>)>,
}

#[cfg(any(test, feature = "testing"))]
impl Default for FakeClock {
    fn default() -> Self {
        FakeClock {
            start: Instant::now(),
            state: std::sync::Mutex::new((Duration::ZERO, Vec::new())),
        }
    }
}

#[cfg(any(test, feature = "testing"))]
impl FakeClock {
    /// A fake clock starting now.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state.lock().map(|s| s.1.clone()).unwrap_or_default()
    }
}

#[cfg(any(test, feature = "testing"))]
impl Clock for FakeClock {
    fn now(&self) -> Instant {
        let elapsed = self.state.lock().map(|s| s.0).unwrap_or_default();
        self.start + elapsed
    }
    fn sleep(&self, duration: Duration) {
        if let Ok(mut s) = self.state.lock() {
            s.0 += duration;
            s.1.push(duration);
        }
    }
}

/// How often and how patiently a request is retried.
///
/// Default: 4 attempts in all, exponential backoff from 500 ms doubling, capped at 30 s, full
/// jitter. A server-given wait (`Retry-After`, `estimated_time_to_regain_access`) replaces the
/// computed delay when larger; a wait longer than `max_backoff` is not slept: the call fails
/// with the server's `retry_after` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included; 1 means no retries.
    pub max_attempts: u32,
    /// The delay before the first retry (before jitter).
    pub initial_backoff: Duration,
    /// The cap on any delay, computed or server-given.
    pub max_backoff: Duration,
    /// Full jitter: the delay is drawn uniformly from zero to the computed value.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The computed delay after failed attempt number `attempt` (1-based), before jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1u32 << shift)
            .min(self.max_backoff)
    }

    /// The delay to sleep after failed attempt `attempt`, given the server's hint; `Err` with
    /// the hint when the server asks for longer than the cap.
    pub(crate) fn delay(
        &self,
        attempt: u32,
        server_hint: Option<Duration>,
    ) -> Result<Duration, Duration> {
        let computed = self.backoff(attempt);
        let computed = if self.jitter {
            jittered(computed)
        } else {
            computed
        };
        match server_hint {
            Some(hint) if hint > self.max_backoff => Err(hint),
            Some(hint) => Ok(hint.max(computed)),
            None => Ok(computed),
        }
    }
}

/// What one attempt of [`RetryLoop::run`] ended with, when it did not fail as a whole.
pub(crate) enum Attempt<T> {
    /// The final answer.
    Done(T),
    /// An answer that is final only if no retry is possible (users refused with a transient
    /// reason): retry after the backoff, or, when the budget or the deadline allows no more,
    /// keep `answer` as the final one.
    Again {
        /// The server's requested wait, if it gave one.
        hint: Option<Duration>,
        /// The answer to keep when no retry happens.
        answer: T,
    },
}

/// The retry loop of one request: attempts, backoff, the server's wait and the overall
/// deadline, in one place for every operation.
pub(crate) struct RetryLoop<'a> {
    pub policy: &'a RetryPolicy,
    pub clock: &'a dyn Clock,
    pub deadline: Option<Instant>,
    /// The caller's token: checked before every attempt and during every backoff sleep.
    pub cancel: Option<&'a CancelToken>,
}

impl RetryLoop<'_> {
    /// Calls `attempt` (with the 1-based attempt number) until it gives a final answer, fails
    /// with an error that is not retryable, or no retry is possible. A retry whose backoff
    /// would cross the deadline is not slept: the call fails with `TIMEOUT`, naming the last
    /// error. A server wait longer than the cap ends the call with that error, `retry_after` set.
    /// A cancelled token ends the call with `CANCELLED` before the next attempt, or at once
    /// during a backoff sleep.
    pub fn run<T>(
        &self,
        mut attempt: impl FnMut(u32) -> Result<Attempt<T>, Error>,
    ) -> Result<T, Error> {
        let mut number = 0;
        loop {
            number += 1;
            if self.cancel.is_some_and(CancelToken::is_cancelled) {
                return Err(Error::cancelled_by_token());
            }
            match attempt(number) {
                Ok(Attempt::Done(answer)) => return Ok(answer),
                Ok(Attempt::Again { hint, answer }) => {
                    if number >= self.policy.max_attempts {
                        return Ok(answer);
                    }
                    match self.wait(number, hint) {
                        Ok(()) => {}
                        Err(WaitRefused::Cancelled) => return Err(Error::cancelled_by_token()),
                        Err(_) => return Ok(answer),
                    }
                    log::info!(
                        "re-sending users refused with a transient reason (attempt {number})"
                    );
                }
                Err(err) if err.is_retryable() && number < self.policy.max_attempts => {
                    if let Err(refused) = self.wait(number, err.retry_after()) {
                        return Err(refused.into_error(err));
                    }
                    log::info!("retrying after {} (attempt {number})", err.kind());
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Sleeps the backoff before the next attempt, or says why it will not.
    fn wait(&self, attempt: u32, hint: Option<Duration>) -> Result<(), WaitRefused> {
        let delay = self
            .policy
            .delay(attempt, hint)
            .map_err(WaitRefused::TooLong)?;
        if let Some(deadline) = self.deadline {
            if self.clock.now() + delay >= deadline {
                return Err(WaitRefused::Deadline);
            }
        }
        match self.cancel {
            Some(token) if self.clock.sleep_unless_cancelled(delay, token) => {
                Err(WaitRefused::Cancelled)
            }
            Some(_) => Ok(()),
            None => {
                self.clock.sleep(delay);
                Ok(())
            }
        }
    }
}

/// Why no retry happened.
enum WaitRefused {
    /// The server asked for a longer wait than the backoff cap.
    TooLong(Duration),
    /// The overall deadline would pass first.
    Deadline,
    /// The caller's token was cancelled before or during the sleep.
    Cancelled,
}

impl WaitRefused {
    /// The call's error, given the last attempt's.
    fn into_error(self, mut err: Error) -> Error {
        match self {
            WaitRefused::TooLong(wait) => {
                err.0.retry_after = Some(wait);
                err.0.message = format!(
                    "{} (the server asked to wait {} s, longer than the backoff cap, so wablock stopped)",
                    err.0.message,
                    wait.as_secs()
                );
                err
            }
            WaitRefused::Cancelled => Error::cancelled_by_token(),
            // A timeout already names the deadline; wrapping it would only repeat it.
            WaitRefused::Deadline if err.kind() == ErrorKind::Timeout => err,
            WaitRefused::Deadline => {
                let mut timeout = Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "the call's overall deadline would pass before the next retry; last error: {err}"
                    ),
                );
                timeout.0.retry_after = err.0.retry_after;
                timeout
            }
        }
    }
}

/// Uniform in `[0, max]`, from a small xorshift generator: jitter needs spread, not secrecy.
fn jittered(max: Duration) -> Duration {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    let nanos = max.as_nanos() as u64;
    if nanos == 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(x % (nanos + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(2), Duration::from_secs(1));
        assert_eq!(p.backoff(3), Duration::from_secs(2));
        assert_eq!(p.backoff(10), Duration::from_secs(30));
        assert_eq!(p.backoff(100), Duration::from_secs(30));
    }

    #[test]
    fn jitter_stays_within_bounds_and_server_hint_wins_when_larger() {
        let p = RetryPolicy::default();
        for _ in 0..1000 {
            let d = p.delay(2, None).unwrap_or_default();
            assert!(d <= Duration::from_secs(1));
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(5))),
            Ok(Duration::from_secs(5))
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(31))),
            Err(Duration::from_secs(31))
        );
    }
}
