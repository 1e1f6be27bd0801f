//! The sandbox's state (everything behind its mutex) and the dispatch of each request to
//! the control API or the API handlers. The logic lives in the submodules:
//!
//! - [`api`]: block, unblock and list, in both dialects;
//! - [`control`]: the `/_sandbox/*` endpoints;
//! - [`phone`]: one phone number's blocklist and the rules a block must pass;
//! - [`identity`]: phone numbers, WA IDs and BSUIDs;
//! - [`cursor`]: paging cursors;
//! - [`request`]: the parsing done before the lock is taken;
//! - [`responses`]: Graph envelopes and body items.

use std::collections::{HashMap, VecDeque};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::http::{Request, Response};
use crate::{DIALOG360_PHONE_NUMBER_ID, ListShape, SandboxConfig, demo};

mod api;
mod control;
mod cursor;
mod identity;
mod phone;
mod request;
mod responses;

use control::Script;
use identity::{Entry, normalize_phone};
use phone::{DAY_MS, Phone};
pub(crate) use request::Prepared;

/// Default page size of GET block_users (the Graph API default).
pub(crate) const DEFAULT_LIST_LIMIT: usize = 25;

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Everything behind the sandbox's mutex.
#[derive(Debug)]
pub(crate) struct Core {
    initial: SandboxConfig,
    pub config: SandboxConfig,
    pub list_shape: Option<ListShape>,
    phones: HashMap<String, Phone>,
    clock_offset_ms: i64,
    scripts: VecDeque<Script>,
    log: Vec<Value>,
    rate: HashMap<String, (u64, u32)>,
    started: Instant,
    /// Numbers the wamids of the webhook payloads `/_sandbox/inbound` builds.
    pub webhook_seq: u64,
}

impl Core {
    pub fn new(config: SandboxConfig) -> Core {
        let mut core = Core {
            initial: config.clone(),
            config,
            list_shape: None,
            phones: HashMap::new(),
            clock_offset_ms: 0,
            scripts: VecDeque::new(),
            log: Vec::new(),
            rate: HashMap::new(),
            started: Instant::now(),
            webhook_seq: 0,
        };
        core.list_shape = core.config.list_shape;
        if core.config.seed_demo {
            core.seed_demo();
        }
        core
    }

    /// The sandbox clock, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        unix_ms() + self.clock_offset_ms
    }

    pub fn phone(&mut self, id: &str) -> &mut Phone {
        self.phones.entry(id.to_string()).or_insert_with(Phone::new)
    }

    pub fn reset(&mut self) {
        self.config = self.initial.clone();
        self.list_shape = self.config.list_shape;
        self.phones.clear();
        self.clock_offset_ms = 0;
        self.scripts.clear();
        self.log.clear();
        self.rate.clear();
        responses::reset_trace_ids();
        if self.config.seed_demo {
            self.seed_demo();
        }
    }

    fn seed_demo(&mut self) {
        let now = self.now_ms();
        for id in [demo::DEMO_PHONE_NUMBER_ID, DIALOG360_PHONE_NUMBER_ID] {
            let p = self.phone(id);
            p.own_wa_id = normalize_phone(demo::DEMO_OWN_NUMBER);
            for (i, u) in demo::DEMO_RECENT_USERS.iter().enumerate() {
                if let Some(w) = normalize_phone(u) {
                    p.inbound.insert(w, now - 60_000 * (i as i64 + 1));
                }
            }
            if let Some(w) = normalize_phone(demo::DEMO_STALE_USER) {
                p.inbound.insert(w, now - 3 * DAY_MS);
            }
            if let Some(w) = normalize_phone(demo::DEMO_BUSINESS_ACCOUNT) {
                p.inbound.insert(w.clone(), now - 120_000);
                p.business.insert(w);
            }
            p.inbound
                .insert(demo::DEMO_BSUID_USER.to_string(), now - 300_000);
            for u in demo::DEMO_BLOCKED_USERS {
                if let Some(w) = normalize_phone(u) {
                    p.inbound.insert(w.clone(), now - 3_600_000);
                    p.push_blocked(Entry {
                        wa_id: Some(w),
                        user_id: None,
                    });
                }
            }
            p.touch();
        }
    }

    /// Answers one request. `host` is used to build `paging.next` URLs; `pre` is the work
    /// [`Prepared::new`] did on the request without the lock.
    pub fn handle(&mut self, req: &Request, host: &str, pre: Prepared) -> Response {
        if let Some(rest) = req.path.strip_prefix("/_sandbox/") {
            return self.control(req, rest);
        }
        self.api(req, host, pre)
    }
}
