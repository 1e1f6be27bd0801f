//! A small HTTP/1.1 server core: request parsing (Content-Length and chunked bodies,
//! `Expect: 100-continue`, keep-alive) and byte-exact response writing, including the
//! deliberately broken responses used by scripted faults.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Largest accepted request body (a 64,000-entry pre-fill is about 1.5 MB).
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Largest accepted request line or header line.
const MAX_LINE: u64 = 16 * 1024;
/// Largest number of header lines.
const MAX_HEADERS: usize = 200;

/// One parsed HTTP request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names are lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

impl Request {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A way to break the connection instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Close the connection without writing anything.
    DropBeforeResponse,
    /// Write the headers and part of the body, then close.
    DropMidBody,
}

/// One response to write.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    pub fault: Option<Fault>,
    /// A JSON body still to be serialised (it replaces `body`): built under the state lock,
    /// serialised by `write_response` after the lock is released.
    pub pending: Option<serde_json::Value>,
    /// A webhook to POST (`--webhook-url`) after the state lock is released and before this
    /// response is written; the outcome is added to `pending` as `webhook_delivery`.
    pub webhook: Option<Delivery>,
}

/// A signed webhook payload for the sandbox's `webhook_url`.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub url: String,
    pub body: Vec<u8>,
    pub signature: String,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
            delay: Duration::ZERO,
            fault: None,
            pending: None,
            webhook: None,
        }
    }

    /// A JSON response serialised only when written, outside the state lock.
    pub fn json_deferred(status: u16, value: serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Vec::new(),
            delay: Duration::ZERO,
            fault: None,
            pending: Some(value),
            webhook: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_line(reader: &mut BufReader<TcpStream>, buf: &mut Vec<u8>) -> io::Result<usize> {
    buf.clear();
    let n = reader.by_ref().take(MAX_LINE).read_until(b'\n', buf)?;
    if n > 0 && buf.last() != Some(&b'\n') {
        if n as u64 >= MAX_LINE {
            return Err(bad("line too long"));
        }
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed mid-line",
        ));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(n)
}

/// Reads one request. `Ok(None)` means the peer closed the connection cleanly between
/// requests.
pub(crate) fn read_request(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> io::Result<Option<Request>> {
    let mut line = Vec::with_capacity(256);
    // Skip empty lines between requests (RFC 9112 §2.2 allows one).
    loop {
        let n = read_line(reader, &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        if !line.is_empty() {
            break;
        }
    }
    let request_line = String::from_utf8(line.clone()).map_err(|_| bad("bad request line"))?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().ok_or_else(|| bad("no method"))?.to_string();
    let target = parts.next().ok_or_else(|| bad("no target"))?.to_string();
    let version = parts.next().unwrap_or("HTTP/1.0").to_string();

    let mut headers = Vec::new();
    loop {
        read_line(reader, &mut line)?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(bad("too many headers"));
        }
        let text = String::from_utf8_lossy(&line);
        if let Some((k, v)) = text.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let connection = get("connection").map(str::to_ascii_lowercase);
    let keep_alive = if version == "HTTP/1.0" {
        connection.as_deref() == Some("keep-alive")
    } else {
        connection.as_deref() != Some("close")
    };
    let chunked = get("transfer-encoding")
        .map(|v| v.to_ascii_lowercase().contains("chunked"))
        .unwrap_or(false);
    let content_length = match get("content-length") {
        Some(v) => Some(v.parse::<usize>().map_err(|_| bad("bad content-length"))?),
        None => None,
    };
    if get("expect").map(|v| v.eq_ignore_ascii_case("100-continue")) == Some(true)
        && (chunked || content_length.unwrap_or(0) > 0)
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }

    let body = if chunked {
        read_chunked(reader, &mut line)?
    } else if let Some(len) = content_length {
        if len > MAX_BODY {
            return Err(bad("body too large"));
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };

    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.clone(), None),
    };
    // Absolute-form targets ("http://host/path") are reduced to their path.
    let path = if let Some(rest) = path
        .strip_prefix("http://")
        .or_else(|| path.strip_prefix("https://"))
    {
        match rest.find('/') {
            Some(i) => rest[i..].to_string(),
            None => "/".to_string(),
        }
    } else {
        path
    };
    Ok(Some(Request {
        method,
        path,
        query,
        headers,
        body,
        keep_alive,
    }))
}

fn read_chunked(reader: &mut BufReader<TcpStream>, line: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        read_line(reader, line)?;
        let text = String::from_utf8_lossy(line);
        let size_text = text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                read_line(reader, line)?;
                if line.is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        read_line(reader, line)?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes `resp` (honouring its fault). Returns whether the connection may be reused.
pub(crate) fn write_response(
    stream: &mut TcpStream,
    resp: &Response,
    keep_alive: bool,
) -> io::Result<bool> {
    if resp.fault == Some(Fault::DropBeforeResponse) {
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return Ok(false);
    }
    let serialised;
    let mut body: &[u8] = match &resp.pending {
        Some(value) => {
            serialised = value.to_string().into_bytes();
            &serialised
        }
        None => &resp.body,
    };
    let filler;
    if resp.fault == Some(Fault::DropMidBody) && body.len() < 2 {
        filler = b"{\"error\":{\"message\":\"this body is cut short on purpose\"}}".to_vec();
        body = &filler;
    }
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(
        format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status)).as_bytes(),
    );
    let mut has_length = false;
    let mut has_connection = false;
    for (k, v) in &resp.headers {
        if k.eq_ignore_ascii_case("content-length") {
            has_length = true;
        }
        if k.eq_ignore_ascii_case("connection") {
            has_connection = true;
        }
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !has_length {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    let reuse = keep_alive && resp.fault.is_none() && !has_connection;
    if !has_connection {
        out.extend_from_slice(if reuse {
            b"connection: keep-alive\r\n"
        } else {
            b"connection: close\r\n"
        });
    }
    out.extend_from_slice(b"\r\n");
    if resp.fault == Some(Fault::DropMidBody) {
        out.extend_from_slice(&body[..body.len() / 2]);
        stream.write_all(&out)?;
        stream.flush()?;
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return Ok(false);
    }
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    stream.flush()?;
    Ok(reuse)
}
