//! The notices outbox: written in the transaction of the step a citizen should hear about, read
//! and marked by the sender afterwards.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;

use crate::schema::notices;

/// A notice to enqueue.
pub struct NewNotice<'a> {
    pub kind: &'a str,
    pub submission_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub created_at: DateTime<Utc>,
}

pub fn enqueue(conn: &mut PgConnection, n: &NewNotice) -> QueryResult<i64> {
    diesel::insert_into(notices::table)
        .values((
            notices::kind.eq(n.kind),
            notices::submission_id.eq(n.submission_id),
            notices::dossier_id.eq(n.dossier_id),
            notices::recipient.eq(n.recipient),
            notices::subject.eq(n.subject),
            notices::body.eq(n.body),
            notices::created_at.eq(n.created_at),
        ))
        .returning(notices::id)
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notices, check_for_backend(Pg))]
pub struct NoticeRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
}

/// Up to `limit` unsent notices, oldest first, locked for this transaction; rows another
/// sender holds are skipped, so two senders never deliver the same notice.
pub fn take_pending(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<NoticeRow>> {
    notices::table
        .filter(notices::sent_at.is_null())
        .order(notices::id)
        .limit(limit)
        .select(NoticeRow::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
}

pub fn mark_sent(conn: &mut PgConnection, id: i64, at: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(notices::table.find(id))
        .set((
            notices::sent_at.eq(at),
            notices::attempts.eq(notices::attempts + 1),
            notices::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

pub fn mark_failed(conn: &mut PgConnection, id: i64, error: &str) -> QueryResult<usize> {
    diesel::update(notices::table.find(id))
        .set((notices::attempts.eq(notices::attempts + 1), notices::last_error.eq(error)))
        .execute(conn)
}
