//! `Fleet` for Kotlin and Swift: one call on several phone numbers of a business
//! (docs/fleet.md). Every rule (labels checked, parallelism bounded in total and adaptive per
//! number, one entry per number, the merged walk) and every JSON shape is the core's
//! `wablock::Fleet`; this converts types.

use std::sync::Arc;

use crate::{BlockedUser, Client, ClientOptions, Outcome, WablockError, guard};

/// One phone number of a fleet: its client under its label (the phone number ID for Meta, a
/// name of your choosing for 360dialog, where each number has its own API key).
#[derive(Debug, uniffi::Record)]
pub struct FleetMember {
    /// The number's label.
    pub label: String,
    /// The number's client.
    pub client: Arc<Client>,
}

/// One number's result: its own outcome (block, unblock), its own answer (is_blocked), or its
/// own error with its own accounting. Exactly one of the three is set.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FleetEntry {
    /// The number's label.
    pub label: String,
    /// The number's outcome, when its block or unblock call completed.
    pub outcome: Option<Outcome>,
    /// The number's answer to is_blocked.
    pub is_blocked: Option<bool>,
    /// The number's error, when its call failed as a whole.
    pub error: Option<WablockError>,
}

/// One entry per number, in fleet order.
#[derive(Debug, uniffi::Object)]
pub struct FleetResults {
    entries: Vec<FleetEntry>,
    json: String,
}

#[uniffi::export]
impl FleetResults {
    /// The entries, in fleet order.
    pub fn entries(&self) -> Vec<FleetEntry> {
        self.entries.clone()
    }

    /// The entry of the number labelled `label`, or null/nil.
    pub fn get(&self, label: String) -> Option<FleetEntry> {
        self.entries.iter().find(|e| e.label == label).cloned()
    }

    /// `{"fleet":{"<label>":{"outcome":…}|{"is_blocked":…}|{"error":…}}}`: the core's canonical
    /// JSON, keys sorted, compact.
    pub fn to_canonical_json(&self) -> String {
        self.json.clone()
    }
}

/// A user on one or more of the fleet's blocklists.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FleetBlockedUser {
    /// The user as the first list that holds them reports them.
    pub user: BlockedUser,
    /// The labels of the numbers that block the user, in fleet order.
    pub blocked_on: Vec<String>,
}

/// A number whose walk ended in an error: its list may be incomplete.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FleetWalkError {
    /// The number's label.
    pub label: String,
    /// The error that ended its walk.
    pub error: WablockError,
}

/// The merged walk of the fleet's blocklists.
#[derive(Debug, uniffi::Object)]
pub struct FleetBlocklist {
    users: Vec<FleetBlockedUser>,
    errors: Vec<FleetWalkError>,
    json: String,
}

#[uniffi::export]
impl FleetBlocklist {
    /// Each blocked user once, in the order first seen (fleet order, then list order).
    pub fn users(&self) -> Vec<FleetBlockedUser> {
        self.users.clone()
    }

    /// The numbers whose walk failed, in fleet order.
    pub fn errors(&self) -> Vec<FleetWalkError> {
        self.errors.clone()
    }

    /// `{"fleet_blocked_users":{"errors":{…},"users":[…]}}`: the core's canonical JSON.
    pub fn to_canonical_json(&self) -> String {
        self.json.clone()
    }
}

fn results<T>(
    results: wablock::FleetResults<T>,
    json: String,
    answer: impl Fn(T) -> (Option<Outcome>, Option<bool>),
) -> Arc<FleetResults> {
    let entries = results
        .entries
        .into_iter()
        .map(|e| {
            let (outcome, is_blocked, error) = match e.result {
                Ok(value) => {
                    let (o, b) = answer(value);
                    (o, b, None)
                }
                Err(err) => (None, None, Some(WablockError::from(err))),
            };
            FleetEntry {
                label: e.label,
                outcome,
                is_blocked,
                error,
            }
        })
        .collect();
    Arc::new(FleetResults { entries, json })
}

/// Several phone numbers' clients under their labels. Thread-safe.
#[derive(Debug, uniffi::Object)]
pub struct Fleet {
    inner: wablock::Fleet,
}

impl Fleet {
    /// Every number, or the numbers labelled (the core refuses an unknown label).
    fn chosen(&self, labels: Option<Vec<String>>) -> Result<wablock::Fleet, WablockError> {
        match labels {
            None => Ok(self.inner.clone()),
            Some(labels) => Ok(self.inner.select(labels)?),
        }
    }
}

