//! A one-pass reader for the common shapes of the two bulk answers: a block/unblock answer
//! that only confirms users, and a page of the list. It reads the body once, copies only the
//! strings that outlive the answer, and borrows the rest (a confirmed item's `input` is only
//! looked up, never kept).
//!
//! It accepts a strict subset of JSON: objects, arrays, strings without escapes or control
//! characters (valid UTF-8) and `null`, each key at most once, and only the keys it knows
//! (plus unknown keys whose value is such a string or `null`). For a body in that subset the
//! result is, by construction, what serde's derive gives for the same text. Anything else,
//! however valid (an escape, a number, a refused user, a duplicate key, an error object),
//! returns `None` and the caller decodes the body with serde as before, so every odd shape
//! keeps exactly its old behaviour. Unit tests compare both decoders on many bodies.
//!
//! Items written exactly as servers write them (`{"input":"…","wa_id":"…"}`, and
//! `{"messaging_product":"whatsapp","wa_id":"…"}` or `{"wa_id":"…"}` in a list) are read by
//! comparing literal bytes instead of matching keys; any other item goes through the generic
//! reader, so the accepted set and the answers are the same. Strings are scanned eight bytes
//! at a time for the closing quote, a backslash or a control character in one pass.

use std::borrow::Cow;

use compact_str::CompactString;

use crate::users::le_word8;
use crate::wire::{
    BlockUsersResult, Cursors, ListItem, ListResponse, MutationResponse, Paging, UserItem,
};

struct Scan<'a> {
    /// The whole body, checked as UTF-8 once: strings are then slices of it.
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    /// `None` when the body is not UTF-8 (serde then says where).
    fn new(body: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        Some(Scan {
            text,
            b: body,
            i: 0,
        })
    }

    /// Skips JSON white space (the same four bytes serde_json skips).
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\t' | b'\r') {
                self.i += 1;
            } else {
                return Some(c);
            }
        }
        None
    }

    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    #[inline]
    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// A string with no escape and no control character, as serde_json would read it.
    #[inline]
    fn plain_str(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.i;
        let end = plain_end(self.b, start)?;
        self.i = end + 1;
        // Both ends are next to an ASCII quote, so they are character boundaries.
        self.text.get(start..end)
    }

    /// The plain string whose text starts at `start` (just after its opening quote),
    /// followed by the literal `after`: the string, and the index just past `after`.
    #[inline(always)]
    fn str_then(&self, start: usize, after: &[u8]) -> Option<(&'a str, usize)> {
        let end = plain_end(self.b, start)?;
        if !self.b.get(end..)?.starts_with(after) {
            return None;
        }
        Some((self.text.get(start..end)?, end + after.len()))
    }

    /// The common confirmed item, `{"input":"…","wa_id":"…"}` written exactly so (no white
    /// space inside, plain strings), read by comparing literal bytes; `None` (and nothing
    /// read) for any other shape, which [`user_item`] then reads.
    #[inline]
    fn confirmed_item(&mut self) -> Option<UserItem<'a>> {
        const OPEN: &[u8] = br#"{"input":""#;
        const MID: &[u8] = br#"","wa_id":""#;
        const CLOSE: &[u8] = br#""}"#;
        if !self.b.get(self.i..)?.starts_with(OPEN) {
            return None;
        }
        let (input, at) = self.str_then(self.i + OPEN.len(), MID)?;
        let (wa_id, at) = self.str_then(at, CLOSE)?;
        self.i = at;
        Some(UserItem {
            input: Some(Cow::Borrowed(input)),
            wa_id: Some(CompactString::from(wa_id)),
            user_id: None,
        })
    }

    /// The common listed item, `{"messaging_product":"whatsapp","wa_id":"…"}` or
    /// `{"wa_id":"…"}` written exactly so, read by comparing literal bytes; `None` (and
    /// nothing read) for any other shape, which the generic reader then reads.
    #[inline]
    fn listed_item(&mut self) -> Option<ListItem<'a>> {
        const META: &[u8] = br#"{"messaging_product":"whatsapp","wa_id":""#;
        const BARE: &[u8] = br#"{"wa_id":""#;
        const CLOSE: &[u8] = br#""}"#;
        let rest = self.b.get(self.i..)?;
        let start = if rest.starts_with(META) {
            self.i + META.len()
        } else if rest.starts_with(BARE) {
            self.i + BARE.len()
        } else {
            return None;
        };
        let (wa_id, at) = self.str_then(start, CLOSE)?;
        self.i = at;
        Some(ListItem {
            wa_id: Some(CompactString::from(wa_id)),
            user_id: None,
            block_users: None,
        })
    }

    /// `null`, or a plain string.
    #[inline]
    fn opt_str(&mut self) -> Option<Option<&'a str>> {
        if self.peek() == Some(b'n') {
            if self.b.get(self.i..self.i + 4)? == b"null" {
                self.i += 4;
                return Some(None);
            }
            return None;
        }
        self.plain_str().map(Some)
    }

    /// An object: `field` is called after each key and its colon, and must read the value.
    #[inline]
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.plain_str()?;
            self.expect(b':')?;
            field(self, key)?;
            if !self.eat(b',') {
                return self.expect(b'}');
            }
        }
    }

    /// An array: `item` is called for each element and must read it.
    #[inline]
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        if self.eat(b']') {
            return Some(());
        }
        loop {
            item(self)?;
            if !self.eat(b',') {
                return self.expect(b']');
            }
        }
    }

    /// Nothing but white space left, as `serde_json::from_slice` requires.
    fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }
}

