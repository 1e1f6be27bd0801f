//! A reply that is not an outcome or a page, turned into the call's error: classified by
//! Graph code first, then `is_transient`, then HTTP status (docs/behaviour.md §3.2).

use std::time::Duration;

use crate::client::Inner;
use crate::error::{Error, ErrorKind};
use crate::transport::Reply;
use crate::wire::{ErrorEnvelope, GraphError};

impl Inner {
    /// The error for a reply that is not an outcome: classified by Graph code first.
    pub fn reply_error(&self, reply: &Reply) -> Error {
        let status = reply.status;
        let parsed = serde_json::from_slice::<ErrorEnvelope>(&reply.body);
        let graph = match parsed {
            Ok(ErrorEnvelope { error: Some(field) }) => Some(field.into_graph()),
            Ok(ErrorEnvelope { error: None }) => None,
            Err(_) => {
                let kind = match status {
                    401 | 403 => ErrorKind::Auth,
                    429 => ErrorKind::RateLimited,
                    500..=599 => ErrorKind::Server,
                    _ => ErrorKind::Protocol,
                };
                let what = if reply.body.is_empty() {
                    "an empty body"
                } else {
                    "a body that is not JSON"
                };
                let mut err = Error::new(kind, format!("HTTP {status} with {what}"));
                err.0.http_status = Some(status);
                err.0.retry_after = reply.retry_after;
                return err;
            }
        };
        self.graph_error(status, graph, reply.retry_after)
    }

    pub fn graph_error(
        &self,
        status: u16,
        graph: Option<GraphError>,
        retry_after: Option<Duration>,
    ) -> Error {
        let graph = graph.unwrap_or_default();
        let transient = graph.is_transient.unwrap_or(false);
        let kind = ErrorKind::classify(Some(status), graph.code, transient);
        let kind = if (300..400).contains(&status) && graph.code.is_none() {
            ErrorKind::Protocol
        } else {
            kind
        };
        let message = match (graph.message, graph.error_user_msg) {
            (Some(m), _) if !m.trim().is_empty() => m,
            (_, Some(m)) if !m.trim().is_empty() => m,
            _ if (300..400).contains(&status) => {
                format!(
                    "HTTP {status}: a redirect, which wablock does not follow (the credentials must not leave for another host)"
                )
            }
            _ => format!("HTTP {status} without an error message"),
        };
        let mut err = Error::new(kind, message);
        err.0.http_status = Some(status);
        err.0.code = graph.code;
        err.0.subcode = graph.error_subcode;
        err.0.details = graph.error_data;
        err.0.fbtrace_id = graph.fbtrace_id;
        err.0.retryable = kind.is_retryable() || transient;
        err.0.retry_after = retry_after;
        err
    }
}