#[uniffi::export]
impl Fleet {
    /// A fleet of labelled clients. The core checks the labels (at least one, none empty, no
    /// two alike) and the total parallelism (default 16).
    #[uniffi::constructor(default(total_parallelism = None))]
    pub fn new(
        members: Vec<FleetMember>,
        total_parallelism: Option<u32>,
    ) -> Result<Arc<Self>, WablockError> {
        guard(|| {
            let mut builder = wablock::Fleet::builder();
            for m in members {
                builder = builder.number(m.label, m.client.inner.clone());
            }
            if let Some(total) = total_parallelism {
                builder = builder.total_parallelism(total as usize);
            }
            Ok(Arc::new(Fleet {
                inner: builder.build()?,
            }))
        })
    }

    /// A Meta fleet: one access token serving every phone number ID, each number labelled by
    /// its ID; `options` apply to every number.
    #[uniffi::constructor(default(options = None, total_parallelism = None))]
    pub fn meta(
        phone_number_ids: Vec<String>,
        access_token: String,
        options: Option<ClientOptions>,
        total_parallelism: Option<u32>,
    ) -> Result<Arc<Self>, WablockError> {
        guard(|| {
            let options = options.unwrap_or_default().into_core();
            let fleet = wablock::Fleet::meta(&phone_number_ids, &access_token, |b| {
                b.options(options.clone())
            })?;
            let inner = match total_parallelism {
                None => fleet,
                Some(total) => fleet.with_total_parallelism(total as usize)?,
            };
            Ok(Arc::new(Fleet { inner }))
        })
    }

    /// The labels, in fleet order.
    pub fn labels(&self) -> Vec<String> {
        self.inner.labels().map(str::to_owned).collect()
    }

    /// Blocks `users` on every number (or the numbers labelled in `labels`), numbers in
    /// parallel. Fails as a whole only for an unknown label; a number failing is its entry's
    /// `error`.
    #[uniffi::method(default(labels = None))]
    pub fn block(
        &self,
        users: Vec<String>,
        labels: Option<Vec<String>>,
    ) -> Result<Arc<FleetResults>, WablockError> {
        guard(|| {
            let r = self.chosen(labels)?.block(&users);
            let json = r.to_canonical_json();
            Ok(results(r, json, |o| (Some(o), None)))
        })
    }

    /// Unblocks `users` on every number (or the numbers labelled); see `block`.
    #[uniffi::method(default(labels = None))]
    pub fn unblock(
        &self,
        users: Vec<String>,
        labels: Option<Vec<String>>,
    ) -> Result<Arc<FleetResults>, WablockError> {
        guard(|| {
            let r = self.chosen(labels)?.unblock(&users);
            let json = r.to_canonical_json();
            Ok(results(r, json, |o| (Some(o), None)))
        })
    }

    /// Whether `user` is on each number's blocklist.
    #[uniffi::method(default(labels = None))]
    pub fn is_blocked(
        &self,
        user: String,
        labels: Option<Vec<String>>,
    ) -> Result<Arc<FleetResults>, WablockError> {
        guard(|| {
            let r = self.chosen(labels)?.is_blocked(&user);
            let json = r.to_canonical_json();
            Ok(results(r, json, |b| (None, Some(b))))
        })
    }

    /// Walks every number's blocklist and merges them: each user once, with the numbers that
    /// block them; a number whose walk failed keeps the users it yielded and is in `errors()`.
    #[uniffi::method(default(page_size = None, labels = None))]
    pub fn blocked_users(
        &self,
        page_size: Option<u32>,
        labels: Option<Vec<String>>,
    ) -> Result<Arc<FleetBlocklist>, WablockError> {
        guard(|| {
            let walk = self.chosen(labels)?.blocked_users(page_size);
            let json = walk.to_canonical_json();
            Ok(Arc::new(FleetBlocklist {
                users: walk
                    .users
                    .into_iter()
                    .map(|u| FleetBlockedUser {
                        user: u.user,
                        blocked_on: u.blocked_on,
                    })
                    .collect(),
                errors: walk
                    .errors
                    .into_iter()
                    .map(|(label, error)| FleetWalkError {
                        label,
                        error: error.into(),
                    })
                    .collect(),
                json,
            }))
        })
    }
}
