//! Notices to citizens (thông báo): an outbox. Each step a citizen should hear about calls
//! [`enqueue`] inside its own transaction, so a notice exists exactly when the step committed;
//! [`deliver_pending`] hands pending notices to a [`Sender`] afterwards and marks them sent.
//!
//! The sender is a trait so an office can plug in its mail relay, SMS gateway or the national
//! portal. The one shipped, [`SpoolSender`], appends each notice to a local mbox file
//! (`mail_spool`, DIACHINH_MAIL_SPOOL): nothing leaves the machine.

use std::io::Write;
use std::path::PathBuf;

use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};

use super::{DbContext, Error, Settings};
use domain::dossier::notice::{compose, NoticeFacts, NoticeKind};
use store::notices as db;

/// A notice on its way out.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Delivers one notice; an error leaves it pending (retried later) with the message recorded.
pub trait Sender: Send + Sync {
    fn send(&self, notice: &Outgoing) -> Result<(), String>;
}

/// Appends notices to a local mail spool in mbox format (one message per notice, UTF-8 body,
/// RFC 2047 subject).
#[derive(Debug, Clone)]
pub struct SpoolSender {
    pub path: PathBuf,
}

impl SpoolSender {
    /// The message as written to the spool.
    pub fn format(notice: &Outgoing) -> String {
        let subject = base64::engine::general_purpose::STANDARD.encode(notice.subject.as_bytes());
        // mbox: a body line starting "From " would start a new message.
        let body: Vec<String> =
            notice.body.lines().map(|l| if l.starts_with("From ") { format!(">{l}") } else { l.to_string() }).collect();
        format!(
            "From diachinh@localhost {}\nFrom: Bo phan Mot cua <diachinh@localhost>\nTo: {}\nSubject: =?UTF-8?B?{subject}?=\n\
             Date: {}\nMessage-ID: <notice-{}@diachinh.invalid>\nX-Diachinh-Notice: {}\nMIME-Version: 1.0\n\
             Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{}\n\n",
            notice.created_at.format("%a %b %e %H:%M:%S %Y"),
            notice.recipient,
            notice.created_at.to_rfc2822(),
            notice.id,
            notice.kind,
            body.join("\n"),
        )
    }
}

impl Sender for SpoolSender {
    fn send(&self, notice: &Outgoing) -> Result<(), String> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating the spool's directory: {e}"))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| format!("opening the spool: {e}"))?;
        file.write_all(Self::format(notice).as_bytes()).map_err(|e| format!("writing the spool: {e}"))
    }
}

/// The sender the settings describe.
pub fn sender_for(settings: &Settings) -> SpoolSender {
    SpoolSender { path: settings.mail_spool.clone() }
}

/// Who a notice is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject {
    pub submission_id: Option<i64>,
    pub dossier_id: Option<i64>,
}

/// Puts a notice in the outbox; call it inside the step's transaction.
pub fn enqueue(
    conn: &mut PgConnection,
    kind: NoticeKind,
    about: Subject,
    recipient: &str,
    facts: &NoticeFacts<'_>,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let text = compose(kind, facts);
    db::enqueue(
        conn,
        &db::NewNotice {
            kind: kind.as_str(),
            submission_id: about.submission_id,
            dossier_id: about.dossier_id,
            recipient,
            subject: &text.subject,
            body: &text.body,
            created_at: now,
        },
    )
    .context_db("queueing the notice")
}

/// Sends up to `limit` pending notices; returns how many were sent. Each row is locked while it
/// is sent, so concurrent senders never send one twice; a failure is recorded on the notice.
pub fn deliver_pending(
    conn: &mut PgConnection,
    sender: &dyn Sender,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize, Error> {
    conn.transaction(|conn| {
        let pending = db::take_pending(conn, limit).context_db("loading pending notices")?;
        let mut sent = 0;
        for n in pending {
            let out = Outgoing {
                id: n.id,
                kind: n.kind,
                recipient: n.recipient,
                subject: n.subject,
                body: n.body,
                created_at: n.created_at,
            };
            match sender.send(&out) {
                Ok(()) => {
                    db::mark_sent(conn, out.id, now).context_db("marking the notice sent")?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(notice = out.id, error = %e, "notice not delivered; it stays pending");
                    db::mark_failed(conn, out.id, &e).context_db("recording the failed delivery")?;
                }
            }
        }
        Ok(sent)
    })
}

/// Delivers what is pending after a step committed; a failure is logged, never the request's.
pub fn deliver_after_commit(conn: &mut PgConnection, settings: &Settings) {
    if let Err(e) = deliver_pending(conn, &sender_for(settings), Utc::now(), 100) {
        tracing::warn!(error = ?e, "delivering notices failed; they stay pending");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spool_holds_one_mbox_message_per_notice() {
        let n = Outgoing {
            id: 7,
            kind: "submission_refused".into(),
            recipient: "an@example.vn".into(),
            subject: "Hồ sơ TT.92.261127.00001 không được tiếp nhận".into(),
            body: "Lý do: ảnh mờ.\nFrom now on, resubmit.".into(),
            created_at: chrono::DateTime::parse_from_rfc3339("2026-11-27T03:00:00Z").unwrap().with_timezone(&Utc),
        };
        let text = SpoolSender::format(&n);
        assert!(text.starts_with("From diachinh@localhost "));
        assert!(text.contains("\nTo: an@example.vn\n"));
        assert!(text.contains("Subject: =?UTF-8?B?"));
        assert!(text.contains("Lý do: ảnh mờ.\n>From now on"), "{text}");
        let dir = std::env::temp_dir().join(format!("diachinh-spool-{}", std::process::id()));
        let sender = SpoolSender { path: dir.join("nested/spool.mbox") };
        sender.send(&n).unwrap();
        sender.send(&n).unwrap();
        let written = std::fs::read_to_string(&sender.path).unwrap();
        assert_eq!(written.matches("\nX-Diachinh-Notice: submission_refused\n").count(), 2);
        let _ = std::fs::remove_dir_all(dir);
    }
}
