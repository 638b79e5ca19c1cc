//! A mailbox's transport: IMAP in (UID-based, so nothing is fetched twice or skipped after a
//! disconnect or a stop) and SMTP out (lettre; replies carry `In-Reply-To` and `References`
//! so the customer's mail client threads them, and a `Message-ID` Earshot made, which is the
//! reply's platform id: the customer's answer to it threads back).
//!
//! `imap_url`: `imap://user:password@host[:143][/MAILBOX]` or `imaps://…[:993]` (TLS, the
//! Mozilla roots); `smtp_url`: what lettre reads, `smtp://user:password@host:587?tls=required`,
//! `smtps://…:465`, or `smtp://host:25` for a relay on the network.

use crate::send::{Accepted, Access, Failure, Outgoing};
use async_imap::Client;
use futures_util::TryStreamExt as _;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// What a poll found: new messages by UID, and where the next poll starts.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub messages: Vec<(u32, Vec<u8>)>,
    /// `<UIDVALIDITY>:<last UID seen>`.
    pub cursor: String,
}

struct ImapUrl {
    tls: bool,
    host: String,
    port: u16,
    user: String,
    password: String,
    mailbox: String,
}

fn parse_imap_url(url: &str) -> Result<ImapUrl, String> {
    let u = url::Url::parse(url).map_err(|e| format!("`imap_url` is not a URL: {e}"))?;
    let tls = match u.scheme() {
        "imaps" => true,
        "imap" => false,
        _ => return Err("`imap_url` must start with imap:// or imaps://".into()),
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let password = u.password().map(decode).unwrap_or_default();
    if u.username().is_empty() || password.is_empty() {
        return Err(
            "`imap_url` needs the user and password: imaps://user:password@host/INBOX".into(),
        );
    }
    let mailbox = decode(u.path().trim_start_matches('/'));
    Ok(ImapUrl {
        tls,
        host: u.host_str().ok_or("`imap_url` names no host")?.to_string(),
        port: u.port().unwrap_or(if tls { 993 } else { 143 }),
        user: decode(u.username()),
        password,
        mailbox: if mailbox.is_empty() {
            "INBOX".into()
        } else {
            mailbox
        },
    })
}

/// What a connection to the mailbox is for.
enum Work<'a> {
    /// New mail after the cursor, the oldest `limit` of it.
    Fetch {
        cursor: Option<&'a str>,
        limit: usize,
    },
    /// IMAP IDLE until the server says something changed, or this long; at once when the
    /// mailbox already holds mail after the cursor.
    Idle {
        cursor: Option<&'a str>,
        at_most: std::time::Duration,
    },
}

/// What a connection found.
enum Found {
    Fetched(Fetched),
    Waited(Waited),
}

/// What waiting on a mailbox with IDLE ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// The server said the mailbox changed (new mail, most likely): poll it now.
    Changed,
    /// Nothing happened in the time given; wait again.
    Quiet,
    /// The server does not offer IDLE: polling alone reads this mailbox.
    Unsupported,
}

/// New mail since `cursor`, the oldest `limit` of it (from the start when the cursor is
/// absent or the mailbox's UIDVALIDITY changed; dedupe by Message-ID makes a refetch
/// harmless). With `limit` 0 it only logs in and selects the mailbox.
pub async fn fetch_new(
    imap_url: &str,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Fetched, Failure> {
    match connect(imap_url, Work::Fetch { cursor, limit }).await? {
        Found::Fetched(f) => Ok(f),
        Found::Waited(_) => unreachable!("a fetch fetches"),
    }
}

/// Waits on the mailbox with IMAP IDLE (RFC 2177) until the server reports a change or `at_most`
/// passes (keep it under the 29 minutes after which servers may drop an idle client). Mail
/// that arrived after `cursor` but before the wait began (between two waits, say) is
/// `Changed` at once, so no mail waits for the next poll.
pub async fn wait_for_mail(
    imap_url: &str,
    cursor: Option<&str>,
    at_most: std::time::Duration,
) -> Result<Waited, Failure> {
    match connect(imap_url, Work::Idle { cursor, at_most }).await? {
        Found::Waited(w) => Ok(w),
        Found::Fetched(_) => unreachable!("a wait waits"),
    }
}

async fn connect(imap_url: &str, work: Work<'_>) -> Result<Found, Failure> {
    let url = parse_imap_url(imap_url).map_err(Failure::Rejected)?;
    let tcp = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| Failure::Transient(format!("IMAP {}:{}: {e}", url.host, url.port)))?;
    if url.tls {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = tokio_rustls::rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(url.host.clone())
            .map_err(|e| Failure::Rejected(format!("IMAP host `{}`: {e}", url.host)))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| Failure::Transient(format!("IMAP TLS with {}: {e}", url.host)))?;
        session(stream, &url, work).await
    } else {
        session(tcp, &url, work).await
    }
}

