//! # wablock-window
//!
//! WhatsApp lets a business block only users who messaged its number in the last 24 hours
//! (`REENGAGEMENT_REQUIRED` otherwise). This crate remembers the blocks that were refused for
//! that reason and makes them the moment the user next writes in, as seen in the webhooks the
//! business receives.
//!
//! - [`Window::ingest`] verifies `X-Hub-Signature-256`, parses Meta's webhook payload (360dialog
//!   forwards the same shape), records each inbound message once (by its `wamid`), and blocks
//!   queued users who just wrote in.
//! - [`Window::block_when_possible`] blocks at once whom the server accepts and queues those
//!   refused with `REENGAGEMENT_REQUIRED`.
//! - [`Window::window`] answers whether a user's 24-hour window is open.
//! - [`Store`] is SQLite (a file) or PostgreSQL (a `postgres://` URL), same schema.
//!
//! See `docs/window.md` for the whole flow.
//!
//! Runs here against the in-process sandbox, with the 24-hour rule on:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use hmac::{Hmac, KeyInit, Mac};
//! # let sandbox = wablock_sandbox::Sandbox::start(Default::default())?;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("window.db");
//! # let (base_url, token, app_secret) = (sandbox.base_url(), "sandbox-token", "app-secret");
//! use wablock_window::{Store, Window};
//! let number = "106540352242922";
//! let client = wablock::Client::meta(number, token).base_url(&base_url).build()?;
//! let window = Window::new(Store::open(&path.to_string_lossy())?)
//!     .client(number, client)
//!     .app_secret(app_secret);
//!
//! // They wrote three days ago: refused now, queued for later.
//! let result = window.block_when_possible(number, ["+16505550000"])?;
//! assert_eq!(result.queued, ["+16505550000"]);
//!
//! // They write again; the webhook receiver passes on the raw body and its signature.
//! # sandbox.record_inbound(number, "16505550000", None);
//! # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
//! # let body = format!(r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"metadata":{{"phone_number_id":"{number}"}},"messages":[{{"from":"16505550000","id":"wamid.1","timestamp":"{now}","type":"text"}}]}}}}]}}]}}"#);
//! # let mut mac = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes())?;
//! # mac.update(body.as_bytes());
//! # let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
//! let report = window.ingest(body.as_bytes(), Some(&signature))?;
//! for block in &report.blocks {
//!     match &block.outcome {
//!         Ok(outcome) => assert_eq!(outcome.succeeded[0].input, "+16505550000"),
//!         Err(e) => panic!("{}: {e} (still queued: {})", block.input, block.still_pending),
//!     }
//! }
//! assert_eq!(report.blocks.len(), 1);
//! assert!(window.pending()?.is_empty());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod canonical;
mod clock;
mod error;
mod store;
pub mod webhook;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use wablock::{CancelToken, Client, Outcome, Reason};

pub use canonical::pending_canonical_json;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, ErrorKind};
pub use store::{PendingBlock, SCHEMA_VERSION, Store};
pub use webhook::InboundMessage;

use store::{Col, P};

/// How long after a user's last message a block is still accepted.
pub const WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a claim on a pending block holds by default before another process may take it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// Whether a user may be blocked right now, as far as the recorded webhooks tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowState {
    /// The user wrote in less than 24 hours ago: a block is accepted until this time.
    OpenUntil(SystemTime),
    /// The user's last message is older: blocks are refused since this time.
    ClosedSince(SystemTime),
    /// No message from this user is recorded.
    Unknown,
}

/// The result of [`Window::block_when_possible`].
#[derive(Debug, Clone)]
pub struct WhenPossible {
    /// The core's outcome: every input exactly once, in `succeeded` or `failed`.
    pub outcome: Outcome,
    /// Inputs refused with `REENGAGEMENT_REQUIRED` and now queued (each also in
    /// `outcome.failed`), in input order.
    pub queued: Vec<String>,
}

/// What happened to one queued block that [`Window::ingest`] or [`Window::process_pending`]
/// took up.
#[derive(Debug)]
pub struct QueuedBlockResult {
    /// The business phone number.
    pub phone_number_id: String,
    /// The user's identity (WA ID digits or BSUID).
    pub user: String,
    /// The caller's original string, as queued and sent.
    pub input: String,
    /// The block call's outcome, or its error.
    pub outcome: Result<Outcome, wablock::Error>,
    /// True when the block stays queued (a retryable failure, or the server still asks for
    /// re-engagement); false when it is done (blocked, or refused for good).
    pub still_pending: bool,
}

