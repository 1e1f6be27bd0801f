//! A fleet: one call on several phone numbers of a business (docs/fleet.md).
//!
//! A blocklist belongs to one phone number, so a business that wants an abuser gone from all
//! its numbers calls each of them. A [`Fleet`] does that for it and keeps one result per
//! number: that number's own [`Outcome`] (or answer), or its own [`Error`] with its
//! accounting. One number failing as a whole never hides the other numbers' results.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Condvar, Mutex, PoisonError};

use serde_json::{Map, Value, json};

use crate::builder::{ClientBuilder, MAX_PARALLELISM};
use crate::cancel::CancelToken;
use crate::canonical::canonical_string;
use crate::client::Client;
use crate::error::Error;
use crate::listing::BlockedUser;
use crate::outcome::{Operation, Outcome};

/// The default bound on requests in flight across the whole fleet.
pub const DEFAULT_FLEET_PARALLELISM: usize = MAX_PARALLELISM;

/// Several clients, one per phone number, each under a label: the phone number ID for Meta,
/// a name of the caller's choosing for 360dialog (one API key per number).
#[derive(Clone)]
pub struct Fleet {
    members: Vec<(String, Client)>,
    total_parallelism: usize,
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("labels", &self.labels().collect::<Vec<_>>())
            .field("total_parallelism", &self.total_parallelism)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Fleet`] from labelled clients.
#[derive(Debug, Default)]
pub struct FleetBuilder {
    members: Vec<(String, Client)>,
    total_parallelism: Option<usize>,
}

impl FleetBuilder {
    /// Adds a phone number's client under `label`.
    pub fn number(mut self, label: impl Into<String>, client: Client) -> Self {
        self.members.push((label.into(), client));
        self
    }

    /// Bounds the requests in flight across every number (default 16). Each number's own
    /// parallelism still adapts to its own rate limits, inside this bound.
    pub fn total_parallelism(mut self, total: usize) -> Self {
        self.total_parallelism = Some(total);
        self
    }

    /// Checks the labels (at least one, none empty, no two alike) and the bound.
    pub fn build(self) -> Result<Fleet, Error> {
        if self.members.is_empty() {
            return Err(Error::invalid_argument(
                "the fleet has no phone number: add at least one",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (label, _) in &self.members {
            if label.trim().is_empty() {
                return Err(Error::invalid_argument(
                    "a fleet label is empty: label each number (its phone number ID for Meta)",
                ));
            }
            if !seen.insert(label.as_str()) {
                return Err(Error::invalid_argument(format!(
                    "the fleet label {label:?} is used twice: each number needs its own label"
                )));
            }
        }
        let total_parallelism = self.total_parallelism.unwrap_or(DEFAULT_FLEET_PARALLELISM);
        if total_parallelism == 0 {
            return Err(Error::invalid_argument(
                "the fleet's total parallelism is 0: it must be at least 1",
            ));
        }
        Ok(Fleet {
            members: self.members,
            total_parallelism,
        })
    }
}

impl Fleet {
    /// A builder to add labelled clients to.
    pub fn builder() -> FleetBuilder {
        FleetBuilder::default()
    }

    /// A Meta fleet: one access token serving every phone number ID, each number labelled by
    /// its ID. `configure` sets the options every number's client shares.
    pub fn meta<I, S>(
        phone_number_ids: I,
        access_token: &str,
        configure: impl Fn(ClientBuilder) -> ClientBuilder,
    ) -> Result<Fleet, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut builder = Fleet::builder();
        for id in phone_number_ids {
            let id = id.as_ref().trim();
            let client = configure(Client::meta(id, access_token)).build()?;
            builder = builder.number(id, client);
        }
        builder.build()
    }

    /// The same numbers under another bound on requests in flight across the fleet, checked
    /// as [`FleetBuilder::total_parallelism`] is (for layers that build with [`Fleet::meta`]).
    pub fn with_total_parallelism(&self, total: usize) -> Result<Fleet, Error> {
        let mut builder = Fleet::builder().total_parallelism(total);
        for (label, client) in &self.members {
            builder = builder.number(label.clone(), client.clone());
        }
        builder.build()
    }

    /// The labels, in the order the numbers were added.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(label, _)| label.as_str())
    }

    /// The client of the number labelled `label`.
    pub fn client(&self, label: &str) -> Option<&Client> {
        self.members
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, client)| client)
    }

    /// A fleet of only the numbers named, in the order named. An unknown label is an
    /// `INVALID_ARGUMENT` error that lists the known ones.
    pub fn select<I, S>(&self, labels: I) -> Result<Fleet, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut builder = Fleet::builder().total_parallelism(self.total_parallelism);
        for label in labels {
            let label = label.as_ref();
            let client = self.client(label).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "no number in the fleet is labelled {label:?}; the fleet has {}",
                    self.labels().collect::<Vec<_>>().join(", ")
                ))
            })?;
            builder = builder.number(label, client.clone());
        }
        builder.build()
    }

    /// A copy of this fleet whose every call observes `token` ([`Client::with_cancel`] on each
    /// number): once it is cancelled, no number sends a new request, and each number's entry
    /// ends as `CANCELLED` with its own accounting (or its finished outcome).
    pub fn with_cancel(&self, token: CancelToken) -> Fleet {
        Fleet {
            members: self
                .members
                .iter()
                .map(|(label, client)| (label.clone(), client.with_cancel(token.clone())))
                .collect(),
            total_parallelism: self.total_parallelism,
        }
    }

    /// Blocks `users` on every number.
    pub fn block<I, S>(&self, users: I) -> FleetResults<Outcome>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.mutate(Operation::Block, users)
    }

    /// Unblocks `users` on every number.
    pub fn unblock<I, S>(&self, users: I) -> FleetResults<Outcome>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.mutate(Operation::Unblock, users)
    }

    /// Blocks or unblocks `users` on every number; each number's entry accounts for every
    /// input on its own.
    pub fn mutate<I, S>(&self, operation: Operation, users: I) -> FleetResults<Outcome>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let users: Vec<String> = users.into_iter().map(|u| u.as_ref().to_owned()).collect();
        self.on_every_number(|client| client.mutate(operation, &users, None))
    }

    /// Whether `user` is on each number's blocklist.
    pub fn is_blocked(&self, user: &str) -> FleetResults<bool> {
        self.on_every_number(|client| client.is_blocked(user))
    }

    /// Walks every number's blocklist and yields each user once, with the labels of the
    /// numbers that block them (in fleet order). A number whose walk failed keeps the users it
    /// yielded before the failure, and its error is in [`FleetBlocklist::errors`].
    pub fn blocked_users(&self, page_size: Option<u32>) -> FleetBlocklist {
        let walks = self.on_every_number(|client| {
            Ok::<_, Error>(client.blocked_users(page_size).collect_until_error())
        });
        let mut merged: Vec<FleetBlockedUser> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut errors = Vec::new();
        for entry in walks.entries {
            let (users, error) = match entry.result {
                Ok(walk) => walk,
                Err(err) => (Vec::new(), Some(err)),
            };
            for user in users {
                let Some(key) = user.key().map(str::to_owned) else {
                    continue;
                };
                match index.get(&key) {
                    Some(&i) => merged[i].blocked_on.push(entry.label.clone()),
                    None => {
                        index.insert(key, merged.len());
                        merged.push(FleetBlockedUser {
                            user,
                            blocked_on: vec![entry.label.clone()],
                        });
                    }
                }
            }
            if let Some(err) = error {
                errors.push((entry.label, err));
            }
        }
        FleetBlocklist {
            users: merged,
            errors,
        }
    }

    /// Runs `call` on every number, numbers in parallel, with at most `total_parallelism`
    /// requests in flight: a number's call holds as many slots as its client's own
    /// parallelism (capped at the total) for as long as it runs.
    fn on_every_number<T: Send>(
        &self,
        call: impl Fn(&Client) -> Result<T, Error> + Sync,
    ) -> FleetResults<T> {
        let slots = Slots::new(self.total_parallelism);
        let results: Vec<Result<T, Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .members
                .iter()
                .map(|(_, client)| {
                    let slots = &slots;
                    let call = &call;
                    let wanted = client.inner.parallelism.clamp(1, self.total_parallelism);
                    scope.spawn(move || {
                        let _held = slots.take(wanted);
                        call(client)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|payload| Err(Error::from_panic(payload.as_ref())))
                })
                .collect()
        });
        FleetResults {
            entries: self
                .members
                .iter()
                .zip(results)
                .map(|((label, _), result)| FleetEntry {
                    label: label.clone(),
                    result,
                })
                .collect(),
        }
    }
}

/// A counting semaphore over the fleet's request slots.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

struct HeldSlots<'a> {
    slots: &'a Slots,
    count: usize,
}

impl Slots {
    fn new(total: usize) -> Self {
        Slots {
            free: Mutex::new(total),
            freed: Condvar::new(),
        }
    }

    fn take(&self, count: usize) -> HeldSlots<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free < count {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= count;
        HeldSlots { slots: self, count }
    }
}

impl Drop for HeldSlots<'_> {
    fn drop(&mut self) {
        let mut free = self
            .slots
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *free += self.count;
        self.slots.freed.notify_all();
    }
}

/// One number's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetEntry<T> {
    /// The number's label.
    pub label: String,
    /// Its own outcome or answer, or its own error (with its own accounting).
    pub result: Result<T, Error>,
}

/// One result per number, in fleet order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetResults<T> {
    /// The entries, one per number, in the order the numbers were added.
    pub entries: Vec<FleetEntry<T>>,
}

impl<T> FleetResults<T> {
    /// The result of the number labelled `label`.
    pub fn get(&self, label: &str) -> Option<&Result<T, Error>> {
        self.entries
            .iter()
            .find(|e| e.label == label)
            .map(|e| &e.result)
    }

    /// The numbers whose call failed as a whole.
    pub fn errors(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.entries
            .iter()
            .filter_map(|e| e.result.as_ref().err().map(|err| (e.label.as_str(), err)))
    }

    fn to_canonical_json_with(&self, answer: impl Fn(&T) -> Value) -> String {
        let mut numbers = Map::new();
        for entry in &self.entries {
            let value = match &entry.result {
                Ok(value) => answer(value),
                Err(err) => json!({ "error": err.to_json_value() }),
            };
            numbers.insert(entry.label.clone(), value);
        }
        canonical_string(&json!({ "fleet": numbers }))
    }
}

impl FleetResults<Outcome> {
    /// True when every number's call finished and refused nobody.
    pub fn is_ok(&self) -> bool {
        self.entries
            .iter()
            .all(|e| e.result.as_ref().is_ok_and(Outcome::is_ok))
    }

    /// `{"fleet": {"<label>": {"outcome": …} | {"error": …}}}`, keys sorted.
    pub fn to_canonical_json(&self) -> String {
        self.to_canonical_json_with(|o| json!({ "outcome": o.to_json_value() }))
    }
}

impl FleetResults<bool> {
    /// True when every number answered (none failed as a whole).
    pub fn is_ok(&self) -> bool {
        self.errors().next().is_none()
    }

    /// `{"fleet": {"<label>": {"is_blocked": true|false} | {"error": …}}}`, keys sorted.
    pub fn to_canonical_json(&self) -> String {
        self.to_canonical_json_with(|b| json!({ "is_blocked": b }))
    }
}

/// A user on one or more of the fleet's blocklists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetBlockedUser {
    /// The user as the first list that holds them reports them.
    pub user: BlockedUser,
    /// The labels of the numbers that block them, in fleet order.
    pub blocked_on: Vec<String>,
}

/// The merged blocklists of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetBlocklist {
    /// Each blocked user once, in the order first seen (fleet order, then list order).
    pub users: Vec<FleetBlockedUser>,
    /// The numbers whose walk ended in an error: their lists may be incomplete.
    pub errors: Vec<(String, Error)>,
}

impl FleetBlocklist {
    /// `{"fleet_blocked_users": {"users": [{"wa_id", "user_id", "blocked_on"}…], "errors":
    /// {"<label>": {…}}}}`, keys sorted.
    pub fn to_canonical_json(&self) -> String {
        let users: Vec<Value> = self
            .users
            .iter()
            .map(|u| {
                json!({
                    "wa_id": u.user.wa_id,
                    "user_id": u.user.user_id,
                    "blocked_on": u.blocked_on,
                })
            })
            .collect();
        let errors: Map<String, Value> = self
            .errors
            .iter()
            .map(|(label, err)| (label.clone(), err.to_json_value()))
            .collect();
        canonical_string(&json!({"fleet_blocked_users": {"users": users, "errors": errors}}))
    }
}
