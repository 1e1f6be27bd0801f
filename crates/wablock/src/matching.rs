//! Matching the server's per-user items back to the users sent (docs/behaviour.md §3.1): exact `input`
//! first, then digits-only for phone numbers, then `wa_id` digits, then `user_id`.

use std::cell::OnceCell;
use std::collections::HashMap;

use compact_str::CompactString;

use crate::outcome::Reason;
use crate::users::{FxBuild, Target, phone_digits, same_text};
use crate::wire::{FailedItem, UserItem};

/// What the server said about one sent user. Every target of a call holds a verdict slot
/// until the outcome is built (64,000 of them at most), so the common answer, a confirmation
/// whose ids only echo what was sent, takes 16 bytes and no string; other confirmations and
/// refusals, rare, are boxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerVerdict {
    /// Confirmed, each id absent or an echo of the sent form.
    Echoed {
        wa_id: Echo,
        user_id: Echo,
    },
    /// Confirmed, with an id of the server's own.
    Confirmed(Box<Ids>),
    Refused(Box<Refusal>),
}

/// A confirmed user's id as the server reported it, relative to the user's sent form: an
/// echo is rebuilt from the target when the outcome is built (inline strings: no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echo {
    Absent,
    /// The sent phone number's digits (a WA ID).
    Digits,
    /// The sent form itself (a BSUID, or a phone number sent without `+`).
    Sent,
}

impl Echo {
    /// `id` as an echo of `target`'s sent form, if it is one.
    fn of(id: Option<&str>, target: &Target) -> Option<Echo> {
        match id {
            None => Some(Echo::Absent),
            Some(id) if target.digits().is_some_and(|d| same_text(d, id)) => Some(Echo::Digits),
            Some(id) if same_text(&target.sent, id) => Some(Echo::Sent),
            Some(_) => None,
        }
    }

    /// The id this echo stands for.
    #[inline]
    pub fn resolve(self, target: &Target) -> Option<CompactString> {
        match self {
            Echo::Absent => None,
            Echo::Digits => target.digits().map(CompactString::from),
            Echo::Sent => Some(target.sent.clone()),
        }
    }
}

/// A confirmed user's ids when they are not echoes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ids {
    pub wa_id: Option<CompactString>,
    pub user_id: Option<CompactString>,
}

/// A refusal of one user, from the server or for want of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub reason: Reason,
    pub code: Option<i64>,
    pub message: String,
    pub details: Option<String>,
    pub wa_id: Option<CompactString>,
    pub user_id: Option<CompactString>,
}

impl ServerVerdict {
    pub fn unconfirmed() -> Self {
        ServerVerdict::Refused(Box::new(Refusal {
            reason: Reason::Unconfirmed,
            code: None,
            message: "the server's answer did not mention this user".to_string(),
            details: None,
            wa_id: None,
            user_id: None,
        }))
    }

    pub fn is_confirmed(&self) -> bool {
        !matches!(self, ServerVerdict::Refused(_))
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, ServerVerdict::Refused(r) if r.reason.is_transient())
    }

    pub fn reason(&self) -> Option<Reason> {
        match self {
            ServerVerdict::Refused(r) => Some(r.reason),
            ServerVerdict::Echoed { .. } | ServerVerdict::Confirmed(_) => None,
        }
    }
}

/// Lookups of one batch's users (at most `MAX_BATCH` keys, so a fast non-keyed hasher is
/// safe: see [`FxBuild`]). Both maps are built on first use only: the server normally echoes
/// each sent string as `input`, in the order sent, which [`Index::find_at`] checks first.
struct Index<'a> {
    sent: &'a [&'a Target],
    exact: OnceCell<HashMap<&'a str, usize, FxBuild>>,
    digits: OnceCell<HashMap<&'a str, usize, FxBuild>>,
}