/// The result of [`Window::ingest`].
#[derive(Debug)]
pub struct IngestReport {
    /// Inbound messages in the payload.
    pub messages: usize,
    /// Of those, messages not seen before (a redelivered payload has none).
    pub new_messages: usize,
    /// Queued blocks taken up during this ingest.
    pub blocks: Vec<QueuedBlockResult>,
}

/// The result of [`Window::cancel_pending`]: every input exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cancelled {
    /// Inputs whose queued block was removed.
    pub cancelled: Vec<String>,
    /// Inputs that had no queued block on that number.
    pub not_pending: Vec<String>,
    /// Inputs that are not a phone number, WA ID or BSUID, with the reason.
    pub invalid: Vec<(String, String)>,
}

type ClaimHook = Arc<dyn Fn(&PendingBlock) + Send + Sync>;

/// Pending blocks, the 24-hour window, and webhook ingest over one [`Store`].
pub struct Window {
    // Shared with the windows made by `with_cancel`.
    store: Arc<Store>,
    clients: HashMap<String, Client>,
    app_secret: Option<Vec<u8>>,
    clock: Arc<dyn Clock>,
    lease: Duration,
    owner: String,
    after_claim: Option<ClaimHook>,
    cancel: Option<CancelToken>,
}

impl fmt::Debug for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut numbers: Vec<&String> = self.clients.keys().collect();
        numbers.sort();
        f.debug_struct("Window")
            .field("store", &self.store)
            .field("phone_number_ids", &numbers)
            .field(
                "app_secret",
                &self.app_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("lease", &self.lease)
            .field("owner", &self.owner)
            .field("cancellable", &self.cancel.is_some())
            .finish_non_exhaustive()
    }
}

impl Window {
    /// A window over `store`, with no client yet, no app secret (signatures not checked), the
    /// system clock and the default lease.
    pub fn new(store: Store) -> Self {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let owner = format!(
            "pid{}-{}-{}",
            std::process::id(),
            clock::system_now_ms(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        Window {
            store: Arc::new(store),
            clients: HashMap::new(),
            app_secret: None,
            clock: Arc::new(SystemClock),
            lease: DEFAULT_LEASE,
            owner,
            after_claim: None,
            cancel: None,
        }
    }

    /// This window, with every call observing `token`, as the core's `Client::with_cancel`:
    /// the same store, clients and claims (the owner stays the same), and each block it makes
    /// goes through its client with the token. A cancelled token stops:
    /// - `block_when_possible`: as the core's `block` stops (`BLOCK` with the core's
    ///   `CANCELLED` error and its accounting); nothing is queued;
    /// - `ingest` and `process_pending` before they start (`BLOCK`/`CANCELLED`, nothing
    ///   recorded); once a payload is recorded, they take up no further queued block, and the
    ///   block in flight, if any, ends `CANCELLED` and stays queued. The report lists what was
    ///   done; the rest stays queued for the next webhook or `process_pending`.
    ///
    /// `window`, `pending` and `cancel_pending` are single store operations and do not
    /// observe the token.
    pub fn with_cancel(&self, token: CancelToken) -> Window {
        Window {
            store: Arc::clone(&self.store),
            clients: self
                .clients
                .iter()
                .map(|(number, client)| (number.clone(), client.with_cancel(token.clone())))
                .collect(),
            app_secret: self.app_secret.clone(),
            clock: Arc::clone(&self.clock),
            lease: self.lease,
            owner: self.owner.clone(),
            after_claim: self.after_claim.clone(),
            cancel: Some(token),
        }
    }

    /// The token this window's calls observe, if it was made by [`Window::with_cancel`].
    pub fn cancel_token(&self) -> Option<&CancelToken> {
        self.cancel.as_ref()
    }

    fn is_cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelToken::is_cancelled)
    }

    fn refuse_if_cancelled(&self) -> Result<(), Error> {
        if self.is_cancelled() {
            return Err(wablock::Error::cancelled(
                "its cancellation token was triggered before it started, so nothing was recorded or blocked",
            )
            .into());
        }
        Ok(())
    }

