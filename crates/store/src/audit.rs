//! The append-only, hash-chained audit log (the chain itself is kept by a trigger).

use diesel::prelude::*;
use diesel::sql_types::{Integer, Jsonb, Nullable, Text};

/// One audited write.
pub struct AuditEntry<'a> {
    pub actor_id: Option<i32>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Appends an entry; call it inside the transaction of the write it records.
pub fn append(conn: &mut PgConnection, e: AuditEntry) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO audit_log (actor_id, actor, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<Nullable<Integer>, _>(e.actor_id)
    .bind::<Text, _>(e.actor)
    .bind::<Text, _>(e.action)
    .bind::<Text, _>(e.entity)
    .bind::<Text, _>(e.entity_id)
    .bind::<Nullable<Jsonb>, _>(e.before)
    .bind::<Nullable<Jsonb>, _>(e.after)
    .execute(conn)?;
    Ok(())
}
