//! One business phone number's state (blocklist, inbound messages, identity links,
//! version) and the rules a block must pass: self block, business accounts, the 24-hour
//! window and the blocklist cap.

use std::collections::{HashMap, HashSet};

use super::identity::{Entry, Ident};
use crate::BLOCKLIST_LIMIT;

pub(super) const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The first version id of every phone number: Meta's sample value. Versions count up from it
/// per phone number, so answers (and cursors) are the same on every run after a reset.
pub(super) const FIRST_VERSION: u64 = 1_737_679_688_383_584;

pub(super) fn next_version(current: &str) -> String {
    (current.parse::<u64>().unwrap_or(FIRST_VERSION) + 1).to_string()
}

#[derive(Debug)]
pub(crate) struct Phone {
    pub(super) own_wa_id: Option<String>,
    pub(super) business: HashSet<String>,
    pub(super) blocked: Vec<Entry>,
    pub(super) blocked_keys: HashSet<String>,
    pub(super) version: String,
    /// wa_id or BSUID → sandbox-clock ms of the last inbound message.
    pub(super) inbound: HashMap<String, i64>,
    pub(super) wa_to_bsuid: HashMap<String, String>,
    pub(super) bsuid_to_wa: HashMap<String, String>,
}

impl Phone {
    pub(super) fn new() -> Phone {
        Phone {
            own_wa_id: None,
            business: HashSet::new(),
            blocked: Vec::new(),
            blocked_keys: HashSet::new(),
            version: FIRST_VERSION.to_string(),
            inbound: HashMap::new(),
            wa_to_bsuid: HashMap::new(),
            bsuid_to_wa: HashMap::new(),
        }
    }

    pub(super) fn link(&mut self, wa_id: &str, bsuid: &str) {
        self.wa_to_bsuid
            .insert(wa_id.to_string(), bsuid.to_string());
        self.bsuid_to_wa
            .insert(bsuid.to_string(), wa_id.to_string());
        // An entry blocked under one identity now also answers to the other.
        for e in &mut self.blocked {
            if e.wa_id.as_deref() == Some(wa_id) && e.user_id.is_none() {
                e.user_id = Some(bsuid.to_string());
                self.blocked_keys.insert(bsuid.to_string());
            } else if e.user_id.as_deref() == Some(bsuid) && e.wa_id.is_none() {
                e.wa_id = Some(wa_id.to_string());
                self.blocked_keys.insert(wa_id.to_string());
            }
        }
    }

    pub(super) fn entry_for(&self, ident: &Ident) -> Entry {
        match ident {
            Ident::Wa(w) => Entry {
                wa_id: Some(w.clone()),
                user_id: self.wa_to_bsuid.get(w).cloned(),
            },
            Ident::Bsuid(b) => Entry {
                wa_id: self.bsuid_to_wa.get(b).cloned(),
                user_id: Some(b.clone()),
            },
        }
    }

    pub(super) fn is_blocked(&self, e: &Entry) -> bool {
        e.keys().any(|k| self.blocked_keys.contains(k))
    }

    pub(super) fn push_blocked(&mut self, e: Entry) {
        for k in e.keys() {
            self.blocked_keys.insert(k.clone());
        }
        self.blocked.push(e);
    }

    pub(super) fn remove_blocked(&mut self, keys: &HashSet<String>) -> bool {
        let before = self.blocked.len();
        let mut dropped = Vec::new();
        self.blocked.retain(|e| {
            if e.keys().any(|k| keys.contains(k)) {
                dropped.extend(e.keys().cloned());
                false
            } else {
                true
            }
        });
        for k in dropped {
            self.blocked_keys.remove(&k);
        }
        before != self.blocked.len()
    }

    pub(super) fn last_inbound(&self, e: &Entry) -> Option<i64> {
        e.keys().filter_map(|k| self.inbound.get(k).copied()).max()
    }

    pub(super) fn touch(&mut self) {
        self.version = next_version(&self.version);
    }

    /// Applies the block rules to `e` in their order of precedence (self block, business
    /// account, already blocked, the 24-hour window unless `open`, the cap) and adds it
    /// when they all pass. `now` is the sandbox clock in ms. The caller bumps the version.
    pub(super) fn try_block(&mut self, e: &Entry, open: bool, now: i64) -> BlockOutcome {
        let wa = e.wa_id.as_deref();
        if wa.is_some() && wa == self.own_wa_id.as_deref() {
            BlockOutcome::Refused(SELF_BLOCK)
        } else if e.keys().any(|k| self.business.contains(k)) {
            BlockOutcome::Refused(BUSINESS_ACCOUNT)
        } else if self.is_blocked(e) {
            BlockOutcome::AlreadyBlocked
        } else if !open && self.last_inbound(e).is_none_or(|t| now - t > DAY_MS) {
            BlockOutcome::Refused(REENGAGEMENT)
        } else if self.blocked.len() >= BLOCKLIST_LIMIT {
            BlockOutcome::Refused(LIMIT_REACHED)
        } else {
            self.push_blocked(e.clone());
            BlockOutcome::Added
        }
    }
}

/// What [`Phone::try_block`] did with one user.
pub(super) enum BlockOutcome {
    Refused(Refusal),
    AlreadyBlocked,
    Added,
}

/// A per-user refusal: code, message, details.
pub(super) type Refusal = (u32, &'static str, &'static str);

pub(super) const REENGAGEMENT: Refusal = (
    131047,
    "Re-engagement required",
    "Occurs if the business has not received a message from that number in the last 24 hours.",
);
const SELF_BLOCK: Refusal = (131021, "Self Block", "Failed to block self phone number.");
const BUSINESS_ACCOUNT: Refusal = (
    131047,
    "Re-engagement required",
    "You cannot use this API to block another WhatsApp Business account.",
);
const LIMIT_REACHED: Refusal = (
    139101,
    "Blocklist limit reached",
    "The blocklist has reached its 64,000 user limit.",
);
pub(super) const INVALID_USER_ID: Refusal = (
    100,
    "(#100) Invalid parameter",
    "user_id must be a business-scoped user ID such as US.13491208655302741918; parent BSUIDs are not supported.",
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::state::responses::trace_id;

    #[test]
    fn versions_increase() {
        let a = FIRST_VERSION.to_string();
        let b: u64 = next_version(&a).parse().unwrap();
        assert_eq!(b, FIRST_VERSION + 1);
        assert_eq!(trace_id().len(), 23);
        assert_ne!(trace_id(), trace_id());
    }
}