impl<'a> Index<'a> {
    fn new(sent: &'a [&'a Target]) -> Self {
        Index {
            sent,
            exact: OnceCell::new(),
            digits: OnceCell::new(),
        }
    }

    fn exact(&self) -> &HashMap<&'a str, usize, FxBuild> {
        self.exact.get_or_init(|| {
            let mut exact = HashMap::with_capacity_and_hasher(self.sent.len(), FxBuild::default());
            for (i, id) in self.sent.iter().enumerate() {
                exact.entry(id.sent.as_str()).or_insert(i);
            }
            exact
        })
    }

    fn digits(&self) -> &HashMap<&'a str, usize, FxBuild> {
        self.digits.get_or_init(|| {
            let mut digits = HashMap::with_capacity_and_hasher(self.sent.len(), FxBuild::default());
            for (i, id) in self.sent.iter().enumerate() {
                if let Some(d) = id.digits() {
                    digits.entry(d).or_insert(i);
                }
            }
            digits
        })
    }

    /// [`Index::find`], trying first whether `input` is exactly the sent string at `at`. The
    /// answer is the same: a batch's sent strings are distinct (its targets are deduped by
    /// key, and equal sent strings have equal keys), so the exact map would give `at` too.
    fn find_at(
        &self,
        at: usize,
        input: Option<&str>,
        wa_id: Option<&str>,
        user_id: Option<&str>,
    ) -> Option<usize> {
        match (input, self.sent.get(at)) {
            (Some(input), Some(target)) if same_text(&target.sent, input) => Some(at),
            _ => self.find(input, wa_id, user_id),
        }
    }

    fn find(
        &self,
        input: Option<&str>,
        wa_id: Option<&str>,
        user_id: Option<&str>,
    ) -> Option<usize> {
        let by_digits =
            |s: &str| phone_digits(s).and_then(|d| self.digits().get(d.as_str()).copied());
        input
            .and_then(|i| self.exact().get(i).copied())
            .or_else(|| input.and_then(by_digits))
            .or_else(|| wa_id.and_then(by_digits))
            .or_else(|| user_id.and_then(|u| self.exact().get(u).copied()))
    }
}

