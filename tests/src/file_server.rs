//! A one-file HTTP server on loopback, for downloads: it serves its bytes whole, or declares
//! them whole and hangs up part-way (a connection cut mid-download).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How the file is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    Whole,
    /// `Content-Length` says all of it; the connection closes after this many bytes.
    CutAfter(usize),
}

#[derive(Debug)]
pub struct FileServer {
    /// Where the file is: `{base}/{name}`.
    pub base: String,
    requests: Arc<AtomicUsize>,
}

impl FileServer {
    /// Serves `body` at `/{name}` (anything else is 404) until the test ends.
    pub fn start(name: &str, body: Vec<u8>, serving: Serving) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&requests);
        let path = format!("/{name}");
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let request = String::from_utf8_lossy(&head);
                let wanted = request.split_whitespace().nth(1).unwrap_or_default();
                if wanted != path {
                    let _ =
                        stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                }
                let header = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let sent = match serving {
                    Serving::Whole => body.len(),
                    Serving::CutAfter(n) => n.min(body.len()),
                };
                let _ = stream.write_all(header.as_bytes());
                let _ = stream.write_all(&body[..sent]);
                let _ = stream.flush();
            }
        });
        Self { base, requests }
    }

    /// How many requests it has answered.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}
