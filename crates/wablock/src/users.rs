//! Input rules of docs/behaviour.md §2: what a user string may be, how it is normalised, and dedupe.

use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use compact_str::CompactString;

use crate::probe_table::{HashIndex, KeyedMix};

/// Longest user string accepted, in bytes (docs/behaviour.md §4).
pub const MAX_USER_BYTES: usize = 256;
/// Most distinct users in one block or unblock call (the blocklist cap).
pub const MAX_USERS_PER_CALL: usize = 64_000;

/// A user identifier after normalisation, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserId {
    /// A phone number or WA ID: `sent` keeps one leading `+` if the input had one; `digits`
    /// is the digits only, which is what identifies the user.
    Phone {
        /// The form sent in the request's `user` field.
        sent: String,
        /// Digits only, used for dedupe and for matching the server's answer.
        digits: String,
    },
    /// A business-scoped user ID, sent exactly as given in the `user_id` field.
    Bsuid(String),
}

impl UserId {
    /// The string put on the wire.
    pub fn sent(&self) -> &str {
        match self {
            UserId::Phone { sent, .. } => sent,
            UserId::Bsuid(id) => id,
        }
    }

    /// The identity used for dedupe: digits for phone numbers, the BSUID itself otherwise.
    pub fn key(&self) -> &str {
        match self {
            UserId::Phone { digits, .. } => digits,
            UserId::Bsuid(id) => id,
        }
    }

    /// True for a phone number or WA ID.
    pub fn is_phone(&self) -> bool {
        matches!(self, UserId::Phone { .. })
    }
}

/// Why a user string was refused; the text is shown to the caller as the failure message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUser(String);

impl InvalidUser {
    /// The reason, for a person.
    pub fn message(&self) -> &str {
        &self.0
    }

    /// The reason, owned.
    pub fn into_message(self) -> String {
        self.0
    }
}

impl std::fmt::Display for InvalidUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidUser {}

/// Normalises one user string (docs/behaviour.md §2).
///
/// Phone numbers: trimmed; spaces, `-`, `(`, `)` and `.` dropped; one leading `+` kept; the
/// rest must be 5 to 15 digits. BSUIDs (`CC.` + 1 to 128 alphanumerics) are kept exactly as
/// given, apart from surrounding white space, which no BSUID contains. Parent BSUIDs
/// (`CC.ENT.…`) are refused: Meta documents them as unsupported for block and unblock.
pub fn normalize_user(raw: &str) -> Result<UserId, InvalidUser> {
    normalize(raw).map(Target::into_user_id)
}

/// [`normalize_user`] as a call's [`Target`]: the sent form only (a phone number's digits
/// are the sent form without its `+`, so they are not stored twice).
fn normalize(raw: &str) -> Result<Target, InvalidUser> {
    if raw.len() > MAX_USER_BYTES {
        return Err(InvalidUser(format!(
            "the user string is {} bytes long; the limit is {MAX_USER_BYTES}",
            raw.len()
        )));
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(InvalidUser("the user string is empty".to_string()));
    }
    // Checked before the string is quoted in any message: a NUL or other control character
    // would cut or garble the text in C and in terminals.
    // (ASCII text, the common case, is checked byte by byte: its control characters are
    // exactly the bytes below 0x20 and 0x7F, as `char::is_control` says.)
    let control = if trimmed.is_ascii() {
        trimmed.bytes().find(u8::is_ascii_control).map(char::from)
    } else {
        trimmed.chars().find(|c| c.is_control())
    };
    if let Some(c) = control {
        return Err(InvalidUser(format!(
            "the user string contains the control character U+{:04X}; a phone number, WA ID or business-scoped user ID has none",
            u32::from(c)
        )));
    }
    if looks_like_bsuid(trimmed) {
        return parse_bsuid(trimmed);
    }
    parse_phone(trimmed)
}

fn looks_like_bsuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 3 && b[0].is_ascii_alphabetic() && b[1].is_ascii_alphabetic() && b[2] == b'.'
}

