//! Every request body the client sends validates against the `requestBody` schema of Meta's
//! published OpenAPI description (tests/openapi), checked on what the sandbox received.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use wablock_sandbox::openapi_check::{BLOCK_USERS_PATH, OpenApi};
use wablock_sandbox::{Sandbox, SandboxConfig};

#[test]
fn every_block_and_unblock_body_matches_metas_request_schema() {
    let api = OpenApi::load_default().expect("Meta's OpenAPI file in tests/openapi");
    let sandbox = Sandbox::start(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    })
    .unwrap();
    let client = wablock::Client::meta("1000", wablock_sandbox::DEFAULT_ACCESS_TOKEN)
        .base_url(sandbox.base_url())
        .max_batch(3)
        .build()
        .unwrap();
    let users = [
        "+1 (650) 555-1234",
        "447700900123",
        "US.13491208655302741918",
        "+4915123456789",
        "not valid",
    ];
    client.block(users).unwrap();
    client.unblock(users).unwrap();
    let log = sandbox.requests();
    let requests = log.as_array().unwrap();
    assert_eq!(requests.len(), 4, "2 batches each way: {log}");
    for request in requests {
        let method = request["method"].as_str().unwrap();
        let body: &Value = &request["body"];
        api.validate_request_body(BLOCK_USERS_PATH, method, body)
            .unwrap_or_else(|e| panic!("{method} body {body} does not match the schema: {e}"));
    }
    // The validator is not a rubber stamp: a body the client would never send is refused.
    let wrong = serde_json::json!({"messaging_product": "whatsapp", "block_users": "16505551234"});
    assert!(
        api.validate_request_body(BLOCK_USERS_PATH, "POST", &wrong)
            .is_err()
    );
}
