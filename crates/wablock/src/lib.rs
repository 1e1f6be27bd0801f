//! # wablock
//!
//! A client for the WhatsApp Business **Block Users** API (Meta's Cloud API, or 360dialog)
//! that never lies about what happened to each user.
//!
//! - [`Client::block`] and [`Client::unblock`] return an [`Outcome`] in which every input
//!   appears exactly once, in `succeeded` or `failed`, with a [`Reason`] and a plain-language
//!   hint. An HTTP 200 that blocked nobody, or an HTTP 400 that blocked some users, is reported
//!   per user, never as a blanket success or failure.
//! - Lists over 1,000 users are split into batches that run in parallel, with retries,
//!   backoff and adaptive parallelism on throttling.
//! - [`Client::blocked_users`] walks the blocklist lazily and survives the list changing
//!   underneath it.
//! - A call that fails as a whole returns an [`Error`] whose [`ErrorKind`] is one of a fixed
//!   list, and which still accounts for every input (`partial`, `not_attempted`).
//!
//! ```no_run
//! # fn main() -> Result<(), wablock::Error> {
//! let client = wablock::Client::meta("106540352242922", "EAAG...").build()?;
//! let outcome = client.block(["+1 (650) 555-1234", "447700900123"])?;
//! println!("{}", outcome.to_canonical_json());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

#[doc(hidden)]
pub mod boundary;
mod builder;
mod bulk;
mod cancel;
mod canonical;
pub mod canonical_writer;
mod client;
mod error;
mod fastwire;
mod fleet;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod fuzzing;
mod listing;
mod matching;
mod options;
mod outcome;
mod probe_table;
mod reply_error;
mod retry;
mod secret;
mod transport;
// Normalisation for the workspace's own tools (CLI, window, fault suite): not public API.
#[doc(hidden)]
pub mod users;
mod wire;
mod yielded_ids;

pub use builder::{
    ClientBuilder, DEFAULT_API_VERSION, DEFAULT_MAX_RESPONSE_BYTES, DIALOG360_BASE_URL, MAX_BATCH,
    MAX_CURSOR_BYTES, MAX_PARALLELISM, META_BASE_URL, Provider,
};
pub use bulk::ProgressFn;
pub use cancel::CancelToken;
pub use canonical::{
    blocked_users_canonical_json, canonical_json_text, canonical_string, is_blocked_canonical_json,
};
pub use client::Client;
/// The string type of per-user result fields ([`Success`], [`Failure`], [`BlockedUser`]),
/// re-exported so callers need no dependency of their own: it derefs to `&str`.
pub use compact_str::CompactString;
pub use error::{Error, ErrorKind};
pub use fleet::{
    DEFAULT_FLEET_PARALLELISM, Fleet, FleetBlockedUser, FleetBlocklist, FleetBuilder, FleetEntry,
    FleetResults,
};
pub use listing::{
    BlockedUser, BlockedUsers, Cursor, DEFAULT_PAGE_SIZE, MAX_PAGES_WITHOUT_NEW_USERS, Page,
};
pub use options::ClientOptions;
pub use outcome::{Failure, Operation, Outcome, Progress, Reason, Success};
#[cfg(feature = "testing")]
#[doc(hidden)]
pub use retry::FakeClock;
pub use retry::{Clock, RetryPolicy, SystemClock};
pub use secret::Secret;

/// The crate version, as sent in the `User-Agent` header (`wablock/<version>`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
