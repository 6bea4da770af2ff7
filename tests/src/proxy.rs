//! A TCP proxy that drops connections: each one is cut (both ways, at once) after a number of
//! client-to-server bytes chosen by a plan, wherever that falls — mid-header, mid-body, or
//! between requests on a kept-alive connection. Puts real clients through real network faults.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub struct FlakyProxy {
    /// `http://127.0.0.1:PORT`, to give clients instead of the server's URL.
    pub url: String,
    cuts: Arc<AtomicUsize>,
}

/// A proxy's address, taken before what it forwards to exists (a server can then be told its
/// public URL is the proxy's).
#[derive(Debug)]
pub struct ProxyAddress {
    pub url: String,
    listener: TcpListener,
}

impl FlakyProxy {
    pub fn bind() -> ProxyAddress {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        ProxyAddress { url, listener }
    }

    /// Forwards what arrives at `address` to `upstream` (`http://host:port`); connection `k`
    /// (from 0) is cut after `plan(k)` bytes from the client, or never if `None`.
    pub fn start(address: ProxyAddress, upstream: &str, plan: impl Fn(usize) -> Option<u64> + Send + 'static) -> Self {
        let ProxyAddress { url, listener } = address;
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let cuts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&cuts);
        std::thread::spawn(move || {
            for (k, client) in listener.incoming().enumerate() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let limit = plan(k);
                let cuts = Arc::clone(&counted);
                let (client_in, server_out) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                std::thread::spawn(move || pump(server, client, None, None));
                std::thread::spawn(move || pump(client_in, server_out, limit, Some(cuts)));
            }
        });
        Self { url, cuts }
    }

    /// How many connections have been cut so far.
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

/// Copies `from` → `to` until either side closes or `limit` bytes have passed; then closes
/// both (which ends the pump the other way too).
fn pump(mut from: TcpStream, mut to: TcpStream, limit: Option<u64>, cuts: Option<Arc<AtomicUsize>>) {
    let mut passed = 0u64;
    let mut buf = [0u8; 4096];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let allowed = limit.map_or(n, |l| n.min(usize::try_from(l - passed).unwrap_or(usize::MAX)));
        if to.write_all(&buf[..allowed]).is_err() {
            break;
        }
        passed += allowed as u64;
        if limit.is_some_and(|l| passed >= l) {
            if let Some(cuts) = &cuts {
                cuts.fetch_add(1, Ordering::SeqCst);
            }
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// A load balancer in front of several server processes, as a cluster runs behind one: every
/// request goes to the next process that accepts a connection (one request per connection: it
/// asks the server to close after answering, so a kept-alive client reconnects each time).
#[derive(Debug)]
pub struct RoundRobinProxy {
    /// `http://127.0.0.1:PORT`, to give clients instead of any one server's URL.
    pub url: String,
}

impl RoundRobinProxy {
    /// Balances what arrives at `address` over `upstreams` (`http://host:port` each).
    pub fn start(address: ProxyAddress, upstreams: Vec<String>) -> Self {
        let ProxyAddress { url, listener } = address;
        let upstreams: Vec<String> = upstreams
            .iter()
            .map(|u| u.trim_start_matches("http://").to_owned())
            .collect();
        std::thread::spawn(move || {
            let mut next = 0;
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                // The next one that answers: a dead process is passed over.
                let server = (0..upstreams.len()).find_map(|_| {
                    let upstream = &upstreams[next % upstreams.len()];
                    next += 1;
                    TcpStream::connect(upstream).ok()
                });
                let Some(server) = server else { continue };
                // As a real balancer does: no Nagle delay between a request's head and body.
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                std::thread::spawn(move || one_request(client, server));
            }
        });
        Self { url }
    }
}

/// Passes one request on with `Connection: close`, then pumps both ways until they close.
fn one_request(mut client: TcpStream, mut server: TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines: Vec<&str> = text
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.truncate(lines.len().saturating_sub(2));
    let rewritten = format!("{}\r\nConnection: close\r\n\r\n", lines.join("\r\n"));
    if server.write_all(rewritten.as_bytes()).is_err() {
        return;
    }
    let (client_in, server_out) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
    std::thread::spawn(move || pump(server, client, None, None));
    pump(client_in, server_out, None, None);
}