async fn session<S>(stream: S, url: &ImapUrl, work: Work<'_>) -> Result<Found, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let io = |e: async_imap::error::Error| Failure::Transient(format!("IMAP: {e}"));
    let mut client = Client::new(stream);
    client
        .read_response()
        .await
        .ok_or_else(|| Failure::Transient("IMAP: the server closed before its greeting".into()))?
        .map_err(|e| Failure::Transient(format!("IMAP greeting: {e}")))?;
    let mut session = client
        .login(&url.user, &url.password)
        .await
        .map_err(|(e, _)| Failure::Reauth(format!("IMAP login as {}: {e}", url.user)))?;
    let mailbox = session.select(&url.mailbox).await.map_err(io)?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    let after = |cursor: Option<&str>| {
        cursor
            .and_then(|c| c.split_once(':'))
            .filter(|(v, _)| v.parse::<u32>().ok() == Some(validity))
            .and_then(|(_, uid)| uid.parse::<u32>().ok())
    };
    let (last, limit) = match work {
        Work::Fetch { cursor, limit } => (after(cursor).unwrap_or(0), limit),
        Work::Idle { cursor, at_most } => {
            let unread = match (after(cursor), mailbox.uid_next) {
                (None, _) => mailbox.exists > 0,
                (Some(last), Some(next)) => next > last + 1,
                (Some(_), None) => false,
            };
            if unread {
                let _ = session.logout().await;
                return Ok(Found::Waited(Waited::Changed));
            }
            if !session.capabilities().await.map_err(io)?.has_str("IDLE") {
                let _ = session.logout().await;
                return Ok(Found::Waited(Waited::Unsupported));
            }
            let mut idle = session.idle();
            idle.init().await.map_err(io)?;
            let (wait, _interrupt) = idle.wait_with_timeout(at_most);
            let waited = match wait.await.map_err(io)? {
                async_imap::extensions::idle::IdleResponse::NewData(_) => Waited::Changed,
                _ => Waited::Quiet,
            };
            if let Ok(mut s) = idle.done().await {
                let _ = s.logout().await;
            }
            return Ok(Found::Waited(waited));
        }
    };
    let mut messages = Vec::new();
    if mailbox.exists > 0 && limit > 0 {
        // Only the oldest `limit` new UIDs are fetched; the rest wait for the next poll.
        let mut uids: Vec<u32> = session
            .uid_search(format!("UID {}:*", last + 1))
            .await
            .map_err(io)?
            .into_iter()
            // `n:*` names the newest message even when it is older than n.
            .filter(|&uid| uid > last)
            .collect();
        uids.sort_unstable();
        uids.truncate(limit);
        if !uids.is_empty() {
            let set: Vec<String> = uids.iter().map(u32::to_string).collect();
            let fetched: Vec<_> = session
                .uid_fetch(set.join(","), "(UID RFC822)")
                .await
                .map_err(io)?
                .try_collect()
                .await
                .map_err(io)?;
            for f in fetched {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    messages.push((uid, body.to_vec()));
                }
            }
        }
    }
    messages.sort_by_key(|m| m.0);
    // Nothing new: UIDs below UIDNEXT that are not there were deleted; move past them, or a
    // watcher would see them as unread forever.
    let newest = match (messages.last(), mailbox.uid_next) {
        (Some(m), _) => m.0,
        (None, Some(next)) if limit > 0 => last.max(next.saturating_sub(1)),
        (None, _) => last,
    };
    let _ = session.logout().await;
    Ok(Found::Fetched(Fetched {
        messages,
        cursor: format!("{validity}:{newest}"),
    }))
}

