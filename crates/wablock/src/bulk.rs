//! Block and unblock: batching, parallel batches with AIMD, retries, per-user re-sends and
//! the accounting rule (docs/behaviour.md §3.1, §3.3, §3.5).

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

use crate::client::{Client, Method, Reply};
use crate::error::{Error, ErrorKind};
use crate::matching::{Refusal, ServerVerdict, match_server_items};
use crate::outcome::{Failure, Operation, Outcome, Progress, Reason, Success};
use crate::retry::{Attempt, RetryLoop};
use crate::users::{InvalidUser, MAX_USERS_PER_CALL, PreparedUsers, Slot, Target, prepare_users};
use crate::wire::{MutationResponse, mutation_request_body};

/// The progress callback: called after each finished batch, from any worker thread but never
/// two at once. Returning `ControlFlow::Break(())` stops the call at the next batch boundary;
/// it then fails with [`ErrorKind::Cancelled`], `partial` and `not_attempted` filled in.
pub type ProgressFn<'a> = dyn Fn(Progress) -> ControlFlow<()> + Sync + 'a;

impl Client {
    /// Blocks `users` (phone numbers, WA IDs or BSUIDs). Returns what happened to each input,
    /// or an error if the call failed as a whole; either way every input is accounted for.
    pub fn block<I, S>(&self, users: I) -> Result<Outcome, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.mutate(Operation::Block, users, None)
    }

    /// Unblocks `users`; see [`Client::block`].
    pub fn unblock<I, S>(&self, users: I) -> Result<Outcome, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.mutate(Operation::Unblock, users, None)
    }

    /// True when a call with `inputs` users is sent as a single batch (duplicates and invalid
    /// users only make it smaller): such a call has no batch boundary at which a progress
    /// callback could stop it, so a language layer may run it without a cancellation hook.
    pub fn fits_one_batch(&self, inputs: usize) -> bool {
        inputs <= self.inner.max_batch
    }

    /// Blocks or unblocks with an optional progress callback ([`ProgressFn`]).
    pub fn mutate<I, S>(
        &self,
        operation: Operation,
        users: I,
        on_progress: Option<&ProgressFn<'_>>,
    ) -> Result<Outcome, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let prepared = prepare_users(users);
        if prepared.len() == 0 {
            return Err(Error::invalid_argument(
                "the user list is empty: pass at least one user",
            ));
        }
        if prepared.targets.len() > MAX_USERS_PER_CALL {
            let mut err = Error::invalid_argument(format!(
                "{} distinct users in one call; a blocklist holds at most {MAX_USERS_PER_CALL}, so split the list",
                prepared.targets.len()
            ));
            err.0.not_attempted = prepared.all_inputs();
            return Err(err);
        }
        let run = BulkRun::new(self, operation, &prepared.targets);
        let (slots, error) = run.execute(on_progress);
        let requests = run.requests.load(Ordering::Relaxed);
        let (outcome, unanswered) = assemble(operation, prepared, slots, requests);
        match error {
            None => Ok(outcome),
            Some(mut err) => {
                err.0.partial = (!outcome.is_empty()).then(|| Box::new(outcome));
                let (not_attempted, unknown): (Vec<String>, Vec<bool>) =
                    unanswered.into_iter().unzip();
                err.0.not_attempted = not_attempted;
                err.0.not_attempted_unknown = unknown;
                Err(err)
            }
        }
    }

    /// Interprets a POST/DELETE reply: an outcome body (HTTP 2xx, or HTTP 400 with 139100 and
    /// a `block_users` body), or the call's error.
    pub(crate) fn mutation_verdicts(
        &self,
        sent: &[&Target],
        reply: &Reply,
    ) -> Result<Vec<ServerVerdict>, Error> {
        let inner = &self.inner;
        // The common answer (users confirmed, nothing odd) in one pass; any other in serde.
        let parsed = match crate::fastwire::mutation_response(&reply.body, sent.len()) {
            Some(fast) => Ok(fast),
            None => serde_json::from_slice::<MutationResponse>(&reply.body),
        };
        let success = (200..300).contains(&reply.status);
        let response = match parsed {
            Ok(response) => response,
            Err(err) if success => {
                let mut e = Error::new(
                    ErrorKind::Protocol,
                    format!("the response is not the JSON the API documents: {err}"),
                );
                e.0.http_status = Some(reply.status);
                return Err(e);
            }
            Err(_) => return Err(inner.reply_error(reply)),
        };
        let MutationResponse { block_users, error } = response;
        let graph = error.map(|e| e.into_graph());
        let mixed_400 =
            reply.status == 400 && graph.as_ref().is_some_and(|g| g.code == Some(139100));
        match block_users {
            Some(result) if success || mixed_400 => {
                let mut confirmed = result.added_users;
                confirmed.extend(result.removed_users);
                Ok(match_server_items(sent, confirmed, result.failed_users))
            }
            _ if graph.is_some() || !success => {
                Err(inner.graph_error(reply.status, graph, reply.retry_after))
            }
            // A 2xx that mentions nobody: every user is UNCONFIRMED, never a silent success.
            _ => Ok(match_server_items(sent, Vec::new(), Vec::new())),
        }
    }
}

