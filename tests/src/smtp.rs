//! A real SMTP server on loopback — Debian's `python3-aiosmtpd`, its Maildir handler — that
//! notification mail is sent to; the test reads what arrived. It can be stopped (an outage)
//! and started again on the same port, and made to stall: keep each mail it receives but hold
//! back the answer that it was taken (so a sender killed meanwhile never learns it arrived).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::wait::wait_until;

#[derive(Debug)]
pub struct SmtpServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

/// One mail as it arrived, read by Python's own `email` package (headers decoded, parts
/// unwrapped): what a mail client shows.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedMail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    pub text: String,
    pub html: String,
}

const READ_MAIL: &str = r#"
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
part = lambda kind: (m.get_body(preferencelist=(kind,)) or m).get_content() if m.is_multipart() else m.get_content()
print(json.dumps({
    'to': str(m['To']), 'subject': str(m['Subject']), 'message_id': str(m['Message-ID']),
    'list_unsubscribe': m['List-Unsubscribe'] and str(m['List-Unsubscribe']),
    'list_unsubscribe_post': m['List-Unsubscribe-Post'] and str(m['List-Unsubscribe-Post']),
    'text': part('plain'), 'html': part('html'),
}))
"#;

fn read_mail(path: &std::path::Path) -> Option<ReceivedMail> {
    let out = Command::new(PYTHON).args(["-c", READ_MAIL]).arg(path).output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

/// Aiosmtpd's Maildir handler, answering only once the stall file is gone.
const STALLING_HANDLER: &str = r#"
import asyncio, os
from aiosmtpd.handlers import Mailbox

class Stalling(Mailbox):
    def __init__(self, maildir, stall_file):
        super().__init__(maildir)
        self.stall_file = stall_file

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0], args[1])

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        while os.path.exists(self.stall_file):
            await asyncio.sleep(0.05)
        return answer
"#;

/// Debian's Python, where `python3-aiosmtpd` is installed (not a pyenv's or a venv's).
const PYTHON: &str = "/usr/bin/python3";

impl SmtpServer {
    pub fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("offbeat-smtp-").tempdir().unwrap();
        let mut server = Self {
            child: None,
            port: crate::seaweedfs::free_port(),
            dir,
        };
        server.resume();
        server
    }

    /// `smtp://127.0.0.1:<port>`: what `--smtp-url` takes.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops it (mail sent meanwhile fails to connect).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and mailbox.
    pub fn resume(&mut self) {
        self.stop();
        std::fs::write(self.dir.path().join("stalling.py"), STALLING_HANDLER).unwrap();
        let child = Command::new(PYTHON)
            .env("PYTHONPATH", self.dir.path())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port)])
            .args(["-c", "stalling.Stalling"])
            .arg(self.maildir())
            .arg(self.stall_file())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (scripts/install-deps installs python3-aiosmtpd)");
        self.child = Some(child);
        let port = self.port;
        wait_until("the SMTP server", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
    }

    /// Whether it keeps the mail it receives without answering that it took it.
    pub fn stall(&self, stalled: bool) {
        if stalled {
            std::fs::write(self.stall_file(), b"").unwrap();
        } else {
            let _ = std::fs::remove_file(self.stall_file());
        }
    }

    fn stall_file(&self) -> PathBuf {
        self.dir.path().join("stall")
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    /// Every mail that has arrived, in no particular order.
    pub fn mail(&self) -> Vec<ReceivedMail> {
        std::fs::read_dir(self.maildir().join("new"))
            .map(|dir| dir.flatten().filter_map(|entry| read_mail(&entry.path())).collect())
            .unwrap_or_default()
    }

    /// Waits (at most `timeout`) until a mail that `matches` has arrived; returns it.
    pub fn wait_for(&self, what: &str, timeout: Duration, matches: impl Fn(&ReceivedMail) -> bool) -> ReceivedMail {
        wait_until(what, timeout, || self.mail().into_iter().find(|m| matches(m)))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
