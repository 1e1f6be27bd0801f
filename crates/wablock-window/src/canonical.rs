//! The window's canonical JSON: keys sorted like the core's, so every language that binds the
//! window (and the CLI's `--json`) prints the same bytes.

use serde_json::{Value, json};
use wablock::canonical_string;

use crate::store::PendingBlock;
use crate::{Error, IngestReport, QueuedBlockResult, WhenPossible};

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

impl Error {
    /// The error object in the core's error shape (`kind`, `message`, `http_status`, … ,
    /// `partial`, `not_attempted`), so that every language prints one shape for every error:
    /// for `BLOCK`, the core's own error with its accounting; otherwise the window's kind and
    /// message, nothing retryable and no user attempted.
    pub fn to_json_value(&self) -> Value {
        if let Some(core) = self.block_error() {
            return core.to_json_value();
        }
        let mut value = wablock::Error::new(wablock::ErrorKind::InvalidArgument, self.message())
            .to_json_value();
        value["kind"] = json!(self.kind().as_str());
        value
    }

    /// `{"error": {…}}` as canonical JSON text (see [`Error::to_json_value`]).
    pub fn to_canonical_json(&self) -> String {
        canonical_string(&json!({ "error": self.to_json_value() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn a_window_error_has_the_core_errors_shape_and_a_block_error_is_the_cores() {
        let signature = Error::new(ErrorKind::Signature, "no \"X-Hub-Signature-256\" header");
        assert_eq!(
            signature.to_canonical_json(),
            r#"{"error":{"code":null,"details":null,"fbtrace_id":null,"http_status":null,"kind":"SIGNATURE","message":"no \"X-Hub-Signature-256\" header","not_attempted":[],"partial":null,"retry_after_ms":null,"retryable":false,"subcode":null}}"#
        );
        let core = wablock::Error::new(wablock::ErrorKind::Auth, "token refused")
            .with_not_attempted(vec!["+16505550000".to_string()]);
        let block = Error::from(core.clone());
        assert_eq!(block.to_canonical_json(), core.to_canonical_json());
    }
}
