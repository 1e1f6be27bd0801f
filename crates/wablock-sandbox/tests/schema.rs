//! The OpenAPI validator itself: it accepts what the sandbox serves and rejects wrong bodies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use wablock_sandbox::openapi_check::{BLOCK_USERS_PATH, META_OPENAPI_FILE, OpenApi, openapi_dir};

#[test]
fn the_reference_file_is_found_and_has_the_schemas() {
    assert!(openapi_dir().join(META_OPENAPI_FILE).is_file());
    // Its MIT notice travels with it.
    assert!(openapi_dir().join("LICENSE").is_file());
    let api = openapi();
    for name in [
        "BlockUsersData",
        "UnblockUsersData",
        "GetBlockedUsersData",
        "GraphAPIError",
    ] {
        assert!(api.schema(name).is_some(), "{name}");
    }
    assert!(api.request_body_schema(BLOCK_USERS_PATH, "post").is_some());
    assert!(
        api.request_body_schema(BLOCK_USERS_PATH, "delete")
            .is_some()
    );
    assert!(api.response_schema(BLOCK_USERS_PATH, "get", 200).is_some());
}

#[test]
fn wrong_bodies_are_rejected() {
    let api = openapi();
    let bad = [
        (
            "BlockUsersData",
            json!({"block_users": {"added_users": "nope"}}),
        ),
        (
            "BlockUsersData",
            json!({"block_users": {"added_users": [{"input": 1, "wa_id": "1"}]}}),
        ),
        ("BlockUsersData", json!({"messaging_product": 7})),
        ("BlockUsersData", json!([])),
        (
            "UnblockUsersData",
            json!({"block_users": {"removed_users": [{"wa_id": 16505551234_u64}]}}),
        ),
        ("GetBlockedUsersData", json!({"data": [{"wa_id": 123}]})),
        ("GetBlockedUsersData", json!({"data": {}, "paging": {}})),
        (
            "GetBlockedUsersData",
            json!({"data": [], "paging": {"cursors": {"after": 5}}}),
        ),
        (
            "GraphAPIError",
            json!({"error": {"message": "x", "type": "OAuthException"}}),
        ),
        (
            "GraphAPIError",
            json!({"error": {"message": "x", "type": "OAuthException", "code": "190"}}),
        ),
        ("GraphAPIError", json!({"error": "Invalid api key"})),
        ("GraphAPIError", json!({})),
    ];
    for (name, body) in bad {
        assert!(
            api.validate_schema(name, &body).is_err(),
            "{name} accepted {body}"
        );
    }
    let err = api
        .validate_schema(
            "GraphAPIError",
            &json!({"error": {"message": "x", "type": "t"}}),
        )
        .unwrap_err();
    assert!(err.contains("code"), "{err}");
}

#[test]
fn right_bodies_are_accepted() {
    let api = openapi();
    api.validate_schema(
        "BlockUsersData",
        &json!({"messaging_product": "whatsapp",
                "block_users": {"added_users": [{"input": "+16505551234", "wa_id": "16505551234"}]}}),
    )
    .unwrap();
    api.validate_schema(
        "GraphAPIError",
        &json!({"error": {"message": "x", "type": "OAuthException", "code": 190, "fbtrace_id": "A"}}),
    )
    .unwrap();
}

#[test]
fn request_bodies() {
    let api = openapi();
    for method in ["POST", "DELETE"] {
        api.validate_request_body(BLOCK_USERS_PATH, method, &users(&["+16505551234"]))
            .unwrap();
        for bad in [
            json!({"messaging_product": "whatsapp", "block_users": {"user": "1"}}),
            json!({"messaging_product": "whatsapp", "block_users": [{"user": 1}]}),
            json!({"messaging_product": ["whatsapp"], "block_users": []}),
        ] {
            assert!(
                api.validate_request_body(BLOCK_USERS_PATH, method, &bad)
                    .is_err(),
                "{bad}"
            );
        }
    }
    assert!(
        api.validate_request_body(BLOCK_USERS_PATH, "GET", &json!({}))
            .is_err()
    );
}

#[test]
fn subset_keywords() {
    let api = OpenApi::from_yaml(
        r#"
components:
  schemas:
    A:
      type: object
      required: [k]
      additionalProperties: false
      properties:
        k: {type: string, enum: [x, y], nullable: true}
        n: {type: array, items: {$ref: '#/components/schemas/B'}, minItems: 1, maxItems: 2}
        o: {oneOf: [{type: string}, {type: integer}]}
        a: {anyOf: [{type: string}, {type: boolean}]}
        l: {allOf: [{type: string, minLength: 2}, {maxLength: 3}]}
    B: {type: integer}
"#,
    )
    .unwrap();
    let ok = json!({"k": null, "n": [1], "o": 2, "a": true, "l": "ab"});
    api.validate_schema("A", &ok).unwrap();
    for bad in [
        json!({"n": [1]}),
        json!({"k": "z"}),
        json!({"k": "x", "extra": 1}),
        json!({"k": "x", "n": []}),
        json!({"k": "x", "n": [1, 2, 3]}),
        json!({"k": "x", "n": ["1"]}),
        json!({"k": "x", "o": 1.5}),
        json!({"k": "x", "a": 1}),
        json!({"k": "x", "l": "a"}),
        json!({"k": "x", "l": "abcd"}),
    ] {
        assert!(api.validate_schema("A", &bad).is_err(), "{bad}");
    }
}
