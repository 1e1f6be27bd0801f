//! The checks made after every call: the outcome or error against the faults served, the
//! sandbox's request log and state, and the backoff sleeps.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;
use wablock::users::UserId;
use wablock::{Error, ErrorKind, Operation, Outcome, Reason};

use crate::checks::check_accounting;
use crate::checks::check_applied;
use crate::fault::Fault;
use crate::run::{Dialect, RunConfig};
use crate::setup::RunSetup;

/// The facts one call is checked against.
pub(crate) struct Checked<'a> {
    pub(crate) cfg: &'a RunConfig,
    pub(crate) setup: &'a RunSetup,
    pub(crate) operation: Operation,
    pub(crate) served: &'a [Fault],
    pub(crate) rotated: bool,
    pub(crate) canonical: bool,
}

impl Checked<'_> {
    pub(crate) fn check_accounting(
        &self,
        outcome: Option<&Outcome>,
        not_attempted: &[String],
    ) -> Result<(), String> {
        check_accounting(&self.setup.exp, outcome, not_attempted)
    }

    /// Reasons, sent forms, and the sandbox's state against every success.
    pub(crate) fn check_outcome(&self, outcome: &Outcome, state: &Value) -> Result<(), String> {
        if outcome.operation != self.operation {
            return Err("the outcome names the wrong operation".into());
        }
        let sent_for = |input: &str| -> Option<(&UserId, &String)> {
            let e = self.setup.exp.get(input)?;
            Some((&e.id, &e.sent))
        };
        let unconfirmed_possible = self.served.iter().any(|f| f.unconfirms());
        check_applied(&self.setup.exp, outcome, state)?;
        for f in &outcome.failed {
            let expected: &[Reason] = match sent_for(&f.input) {
                None => &[Reason::InvalidUser],
                Some((id, _))
                    if self.operation == Operation::Block && id.key() == self.setup.own =>
                {
                    &[Reason::SelfBlock, Reason::Unconfirmed]
                }
                Some((id, _))
                    if self.operation == Operation::Block && id.key() == self.setup.business =>
                {
                    &[Reason::ReengagementRequired, Reason::Unconfirmed]
                }
                Some(_) => &[Reason::Unconfirmed],
            };
            let ok = expected.contains(&f.reason)
                && (f.reason != Reason::Unconfirmed || unconfirmed_possible);
            if !ok {
                return Err(format!(
                    "{:?} failed with {} ({}); expected one of {expected:?} (faults served: {:?})",
                    f.input, f.reason, f.message, self.served
                ));
            }
            match (f.reason, &f.sent, sent_for(&f.input)) {
                (Reason::InvalidUser, None, _) => {}
                (_, Some(sent), Some((_, expected))) if sent == expected => {}
                _ => {
                    return Err(format!(
                        "{:?} failed with a wrong sent form {:?}",
                        f.input, f.sent
                    ));
                }
            }
            if f.hint != f.reason.hint() {
                return Err(format!("{:?} carries the wrong hint", f.input));
            }
        }
        // The canonical JSON says the same as the object (sampled: it is the costliest check).
        if !self.canonical {
            return Ok(());
        }
        let v: Value = serde_json::from_str(&outcome.to_canonical_json())
            .map_err(|e| format!("canonical JSON does not parse: {e}"))?;
        let n = |k: &str| v["outcome"][k].as_array().map_or(usize::MAX, Vec::len);
        if n("succeeded") != outcome.succeeded.len() || n("failed") != outcome.failed.len() {
            return Err("canonical JSON disagrees with the outcome".into());
        }
        Ok(())
    }

    pub(crate) fn check_error(&self, err: &Error, state: &Value) -> Result<(), String> {
        let mut allowed: HashSet<ErrorKind> =
            self.served.iter().filter_map(|f| f.error_kind()).collect();
        // A loaded machine may make a real answer miss the read timeout.
        allowed.insert(ErrorKind::Timeout);
        if self.rotated {
            allowed.insert(ErrorKind::Auth);
        }
        if !allowed.contains(&err.kind()) {
            return Err(format!(
                "error {} ({}) although the faults served were {:?}",
                err.kind(),
                err.message(),
                self.served
            ));
        }
        if err.is_retryable() != err.kind().is_retryable() {
            return Err(format!(
                "error {} has retryable = {}",
                err.kind(),
                err.is_retryable()
            ));
        }
        if err.kind() == ErrorKind::RateLimited
            && self.served.contains(&Fault::RetryAfterTooLong)
            && err
                .retry_after()
                .is_some_and(|d| d != Duration::from_secs(120))
            && !self.served.contains(&Fault::RateLimited130429)
        {
            return Err(format!(
                "retry_after is {:?}, the server said 120 s",
                err.retry_after()
            ));
        }
        self.check_accounting(err.partial(), err.not_attempted())?;
        if let Some(partial) = err.partial() {
            self.check_outcome(partial, state)?;
        }
        // An invalid input is never sent, so it is always answered (INVALID_USER), never pending.
        if err
            .not_attempted()
            .iter()
            .any(|i| self.setup.exp.get(i).is_none())
        {
            return Err("an invalid input is listed as not_attempted".into());
        }
        Ok(())
    }

    /// Requests as the sandbox logged them: the right method and auth, batches within
    /// `max_batch`, only valid users in their first spelling, each user sent at most
    /// `max_attempts` times. Returns how many requests there were.
    pub(crate) fn check_requests(&self, log: &Value) -> Result<usize, String> {
        let entries = log.as_array().ok_or("the request log is not an array")?;
        let method = match self.operation {
            Operation::Block => "POST",
            Operation::Unblock => "DELETE",
        };
        let valid_sent = &self.setup.exp.valid_sent;
        let mut attempts: HashMap<String, u32> = HashMap::new();
        for entry in entries {
            if entry["method"] != method {
                return Err(format!("unexpected request {}", entry["method"]));
            }
            let auth = match self.setup.dialect {
                Dialect::Meta => "bearer",
                Dialect::Dialog360 => "d360",
            };
            if entry["auth"] != auth {
                return Err(format!("a request went out with auth {}", entry["auth"]));
            }
            let users = entry["body"]["block_users"].as_array().ok_or_else(|| {
                format!(
                    "a request body is not a block_users list: {}",
                    entry["body"]
                )
            })?;
            if users.is_empty() || users.len() > self.cfg.max_batch {
                return Err(format!(
                    "a request carried {} users (max_batch {})",
                    users.len(),
                    self.cfg.max_batch
                ));
            }
            let mut in_request = HashSet::new();
            for u in users {
                let sent = u
                    .get("user")
                    .or_else(|| u.get("user_id"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("a request item has no user: {u}"))?;
                if !valid_sent.contains(sent) {
                    return Err(format!(
                        "{sent:?} was sent but is not the first spelling of a valid input"
                    ));
                }
                if !in_request.insert(sent) {
                    return Err(format!("{sent:?} appears twice in one request"));
                }
                let n = attempts.entry(sent.to_string()).or_default();
                *n += 1;
                if *n > self.cfg.retry.max_attempts {
                    return Err(format!(
                        "{sent:?} was sent {n} times; the policy allows {} attempts",
                        self.cfg.retry.max_attempts
                    ));
                }
            }
        }
        let batches = self.cfg.users.div_ceil(self.cfg.max_batch);
        if entries.len() > batches * self.cfg.retry.max_attempts as usize {
            return Err(format!("{} requests for {batches} batches", entries.len()));
        }
        Ok(entries.len())
    }

    /// Every backoff sleep is one the policy computes (no jitter here), or a server hint the
    /// faults gave, never above the cap; no more sleeps than retries allowed.
    pub(crate) fn check_sleeps(&self, sleeps: &[Duration], batches: usize) -> Result<(), String> {
        let policy = &self.cfg.retry;
        let hints = [Duration::from_millis(2), Duration::from_millis(3)];
        let mut allowed = Vec::new();
        for attempt in 1..policy.max_attempts {
            let computed = policy.backoff(attempt);
            allowed.push(computed);
            allowed.extend(hints.iter().map(|h| computed.max(*h)));
        }
        for s in sleeps {
            let ok = allowed
                .iter()
                .any(|a| a.abs_diff(*s) <= Duration::from_micros(1));
            if !ok || *s > policy.max_backoff {
                return Err(format!("slept {s:?}, which the policy never computes"));
            }
        }
        let max = batches * (policy.max_attempts as usize - 1);
        if sleeps.len() > max {
            return Err(format!(
                "{} backoff sleeps; at most {max} retries are allowed",
                sleeps.len()
            ));
        }
        Ok(())
    }

    /// With no fatal fault, no 401 and fewer faults than attempts, no batch can exhaust its
    /// budget: the call must succeed.
    pub(crate) fn check_must_succeed(&self, result: &Result<Outcome, Error>) -> Result<(), String> {
        let errors = self
            .served
            .iter()
            .filter(|f| f.error_kind().is_some())
            .count();
        let fatal = self.served.iter().any(|f| f.is_fatal());
        if !fatal && !self.rotated && errors < self.cfg.retry.max_attempts as usize {
            if let Err(e) = result {
                return Err(format!(
                    "the call failed with {e} although only {errors} retryable faults were served ({:?})",
                    self.served
                ));
            }
        }
        Ok(())
    }
}