/// The high bit of each byte lane of `v` that may be a `"`, a `\\` or a control character
/// (below 0x20): zero when there is none; otherwise the lowest set bit is exact (a false flag
/// can only follow a true one, in a higher lane).
#[inline(always)]
fn special_bytes(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = v ^ (ONES * u64::from(b'"'));
    let backslash = v ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (v.wrapping_sub(ONES * 0x20) & !v))
        & HIGH
}

/// Whether serde_json would escape any byte of `s` in a string: a `"`, a `\\` or a control
/// character (below 0x20). Eight bytes at a time; the last word overlaps the one before.
#[inline]
pub(crate) fn needs_json_escape(s: &[u8]) -> bool {
    if s.len() < 8 {
        return s.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
    }
    let mut flags = 0;
    for chunk in s.chunks_exact(8) {
        flags |= special_bytes(le_word8(chunk, 0));
    }
    if let Some(last) = s.get(s.len() - 8..) {
        flags |= special_bytes(le_word8(last, 0));
    }
    flags != 0
}

/// The index of the quote that ends the string whose text starts at `start`, or `None` when
/// a backslash or a control character (below 0x20) comes first, or no quote comes.
///
/// Eight bytes at a time (SWAR): per byte lane, flags for "is `\"`", "is `\\`" and "is below
/// 0x20". These classic bit tricks can only raise false flags in lanes above a true one, so
/// the lowest flag is exact; its byte is then looked at directly.
#[inline(always)]
fn plain_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while let Some(chunk) = b.get(i..i + 8) {
        let flags = special_bytes(le_word8(chunk, 0));
        if flags != 0 {
            let at = i + (flags.trailing_zeros() / 8) as usize;
            return (*b.get(at)? == b'"').then_some(at);
        }
        i += 8;
    }
    for (at, &c) in b.iter().enumerate().skip(i) {
        if c == b'"' {
            return Some(at);
        }
        if c < 0x20 || c == b'\\' {
            return None;
        }
    }
    None
}

/// Marks `bit` in `seen`; `None` when the key came before (serde: "duplicate field").
#[inline]
fn first_time(seen: &mut u8, bit: u8) -> Option<()> {
    let new = *seen & bit == 0;
    *seen |= bit;
    new.then_some(())
}

/// A confirmed or listed user: `{"input"?, "wa_id"?, "user_id"?}` (unknown keys with a
/// string or `null` value are skipped, as serde skips them).
fn user_item<'a>(s: &mut Scan<'a>) -> Option<UserItem<'a>> {
    let (mut input, mut wa_id, mut user_id) = (None, None, None);
    let mut seen = 0u8;
    s.object(|s, key| {
        match key {
            "input" => {
                first_time(&mut seen, 1)?;
                input = s.opt_str()?;
            }
            "wa_id" => {
                first_time(&mut seen, 2)?;
                wa_id = s.opt_str()?;
            }
            "user_id" => {
                first_time(&mut seen, 4)?;
                user_id = s.opt_str()?;
            }
            _ => {
                s.opt_str()?;
            }
        }
        Some(())
    })?;
    Some(UserItem {
        input: input.map(Cow::Borrowed),
        wa_id: wa_id.map(CompactString::from),
        user_id: user_id.map(CompactString::from),
    })
}