fn parse_bsuid(s: &str) -> Result<Target, InvalidUser> {
    let (country, rest) = s.split_at(3);
    if !country[..2].bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(InvalidUser(format!(
            "'{s}' looks like a business-scoped user ID but its country code must be two capital letters"
        )));
    }
    if rest.starts_with("ENT.") {
        return Err(InvalidUser(format!(
            "'{s}' is a parent business-scoped user ID; Meta does not support blocking or unblocking those: pass the user's own ID"
        )));
    }
    if rest.is_empty() || rest.len() > 128 || !rest.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(InvalidUser(format!(
            "'{s}' is not a valid business-scoped user ID: after '{country}' come 1 to 128 letters or digits"
        )));
    }
    Ok(Target {
        sent: CompactString::from(s),
        phone: false,
        uses: 1,
    })
}

fn parse_phone(s: &str) -> Result<Target, InvalidUser> {
    let (plus, body) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    // The sent form: one `+` if the input had one, then the digits. Collected on the stack
    // (a valid one is at most 16 bytes) and made a `CompactString` once, inline: no heap.
    let mut buf = [0u8; 16];
    let mut len = usize::from(plus);
    buf[0] = b'+';
    let mut digits = 0usize;
    for (at, &b) in body.as_bytes().iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                // Past the buffer the digits are only counted: the input is refused below.
                if let Some(slot) = buf.get_mut(len) {
                    *slot = b;
                    len += 1;
                }
                digits += 1;
            }
            b' ' | b'-' | b'(' | b')' | b'.' => {}
            _ => {
                // Every byte before is ASCII, so `at` starts the offending character.
                let c = body
                    .get(at..)
                    .and_then(|rest| rest.chars().next())
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                return Err(InvalidUser(format!(
                    "'{s}' is not a phone number, WA ID or business-scoped user ID: unexpected character '{c}'"
                )));
            }
        }
    }
    if !(5..=15).contains(&digits) {
        return Err(InvalidUser(format!(
            "'{s}' has {digits} digits; a phone number or WA ID has 5 to 15"
        )));
    }
    // Written without punctuation (the common case), the input is its own sent form: copied
    // as it is. Otherwise the buffer, ASCII `+` and digits only, so never lossy. Either way
    // one copy (collecting the chars pushed them one at a time, several times the cost).
    let sent = if len == s.len() {
        CompactString::from(s)
    } else {
        CompactString::from_utf8_lossy(&buf[..len])
    };
    Ok(Target {
        sent,
        phone: true,
        uses: 1,
    })
}

/// One distinct user to send, and how many inputs named it. Compact, since a call holds up
/// to 64,000 of them until its outcome is built: the sent form only, 32 bytes, with the string
/// inline (a [`UserId`] would keep the digits of a phone number in a second string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// What goes on the wire; for a phone number, an optional `+` then the digits.
    pub sent: CompactString,
    /// A phone number or WA ID (`user`), else a BSUID (`user_id`).
    pub phone: bool,
    /// Inputs that normalise to this user (1 unless the call repeats it): the outcome moves
    /// the target's strings into the last of them instead of cloning.
    pub uses: u32,
}

impl Target {
    /// The digits of a phone number (the sent form without its `+`), else `None`.
    pub fn digits(&self) -> Option<&str> {
        self.phone
            .then(|| self.sent.strip_prefix('+').unwrap_or(&self.sent))
    }

    /// The identity used for dedupe: digits for phone numbers, the BSUID itself otherwise.
    pub fn key(&self) -> &str {
        self.digits().unwrap_or(&self.sent)
    }

    fn into_user_id(self) -> UserId {
        match self.digits() {
            Some(digits) => UserId::Phone {
                digits: digits.to_string(),
                sent: self.sent.into_string(),
            },
            None => UserId::Bsuid(self.sent.into_string()),
        }
    }
}

