//! What happened to each user of a block or unblock call (docs/behaviour.md §3.1).

use std::fmt;

use compact_str::CompactString;

/// Which mutation a call performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST block_users`.
    Block,
    /// `DELETE block_users`.
    Unblock,
}

impl Operation {
    /// `"block"` or `"unblock"`, as in the canonical JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Block => "block",
            Operation::Unblock => "unblock",
        }
    }
}

/// Why one user was not blocked or unblocked. Every language shows the same [`Reason::hint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(not(feature = "ffi-remote-types"), non_exhaustive)]
pub enum Reason {
    /// 131047: the user has not messaged this number in the last 24 hours, or is not on WhatsApp.
    ReengagementRequired,
    /// 131021: a business number cannot block itself.
    SelfBlock,
    /// 139101: the blocklist holds 64,000 users already.
    BlocklistFull,
    /// 130429: throttled, and still throttled when the retry budget ran out.
    RateLimited,
    /// 139103: Meta's internal error, still failing when the retry budget ran out.
    Server,
    /// Not a phone number, WA ID or BSUID; never sent.
    InvalidUser,
    /// The server's answer did not mention this user, so its state is unknown.
    Unconfirmed,
    /// Any other per-user error code; the server's message says what.
    Other,
}

impl Reason {
    /// Every reason, in a fixed order (the C enum's numbering follows it).
    pub const ALL: [Reason; 8] = [
        Reason::ReengagementRequired,
        Reason::SelfBlock,
        Reason::BlocklistFull,
        Reason::RateLimited,
        Reason::Server,
        Reason::InvalidUser,
        Reason::Unconfirmed,
        Reason::Other,
    ];

    /// The per-user reason for a Graph error code.
    pub fn from_code(code: Option<i64>) -> Reason {
        match code {
            Some(131047) => Reason::ReengagementRequired,
            Some(131021) => Reason::SelfBlock,
            Some(139101) => Reason::BlocklistFull,
            Some(130429) => Reason::RateLimited,
            Some(139103) => Reason::Server,
            _ => Reason::Other,
        }
    }

    /// The canonical name, e.g. `"REENGAGEMENT_REQUIRED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ReengagementRequired => "REENGAGEMENT_REQUIRED",
            Reason::SelfBlock => "SELF_BLOCK",
            Reason::BlocklistFull => "BLOCKLIST_FULL",
            Reason::RateLimited => "RATE_LIMITED",
            Reason::Server => "SERVER",
            Reason::InvalidUser => "INVALID_USER",
            Reason::Unconfirmed => "UNCONFIRMED",
            Reason::Other => "OTHER",
        }
    }

    /// Parses a canonical name.
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// One plain sentence a support agent can show a person. For [`Reason::Other`] the
    /// server's own message is the explanation, so the hint only says where to look.
    pub fn hint(self) -> &'static str {
        match self {
            Reason::ReengagementRequired => {
                "WhatsApp only lets a business block someone who messaged this number in the last 24 hours; this user has not (or is not a WhatsApp user), so try again after they next write to you."
            }
            Reason::SelfBlock => "A business phone number cannot block itself.",
            Reason::BlocklistFull => {
                "This number's blocklist already holds the maximum of 64,000 users; unblock someone before blocking anyone else."
            }
            Reason::RateLimited => {
                "WhatsApp is throttling requests for this number; wablock re-sent this user until its retry budget ran out, so try again in a few minutes."
            }
            Reason::Server => {
                "Meta had an internal error for this user; wablock re-sent it until its retry budget ran out, so try again later."
            }
            Reason::InvalidUser => {
                "This is not a phone number, WhatsApp ID or business-scoped user ID, so it was never sent; check how it was written."
            }
            Reason::Unconfirmed => {
                "The server's answer did not mention this user, so wablock cannot tell whether the change was applied; check the blocklist or try again."
            }
            Reason::Other => "WhatsApp refused this user; the message says why.",
        }
    }

    /// Transient reasons are re-sent within the retry budget.
    pub fn is_transient(self) -> bool {
        matches!(self, Reason::RateLimited | Reason::Server)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user the server confirmed as blocked (or unblocked).
///
/// The per-user strings are [`CompactString`]s (they deref to `&str`): phone numbers, WA IDs
/// and most BSUIDs fit inline, so an outcome of 64,000 users makes no heap string per user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "ffi-remote-types"), non_exhaustive)]
pub struct Success {
    /// The caller's string, exactly as passed.
    pub input: CompactString,
    /// What was sent for it after normalisation.
    pub sent: CompactString,
    /// The WhatsApp ID the server reported, if any.
    pub wa_id: Option<CompactString>,
    /// The business-scoped user ID the server reported, if any.
    pub user_id: Option<CompactString>,
}

/// A user that was not blocked (or unblocked), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "ffi-remote-types"), non_exhaustive)]
pub struct Failure {
    /// The caller's string, exactly as passed.
    pub input: CompactString,
    /// What was sent for it; `None` when it was never sent ([`Reason::InvalidUser`]).
    pub sent: Option<CompactString>,
    /// The WhatsApp ID the server reported, if any.
    pub wa_id: Option<CompactString>,
    /// The business-scoped user ID the server reported, if any.
    pub user_id: Option<CompactString>,
    /// The classified reason.
    pub reason: Reason,
    /// The server's error code, when the server refused the user.
    pub code: Option<i64>,
    /// The server's message, or wablock's for client-side reasons.
    pub message: String,
    /// The server's `error_data.details`, if any.
    pub details: Option<String>,
    /// The plain-language hint of [`Reason::hint`].
    pub hint: String,
}

/// The result of a block or unblock call that completed. Every input appears exactly once,
/// in `succeeded` or `failed`, each list in the caller's input order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "ffi-remote-types"), non_exhaustive)]
pub struct Outcome {
    /// Block or unblock.
    pub operation: Operation,
    /// Users the server confirmed.
    pub succeeded: Vec<Success>,
    /// Users refused by the server, never sent, or left unconfirmed.
    pub failed: Vec<Failure>,
    /// HTTP requests made, retries included.
    pub requests: u32,
}

impl Outcome {
    /// True when every input succeeded.
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }

    /// Number of inputs accounted for.
    pub fn len(&self) -> usize {
        self.succeeded.len() + self.failed.len()
    }

    /// True when the outcome accounts for no input at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Progress of a bulk call: distinct users whose batch finished, out of the distinct valid
/// users to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "ffi-remote-types"), non_exhaustive)]
pub struct Progress {
    /// Users whose batch has finished.
    pub done: usize,
    /// Users to send in all.
    pub total: usize,
}