/// Per-call state shared by the batch workers.
struct BulkRun<'a> {
    client: &'a Client,
    operation: Operation,
    targets: &'a [Target],
    batches: Vec<&'a [Target]>,
    batch_size: usize,
    deadline: Option<Instant>,
    requests: AtomicU32,
    gate: AimdGate,
}

/// What a call learnt about one batch's targets: each one's final verdict, and, for those
/// without one, whether their state is unknown (a request carrying them got no answer, an
/// unreadable one, or a server failure that may have applied it) or unchanged (never sent,
/// or refused as a whole). Kept per batch as the worker returns it: no per-target copy.
struct BatchAnswers {
    verdicts: Vec<Option<ServerVerdict>>,
    state_unknown: bool,
}

/// Every batch's answers (`None`: the batch never ran), looked up by target index.
struct Answers {
    batch_size: usize,
    batches: Vec<Option<BatchAnswers>>,
}

impl Answers {
    /// A target's verdict slot (`None` if its batch never ran) and whether its state is
    /// unknown.
    fn slot(&mut self, target: usize) -> (Option<&mut Option<ServerVerdict>>, bool) {
        let size = self.batch_size.max(1);
        match self.batches.get_mut(target / size) {
            Some(Some(batch)) => (batch.verdicts.get_mut(target % size), batch.state_unknown),
            _ => (None, false),
        }
    }

    fn confirmed(&self) -> usize {
        self.batches
            .iter()
            .flatten()
            .flat_map(|b| &b.verdicts)
            .filter(|v| v.as_ref().is_some_and(ServerVerdict::is_confirmed))
            .count()
    }
}

struct Shared {
    batches: Vec<Option<BatchAnswers>>,
    error: Option<Error>,
    done: usize,
}

impl<'a> BulkRun<'a> {
    fn new(client: &'a Client, operation: Operation, targets: &'a [Target]) -> Self {
        let size = client.inner.max_batch;
        let batches: Vec<&[Target]> = targets.chunks(size).collect();
        let workers = client.inner.parallelism.min(batches.len()).max(1);
        BulkRun {
            client,
            operation,
            targets,
            batches,
            batch_size: size,
            deadline: client.call_deadline(),
            requests: AtomicU32::new(0),
            gate: AimdGate::new(workers),
        }
    }

    /// Runs every batch; returns their answers and the call's error, if any.
    fn execute(&self, on_progress: Option<&ProgressFn<'_>>) -> (Answers, Option<Error>) {
        let shared = Mutex::new(Shared {
            batches: (0..self.batches.len()).map(|_| None).collect(),
            error: None,
            done: 0,
        });
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let total = self.targets.len();
        let worker = || {
            while !stop.load(Ordering::SeqCst) {
                let b = next.fetch_add(1, Ordering::SeqCst);
                let Some(batch) = self.batches.get(b) else {
                    break;
                };
                // The caller's token stops the call at the batch boundary: no new batch starts
                // (this one's users stay without an answer, so they land in not_attempted).
                if self.client.is_cancelled() {
                    stop.store(true, Ordering::SeqCst);
                    let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    s.error.get_or_insert_with(Error::cancelled_by_token);
                    break;
                }
                let (verdicts, state_unknown, error) = self.run_batch(batch);
                let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(slot) = s.batches.get_mut(b) {
                    *slot = Some(BatchAnswers {
                        verdicts,
                        state_unknown,
                    });
                }
                if let Some(err) = error {
                    stop.store(true, Ordering::SeqCst);
                    s.error.get_or_insert(err);
                    continue;
                }
                s.done += batch.len();
                if let Some(callback) = on_progress {
                    if callback(Progress {
                        done: s.done,
                        total,
                    })
                    .is_break()
                    {
                        stop.store(true, Ordering::SeqCst);
                        s.error.get_or_insert_with(|| {
                            Error::cancelled("the progress callback asked it to stop")
                        });
                    }
                }
            }
        };
        let workers = self.gate.max;
        if workers <= 1 {
            worker();
        } else {
            std::thread::scope(|scope| {
                for _ in 0..workers {
                    scope.spawn(worker);
                }
            });
        }
        let s = shared.into_inner().unwrap_or_else(PoisonError::into_inner);
        let answers = Answers {
            batch_size: self.batch_size,
            batches: s.batches,
        };
        (answers, s.error)
    }