/// A `Hasher` for a small map of short keys (FxHash's multiply-rotate): used where the keys
/// per map are bounded (a batch, at most `MAX_BATCH`), so even crafted collisions cannot cost
/// more than a bounded quadratic, and SipHash's flood resistance is not worth its time.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

/// `BuildHasher` of [`FxHasher`].
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// The inputs of one call after normalisation and dedupe.
#[derive(Debug, Default)]
pub(crate) struct PreparedUsers {
    /// The caller's strings that are not exactly their target's sent form (invalid ones
    /// included), in input order. The others, the common case (callers mostly pass normalised
    /// numbers), are not stored twice: the outcome copies their target's sent form.
    pub inputs: Vec<CompactString>,
    /// Per input: the index of the target it maps to, with [`INPUT_IS_SENT`] when the input is
    /// exactly the target's sent form, or [`INVALID_INPUT`]. Four bytes an input (a
    /// `Result<usize, InvalidUser>` took 24): a call holds it until its outcome is built.
    pub slots: Vec<u32>,
    /// Why each invalid input is invalid, in input order.
    pub invalid: Vec<InvalidUser>,
    pub targets: Vec<Target>,
}

/// The slot of an input that is not a user. Target indexes stay far below it: a call with
/// more than [`MAX_USERS_PER_CALL`] distinct users is refused before its slots are read.
pub(crate) const INVALID_INPUT: u32 = u32::MAX;

/// Slot flag: the input is exactly its target's sent form, so it is not in
/// [`PreparedUsers::inputs`]. A flagged slot is never [`INVALID_INPUT`]: see [`target_slot`].
pub(crate) const INPUT_IS_SENT: u32 = 1 << 31;

/// What a slot says about its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Not a user; the input is the next of [`PreparedUsers::inputs`].
    Invalid,
    /// A user: its target's index, and whether the input is exactly the target's sent form
    /// (else it is the next of [`PreparedUsers::inputs`]).
    Target { index: usize, input_is_sent: bool },
}

impl Slot {
    pub fn read(slot: u32) -> Slot {
        if slot == INVALID_INPUT {
            Slot::Invalid
        } else {
            Slot::Target {
                index: (slot & !INPUT_IS_SENT) as usize,
                input_is_sent: slot & INPUT_IS_SENT != 0,
            }
        }
    }
}

impl PreparedUsers {
    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Every input, in input order (for an error that lists them all).
    pub fn all_inputs(&self) -> Vec<String> {
        let mut stored = self.inputs.iter();
        self.slots
            .iter()
            .map(|&slot| {
                let input = match Slot::read(slot) {
                    Slot::Target {
                        index,
                        input_is_sent: true,
                    } => self.targets.get(index).map(|t| &t.sent),
                    _ => stored.next(),
                };
                input.map_or_else(String::new, |s| s.to_string())
            })
            .collect()
    }

    /// Per input: its target's index, or why it is invalid (for tests and the fuzz entry
    /// points; the outcome reads the slots in order).
    #[cfg(any(test, feature = "testing"))]
    pub fn slot_results(&self) -> Vec<Result<usize, &InvalidUser>> {
        let mut invalid = self.invalid.iter();
        self.slots
            .iter()
            .filter_map(|&slot| match Slot::read(slot) {
                Slot::Invalid => invalid.next().map(Err),
                Slot::Target { index, .. } => Some(Ok(index)),
            })
            .collect()
    }
}

/// Normalises and dedupes a call's inputs; the first spelling of a user is the one sent.
pub(crate) fn prepare_users<I, S>(users: I) -> PreparedUsers
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    // Keyed per call, so crafted inputs cannot flood the map: a phone number's key is mixed
    // as one number, any other key hashed as text by SipHash.
    let seed = RandomState::new();
    let numbers = KeyedMix::new(&seed);
    prepare_with_hash(users, |key| match key {
        HashKey::Digits(number) => numbers.mix(number),
        HashKey::Text(text) => seed.hash_one(text),
    })
}

