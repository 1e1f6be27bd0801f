//! Retry policy (docs/behaviour.md §3.3) and the injectable clock that lets tests run without sleeping.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Time as wablock sees it. The default is the real clock; tests pass a fake one whose
/// `sleep` only advances `now`, so retry tests never sleep for real.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration);
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
}

/// A clock for tests: `sleep` records the duration and moves `now` forward at once.
#[derive(Debug)]
pub struct FakeClock {
    start: Instant,
    state: Mutex<(Duration, Vec<Duration>)>,
}

impl Default for FakeClock {
    fn default() -> Self {
        FakeClock {
            start: Instant::now(),
            state: Mutex::new((Duration::ZERO, Vec::new())),
        }
    }
}

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