    /// One batch with its retries. Returns a verdict per target of the batch (`None` for a
    /// user with no final answer when the batch failed), whether an attempt may have changed
    /// the state of users it leaves without a verdict, and the error that ended it, if any.
    fn run_batch(&self, batch: &[Target]) -> (Vec<Option<ServerVerdict>>, bool, Option<Error>) {
        let inner = &self.client.inner;
        let method = match self.operation {
            Operation::Block => Method::Post,
            Operation::Unblock => Method::Delete,
        };
        let mut verdicts: Vec<Option<ServerVerdict>> = vec![None; batch.len()];
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut state_unknown = false;
        let retry = RetryLoop {
            policy: &inner.retry,
            clock: inner.clock.as_ref(),
            deadline: self.deadline,
            cancel: self.client.cancel.as_ref(),
        };
        let result = retry.run(|_attempt| {
            let sent: Vec<&Target> = pending.iter().map(|&i| &batch[i]).collect();
            let body = mutation_request_body(&sent)
                .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
            self.gate.acquire();
            // The wait for a free slot may have outlasted a cancellation: send nothing new.
            if self.client.is_cancelled() {
                self.gate.release(false);
                return Err(Error::cancelled_by_token());
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let result = inner
                .exchange(method, &[], Some(&body), self.deadline)
                .and_then(|reply| {
                    let hint = reply.retry_after;
                    self.client
                        .mutation_verdicts(&sent, &reply)
                        .map(|v| (v, hint))
                });
            let throttled = match &result {
                Ok((v, _)) => v.iter().any(|v| v.reason() == Some(Reason::RateLimited)),
                Err(e) => e.kind() == ErrorKind::RateLimited,
            };
            self.gate.release(throttled);
            let (answers, hint) = result.inspect_err(|e| {
                state_unknown |= may_have_been_applied(e.kind());
            })?;
            // Users refused with a transient reason are re-sent alone; when no retry is
            // possible, their last refusal is the final answer.
            let mut resend = Vec::new();
            for (&i, verdict) in pending.iter().zip(answers) {
                if verdict.is_transient() {
                    resend.push(i);
                }
                verdicts[i] = Some(verdict);
            }
            if resend.is_empty() {
                return Ok(Attempt::Done(()));
            }
            pending = resend;
            Ok(Attempt::Again { hint, answer: () })
        });
        (verdicts, state_unknown, result.err())
    }
}

/// Whether a request that ended in an error of `kind` may still have been applied: no answer
/// came (network, timeout), none could be read (protocol), or the server failed while handling
/// it (Meta's 139103, any 5xx). A refusal of the whole request (auth, throttling, a full
/// blocklist, a rejected parameter) changed nothing.
fn may_have_been_applied(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Server
            | ErrorKind::Network
            | ErrorKind::Timeout
            | ErrorKind::Protocol
            | ErrorKind::Internal
    )
}