/// A dedupe key as it is hashed: a phone number's digits as [`digits_as_number`] (every
/// phone key has one), any other key as its text. Equal keys give equal hash keys; the
/// target's own key still settles a collision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashKey<'a> {
    Digits(u64),
    Text(&'a str),
}

/// 1 to 15 ASCII digits as one number that tells every such string apart: their value, with
/// their count above it (so `007` and `7` differ). `None` for anything else.
#[inline]
pub(crate) fn digits_as_number(digits: &[u8]) -> Option<u64> {
    let n = digits.len();
    // 15 digits stay below 10^15 < 2^50: no overflow, and the count fits above bit 50.
    let number = match n {
        // The common case (phone numbers have 8 or more digits): two overlapping words,
        // checked and read eight digits at a time.
        8..=15 => {
            let (head, tail) = (le_word8(digits, 0), le_word8(digits, n - 8));
            if !eight_digits(head) || !eight_digits(tail) {
                return None;
            }
            // The head's first `n - 8` digits, moved up so that zeros lead them (none when
            // the tail is all of them).
            let high = (head - ASCII_ZEROS)
                .checked_shl(8 * (16 - n as u32))
                .unwrap_or(0);
            parse_eight_digits(high) * 100_000_000 + parse_eight_digits(tail - ASCII_ZEROS)
        }
        1..=7 => {
            let mut number = 0u64;
            for &d in digits {
                let value = d.wrapping_sub(b'0');
                if value > 9 {
                    return None;
                }
                number = number * 10 + u64::from(value);
            }
            number
        }
        _ => return None,
    };
    Some(number | (n as u64) << 50)
}

/// Eight `'0'` bytes.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The 8 bytes of `s` from `at` as a little-endian word: the first byte lowest (0 past the
/// end: never, as called). Also the fast string reader's and the short-id compare's word.
#[inline(always)]
pub(crate) fn le_word8(s: &[u8], at: usize) -> u64 {
    s.get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_le_bytes)
}

/// Whether each byte of `word` is an ASCII digit: its high half is 3, and stays 3 when 6
/// is added (which no byte carries out of, once every high half is 3).
#[inline]
fn eight_digits(word: u64) -> bool {
    const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    word & HIGH == ASCII_ZEROS && word.wrapping_add(0x0606_0606_0606_0606) & HIGH == ASCII_ZEROS
}

/// The number written by eight digit values (0 to 9), one a byte, the first one the most
/// significant and in the lowest byte: pairs, then fours, then all eight, by multiplying.
#[inline]
fn parse_eight_digits(values: u64) -> u64 {
    let pairs = values.wrapping_mul(10).wrapping_add(values >> 8);
    let low = (pairs & 0x0000_00ff_0000_00ff).wrapping_mul(100 + (1_000_000 << 32));
    let high = ((pairs >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32));
    low.wrapping_add(high) >> 32
}

/// The common input, a phone number already in its sent form (an optional `+`, then 5 to 15
/// digits, nothing else): its target and its key as a number, in one pass over it. `None`
/// sends the input to [`normalize`], which gives the same target for every input this takes.
#[inline]
fn plain_phone(raw: &str) -> Option<(Target, u64)> {
    let bytes = raw.as_bytes();
    let digits = bytes.strip_prefix(b"+").unwrap_or(bytes);
    if digits.len() < 5 {
        return None;
    }
    let number = digits_as_number(digits)?;
    let target = Target {
        sent: CompactString::from(raw),
        phone: true,
        uses: 1,
    };
    Some((target, number))
}

