//! Conversions and errors for the language bindings' boundaries (C ABI, Go, Python, UniFFI).
//!
//! A binding converts types and nothing else: when a value from another language cannot become
//! a core value (a NULL pointer, bytes that are not UTF-8, a negative count), the error and its
//! wording come from here, so every language says the same thing. Not part of the Rust API.

use std::time::Duration;

use crate::error::Error;
use crate::outcome::Operation;

/// A required argument was NULL (or nil): `"{name} is NULL"`.
pub fn null_argument(name: &str) -> Error {
    Error::invalid_argument(format!("{name} is NULL"))
}

/// A string argument whose bytes are not UTF-8: `"{name} is not valid UTF-8"`.
pub fn not_utf8(name: &str) -> Error {
    Error::invalid_argument(format!("{name} is not valid UTF-8"))
}

/// A number the target type cannot hold, named with the value the caller passed.
pub fn out_of_range(name: &str, value: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!("{name} is {value}: it is out of range"))
}

/// A caller's signed number as the core's type. Zero and other values the type holds pass
/// through: the core's own checks (when the client is built, or the call made) judge them.
pub fn count<T: TryFrom<i64>>(name: &str, value: i64) -> Result<T, Error> {
    T::try_from(value).map_err(|_| out_of_range(name, value))
}

/// A caller's signed number of milliseconds as a duration; negative values are refused.
pub fn millis(name: &str, value: i64) -> Result<Duration, Error> {
    count::<u64>(name, value).map(Duration::from_millis)
}

/// An index past the end of a list read element by element.
pub fn index_out_of_range(index: usize, container: &str, len: usize, items: &str) -> Error {
    Error::invalid_argument(format!(
        "index {index} is out of range: the {container} has {len} {items}"
    ))
}

/// An operation named by the caller: `"block"` or `"unblock"`.
pub fn operation_from_name(name: &str) -> Result<Operation, Error> {
    match name {
        "block" => Ok(Operation::Block),
        "unblock" => Ok(Operation::Unblock),
        other => Err(Error::invalid_argument(format!(
            "operation is {other:?}: it must be \"block\" or \"unblock\""
        ))),
    }
}

/// An operation numbered as in the C enum (`0` block, `1` unblock).
pub fn operation_from_code(code: i64) -> Result<Operation, Error> {
    match code {
        0 => Ok(Operation::Block),
        1 => Ok(Operation::Unblock),
        other => Err(Error::invalid_argument(format!(
            "operation is {other}: it must be 0 (block) or 1 (unblock)"
        ))),
    }
}

/// `error` as the refusal of a whole block or unblock call made before the core saw it (a
/// closed client): every input is listed in `not_attempted`, so the accounting rule holds.
pub fn refuse_call<S: AsRef<str>>(error: Error, inputs: &[S]) -> Error {
    error.with_not_attempted(inputs.iter().map(|s| s.as_ref().to_string()).collect())
}

/// A call's users as raw bytes (`None` for a NULL element). Every element must be UTF-8;
/// otherwise the whole call is `INVALID_ARGUMENT` ([`Error::user_not_text`], the wording
/// every language uses) and nothing is sent, but the error still
/// accounts for every input: its `not_attempted` lists each string passed (bytes that are not
/// UTF-8 replaced by U+FFFD; a NULL element names no user). A NUL byte is valid UTF-8: such a
/// string reaches the core and is refused there, per user, as `INVALID_USER`.
pub fn users_from_bytes<'a>(users: &[Option<&'a [u8]>]) -> Result<Vec<&'a str>, Error> {
    let mut out = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        if let Some(text) = user.and_then(|bytes| std::str::from_utf8(bytes).ok()) {
            out.push(text);
            continue;
        }
        let refused = Error::user_not_text(i);
        let inputs = users
            .iter()
            .flatten()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        return Err(refused.with_not_attempted(inputs));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn messages_name_the_value_passed() {
        let e = count::<u32>("limit", -5).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(e.message(), "limit is -5: it is out of range");
        assert_eq!(
            millis("deadline_ms", -1).unwrap_err().message(),
            "deadline_ms is -1: it is out of range"
        );
        assert_eq!(
            count::<u32>("limit", i64::from(u32::MAX) + 1)
                .unwrap_err()
                .message(),
            "limit is 4294967296: it is out of range"
        );
        assert_eq!(count::<usize>("max_batch", 0).ok(), Some(0));
        assert_eq!(millis("d", 1500).ok(), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn operations_by_name_and_code() {
        assert_eq!(
            operation_from_name("unblock").ok(),
            Some(Operation::Unblock)
        );
        assert!(
            operation_from_name("Block")
                .unwrap_err()
                .message()
                .contains("\"Block\"")
        );
        assert_eq!(operation_from_code(0).ok(), Some(Operation::Block));
        assert!(
            operation_from_code(7)
                .unwrap_err()
                .message()
                .contains("is 7")
        );
    }

    #[test]
    fn bad_utf8_refuses_the_call_and_accounts_for_every_input() {
        let ok: &[u8] = b"16505551234";
        let bad: &[u8] = b"16\xff5";
        let nul: &[u8] = b"165\x00";
        assert_eq!(
            users_from_bytes(&[Some(ok), Some(nul)]).unwrap(),
            vec!["16505551234", "165\0"]
        );
        let e = users_from_bytes(&[Some(ok), Some(bad)]).unwrap_err();
        assert!(
            e.message().starts_with("user #1 is not text"),
            "{}",
            e.message()
        );
        assert_eq!(e.not_attempted(), ["16505551234", "16\u{FFFD}5"]);
        let e = refuse_call(Error::client_closed(), &["a", "b"]);
        assert_eq!(e.not_attempted(), ["a", "b"]);
        let e = users_from_bytes(&[Some(ok), None, Some(ok)]).unwrap_err();
        assert!(
            e.message().starts_with("user #1 is not text"),
            "{}",
            e.message()
        );
        assert_eq!(e.not_attempted().len(), 2);
    }
}
