//! The fixed facts of one run: dialect, phone number, its own number and business account,
//! and the inputs (many writings, duplicates, BSUIDs, invalid strings).

use std::collections::HashSet;

use serde_json::json;
use wablock_sandbox::{DIALOG360_PHONE_NUMBER_ID, Sandbox};

use crate::checks::Expectations;
use crate::rng::Rng;
use crate::run::{Dialect, RunConfig};

/// Fixed facts of one run.
pub(crate) struct RunSetup {
    pub(crate) dialect: Dialect,
    pub(crate) phone_number_id: String,
    pub(crate) own: String,
    pub(crate) business: String,
    pub(crate) exp: Expectations,
}

pub(crate) fn set_up(
    sandbox: &Sandbox,
    cfg: &RunConfig,
    rng: &mut Rng,
) -> Result<RunSetup, String> {
    let dialect = if rng.chance(250) {
        Dialect::Dialog360
    } else {
        Dialect::Meta
    };
    let phone_number_id = match dialect {
        Dialect::Meta => format!("1{}", rng.digits(14)),
        Dialect::Dialog360 => DIALOG360_PHONE_NUMBER_ID.to_string(),
    };
    if rng.chance(500) {
        // Mixed answers (the own number, a business account) as HTTP 400 + 139100.
        sandbox.set_config(&json!({"mixed_style": "400"}))?;
    }
    let own = format!("1555{}", rng.digits(7));
    let business = format!("1556{}", rng.digits(7));
    sandbox.configure_phone(
        &json!({"phone_number_id": phone_number_id, "own_wa_id": own,
        "business_accounts": [business]}),
    )?;
    let inputs = make_inputs(cfg.users, &own, &business, rng);
    Ok(RunSetup {
        dialect,
        phone_number_id,
        own,
        business,
        exp: Expectations::new(inputs),
    })
}

/// Mostly distinct phone numbers in many writings, plus BSUIDs, duplicates written another
/// way, invalid strings, the number's own WA ID and a business account.
fn make_inputs(n: usize, own: &str, business: &str, rng: &mut Rng) -> Vec<String> {
    const INVALID: [&str; 9] = [
        "not-a-number",
        "12",
        "+1 650 555 12345678901",
        "US.ENT.1234567",
        "us.abc",
        "",
        "☎ 16505551234",
        "++16505551234",
        "1650555123x",
    ];
    let mut seen = HashSet::new();
    let mut phones: Vec<String> = Vec::new();
    let mut inputs = Vec::with_capacity(n);
    while inputs.len() < n.saturating_sub(2) {
        let r = rng.below(1000);
        if r < 5 {
            inputs.push(rng.pick(&INVALID).to_string());
        } else if r == 5 {
            inputs.push("9".repeat(300));
        } else if r < 16 && !phones.is_empty() {
            let digits = rng.pick(&phones).clone();
            inputs.push(write_phone(&digits, rng));
        } else if r < 26 {
            let bsuid = format!("US.{}", rng.digits(18));
            if seen.insert(bsuid.clone()) {
                inputs.push(bsuid);
            }
        } else {
            let digits = format!("1{}", rng.digits(10));
            if digits.starts_with("1555")
                || digits.starts_with("1556")
                || !seen.insert(digits.clone())
            {
                continue;
            }
            inputs.push(write_phone(&digits, rng));
            phones.push(digits);
        }
    }
    for special in [own, business] {
        let at = rng.below(inputs.len() as u64 + 1) as usize;
        inputs.insert(at, write_phone(special, rng));
    }
    inputs
}

/// An 11-digit number in one of the common writings.
fn write_phone(d: &str, rng: &mut Rng) -> String {
    let (c, a, b, e) = (&d[..1], &d[1..4], &d[4..7], &d[7..]);
    match rng.below(6) {
        0 => format!("+{d}"),
        1 => d.to_string(),
        2 => format!("+{c} ({a}) {b}-{e}"),
        3 => format!("{c}.{a}.{b}.{e}"),
        4 => format!(" +{c} {a} {b} {e} "),
        _ => format!("{c}-{a}-{b}-{e}"),
    }
}