fn user_items<'a>(s: &mut Scan<'a>, expected: usize) -> Option<Vec<UserItem<'a>>> {
    let mut items = Vec::with_capacity(expected);
    s.array(|s| {
        s.peek();
        let item = match s.confirmed_item() {
            Some(item) => item,
            None => user_item(s)?,
        };
        items.push(item);
        Some(())
    })?;
    Some(items)
}

/// A POST/DELETE answer of the form `{"block_users":{"added_users"|"removed_users":[…]}}`
/// (an empty `failed_users` allowed), or `None` for serde to decode. `expected` (the users
/// sent) sizes the lists, so they are not grown by doubling.
pub(crate) fn mutation_response(body: &[u8], expected: usize) -> Option<MutationResponse<'_>> {
    let mut s = Scan::new(body)?;
    let mut result: Option<BlockUsersResult<'_>> = None;
    let mut seen = 0u8;
    s.object(|s, key| {
        match key {
            "block_users" => {
                first_time(&mut seen, 1)?;
                let mut r = BlockUsersResult::default();
                let mut inner_seen = 0u8;
                s.object(|s, key| {
                    match key {
                        "added_users" => {
                            first_time(&mut inner_seen, 1)?;
                            r.added_users = user_items(s, expected)?;
                        }
                        "removed_users" => {
                            first_time(&mut inner_seen, 2)?;
                            r.removed_users = user_items(s, expected)?;
                        }
                        // Refusals are rare and varied: serde reads those answers.
                        "failed_users" => {
                            first_time(&mut inner_seen, 4)?;
                            s.array(|_| None)?;
                        }
                        _ => {
                            s.opt_str()?;
                        }
                    }
                    Some(())
                })?;
                result = Some(r);
            }
            // An error object, or any value not a string: serde reads it.
            "error" => return None,
            _ => {
                s.opt_str()?;
            }
        }
        Some(())
    })?;
    s.end()?;
    Some(MutationResponse {
        block_users: Some(result?),
        error: None,
    })
}

/// A GET answer `{"data":[{"wa_id"?, "user_id"?}…], "paging"?: {…}}`, or `None` for serde.
/// `expected` (the page size asked for) sizes the list of items.
pub(crate) fn list_response(body: &[u8], expected: usize) -> Option<ListResponse<'_>> {
    let mut s = Scan::new(body)?;
    let mut data: Option<Vec<ListItem<'_>>> = None;
    let mut paging: Option<Paging> = None;
    let mut seen = 0u8;
    s.object(|s, key| {
        match key {
            "data" => {
                first_time(&mut seen, 1)?;
                let mut items = Vec::with_capacity(expected);
                s.array(|s| {
                    s.peek();
                    if let Some(item) = s.listed_item() {
                        items.push(item);
                        return Some(());
                    }
                    let (mut wa_id, mut user_id) = (None, None);
                    let mut seen = 0u8;
                    s.object(|s, key| {
                        match key {
                            "wa_id" => {
                                first_time(&mut seen, 1)?;
                                wa_id = s.opt_str()?;
                            }
                            "user_id" => {
                                first_time(&mut seen, 2)?;
                                user_id = s.opt_str()?;
                            }
                            // 360dialog's nested users: serde reads those.
                            "block_users" => return None,
                            _ => {
                                s.opt_str()?;
                            }
                        }
                        Some(())
                    })?;
                    items.push(ListItem {
                        wa_id: wa_id.map(CompactString::from),
                        user_id: user_id.map(CompactString::from),
                        block_users: None,
                    });
                    Some(())
                })?;
                data = Some(items);
            }
            "paging" => {
                first_time(&mut seen, 2)?;
                paging = paging_object(s)?;
            }
            _ => {
                s.opt_str()?;
            }
        }
        Some(())
    })?;
    s.end()?;
    Some(ListResponse {
        data: data?,
        paging,
    })
}

