//! The invariants, as functions of what a call returned and what the sandbox holds, so that
//! tests can also prove each check fails when it should.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use wablock::users::{UserId, normalize_user};
use wablock::{Operation, Outcome};

/// What the inputs of a call must become, computed once per run.
#[derive(Debug)]
pub struct Expectations {
    /// The inputs, in order.
    pub inputs: Vec<String>,
    /// Per distinct input string: `None` if invalid, else its user and the form the client
    /// must send (the first spelling of that user among the inputs).
    pub info: HashMap<String, Option<Expected>>,
    /// Every form the client may send.
    pub valid_sent: HashSet<String>,
}

/// What one valid input must become.
#[derive(Debug)]
pub struct Expected {
    /// The user it names.
    pub id: UserId,
    /// What must go on the wire for it.
    pub sent: String,
}

impl Expectations {
    /// Normalises and dedupes `inputs` independently of the client's own bookkeeping.
    pub fn new(inputs: Vec<String>) -> Self {
        let mut first: HashMap<String, String> = HashMap::new();
        let mut info = HashMap::new();
        for input in &inputs {
            if info.contains_key(input) {
                continue;
            }
            let expected = normalize_user(input).ok().map(|id| {
                let sent = first
                    .entry(id.key().to_string())
                    .or_insert_with(|| id.sent().to_string())
                    .clone();
                Expected { id, sent }
            });
            info.insert(input.clone(), expected);
        }
        let valid_sent = first.into_values().collect();
        Expectations {
            inputs,
            info,
            valid_sent,
        }
    }

    /// The expectation for one input string, `None` if it is invalid or unknown.
    pub fn get(&self, input: &str) -> Option<&Expected> {
        self.info.get(input)?.as_ref()
    }
}

/// The accounting rule: every input exactly once across `succeeded`, `failed` and
/// `not_attempted`, each list in input order, and inputs naming one user share one fate.
pub fn check_accounting(
    exp: &Expectations,
    outcome: Option<&Outcome>,
    not_attempted: &[String],
) -> Result<(), String> {
    let inputs = &exp.inputs;
    let succeeded: Vec<&str> = outcome
        .map(|o| o.succeeded.iter().map(|s| s.input.as_str()).collect())
        .unwrap_or_default();
    let failed: Vec<&str> = outcome
        .map(|o| o.failed.iter().map(|f| f.input.as_str()).collect())
        .unwrap_or_default();
    let pending: Vec<&str> = not_attempted.iter().map(String::as_str).collect();
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for i in inputs {
        *counts.entry(i.as_str()).or_default() += 1;
    }
    for (name, list) in [
        ("succeeded", &succeeded),
        ("failed", &failed),
        ("not_attempted", &pending),
    ] {
        if !is_subsequence(list, inputs) {
            return Err(format!(
                "{name} is not in input order (or holds a foreign input)"
            ));
        }
        for i in list.iter() {
            *counts.entry(i).or_default() -= 1;
        }
    }
    if let Some((input, c)) = counts.iter().find(|(_, c)| **c != 0) {
        return Err(format!(
            "accounting rule broken: input {input:?} is {} (count off by {c})",
            if *c > 0 { "missing" } else { "reported twice" }
        ));
    }
    let mut fate: HashMap<&str, String> = HashMap::new();
    let mut note = |input: &str, what: String| -> Result<(), String> {
        let Some(e) = exp.get(input) else {
            return Ok(());
        };
        match fate.insert(e.id.key(), what.clone()) {
            Some(before) if before != what => Err(format!(
                "duplicates of {input:?} got different results: {before} and {what}"
            )),
            _ => Ok(()),
        }
    };
    if let Some(o) = outcome {
        for s in &o.succeeded {
            note(&s.input, "succeeded".into())?;
        }
        for f in &o.failed {
            note(&f.input, format!("failed {}", f.reason))?;
        }
    }
    for i in not_attempted {
        note(i, "not_attempted".into())?;
    }
    Ok(())
}

/// No success the sandbox did not apply: after a block every reported success is on the
/// blocklist in `state` (`GET /_sandbox/state`), after an unblock none is.
pub fn check_applied(exp: &Expectations, outcome: &Outcome, state: &Value) -> Result<(), String> {
    let mut wa = HashSet::new();
    let mut bsuid = HashSet::new();
    for entry in state["blocked"].as_array().into_iter().flatten() {
        if let Some(w) = entry["wa_id"].as_str() {
            wa.insert(w);
        }
        if let Some(u) = entry["user_id"].as_str() {
            bsuid.insert(u);
        }
    }
    for s in &outcome.succeeded {
        let Some(e) = exp.get(&s.input) else {
            return Err(format!("invalid input {:?} reported as succeeded", s.input));
        };
        if s.sent != e.sent {
            return Err(format!(
                "{:?} was sent as {:?}, expected {:?}",
                s.input, s.sent, e.sent
            ));
        }
        let on_list = match &e.id {
            UserId::Phone { digits, .. } => wa.contains(digits.as_str()),
            UserId::Bsuid(b) => bsuid.contains(b.as_str()),
        };
        let applied = match outcome.operation {
            Operation::Block => on_list,
            Operation::Unblock => !on_list,
        };
        if !applied {
            return Err(format!(
                "{:?} reported as {} but the sandbox did not apply it",
                s.input,
                outcome.operation.as_str()
            ));
        }
    }
    Ok(())
}

/// True when `list` is `inputs` with some elements left out (so in input order).
fn is_subsequence(list: &[&str], inputs: &[String]) -> bool {
    let mut it = inputs.iter();
    list.iter().all(|x| it.any(|i| i == x))
}
