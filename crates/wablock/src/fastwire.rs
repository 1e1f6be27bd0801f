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

use std::borrow::Cow;

use compact_str::CompactString;

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
        let rest = self.b.get(start..)?;
        let n = memchr::memchr(b'"', rest)?;
        if rest[..n].iter().any(|&c| c < 0x20 || c == b'\\') {
            return None;
        }
        self.i = start + n + 1;
        // Both ends are next to an ASCII quote, so they are character boundaries.
        self.text.get(start..start + n)
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
        items.push(user_item(s)?);
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn edited_answers_agree(edits in prop::collection::vec(edit(), 1..4)) {
            agree(&apply(BLOCK, &edits));
            agree(&apply(LIST, &edits));
        }
    }
}
