//! The window's canonical JSON: keys sorted like the core's, so every language that binds the
//! window (and the CLI's `--json`) prints the same bytes.

use serde_json::{Value, json};
use wablock::canonical_string;

use crate::store::PendingBlock;
use crate::{IngestReport, QueuedBlockResult, WhenPossible};

impl WhenPossible {
    /// `{"outcome": {…}, "queued": [inputs…]}`.
    pub fn to_canonical_json(&self) -> String {
        canonical_string(&json!({"outcome": self.outcome.to_json_value(), "queued": self.queued}))
    }
}

impl PendingBlock {
    /// `{"phone_number_id", "user", "input", "created_at_ms"}`.
    pub fn to_json_value(&self) -> Value {
        json!({"phone_number_id": self.phone_number_id, "user": self.user,
               "input": self.input, "created_at_ms": self.created_at_ms})
    }
}

/// `{"pending": [{…}…]}`: the queued blocks, in the order given.
pub fn pending_canonical_json(pending: &[PendingBlock]) -> String {
    let items: Vec<Value> = pending.iter().map(PendingBlock::to_json_value).collect();
    canonical_string(&json!({ "pending": items }))
}

impl QueuedBlockResult {
    /// `{"phone_number_id", "user", "input", "still_pending", "outcome" | "error"}`.
    pub fn to_json_value(&self) -> Value {
        let mut v = json!({"phone_number_id": self.phone_number_id, "user": self.user,
                           "input": self.input, "still_pending": self.still_pending});
        match &self.outcome {
            Ok(o) => v["outcome"] = o.to_json_value(),
            Err(e) => v["error"] = e.to_json_value(),
        }
        v
    }
}

impl IngestReport {
    /// `{"ingest": {"messages", "new_messages", "blocks": [{…}…]}}`.
    pub fn to_canonical_json(&self) -> String {
        let blocks: Vec<Value> = self
            .blocks
            .iter()
            .map(QueuedBlockResult::to_json_value)
            .collect();
        canonical_string(&json!({"ingest": {
            "messages": self.messages, "new_messages": self.new_messages, "blocks": blocks}}))
    }
}