    /// The client that blocks for `phone_number_id` (one per business number).
    pub fn client(mut self, phone_number_id: impl Into<String>, client: Client) -> Self {
        let client = match &self.cancel {
            Some(token) => client.with_cancel(token.clone()),
            None => client,
        };
        self.clients.insert(phone_number_id.into(), client);
        self
    }

    /// The Meta app secret: with it, every ingested payload must carry a valid
    /// `X-Hub-Signature-256`. Without it, signatures are not checked (only for receivers that
    /// authenticate payloads some other way).
    pub fn app_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.app_secret = Some(secret.as_ref().to_vec());
        self
    }

    /// The clock for windows and claims (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long a claim holds before another process may take the block up (default 60 s).
    /// Make it longer than a block call can take, retries included.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Called after a pending row is claimed and before it is blocked; for crash tests only.
    #[doc(hidden)]
    pub fn after_claim(mut self, hook: impl Fn(&PendingBlock) + Send + Sync + 'static) -> Self {
        self.after_claim = Some(Arc::new(hook));
        self
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn now_ms(&self) -> i64 {
        clock::unix_ms(self.clock.now())
    }

    /// Whether `user` may be blocked on `phone_number_id` now. The 24 hours run from the
    /// timestamp of the user's latest recorded message (when they wrote, not when the webhook
    /// arrived).
    pub fn window(&self, phone_number_id: &str, user: &str) -> Result<WindowState, Error> {
        let key = user_key(user)?;
        let last = self.store.transaction(|tx| {
            let rows = tx.query(
                "SELECT last_inbound_ms FROM wablock_windows \
                 WHERE phone_number_id = $1 AND user_key = $2",
                &[P::Text(phone_number_id.to_string()), P::Text(key.clone())],
                &[Col::Int],
            )?;
            Ok(rows.first().map(|r| r[0].int()))
        })?;
        let window_ms = WINDOW.as_millis() as i64;
        Ok(match last {
            None => WindowState::Unknown,
            Some(last) if last.saturating_add(window_ms) > self.now_ms() => {
                WindowState::OpenUntil(clock::from_unix_ms(last.saturating_add(window_ms)))
            }
            Some(last) => {
                WindowState::ClosedSince(clock::from_unix_ms(last.saturating_add(window_ms)))
            }
        })
    }

    /// Blocks `users` on `phone_number_id` now; those refused with `REENGAGEMENT_REQUIRED`
    /// are queued and blocked when they next write in. When the call fails as a whole, nothing
    /// is queued and the error accounts for every user, as in the core.
    pub fn block_when_possible<I, S>(
        &self,
        phone_number_id: &str,
        users: I,
    ) -> Result<WhenPossible, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let client = self.client_for(phone_number_id)?;
        let outcome = client.block(users)?;
        let now = self.now_ms();
        let refused: Vec<(String, String)> = outcome
            .failed
            .iter()
            .filter(|f| f.reason == Reason::ReengagementRequired)
            .filter_map(|f| webhook::identity(&f.input).map(|key| (key, f.input.to_string())))
            .collect();
        self.store.transaction(|tx| {
            for (key, input) in &refused {
                // A user already queued keeps the first input and age.
                tx.exec(
                    "INSERT INTO wablock_pending (phone_number_id, user_key, input, created_at_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[
                        P::Text(phone_number_id.to_string()),
                        P::Text(key.clone()),
                        P::Text(input.clone()),
                        P::Int(now),
                    ],
                )?;
            }
            Ok(())
        })?;
        Ok(WhenPossible {
            outcome,
            queued: refused.into_iter().map(|(_, input)| input).collect(),
        })
    }

    /// Every queued block, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingBlock>, Error> {
        self.store.transaction(|tx| {
            let rows = tx.query(
                "SELECT phone_number_id, user_key, input, created_at_ms, claim_owner, claimed_until_ms \
                 FROM wablock_pending ORDER BY created_at_ms, phone_number_id, user_key",
                &[],
                &[Col::Text, Col::Text, Col::Text, Col::Int, Col::OptText, Col::Int],
            )?;
            Ok(rows
                .into_iter()
                .map(|r| PendingBlock {
                    phone_number_id: r[0].text(),
                    user: r[1].text(),
                    input: r[2].text(),
                    created_at_ms: r[3].int(),
                    claim_owner: r[4].text_opt(),
                    claimed_until_ms: r[5].int(),
                })
                .collect())
        })
    }

    /// Removes the queued blocks of `users` on `phone_number_id`.
    pub fn cancel_pending<I, S>(&self, phone_number_id: &str, users: I) -> Result<Cancelled, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let inputs: Vec<String> = users.into_iter().map(|u| u.as_ref().to_string()).collect();
        if inputs.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "no users were given to cancel; pass at least one phone number, WA ID or BSUID",
            ));
        }
        self.store.transaction(|tx| {
            let mut result = Cancelled::default();
            let mut removed: BTreeSet<String> = BTreeSet::new();
            for input in inputs {
                let key = match wablock::users::normalize_user(&input) {
                    Ok(id) => id.key().to_string(),
                    Err(why) => {
                        result.invalid.push((input, why.into_message()));
                        continue;
                    }
                };
                let n = tx.exec(
                    "DELETE FROM wablock_pending WHERE phone_number_id = $1 AND user_key = $2",
                    &[P::Text(phone_number_id.to_string()), P::Text(key.clone())],
                )?;
                // A duplicate of an input removed a moment ago was cancelled too.
                if n > 0 || removed.contains(&key) {
                    removed.insert(key);
                    result.cancelled.push(input);
                } else {
                    result.not_pending.push(input);
                }
            }
            Ok(result)
        })
    }

    /// Verifies, parses and records a webhook, then blocks the queued users whose window is
    /// open (those who just wrote in, and any whose claim by another process expired).
    ///
    /// `signature` is the `X-Hub-Signature-256` header as received. With an app secret
    /// configured, a missing or wrong signature is refused and nothing of the payload is
    /// recorded. Ingesting the same payload again records nothing new.
    pub fn ingest(&self, body: &[u8], signature: Option<&str>) -> Result<IngestReport, Error> {
        self.refuse_if_cancelled()?;
        if let Some(secret) = &self.app_secret {
            webhook::verify_signature(body, signature, secret)?;
        }
        let messages = webhook::parse(body)?;
        let now = self.now_ms();
        let new_messages = self.store.transaction(|tx| {
            let mut new = 0;
            for m in &messages {
                let inserted = tx.exec(
                    "INSERT INTO wablock_messages \
                     (phone_number_id, message_id, user_key, sent_at_ms, received_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[
                        P::Text(m.phone_number_id.clone()),
                        P::Text(m.message_id.clone()),
                        P::Text(m.user.clone()),
                        P::Int(m.timestamp.saturating_mul(1000)),
                        P::Int(now),
                    ],
                )?;
                if inserted == 0 {
                    continue; // a redelivery
                }
                new += 1;
                for key in m.identities() {
                    tx.exec(
                        "INSERT INTO wablock_windows (phone_number_id, user_key, last_inbound_ms) \
                         VALUES ($1, $2, $3) ON CONFLICT (phone_number_id, user_key) DO UPDATE \
                         SET last_inbound_ms = CASE \
                           WHEN excluded.last_inbound_ms > wablock_windows.last_inbound_ms \
                           THEN excluded.last_inbound_ms ELSE wablock_windows.last_inbound_ms END",
                        &[
                            P::Text(m.phone_number_id.clone()),
                            P::Text(key),
                            P::Int(m.timestamp.saturating_mul(1000)),
                        ],
                    )?;
                }
            }
            Ok(new)
        })?;
        let blocks = self.take_up_open_windows()?;
        Ok(IngestReport {
            messages: messages.len(),
            new_messages,
            blocks,
        })
    }

    /// Blocks every queued user whose window is open and whose block no live process holds:
    /// users who wrote in, and blocks whose claim expired (a receiver died mid-way).
    pub fn process_pending(&self) -> Result<Vec<QueuedBlockResult>, Error> {
        self.refuse_if_cancelled()?;
        self.take_up_open_windows()
    }

    fn take_up_open_windows(&self) -> Result<Vec<QueuedBlockResult>, Error> {
        let now = self.now_ms();
        let window_ms = WINDOW.as_millis() as i64;
        let candidates = self.store.transaction(|tx| {
            tx.query(
                "SELECT p.phone_number_id, p.user_key FROM wablock_pending p \
                 WHERE p.claimed_until_ms <= $1 AND EXISTS (SELECT 1 FROM wablock_windows w \
                   WHERE w.phone_number_id = p.phone_number_id AND w.user_key = p.user_key \
                   AND w.last_inbound_ms > $2) \
                 ORDER BY p.created_at_ms, p.phone_number_id, p.user_key",
                &[P::Int(now), P::Int(now.saturating_sub(window_ms))],
                &[Col::Text, Col::Text],
            )
        })?;
        let mut results = Vec::new();
        for row in candidates {
            // A cancelled call takes up no further row; those left stay queued.
            if self.is_cancelled() {
                break;
            }
            let (phone_number_id, user) = (row[0].text(), row[1].text());
            if let Some(result) = self.take_up(&phone_number_id, &user)? {
                results.push(result);
            }
        }
        Ok(results)
    }

    /// Claims one pending block, makes it, and settles the row. `None` when another process
    /// holds it or it is gone.
    fn take_up(
        &self,
        phone_number_id: &str,
        user: &str,
    ) -> Result<Option<QueuedBlockResult>, Error> {
        let now = self.now_ms();
        let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        let until = now.saturating_add(lease_ms);
        let key = [
            P::Text(phone_number_id.to_string()),
            P::Text(user.to_string()),
            P::Text(self.owner.clone()),
        ];
        // One UPDATE is the claim: the database lets exactly one process match the row while
        // it is unclaimed or its claim expired.
        let claimed = self.store.transaction(|tx| {
            tx.query(
                "UPDATE wablock_pending SET claim_owner = $3, claimed_until_ms = $4 \
                 WHERE phone_number_id = $1 AND user_key = $2 AND claimed_until_ms <= $5 \
                 RETURNING input, created_at_ms",
                &[
                    key[0].clone(),
                    key[1].clone(),
                    key[2].clone(),
                    P::Int(until),
                    P::Int(now),
                ],
                &[Col::Text, Col::Int],
            )
        })?;
        let Some(row) = claimed.first() else {
            return Ok(None);
        };
        let block = PendingBlock {
            phone_number_id: phone_number_id.to_string(),
            user: user.to_string(),
            input: row[0].text(),
            created_at_ms: row[1].int(),
            claim_owner: Some(self.owner.clone()),
            claimed_until_ms: until,
        };
        if let Some(hook) = &self.after_claim {
            hook(&block);
        }
        let outcome = match self.clients.get(phone_number_id) {
            Some(client) => client.block([block.input.as_str()]),
            None => Err(wablock::Error::new(
                wablock::ErrorKind::InvalidArgument,
                format!(
                    "no client is configured for phone number id {phone_number_id}; add one with \
                     Window::client so its queued blocks can be made"
                ),
            )
            .with_not_attempted(vec![block.input.clone()])),
        };
        let still_pending = match &outcome {
            Ok(o) if !o.succeeded.is_empty() => false,
            Ok(o) => o.failed.iter().any(|f| {
                f.reason == Reason::ReengagementRequired
                    || f.reason == Reason::Unconfirmed
                    || f.reason.is_transient()
            }),
            Err(_) => true,
        };
        let settle = if still_pending {
            "UPDATE wablock_pending SET claim_owner = NULL, claimed_until_ms = 0 \
             WHERE phone_number_id = $1 AND user_key = $2 AND claim_owner = $3"
        } else {
            "DELETE FROM wablock_pending \
             WHERE phone_number_id = $1 AND user_key = $2 AND claim_owner = $3"
        };
        self.store.transaction(|tx| tx.exec(settle, &key))?;
        Ok(Some(QueuedBlockResult {
            phone_number_id: block.phone_number_id,
            user: block.user,
            input: block.input,
            outcome,
            still_pending,
        }))
    }

    fn client_for(&self, phone_number_id: &str) -> Result<&Client, Error> {
        self.clients.get(phone_number_id).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "no client is configured for phone number id {phone_number_id}; add one with \
                     Window::client"
                ),
            )
        })
    }
}

fn user_key(user: &str) -> Result<String, Error> {
    wablock::users::normalize_user(user)
        .map(|id| id.key().to_string())
        .map_err(|why| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{why}; pass a phone number, WA ID or business-scoped user ID"),
            )
        })
}
