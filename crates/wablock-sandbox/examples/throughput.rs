//! Throughput of the sandbox: N client threads send small keep-alive requests (alternating
//! GET list and POST block) for a few seconds; prints requests per second.
//!
//! `cargo run --release -p wablock-sandbox --example throughput -- [--threads N] [--seconds S] [--url http://127.0.0.1:PORT]`
//!
//! Without `--url` it starts an in-process sandbox (open mode).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wablock_sandbox::{Sandbox, SandboxConfig};

fn one(
    stream: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    req: &[u8],
) -> std::io::Result<u16> {
    stream.write_all(req)?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    Ok(status)
}

fn worker(addr: SocketAddr, id: usize, stop: &AtomicBool, count: &AtomicU64, errors: &AtomicU64) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = stream.set_nodelay(true);
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let phone = format!("30000000000{id:04}");
    let get = format!(
        "GET /v25.0/{phone}/block_users?limit=10 HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer sandbox-token\r\n\r\n"
    );
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let body = format!(
            "{{\"messaging_product\":\"whatsapp\",\"block_users\":[{{\"user\":\"+1555{:07}\"}}]}}",
            n % 5000
        );
        let post = format!(
            "POST /v25.0/{phone}/block_users HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer sandbox-token\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let req = if n % 2 == 0 {
            get.as_bytes()
        } else {
            post.as_bytes()
        };
        match one(&mut stream, &mut reader, req) {
            Ok(200) => {
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        n += 1;
    }
}

fn main() {
    let mut threads = 4usize;
    let mut seconds = 3u64;
    let mut url: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).unwrap_or(threads),
            "--seconds" => seconds = args.next().and_then(|v| v.parse().ok()).unwrap_or(seconds),
            "--url" => url = args.next(),
            other => {
                eprintln!("unknown argument {other:?}");
                std::process::exit(64);
            }
        }
    }
    let mut _local = None;
    let addr: SocketAddr = match url {
        Some(u) => {
            let hostport = u.trim_start_matches("http://").trim_end_matches('/');
            match hostport.to_socket_addrs().ok().and_then(|mut a| a.next()) {
                Some(a) => a,
                None => {
                    eprintln!("cannot resolve {u}");
                    std::process::exit(64);
                }
            }
        }
        None => match Sandbox::start(SandboxConfig {
            open: true,
            ..SandboxConfig::default()
        }) {
            Ok(sb) => {
                let a = sb.addr();
                _local = Some(sb);
                a
            }
            Err(e) => {
                eprintln!("cannot start the sandbox: {e}");
                std::process::exit(1);
            }
        },
    };
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (stop, count, errors) =
                (Arc::clone(&stop), Arc::clone(&count), Arc::clone(&errors));
            std::thread::spawn(move || worker(addr, i, &stop, &count, &errors))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = count.load(Ordering::Relaxed);
    println!(
        "sandbox throughput: {:.0} requests/s ({n} requests in {elapsed:.2} s, {threads} keep-alive client threads, {} errors, {} cores)",
        n as f64 / elapsed,
        errors.load(Ordering::Relaxed),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
}
