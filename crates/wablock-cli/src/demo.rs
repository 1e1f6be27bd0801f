//! `wablock demo`: a narrated walk through the Block Users API on an embedded sandbox.

use wablock::{Client, Error};
use wablock_sandbox::{Sandbox, SandboxConfig, demo};

use crate::output::{WIDTH, outcome_table};

fn say(text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > WIDTH - 4 {
            println!("{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        println!("{line}");
    }
}

fn step(n: u32, title: &str) {
    println!();
    println!("== {n}. {title}");
}

fn show(client: &Client, block: bool, users: &[&str]) -> Result<(), Error> {
    let owned: Vec<String> = users.iter().map(|s| s.to_string()).collect();
    let cmd = if block { "block" } else { "unblock" };
    let quoted: Vec<String> = users.iter().map(|u| format!("'{u}'")).collect();
    println!("$ wablock --sandbox {cmd} {}", quoted.join(" "));
    let outcome = if block {
        client.block(&owned)?
    } else {
        client.unblock(&owned)?
    };
    print!("{}", outcome_table(&outcome, &owned));
    Ok(())
}

/// Runs the walkthrough; returns the exit code.
pub fn run() -> Result<u8, Error> {
    let sandbox = Sandbox::start(SandboxConfig {
        seed_demo: true,
        ..SandboxConfig::default()
    })
    .map_err(|e| {
        Error::new(
            wablock::ErrorKind::Network,
            format!("cannot start the sandbox: {e}"),
        )
    })?;
    let client = Client::meta(
        demo::DEMO_PHONE_NUMBER_ID,
        wablock_sandbox::DEFAULT_ACCESS_TOKEN,
    )
    .base_url(sandbox.base_url())
    .build()?;

    println!("wablock demo: the WhatsApp Business \"Block Users\" API, on a local sandbox");
    say(&format!(
        "A business that gets spam on its WhatsApp number can block senders through Meta's \
         Cloud API (or a provider such as 360dialog): POST a list of users to block, DELETE \
         to unblock, GET to list. This demo runs against a faithful local fake at {}, playing \
         business number {} (own number +{}). Some people messaged it a few minutes ago; \
         +16505550000 last wrote 3 days ago; +16505559876 and +16505559877 are blocked already.",
        sandbox.base_url(),
        demo::DEMO_PHONE_NUMBER_ID,
        demo::DEMO_OWN_NUMBER,
    ));

    step(1, "Block two people who just messaged the business");
    say(
        "Numbers can be written any common way; wablock normalises them (SENT) and checks \
         that the server confirmed each one before calling it blocked.",
    );
    show(&client, true, &["+1 (650) 555-1234", "+44 7700 900123"])?;

    step(
        2,
        "The 24-hour rule: an HTTP 200 that still refuses someone",
    );
    say(
        "WhatsApp only lets a business block users who messaged it in the last 24 hours. The \
         API answers HTTP 200 even when it refused some users, listing them in failed_users \
         with code 131047; wablock reports each user separately, with a plain-language hint a \
         support agent can pass on. Text that is not a number is never sent.",
    );
    show(
        &client,
        true,
        &["+1 650 555 1235", "+1 650 555 0000", "call me"],
    )?;

    step(3, "A business number cannot block itself");
    show(&client, true, &[&format!("+{}", demo::DEMO_OWN_NUMBER)])?;

    step(4, "List the blocklist");
    say(
        "GET returns pages of WhatsApp IDs with opaque cursors; wablock follows them, and \
         restarts from the top if the list changes while it pages (code 139102).",
    );
    println!("$ wablock --sandbox list --all");
    let mut n = 0;
    for user in client.blocked_users(Some(2)) {
        let user = user?;
        n += 1;
        println!(
            "  {}",
            user.wa_id.or(user.user_id).unwrap_or_else(|| "?".into())
        );
    }
    println!("{n} blocked user(s), read 2 per page.");

    step(5, "Unblock");
    show(&client, false, &["16505551234"])?;

    println!();
    say(
        "Exit codes: 0 everyone succeeded, 1 some users failed, 2 the call failed as a whole \
         (AUTH, RATE_LIMITED, NETWORK...), 64 usage error. Add --json for the canonical JSON. \
         Try `wablock --sandbox block +16505551235` or `wablock --sandbox check +16505559876` \
         (each --sandbox run starts from fresh demo data), or `wablock sandbox serve`.",
    );
    sandbox.shutdown();
    Ok(crate::EXIT_OK)
}