/// Builds the outcome in input order and lists the inputs left without a final answer, each
/// with whether its state is unknown.
fn assemble(
    operation: Operation,
    prepared: PreparedUsers,
    mut answers: Answers,
    requests: u32,
) -> (Outcome, Vec<(String, bool)>) {
    // Exact capacities: 64,000 results grown by doubling would hold up to twice the memory,
    // and both the old and the new buffer at each step.
    let confirmed = answers.confirmed();
    let mut outcome = Outcome {
        operation,
        succeeded: Vec::with_capacity(confirmed),
        failed: Vec::with_capacity(prepared.len().saturating_sub(confirmed)),
        requests,
    };
    let mut not_attempted = Vec::new();
    let PreparedUsers {
        inputs,
        slots,
        invalid,
        mut targets,
    } = prepared;
    let mut invalid = invalid.into_iter();
    let mut inputs = inputs.into_iter();
    // `uses` counts down the inputs still to come per target: the last one (the only one,
    // normally) takes the target's strings by move; earlier duplicates get copies.
    for slot in slots {
        let (target, input_is_sent) = match Slot::read(slot) {
            Slot::Target {
                index,
                input_is_sent,
            } => (index, input_is_sent),
            Slot::Invalid => {
                let input = inputs.next().unwrap_or_default();
                let message = invalid.next().map_or_else(
                    || "the user string is not a user".to_string(),
                    InvalidUser::into_message,
                );
                outcome.failed.push(Failure {
                    input,
                    sent: None,
                    wa_id: None,
                    user_id: None,
                    reason: Reason::InvalidUser,
                    code: None,
                    message,
                    details: None,
                    hint: Reason::InvalidUser.hint().to_string(),
                });
                continue;
            }
        };
        let t = &mut targets[target];
        // An input that is its target's sent form was not stored: an inline copy of it.
        let input = if input_is_sent {
            t.sent.clone()
        } else {
            inputs.next().unwrap_or_default()
        };
        t.uses = t.uses.saturating_sub(1);
        let last = t.uses == 0;
        let (slot, state_unknown) = answers.slot(target);
        let verdict = match slot {
            Some(verdict) if last => verdict.take(),
            Some(verdict) => verdict.clone(),
            None => None,
        };
        let Some(verdict) = verdict else {
            not_attempted.push((String::from(input), state_unknown));
            continue;
        };
        let (wa_id, user_id) = match verdict {
            ServerVerdict::Echoed { wa_id, user_id } => (wa_id.resolve(t), user_id.resolve(t)),
            ServerVerdict::Confirmed(ids) => (ids.wa_id, ids.user_id),
            ServerVerdict::Refused(refusal) => {
                let Refusal {
                    reason,
                    code,
                    message,
                    details,
                    wa_id,
                    user_id,
                } = *refusal;
                let sent = take_sent(t, last);
                outcome.failed.push(Failure {
                    input,
                    sent: Some(sent),
                    wa_id,
                    user_id,
                    reason,
                    code,
                    message,
                    details,
                    hint: reason.hint().to_string(),
                });
                continue;
            }
        };
        let sent = take_sent(t, last);
        outcome.succeeded.push(Success {
            input,
            sent,
            wa_id,
            user_id,
        });
    }
    (outcome, not_attempted)
}

/// A target's sent form for an outcome entry: moved out for its last input, else copied.
#[inline]
fn take_sent(target: &mut Target, last: bool) -> compact_str::CompactString {
    if last {
        std::mem::take(&mut target.sent)
    } else {
        target.sent.clone()
    }
}

/// Additive-increase, multiplicative-decrease limit on requests in flight: halves on
/// `RATE_LIMITED` (down to 1), grows by one after as many successes as the current limit.
struct AimdGate {
    max: usize,
    state: Mutex<GateState>,
    changed: Condvar,
}

struct GateState {
    limit: usize,
    in_flight: usize,
    successes: usize,
}

impl AimdGate {
    fn new(max: usize) -> Self {
        AimdGate {
            max,
            state: Mutex::new(GateState {
                limit: max,
                in_flight: 0,
                successes: 0,
            }),
            changed: Condvar::new(),
        }
    }

    fn acquire(&self) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while s.in_flight >= s.limit {
            s = self.changed.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        s.in_flight += 1;
    }

    fn release(&self, throttled: bool) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.in_flight -= 1;
        if throttled {
            s.limit = (s.limit / 2).max(1);
            s.successes = 0;
        } else {
            s.successes += 1;
            if s.successes >= s.limit && s.limit < self.max {
                s.limit += 1;
                s.successes = 0;
            }
        }
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_batch_is_up_to_max_batch_inputs() -> Result<(), Error> {
        let client = Client::meta("1000", "t-token").max_batch(3).build()?;
        assert!(client.fits_one_batch(1));
        assert!(client.fits_one_batch(3));
        assert!(!client.fits_one_batch(4));
        let default = Client::meta("1000", "t-token").build()?;
        assert!(default.fits_one_batch(crate::MAX_BATCH));
        assert!(!default.fits_one_batch(crate::MAX_BATCH + 1));
        Ok(())
    }

    #[test]
    fn aimd_halves_and_recovers() {
        let gate = AimdGate::new(8);
        gate.acquire();
        gate.release(true);
        assert_eq!(gate.state.lock().map(|s| s.limit).unwrap_or(0), 4);
        for _ in 0..4 {
            gate.acquire();
            gate.release(false);
        }
        assert_eq!(gate.state.lock().map(|s| s.limit).unwrap_or(0), 5);
        for _ in 0..10 {
            gate.acquire();
            gate.release(true);
        }
        assert_eq!(gate.state.lock().map(|s| s.limit).unwrap_or(0), 1);
    }
}
