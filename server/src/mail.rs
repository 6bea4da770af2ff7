//! Mail over SMTP (`--smtp-url`, `--mail-from`) through lettre: one message at a time, text and
//! HTML, with the headers a polite sender sets — a stable `Message-ID` (a retry is the same
//! mail) and one-click unsubscribe (RFC 8058). Names and titles reach headers only as lettre
//! encodes them, and never with line breaks.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one delivery may take, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(String),
    #[error("{0:?} is not a mail address")]
    Address(String),
    #[error("cannot build the mail: {0}")]
    Build(String),
    #[error("the SMTP server did not take the mail: {0}")]
    Send(String),
}

/// One mail to send.
#[derive(Debug)]
pub struct Mail {
    /// Unique and stable for what it tells (`<…@host>` is added).
    pub id: String,
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where one click unsubscribes, without signing in (`None`: a mail sent once, on
    /// someone's request, such as an invitation: there is nothing to stop).
    pub unsubscribe_url: Option<String>,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the public URL's host.
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// `smtp://host:port` (plain), `smtp://…?tls=required` (STARTTLS) or `smtps://…`, with
    /// credentials in the URL if the server wants them.
    pub fn new(smtp_url: &str, from: &str, public_url: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = from.parse().map_err(|_| MailError::Address(from.to_owned()))?;
        let domain = public_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .filter(|host| !host.is_empty())
            .unwrap_or("offbeat.invalid")
            .to_owned();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let to: lettre::Address = mail
            .to_address
            .parse()
            .map_err(|_| MailError::Address(mail.to_address.clone()))?;
        let mut message = Message::builder()
            .message_id(Some(format!("<{}@{}>", mail.id, self.domain)))
            .from(self.from.clone())
            .to(Mailbox::new(
                (!mail.to_name.is_empty()).then(|| one_line(&mail.to_name)),
                to,
            ))
            .subject(one_line(&mail.subject));
        if let Some(unsubscribe) = &mail.unsubscribe_url {
            message = message
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{unsubscribe}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = message
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
}

/// A header's text on one line: control characters (line breaks above all) become spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_never_breaks_a_line() {
        assert_eq!(
            one_line("Hi\r\nBcc: everyone@example.com"),
            "Hi  Bcc: everyone@example.com"
        );
    }
}