/// Logs in to IMAP and greets the SMTP server, without reading or sending anything.
pub(crate) async fn test(access: &Access) -> Result<String, Failure> {
    // A limit of 0 logs in and selects the mailbox, and reads nothing.
    fetch_new(access.get("imap_url"), None, 0).await?;
    let smtp: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(access.get("smtp_url"))
            .map_err(|e| Failure::Rejected(format!("`smtp_url`: {e}")))?
            .build();
    match smtp.test_connection().await {
        Ok(true) => Ok(format!(
            "mailbox {}: IMAP and SMTP answer",
            access.get("address")
        )),
        Ok(false) => Err(Failure::Transient(
            "the SMTP server did not answer NOOP".into(),
        )),
        Err(e) => Err(Failure::Transient(format!("SMTP: {e}"))),
    }
}

/// The reply as a mail to the customer, threaded under what they wrote.
pub(crate) async fn send(access: &Access, out: &Outgoing<'_>) -> Accepted {
    if out.template.is_some() {
        return Err(Failure::NotSent(
            "message templates are WhatsApp's; email replies are free text".into(),
        ));
    }
    let from = access.get("address");
    let answered = out.answered.cloned().unwrap_or_default();
    let subject = answered["subject"].as_str().unwrap_or("").trim();
    let subject = if subject.is_empty() {
        "Re: your message".to_string()
    } else if subject.to_lowercase().starts_with("re:") {
        subject.to_string()
    } else {
        format!("Re: {subject}")
    };
    let mut references: Vec<String> = answered["references"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    let answering = out.answering.unwrap_or("");
    if !answering.is_empty() && !references.iter().any(|r| r == answering) {
        references.push(answering.to_string());
    }
    let domain = from
        .rsplit_once('@')
        .map(|d| d.1)
        .unwrap_or("earshot.invalid");
    let nanos = out.now.timestamp_nanos_opt().unwrap_or_default();
    let id = format!("earshot.{nanos}.{:08x}@{domain}", rand::random::<u32>());
    let bad = |what: &str, e: &dyn std::fmt::Display| Failure::Rejected(format!("{what}: {e}"));
    let mut builder = lettre::Message::builder()
        .from(from.parse().map_err(|e| bad("`address`", &e))?)
        .to(out
            .recipient
            .parse()
            .map_err(|e| bad("the customer's address", &e))?)
        .subject(subject)
        .message_id(Some(format!("<{id}>")));
    if !answering.is_empty() {
        builder = builder.in_reply_to(format!("<{answering}>"));
    }
    if !references.is_empty() {
        let refs: Vec<String> = references.iter().map(|r| format!("<{r}>")).collect();
        builder = builder.references(refs.join(" "));
    }
    let mail = builder
        .header(ContentType::TEXT_PLAIN)
        .body(out.text.to_string())
        .map_err(|e| bad("the reply", &e))?;
    let smtp: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(access.get("smtp_url"))
            .map_err(|e| Failure::Rejected(format!("`smtp_url`: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
    match smtp.send(mail).await {
        Ok(_) => Ok(id),
        Err(e) if e.status().is_some_and(|c| c.to_string().starts_with("535")) => {
            Err(Failure::Reauth(format!("SMTP refused the login: {e}")))
        }
        Err(e) if e.is_permanent() => Err(Failure::Rejected(format!("SMTP: {e}"))),
        Err(e) => Err(Failure::Transient(format!("SMTP: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_urls_name_the_server_the_login_and_the_mailbox() {
        let u = parse_imap_url("imaps://care%40acme.test:p%3Ass@mail.acme.test/Support").unwrap();
        assert!(u.tls);
        assert_eq!((u.host.as_str(), u.port), ("mail.acme.test", 993));
        assert_eq!(
            (u.user.as_str(), u.password.as_str()),
            ("care@acme.test", "p:ss")
        );
        assert_eq!(u.mailbox, "Support");
        let u = parse_imap_url("imap://care:pw@127.0.0.1:1143").unwrap();
        assert_eq!((u.port, u.mailbox.as_str(), u.tls), (1143, "INBOX", false));
        assert!(parse_imap_url("http://x").is_err());
        assert!(parse_imap_url("imap://host/INBOX").is_err());
    }
}