/// [`prepare_users`] with the key hash as a parameter, so tests can force collisions.
fn prepare_with_hash<I, S>(users: I, hash_key: impl Fn(HashKey<'_>) -> u64) -> PreparedUsers
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut users = users.into_iter();
    // Reserved up front (a `Vec` or slice of inputs knows its length): growing by doubling
    // would hold the old and the new buffer at each step.
    let expected = users.size_hint().0.min(MAX_USERS_PER_CALL + 1);
    let mut prepared = PreparedUsers {
        inputs: Vec::new(),
        slots: Vec::with_capacity(expected),
        invalid: Vec::new(),
        targets: Vec::with_capacity(expected),
    };
    // The dedupe map, from a key's hash to its target.
    let mut index = HashIndex::with_room_for(expected);
    // The inputs go in chunks: each chunk's inputs are normalised and hashed, their home slots
    // in the index read in one pass (so those cache misses overlap), then they are added.
    let mut chunk: Vec<S> = Vec::with_capacity(PREPARE_CHUNK);
    let mut normalized: Vec<Result<(Target, u64, bool), InvalidUser>> =
        Vec::with_capacity(PREPARE_CHUNK);
    loop {
        chunk.clear();
        chunk.extend(users.by_ref().take(PREPARE_CHUNK));
        if chunk.is_empty() {
            break;
        }
        normalized.clear();
        // Each input, whether it is exactly its target's sent form (always so on the fast
        // path), and the hash of its key.
        normalized.extend(chunk.iter().map(|raw| {
            let raw = raw.as_ref();
            match plain_phone(raw) {
                Some((id, number)) => Ok((id, hash_key(HashKey::Digits(number)), true)),
                None => normalize(raw).map(|id| {
                    let hash = hash_key(hash_key_of(&id));
                    let is_sent = id.sent == raw;
                    (id, hash, is_sent)
                }),
            }
        }));
        let targets = &prepared.targets;
        index.reserve(chunk.len(), targets.len(), |at| {
            hash_key(hash_key_of(&targets[at]))
        });
        let touched = normalized.iter().flatten().fold(0u64, |sum, (_, hash, _)| {
            sum.wrapping_add(index.home_entry(*hash))
        });
        std::hint::black_box(touched);
        for (raw, normalized) in chunk.iter().zip(normalized.drain(..)) {
            let raw = raw.as_ref();
            let slot = normalized.map(|(id, hash, is_sent)| -> (usize, bool) {
                let targets = &mut prepared.targets;
                let new = targets.len();
                let known = index.find_or_add(hash, new, |t| targets[t].key() == id.key());
                if let Some(target) = known {
                    // Saturating: a count that stops growing only makes the outcome clone.
                    targets[target].uses = targets[target].uses.saturating_add(1);
                    // The first spelling is the one sent: a later one is its sent form only
                    // if it is spelt the same.
                    return (target, is_sent && targets[target].sent == raw);
                }
                targets.push(id);
                (new, is_sent)
            });
            let slot = match slot {
                Ok((target, true)) => target_slot(target) | INPUT_IS_SENT,
                Ok((target, false)) => target_slot(target),
                Err(invalid) => {
                    prepared.invalid.push(invalid);
                    INVALID_INPUT
                }
            };
            if slot & INPUT_IS_SENT == 0 || slot == INVALID_INPUT {
                // Sized for the remaining inputs on the first one kept: pages never written
                // to cost no memory, and growing by doubling would hold two buffers at each
                // step.
                if prepared.inputs.capacity() == 0 {
                    prepared
                        .inputs
                        .reserve(expected.saturating_sub(prepared.slots.len()).max(1));
                }
                prepared.inputs.push(CompactString::from(raw));
            }
            prepared.slots.push(slot);
        }
    }
    prepared
}

/// Inputs normalised and hashed together before they are added (see [`prepare_with_hash`]).
const PREPARE_CHUNK: usize = 128;

/// How a target's key is hashed: a phone number's digits as [`digits_as_number`] when they
/// fit, any other key as its text.
fn hash_key_of(target: &Target) -> HashKey<'_> {
    match target.digits().and_then(|d| digits_as_number(d.as_bytes())) {
        Some(number) => HashKey::Digits(number),
        None => HashKey::Text(target.key()),
    }
}

