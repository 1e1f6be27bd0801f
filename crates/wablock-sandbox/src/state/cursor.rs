//! Blocklist paging cursors: base64url of `{"offset": N, "versionId": "…"}`, bound to the
//! version of the blocklist they were issued for (a change makes old cursors stale).

use serde_json::{Value, json};

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub(super) fn encode_cursor(offset: usize, version: &str) -> String {
    b64_encode(
        json!({"offset": offset, "versionId": version})
            .to_string()
            .as_bytes(),
    )
}

pub(super) fn decode_cursor(cursor: &str) -> Option<(usize, String)> {
    let bytes = b64_decode(cursor)?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let offset = usize::try_from(v.get("offset")?.as_u64()?).ok()?;
    let version = match v.get("versionId")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some((offset, version))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "{\"offset\":0,\"versionId\":\"1\"}",
        ] {
            assert_eq!(b64_decode(&b64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        let c = encode_cursor(25, "1737679688383584");
        assert_eq!(
            decode_cursor(&c),
            Some((25, "1737679688383584".to_string()))
        );
        assert_eq!(decode_cursor("!!"), None);
    }
}
