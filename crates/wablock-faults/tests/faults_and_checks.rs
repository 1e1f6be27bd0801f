//! Each fault does what the suite assumes, alone; and each check fails when it should, so the
//! suite's green runs mean something.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use serde_json::json;
use wablock::{Client, ErrorKind, FakeClock, Operation, Reason};
use wablock_faults::{
    Dialect, Expectations, Fault, Rng, RunConfig, check_accounting, check_applied,
};
use wablock_sandbox::{DEFAULT_ACCESS_TOKEN, Sandbox, SandboxConfig};

fn open_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn client(sb: &Sandbox, cfg: &RunConfig) -> Client {
    Client::meta("4242", DEFAULT_ACCESS_TOKEN)
        .base_url(sb.base_url())
        .retry_policy(cfg.retry.clone())
        .read_timeout(cfg.read_timeout)
        .clock(Arc::new(FakeClock::new()))
        .build()
        .unwrap()
}

#[test]
fn every_fault_alone_has_the_effect_the_suite_assumes() {
    let sb = open_sandbox();
    let cfg = RunConfig::default();
    let mut rng = Rng::new(7);
    for fault in Fault::ALL {
        for dialect in [Dialect::Meta, Dialect::Dialog360] {
            for _ in 0..3 {
                sb.reset();
                let script = fault.script(dialect, &cfg, &mut rng);
                sb.push_scripts(&json!({"responses": [script]})).unwrap();
                let result = client(&sb, &cfg).block(["+16505551234"]);
                let seen = sb.requests().as_array().unwrap().len();
                match (fault.error_kind(), fault.is_fatal()) {
                    // Retried once, then the real answer blocks the user.
                    (Some(_), false) => {
                        let o = result.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
                        assert!(o.is_ok(), "{fault:?}: {o:?}");
                        assert_eq!((o.requests, seen), (2, 2), "{fault:?}");
                    }
                    (Some(kind), true) => {
                        let e = result.unwrap_err();
                        assert_eq!(e.kind(), kind, "{fault:?}: {e}");
                        assert_eq!(seen, 1, "{fault:?} must not be retried");
                        assert_eq!(e.not_attempted(), ["+16505551234"]);
                        if fault == Fault::RetryAfterTooLong {
                            assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(120)));
                        }
                    }
                    (None, _) => {
                        let o = result.unwrap();
                        assert_eq!(o.failed[0].reason, Reason::Unconfirmed, "{fault:?}");
                        assert_eq!(seen, 1);
                    }
                }
                // Scripted faults never change the blocklist.
                let blocked = sb.state_json("4242")["blocked_count"].as_u64().unwrap();
                let retried = fault.error_kind().is_some() && !fault.is_fatal();
                assert_eq!(blocked, u64::from(retried), "{fault:?}");
            }
        }
    }
}

#[test]
fn check_applied_catches_a_success_the_sandbox_did_not_apply() {
    let sb = open_sandbox();
    let cfg = RunConfig::default();
    // A lying server: confirms the user without applying anything.
    sb.push_scripts(
        &json!({"responses": [{"json": {"messaging_product": "whatsapp",
        "block_users": {"added_users": [{"input": "+16505551234", "wa_id": "16505551234"}]}}}]}),
    )
    .unwrap();
    let inputs = vec!["+16505551234".to_string()];
    let o = client(&sb, &cfg).block(&inputs).unwrap();
    assert!(o.is_ok(), "the client believes the server");
    let exp = Expectations::new(inputs.clone());
    let err = check_applied(&exp, &o, &sb.state_json("4242")).unwrap_err();
    assert!(err.contains("did not apply"), "{err}");
    // The real answer passes, and an unblock the sandbox did not apply is caught too.
    let o = client(&sb, &cfg).block(&inputs).unwrap();
    check_applied(&exp, &o, &sb.state_json("4242")).unwrap();
    sb.push_scripts(&json!({"responses": [{"json": {"block_users": {"removed_users": [{"input": "+16505551234"}]}}}]}))
        .unwrap();
    let o = client(&sb, &cfg).unblock(&inputs).unwrap();
    assert_eq!(o.operation, Operation::Unblock);
    assert!(check_applied(&exp, &o, &sb.state_json("4242")).is_err());
}

#[test]
fn check_accounting_catches_drops_duplicates_and_disorder() {
    let sb = open_sandbox();
    let cfg = RunConfig::default();
    let inputs: Vec<String> = ["+16505551234", "16505551234", "bogus", "+447700900123"]
        .map(String::from)
        .to_vec();
    let exp = Expectations::new(inputs.clone());
    let o = client(&sb, &cfg).block(&inputs).unwrap();
    check_accounting(&exp, Some(&o), &[]).unwrap();

    let mut dropped = o.clone();
    dropped.succeeded.pop();
    assert!(
        check_accounting(&exp, Some(&dropped), &[])
            .unwrap_err()
            .contains("missing")
    );

    let mut twice = o.clone();
    twice.succeeded.push(o.succeeded[0].clone());
    assert!(check_accounting(&exp, Some(&twice), &[]).is_err());

    let mut disorder = o.clone();
    disorder.succeeded.reverse();
    assert!(
        check_accounting(&exp, Some(&disorder), &[])
            .unwrap_err()
            .contains("order")
    );

    // A duplicate reported differently from its twin.
    let mut split = o.clone();
    let moved = split.succeeded.remove(1);
    assert!(
        check_accounting(&exp, Some(&split), &[moved.input.to_string()])
            .unwrap_err()
            .contains("different")
    );

    let err = check_accounting(&exp, None, &[]).unwrap_err();
    assert!(err.contains("missing"), "{err}");
    assert_eq!(ErrorKind::ALL.len(), 12);
}