/// A target's index as a slot; beyond 31 bits (never, see [`INVALID_INPUT`]) it saturates,
/// so that even with [`INPUT_IS_SENT`] it stays below the invalid mark.
fn target_slot(target: usize) -> u32 {
    const MAX: u32 = INPUT_IS_SENT - 2;
    u32::try_from(target).map_or(MAX, |t| t.min(MAX))
}

/// `a == b`, compared inline for strings of 4 to 16 bytes (phone numbers, WA IDs, most
/// BSUIDs): two overlapping word loads a side instead of a call to `memcmp`, which is what
/// most of the cost of comparing such short strings is.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => le_word8(a, 0) == le_word8(b, 0) && le_word8(a, n - 8) == le_word8(b, n - 8),
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        _ => a == b,
    }
}

/// The 4 bytes of `s` from `at` as a word (0 past the end: never, as called).
#[inline]
fn word4(s: &[u8], at: usize) -> u32 {
    s.get(at..at + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, u32::from_ne_bytes)
}

/// Digits of `s` if it is written like a phone number (digits and phone punctuation only).
pub(crate) fn phone_digits(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut digits = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    (!digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn phone_numbers_in_common_writings() {
        for (raw, sent) in [
            ("+1 (650) 555-1234", "+16505551234"),
            ("16505551234", "16505551234"),
            ("  +44 20 7946 0958 ", "+442079460958"),
            ("650.555.1234", "6505551234"),
        ] {
            assert_eq!(normalize_user(raw).unwrap().sent(), sent, "{raw}");
        }
    }

    #[test]
    fn refusals_say_why() {
        assert!(normalize_user("1234").unwrap_err().0.contains("4 digits"));
        assert!(normalize_user("1234567890123456").is_err());
        assert!(
            normalize_user("++16505551234")
                .unwrap_err()
                .0
                .contains("'+'")
        );
        assert!(normalize_user("abc").is_err());
        assert!(normalize_user("").is_err());
        for raw in [
            "16505\u{0}551234",
            "US.123\u{0}",
            "1650555\t1234",
            "1650\u{7f}5551234",
        ] {
            let why = normalize_user(raw).unwrap_err().0;
            assert!(why.contains("control character U+00"), "{why}");
            assert!(!why.chars().any(char::is_control), "{why}");
        }
        assert!(
            normalize_user(&"1".repeat(300))
                .unwrap_err()
                .0
                .contains("256")
        );
        assert!(
            normalize_user("US.ENT.1234")
                .unwrap_err()
                .0
                .contains("parent")
        );
        assert!(normalize_user("us.1234").is_err());
        assert!(normalize_user("US.12-34").is_err());
        assert!(normalize_user(&format!("US.{}", "1".repeat(129))).is_err());
    }

    #[test]
    fn non_ascii_text_is_named_by_its_character() {
        let why = normalize_user("1650555é1234").unwrap_err().0;
        assert!(why.contains("unexpected character 'é'"), "{why}");
        let why = normalize_user("+1 650 555 1234 ☎").unwrap_err().0;
        assert!(why.contains("unexpected character '☎'"), "{why}");
        let why = normalize_user("é1650\u{85}5551234").unwrap_err().0;
        assert!(why.contains("control character U+0085"), "{why}");
    }

    #[test]
    fn bsuid_is_sent_as_given() {
        let id = normalize_user("US.13491208655302741918").unwrap();
        assert_eq!(id, UserId::Bsuid("US.13491208655302741918".into()));
    }

    #[test]
    fn dedupe_keeps_every_input() {
        let p = prepare_users(["+1 650 555 1234", "16505551234", "bad", "US.1"]);
        assert_eq!(p.targets.len(), 2);
        assert_eq!(p.targets[0].uses, 2);
        let slots = p.slot_results();
        assert_eq!(slots[0].as_ref().unwrap(), &0);
        assert_eq!(slots[1].as_ref().unwrap(), &0);
        assert_eq!(p.targets[0].sent, "+16505551234");
        assert!(slots[2].is_err());
        assert_eq!(slots[3].as_ref().unwrap(), &1);
    }

    #[test]
    fn dedupe_survives_hash_collisions() {
        let users = [
            "16505551234",
            "US.1",
            "+16505551234",
            "US.1",
            "16505550000",
            "US.1",
        ];
        let p = prepare_with_hash(users, |_| 7);
        let slots: Vec<usize> = p
            .slot_results()
            .iter()
            .map(|s| *s.as_ref().unwrap())
            .collect();
        assert_eq!(slots, vec![0, 1, 0, 1, 2, 1]);
        let uses: Vec<u32> = p.targets.iter().map(|t| t.uses).collect();
        assert_eq!(uses, vec![2, 3, 1]);
        let sent: Vec<&str> = p.targets.iter().map(|t| t.sent.as_str()).collect();
        assert_eq!(sent, vec!["16505551234", "US.1", "16505550000"]);
    }

    #[test]
    fn dedupe_holds_when_the_inputs_do_not_say_how_many_they_are() {
        // `filter` hides the length, so the index starts small and grows (placing every
        // target again) many times; every third input repeats an earlier user in another
        // spelling, and text keys are mixed in.
        let users: Vec<String> = (0..5_000u64)
            .map(|i| match i % 3 {
                2 => format!("+1 555 {:07}", i - 2),
                1 => format!("US.{i}"),
                _ => format!("+1555{i:07}"),
            })
            .collect();
        let p = prepare_users(users.iter().filter(|_| true));
        assert_eq!(p.targets.len(), 5_000 - 5_000 / 3);
        let slots = p.slot_results();
        for (i, slot) in slots.iter().enumerate() {
            let target = *slot.as_ref().unwrap();
            let first = if i % 3 == 2 { i - 2 } else { i };
            assert_eq!(target, *slots[first].as_ref().unwrap(), "input {i}");
        }
        // Each phone number is named twice, but the last (4,998: its repeat would be 5,000).
        let phone_uses: Vec<u32> = p.targets.iter().step_by(2).map(|t| t.uses).collect();
        assert!(phone_uses[..phone_uses.len() - 1].iter().all(|&u| u == 2));
        assert_eq!(phone_uses.last(), Some(&1));
        assert!(p.targets.iter().skip(1).step_by(2).all(|t| t.uses == 1));
    }

    #[test]
    fn digits_as_number_tells_every_digit_string_apart() {
        assert_eq!(digits_as_number(b"7"), Some(7 | 1 << 50));
        assert_ne!(digits_as_number(b"7"), digits_as_number(b"07"));
        assert_ne!(digits_as_number(b"007"), digits_as_number(b"07"));
        assert_eq!(
            digits_as_number(b"999999999999999"),
            Some(999_999_999_999_999 | 15 << 50)
        );
        for refused in [
            &b""[..],
            b"1234567890123456",
            b"+1234",
            b"12a4",
            b"12 34",
            b"/",
            b":",
        ] {
            assert_eq!(digits_as_number(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn digits_as_number_reads_every_length_and_refuses_every_position() {
        let scalar = |d: &[u8]| -> Option<u64> {
            if d.is_empty() || d.len() > 15 || !d.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let value = std::str::from_utf8(d).ok()?.parse::<u64>().ok()?;
            Some(value | (d.len() as u64) << 50)
        };
        let seed = RandomState::new();
        for round in 0..300u64 {
            let mut text = seed.hash_one(round).to_string();
            text.push_str(&seed.hash_one(round + 1000).to_string());
            if round % 3 == 0 {
                text.insert_str(0, "000");
            }
            if round % 5 == 0 {
                text = text.replace('1', "9");
            }
            for n in 0..=17.min(text.len()) {
                let digits = &text.as_bytes()[..n];
                assert_eq!(digits_as_number(digits), scalar(digits), "{text} {n}");
                for at in 0..n {
                    for bad in [
                        b'/', b':', b' ', b'+', b'a', 0, 0x80, 0xff, 0x3a, 0x3f, 0x29,
                    ] {
                        let mut spoilt = digits.to_vec();
                        spoilt[at] = bad;
                        assert_eq!(digits_as_number(&spoilt), None, "{spoilt:?}");
                    }
                }
            }
        }
        assert_eq!(
            digits_as_number(b"999999999999999"),
            Some(999_999_999_999_999 | 15 << 50)
        );
        assert_eq!(digits_as_number(b"00000000"), Some(8 << 50));
        assert_eq!(digits_as_number(b"100000000"), Some(100_000_000 | 9 << 50));
    }

    #[test]
    fn the_fast_path_gives_what_normalize_gives() {
        for raw in [
            "16505551234",
            "+16505551234",
            "12345",
            "+12345",
            "123456789012345",
            "+123456789012345",
            "00012",
            "+00012",
        ] {
            let (fast, number) = plain_phone(raw).unwrap();
            let slow = normalize(raw).unwrap();
            assert_eq!(fast, slow, "{raw}");
            assert_eq!(
                Some(number),
                digits_as_number(slow.key().as_bytes()),
                "{raw}"
            );
        }
        for raw in [
            "1234",
            "+1234",
            "1234567890123456",
            "++12345",
            " 16505551234",
            "16505551234 ",
            "1 650 555 1234",
            "US.12345",
            "+",
            "",
            "1650555123\u{0}",
            "１２３４５",
        ] {
            assert!(plain_phone(raw).is_none(), "{raw:?}");
        }
    }

    #[test]
    fn dedupe_keeps_leading_zeros_apart() {
        let users = [
            "0012345", "12345", "+0012345", "012345", "+12345", "00 12345",
        ];
        let p = prepare_users(users);
        let slots: Vec<usize> = p
            .slot_results()
            .iter()
            .map(|s| *s.as_ref().unwrap())
            .collect();
        assert_eq!(slots, vec![0, 1, 0, 2, 1, 0]);
        let sent: Vec<&str> = p.targets.iter().map(|t| t.sent.as_str()).collect();
        assert_eq!(sent, vec!["0012345", "12345", "012345"]);
        assert_eq!(p.all_inputs(), users);
        assert_eq!(p.inputs, ["+0012345", "+12345", "00 12345"]);
    }

    #[test]
    fn same_text_is_string_equality() {
        let texts = [
            "",
            "1",
            "12",
            "123",
            "1234",
            "1235",
            "12345",
            "1234567",
            "1234568",
            "12345678",
            "12345679",
            "02345678",
            "123456789",
            "+16505551234",
            "+16505551235",
            "+26505551234",
            "1650555123456789",
            "1650555123456788",
            "16505551234567890",
            "16505551234567891",
            "US.13491208655302741918",
            "US.13491208655302741919",
            "é",
            "é1",
            "1é",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn only_inputs_unlike_their_sent_form_are_stored() {
        let users = ["+16505551234", "+1 650 555 1234", "bad", "US.1", " US.1"];
        let p = prepare_users(users);
        assert_eq!(p.inputs, ["+1 650 555 1234", "bad", " US.1"]);
        assert_eq!(p.all_inputs(), users);
        assert_eq!(
            p.slots.iter().map(|&s| Slot::read(s)).collect::<Vec<_>>(),
            [
                Slot::Target {
                    index: 0,
                    input_is_sent: true
                },
                Slot::Target {
                    index: 0,
                    input_is_sent: false
                },
                Slot::Invalid,
                Slot::Target {
                    index: 1,
                    input_is_sent: true
                },
                Slot::Target {
                    index: 1,
                    input_is_sent: false
                },
            ]
        );
        assert_ne!(target_slot(usize::MAX) | INPUT_IS_SENT, INVALID_INPUT);
    }
}