/// One verdict per sent user, in `sent` order. Users the server did not mention are
/// `UNCONFIRMED`; when the server both confirms and refuses a user, the refusal wins, so that
/// wablock never reports a success that may not have happened. The parsed items are consumed:
/// their strings move into the verdicts instead of being copied.
pub(crate) fn match_server_items<'a>(
    sent: &'a [&'a Target],
    confirmed: Vec<UserItem<'_>>,
    failed: Vec<FailedItem>,
) -> Vec<ServerVerdict> {
    let index = Index::new(sent);
    let mut verdicts: Vec<Option<ServerVerdict>> = vec![None; sent.len()];
    for (at, item) in confirmed.into_iter().enumerate() {
        let found = index.find_at(
            at,
            item.input.as_deref(),
            item.wa_id.as_deref(),
            item.user_id.as_deref(),
        );
        let (Some(i), Some(&target)) = (found, found.and_then(|i| sent.get(i))) else {
            continue;
        };
        // Only a user without a verdict yet gets one (the first confirmation stands); the
        // slot is known empty, so nothing is dropped.
        if let Some(slot) = verdicts.get_mut(i) {
            slot.get_or_insert_with(|| {
                let echoed = Echo::of(item.wa_id.as_deref(), target)
                    .zip(Echo::of(item.user_id.as_deref(), target));
                match echoed {
                    Some((wa_id, user_id)) => ServerVerdict::Echoed { wa_id, user_id },
                    None => ServerVerdict::Confirmed(Box::new(Ids {
                        wa_id: item.wa_id,
                        user_id: item.user_id,
                    })),
                }
            });
        }
    }
    for item in failed {
        let found = index.find(
            item.input.as_deref(),
            item.wa_id.as_deref(),
            item.user_id.as_deref(),
        );
        let Some(i) = found else { continue };
        if matches!(verdicts[i], Some(ServerVerdict::Refused(_))) {
            continue;
        }
        let first = item.errors.into_iter().next().unwrap_or_default();
        let code = first.code;
        let message = first
            .message
            .or(first.title)
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| "the server refused this user without a message".to_string());
        verdicts[i] = Some(ServerVerdict::Refused(Box::new(Refusal {
            reason: Reason::from_code(code),
            code,
            message,
            details: first.error_data,
            wa_id: item.wa_id,
            user_id: item.user_id,
        })));
    }
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or_else(ServerVerdict::unconfirmed))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::users::prepare_users;
    use crate::wire::ItemError;

    fn item<'a>(input: Option<&'a str>, wa_id: Option<&str>) -> UserItem<'a> {
        UserItem {
            input: input.map(Into::into),
            wa_id: wa_id.map(Into::into),
            user_id: None,
        }
    }

    #[test]
    fn a_verdict_slot_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Option<ServerVerdict>>(), 16);
    }

    #[test]
    fn echoed_ids_resolve_to_what_the_server_sent() {
        let ids = prepare_users(["+16505551234", "US.99", "447700900123"]).targets;
        let sent: Vec<&Target> = ids.iter().collect();
        let confirmed = vec![
            item(Some("+16505551234"), Some("16505551234")),
            UserItem {
                input: Some("US.99".into()),
                wa_id: None,
                user_id: Some("US.99".into()),
            },
            item(Some("447700900123"), Some("447700900999")),
        ];
        let v = match_server_items(&sent, confirmed, Vec::new());
        let resolved = |v: &ServerVerdict, t: &Target| match v {
            ServerVerdict::Echoed { wa_id, user_id } => (wa_id.resolve(t), user_id.resolve(t)),
            ServerVerdict::Confirmed(ids) => (ids.wa_id.clone(), ids.user_id.clone()),
            ServerVerdict::Refused(_) => panic!("refused"),
        };
        assert!(matches!(v[0], ServerVerdict::Echoed { .. }));
        assert_eq!(resolved(&v[0], sent[0]), (Some("16505551234".into()), None));
        assert!(matches!(v[1], ServerVerdict::Echoed { .. }));
        assert_eq!(resolved(&v[1], sent[1]), (None, Some("US.99".into())));
        assert!(matches!(v[2], ServerVerdict::Confirmed(_)));
        assert_eq!(
            resolved(&v[2], sent[2]),
            (Some("447700900999".into()), None)
        );
    }

    #[test]
    fn exact_then_digits_then_wa_id() {
        let ids = prepare_users(["+16505551234", "447700900123", "US.99", "15550001111"]).targets;
        let sent: Vec<&Target> = ids.iter().collect();
        let confirmed = vec![
            item(Some("+16505551234"), Some("16505551234")),
            item(Some("+44 7700 900123"), None),
            UserItem {
                input: None,
                wa_id: None,
                user_id: Some("US.99".into()),
            },
        ];
        let failed = vec![FailedItem {
            input: Some("garbled".into()),
            wa_id: Some("15550001111".into()),
            user_id: None,
            errors: vec![ItemError {
                code: Some(131047),
                message: Some("m".into()),
                ..Default::default()
            }],
        }];
        let v = match_server_items(&sent, confirmed, failed);
        assert!(v[0].is_confirmed());
        assert!(v[1].is_confirmed());
        assert!(v[2].is_confirmed());
        assert_eq!(v[3].reason(), Some(Reason::ReengagementRequired));
    }

    #[test]
    fn the_positional_check_finds_what_the_maps_find() {
        let ids =
            prepare_users(["+16505551234", "447700900123", "US.99", "6505551234", "x"]).targets;
        let sent: Vec<&Target> = ids.iter().collect();
        let index = Index::new(&sent);
        let probes = [
            "+16505551234",
            "16505551234",
            "447700900123",
            "US.99",
            "6505551234",
            "+1 650 555 1234",
            "nobody",
        ];
        for at in 0..=sent.len() {
            for probe in probes {
                assert_eq!(
                    index.find_at(at, Some(probe), None, None),
                    index.find(Some(probe), None, None),
                    "{probe} at {at}"
                );
            }
            assert_eq!(index.find_at(at, None, Some("447700900123"), None), Some(1));
        }
    }

    #[test]
    fn unmentioned_is_unconfirmed_and_refusal_beats_confirmation() {
        let ids = prepare_users(["16505551234", "16505559999"]).targets;
        let sent: Vec<&Target> = ids.iter().collect();
        let confirmed = vec![
            item(Some("16505551234"), None),
            item(Some("999"), Some("1")),
        ];
        let failed = vec![FailedItem {
            input: Some("16505551234".into()),
            ..Default::default()
        }];
        let v = match_server_items(&sent, confirmed, failed);
        assert_eq!(v[0].reason(), Some(Reason::Other));
        assert_eq!(v[1].reason(), Some(Reason::Unconfirmed));
    }
}