/// `paging`: `null`, or `{"cursors"?: null | {"after"?, "before"?}, "next"?, "previous"?}`.
fn paging_object(s: &mut Scan<'_>) -> Option<Option<Paging>> {
    if s.peek() == Some(b'n') {
        return s.opt_str().map(|_| None);
    }
    let mut paging = Paging::default();
    let mut seen = 0u8;
    s.object(|s, key| {
        match key {
            "cursors" => {
                first_time(&mut seen, 1)?;
                if s.peek() == Some(b'n') {
                    s.opt_str()?;
                } else {
                    let mut cursors = Cursors::default();
                    let mut seen = 0u8;
                    s.object(|s, key| {
                        match key {
                            "after" => {
                                first_time(&mut seen, 1)?;
                                cursors.after = s.opt_str()?.map(str::to_owned);
                            }
                            "before" => {
                                first_time(&mut seen, 2)?;
                                cursors.before = s.opt_str()?.map(str::to_owned);
                            }
                            _ => {
                                s.opt_str()?;
                            }
                        }
                        Some(())
                    })?;
                    paging.cursors = Some(cursors);
                }
            }
            "next" => {
                first_time(&mut seen, 2)?;
                paging.next = s.opt_str()?.map(str::to_owned);
            }
            "previous" => {
                first_time(&mut seen, 4)?;
                paging.previous = s.opt_str()?.map(str::to_owned);
            }
            _ => {
                s.opt_str()?;
            }
        }
        Some(())
    })?;
    Some(Some(paging))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// The fast reader either declines or agrees with serde exactly.
    fn agree(body: &[u8]) -> (bool, bool) {
        let mutation = mutation_response(body, 2);
        if let Some(fast) = &mutation {
            let slow = serde_json::from_slice::<MutationResponse<'_>>(body);
            assert_eq!(
                Some(fast),
                slow.as_ref().ok(),
                "mutation body {:?}",
                String::from_utf8_lossy(body)
            );
        }
        let list = list_response(body, 2);
        if let Some(fast) = &list {
            let slow = serde_json::from_slice::<ListResponse<'_>>(body);
            assert_eq!(
                Some(fast),
                slow.as_ref().ok(),
                "list body {:?}",
                String::from_utf8_lossy(body)
            );
        }
        (mutation.is_some(), list.is_some())
    }

    const BLOCK: &str = r#"{"block_users":{"added_users":[{"input":"+15550000009","wa_id":"15550000009"},{"input":"15550000010","wa_id":"15550000010"}]},"messaging_product":"whatsapp"}"#;
    const LIST: &str = r#"{"data":[{"messaging_product":"whatsapp","wa_id":"15550000000"},{"messaging_product":"whatsapp","wa_id":"15550000001"}],"paging":{"cursors":{"after":"eyJvZmZzZXQiOjJ9","before":"eyJvZmZzZXQiOjB9"},"next":"http://127.0.0.1:1/v23.0/1/block_users?limit=2&after=eyJvZmZzZXQiOjJ9"}}"#;

    #[test]
    fn the_common_answers_take_the_fast_path() {
        assert_eq!(agree(BLOCK.as_bytes()), (true, false));
        assert_eq!(agree(LIST.as_bytes()), (false, true));
        let removed = r#" { "block_users" : { "removed_users" : [ { "input" : "US.1" , "user_id" : "US.1" , "wa_id" : null } ] , "failed_users" : [ ] } } "#;
        assert_eq!(agree(removed.as_bytes()), (true, false));
        assert_eq!(agree(br#"{"data":[],"paging":null}"#), (false, true));
        assert_eq!(
            agree(br#"{"data":[{}],"paging":{"cursors":null}}"#),
            (false, true)
        );
    }

    #[test]
    fn odd_shapes_are_left_to_serde() {
        for body in [
            r#"{"block_users":{"added_users":[{"input":"1","input":"2"}]}}"#,
            r#"{"block_users":{"added_users":[["1","2"]]}}"#,
            r#"{"block_users":{"added_users":[{"input":2}]}}"#,
            r#"{"block_users":{"added_users":[{"input":"\u0031"}]}}"#,
            r#"{"block_users":{"added_users":null}}"#,
            r#"{"block_users":{"failed_users":[{"input":"1"}]}}"#,
            r#"{"block_users":{"added_users":[]},"error":null}"#,
            r#"{"block_users":{"added_users":[]},"block_users":{}}"#,
            r#"{"block_users":{"added_users":[]}} x"#,
            r#"{"block_users":{"added_users":[],}}"#,
            "{\"block_users\":{\"added_users\":[{\"input\":\"1\u{1}\"}]}}",
            r#"{"data":[{"block_users":[{"wa_id":"1"}]}]}"#,
            r#"{"data":[{"wa_id":"1","wa_id":"2"}]}"#,
            r#"{"data":[{"wa_id":1}]}"#,
            r#"{"paging":{}}"#,
            r#"{"data":[],"paging":{"next":"a","next":"b"}}"#,
        ] {
            assert_eq!(agree(body.as_bytes()), (false, false), "{body}");
        }
        assert_eq!(agree(b"{\"data\":[{\"wa_id\":\"\xff\"}]}"), (false, false));
    }

    #[test]
    fn the_literal_item_paths_agree_with_the_generic_reader() {
        let block = |items: &str| format!(r#"{{"block_users":{{"added_users":[{items}]}}}}"#);
        let list = |items: &str| format!(r#"{{"data":[{items}],"paging":null}}"#);
        let long = "1".repeat(70);
        let taken = [
            r#"{"input":"+1555","wa_id":"1555"}"#.to_owned(),
            r#"{"input":"","wa_id":""}"#.to_owned(),
            r#" {"input":"+1555","wa_id":"1555"} "#.to_owned(),
            r#"{"input":"+1555","wa_id":"1555"},{"input":"2","wa_id":"2"}"#.to_owned(),
            format!(r#"{{"input":"{long}","wa_id":"{long}"}}"#),
            r#"{"input":"é€😀","wa_id":"ü"}"#.to_owned(),
            // Other shapes the generic reader takes.
            r#"{"wa_id":"1555","input":"+1555"}"#.to_owned(),
            r#"{ "input":"+1555","wa_id":"1555"}"#.to_owned(),
            r#"{"input":"+1555" ,"wa_id":"1555"}"#.to_owned(),
            r#"{"input":"+1555","wa_id":"1555" }"#.to_owned(),
            r#"{"input":"+1555","wa_id":"1555","user_id":"US.1"}"#.to_owned(),
            r#"{"input":"+1555","wa_id":null}"#.to_owned(),
            r#"{"input":null,"wa_id":"1555"}"#.to_owned(),
            r#"{"input":"+1555","wa_id":"1555","x":null}"#.to_owned(),
            r#"{"input":"+1555"}"#.to_owned(),
        ];
        for items in &taken {
            assert_eq!(agree(block(items).as_bytes()), (true, false), "{items}");
        }
        let declined = [
            r#"{"input":"+1\u0035","wa_id":"1555"}"#,
            r#"{"input":"+1555","wa_id":"15\"5"}"#,
            "{\"input\":\"+1\u{1f}\",\"wa_id\":\"1\"}",
            "{\"input\":\"+1\",\"wa_id\":\"1\t\"}",
            r#"{"input":"+1555","wa_id":"1555","wa_id":"1"}"#,
            r#"{"input":"+1555","wa_id":"1555","input":"1"}"#,
            r#"{"input":"+1555","wa_id":1555}"#,
            r#"{"input":"+1555","wa_id":"1555"}}"#,
            r#"{"input":"+1555","wa_id":"1555""#,
            r#"{"input":"+1555","wa_id":"1555"#,
            r#"{"input":"+1555","wa_id":"#,
            r#"{"input":"+1555""#,
            r#"{"input":"+15"#,
        ];
        for items in declined {
            assert_eq!(agree(block(items).as_bytes()), (false, false), "{items}");
        }
        assert_eq!(
            agree(b"{\"block_users\":{\"added_users\":[{\"input\":\"\xff\",\"wa_id\":\"1\"}]}}"),
            (false, false)
        );

        let taken = [
            r#"{"messaging_product":"whatsapp","wa_id":"1555"}"#.to_owned(),
            r#"{"wa_id":"1555"}"#.to_owned(),
            r#"{"wa_id":""}"#.to_owned(),
            format!(r#"{{"wa_id":"{long}"}},{{"wa_id":"2"}}"#),
            r#"{"messaging_product":"whatsapp","wa_id":"1555","user_id":"US.1"}"#.to_owned(),
            r#"{"messaging_product":"whatsapp","wa_id":null}"#.to_owned(),
            r#"{"messaging_product":"whatsapp" ,"wa_id":"1555"}"#.to_owned(),
            r#"{"wa_id":"1555","messaging_product":"whatsapp"}"#.to_owned(),
            r#"{"messaging_product":"other","wa_id":"1555"}"#.to_owned(),
            r#"{"user_id":"US.1","wa_id":"1555"}"#.to_owned(),
            r#"{"wa_id":"1555" }"#.to_owned(),
        ];
        for items in &taken {
            assert_eq!(agree(list(items).as_bytes()), (false, true), "{items}");
        }
        for items in [
            r#"{"wa_id":"15\u0035"}"#,
            r#"{"messaging_product":"whatsapp","wa_id":"1555","wa_id":"1"}"#,
            r#"{"wa_id":"1555","block_users":[]}"#,
            r#"{"wa_id":1555}"#,
            r#"{"wa_id":"1555""#,
            r#"{"wa_id":"15"#,
        ] {
            assert_eq!(agree(list(items).as_bytes()), (false, false), "{items}");
        }
    }

    /// What [`plain_end`] must answer, one byte at a time.
    fn plain_end_naive(b: &[u8], start: usize) -> Option<usize> {
        for (at, &c) in b.iter().enumerate().skip(start) {
            match c {
                b'"' => return Some(at),
                b'\\' | 0..0x20 => return None,
                _ => {}
            }
        }
        None
    }

    #[test]
    fn fuzz_seeds_agree() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds");
        let mut bodies = 0;
        for dir in ["decode_outcome", "decode_page", "decode_error"] {
            let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
                continue;
            };
            for entry in entries.flatten() {
                let body = std::fs::read(entry.path()).unwrap();
                agree(&body);
                bodies += 1;
            }
        }
        assert!(bodies > 0, "no fuzz seeds under {root}");
    }

    /// Bytes that make small JSON edits: structure, quotes, escapes, keys' letters, digits.
    fn edit() -> impl Strategy<Value = (usize, u8, Vec<u8>)> {
        let piece = prop::sample::select(vec![
            &b"\""[..],
            b"\\",
            b",",
            b":",
            b"{",
            b"}",
            b"[",
            b"]",
            b"null",
            b" ",
            b"1",
            b"\"input\":\"1\"",
            b"\"wa_id\":",
            b"\"user_id\":",
            b"\"error\":",
            b"\"failed_users\":",
            b"\\u0031",
            b"\xc3\xa9",
            b"\xff",
            b"\x01",
        ]);
        (any::<usize>(), 0u8..3, piece.prop_map(<[u8]>::to_vec))
    }

    fn apply(base: &str, edits: &[(usize, u8, Vec<u8>)]) -> Vec<u8> {
        let mut body = base.as_bytes().to_vec();
        for (at, how, piece) in edits {
            let at = at % (body.len() + 1);
            match how {
                0 => {
                    body.splice(at..at, piece.iter().copied());
                }
                1 => {
                    let end = (at + piece.len()).min(body.len());
                    body.splice(at..end, piece.iter().copied());
                }
                _ => {
                    let end = (at + 1 + piece.len() % 4).min(body.len());
                    body.drain(at..end);
                }
            }
        }
        body
    }

    const LIST_BARE: &str =
        r#"{"data":[{"wa_id":"15550000000"},{"wa_id":"15550000001"}],"paging":null}"#;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn edited_answers_agree(edits in prop::collection::vec(edit(), 1..4)) {
            agree(&apply(BLOCK, &edits));
            agree(&apply(LIST, &edits));
            agree(&apply(LIST_BARE, &edits));
        }

        #[test]
        fn needs_json_escape_is_the_byte_loop(
            bytes in prop::collection::vec(
                prop::sample::select(vec![b'"', b'\\', 0u8, 0x1f, 0x20, b'1', b'a', 0x7f, 0x80, 0xa2, 0xdc, 0xff]),
                0..40,
            ),
        ) {
            prop_assert_eq!(
                needs_json_escape(&bytes),
                bytes.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\')
            );
        }

        #[test]
        fn plain_end_is_the_byte_loop(
            bytes in prop::collection::vec(
                prop::sample::select(vec![b'"', b'\\', 0u8, 0x1f, 0x20, b'1', b'a', 0x7f, 0x80, 0xa2, 0xdc, 0xff]),
                0..40,
            ),
            start in 0usize..40,
        ) {
            prop_assert_eq!(plain_end(&bytes, start), plain_end_naive(&bytes, start));
        }
    }
}
