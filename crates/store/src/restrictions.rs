//! Restrictions and responsibilities (the `rrrs` rows other than use rights), the blocking
//! table, consents, and the procedure catalogue's outcome.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::exists;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use domain::restriction::{
    BlockingRule, BlockingTable, Effect, ProcedureOutcome, RecordedRestriction, RestrictionKind,
};

use crate::enums::Stored;
use crate::schema::{procedures, restriction_blocks, restriction_consents, rrrs};

define_sql_function!(
    /// The time now (not the transaction's start, as `now()` is).
    fn clock_timestamp() -> Timestamptz
);

const CARRY: &str = include_str!("sql/restrictions_carry.sql");

/// What a procedure's result does to the register, from the catalogue; `None` for an
/// unknown code.
pub fn procedure_outcome(conn: &mut PgConnection, code: &str) -> QueryResult<Option<ProcedureOutcome>> {
    let row: Option<(String, Option<String>)> = procedures::table
        .find(code)
        .select((procedures::outcome, procedures::restriction_kind))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(o, k)| ProcedureOutcome::from_columns(&o, k.as_deref())))
}

/// The blocking table as loaded from `sample-data/restriction-blocks.csv`.
pub fn blocking_table(conn: &mut PgConnection) -> QueryResult<BlockingTable> {
    let rows: Vec<(String, String, String, String)> = restriction_blocks::table
        .order((restriction_blocks::restriction_kind, restriction_blocks::procedure_code))
        .select((
            restriction_blocks::restriction_kind,
            restriction_blocks::procedure_code,
            restriction_blocks::effect,
            restriction_blocks::legal_basis,
        ))
        .load(conn)?;
    Ok(BlockingTable {
        rules: rows
            .into_iter()
            .filter_map(|(kind, procedure, effect, legal_basis)| {
                Some(BlockingRule {
                    kind: RestrictionKind::parse(&kind)?,
                    procedure: (procedure != "*").then_some(procedure),
                    effect: Effect::parse(&effect)?,
                    legal_basis,
                })
            })
            .collect(),
    })
}

/// Replaces the blocking table (seeding, as the owner: the service may only read it).
pub fn replace_blocking_table(conn: &mut PgConnection, table: &BlockingTable) -> QueryResult<usize> {
    diesel::delete(restriction_blocks::table).execute(conn)?;
    let rows: Vec<_> = table
        .rules
        .iter()
        .map(|r| {
            (
                restriction_blocks::restriction_kind.eq(r.kind.as_str()),
                restriction_blocks::procedure_code.eq(r.procedure.as_deref().unwrap_or("*")),
                restriction_blocks::effect.eq(r.effect.as_str()),
                restriction_blocks::legal_basis.eq(&r.legal_basis),
            )
        })
        .collect();
    diesel::insert_into(restriction_blocks::table).values(rows).execute(conn)
}

/// A restriction record as staff see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rrrs, check_for_backend(Pg))]
pub struct RestrictionRow {
    pub id: i64,
    #[diesel(deserialize_as = Stored<RestrictionKind>)]
    pub kind: RestrictionKind,
    pub parcel_id: i64,
    pub parcel_version_id: i64,
    pub source_document: String,
    pub description: Option<String>,
    pub legal_basis: Option<String>,
    pub counterparty: Option<String>,
    pub reference_no: Option<String>,
    pub secured_amount: Option<i64>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub documents: serde_json::Value,
    pub registered_dossier_id: Option<i64>,
    pub released_dossier_id: Option<i64>,
    pub ended_reason: Option<String>,
    pub carried_from_id: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
}

/// The kinds stored in `rrrs` that are restrictions (everything but the use right).
fn restriction_kinds() -> Vec<&'static str> {
    RestrictionKind::ALL.iter().map(|k| k.as_str()).collect()
}

pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<RestrictionRow>> {
    rrrs::table
        .find(id)
        .filter(rrrs::kind.eq_any(restriction_kinds()))
        .select(RestrictionRow::as_select())
        .first(conn)
        .optional()
}

/// Locks the record for a change (release, consent).
pub fn by_id_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Option<RestrictionRow>> {
    rrrs::table
        .find(id)
        .filter(rrrs::kind.eq_any(restriction_kinds()))
        .select(RestrictionRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The parcel's restriction records, in force first, then ended, each newest first.
pub fn of_parcel(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Vec<RestrictionRow>> {
    rrrs::table
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::kind.eq_any(restriction_kinds()))
        .order((rrrs::valid_to.is_not_null(), rrrs::valid_from.desc(), rrrs::id.desc()))
        .select(RestrictionRow::as_select())
        .load(conn)
}

/// The restrictions in force on a parcel as the blocking rules read them; `consented` is
/// whether the record's right-holder consented for `dossier_id`.
pub fn in_force(
    conn: &mut PgConnection,
    parcel_id: i64,
    dossier_id: Option<i64>,
) -> QueryResult<Vec<RecordedRestriction>> {
    let rows: Vec<RestrictionRow> = rrrs::table
        .filter(rrrs::parcel_id.eq(parcel_id))
        .filter(rrrs::kind.eq_any(restriction_kinds()))
        .filter(rrrs::valid_to.is_null())
        .order(rrrs::id)
        .select(RestrictionRow::as_select())
        .load(conn)?;
    let consented: Vec<i64> = match dossier_id {
        Some(d) => restriction_consents::table
            .filter(restriction_consents::dossier_id.eq(d))
            .filter(restriction_consents::rrr_id.eq_any(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
            .select(restriction_consents::rrr_id)
            .load(conn)?,
        None => Vec::new(),
    };
    Ok(rows
        .into_iter()
        .map(|r| RecordedRestriction {
            id: r.id,
            kind: r.kind,
            reference: r.reference_no.clone().unwrap_or_else(|| r.source_document.clone()),
            legal_basis: r.legal_basis.clone(),
            consented: consented.contains(&r.id),
        })
        .collect())
}

/// A restriction to record on a parcel's current version.
pub struct NewRestriction<'a> {
    pub kind: RestrictionKind,
    pub parcel_id: i64,
    pub source_document: &'a str,
    pub description: Option<&'a str>,
    pub legal_basis: &'a str,
    pub counterparty: Option<&'a str>,
    pub reference_no: Option<&'a str>,
    pub secured_amount: Option<i64>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub documents: &'a serde_json::Value,
    pub registered_dossier_id: i64,
}

/// Records a restriction on the parcel's current version; `None` when the parcel has no
/// current version (retired).
pub fn insert(conn: &mut PgConnection, r: &NewRestriction) -> QueryResult<Option<i64>> {
    use crate::schema::parcel_versions;
    let version: Option<i64> = parcel_versions::table
        .filter(parcel_versions::parcel_id.eq(r.parcel_id))
        .filter(parcel_versions::valid_to.is_null())
        .select(parcel_versions::id)
        .first(conn)
        .optional()?;
    let Some(version) = version else { return Ok(None) };
    diesel::insert_into(rrrs::table)
        .values((
            rrrs::kind.eq(r.kind.as_str()),
            rrrs::parcel_id.eq(r.parcel_id),
            rrrs::parcel_version_id.eq(version),
            rrrs::source_document.eq(r.source_document),
            rrrs::description.eq(r.description),
            rrrs::legal_basis.eq(r.legal_basis),
            rrrs::counterparty.eq(r.counterparty),
            rrrs::reference_no.eq(r.reference_no),
            rrrs::secured_amount.eq(r.secured_amount),
            rrrs::term_start.eq(r.term_start),
            rrrs::term_end.eq(r.term_end),
            rrrs::documents.eq(r.documents),
            rrrs::registered_dossier_id.eq(r.registered_dossier_id),
            rrrs::valid_from.eq(clock_timestamp()),
        ))
        .returning(rrrs::id)
        .get_result(conn)
        .map(Some)
}

/// Ends a record in force (release, lifting); `false` when it had already ended.
pub fn release(conn: &mut PgConnection, id: i64, dossier_id: i64, reason: &str) -> QueryResult<bool> {
    diesel::update(rrrs::table.find(id).filter(rrrs::valid_to.is_null()))
        .set((
            rrrs::valid_to.eq(clock_timestamp().nullable()),
            rrrs::released_dossier_id.eq(dossier_id),
            rrrs::ended_reason.eq(reason),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Records the consent of a restriction's right-holder for one dossier; `false` when already
/// recorded for it.
pub fn insert_consent(
    conn: &mut PgConnection,
    rrr_id: i64,
    dossier_id: i64,
    document: &str,
    user_id: i32,
) -> QueryResult<bool> {
    diesel::insert_into(restriction_consents::table)
        .values((
            restriction_consents::rrr_id.eq(rrr_id),
            restriction_consents::dossier_id.eq(dossier_id),
            restriction_consents::document.eq(document),
            restriction_consents::recorded_by.eq(user_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|n| n == 1)
}

/// Consents recorded on a record: (dossier id, document, when).
pub fn consents(conn: &mut PgConnection, rrr_id: i64) -> QueryResult<Vec<(i64, String, DateTime<Utc>)>> {
    restriction_consents::table
        .filter(restriction_consents::rrr_id.eq(rrr_id))
        .order(restriction_consents::recorded_at)
        .select((restriction_consents::dossier_id, restriction_consents::document, restriction_consents::recorded_at))
        .load(conn)
}

/// Restrictions follow the land: every record in force on the `from` parcels ends (with
/// `reason`) and is opened again on the current version of each `to` parcel, pointing at the
/// record it came from. Returns the number of records opened.
pub fn carry(conn: &mut PgConnection, from: &[i64], to: &[i64], reason: &str) -> QueryResult<usize> {
    diesel::sql_query(CARRY)
        .bind::<Array<BigInt>, _>(from)
        .bind::<Array<BigInt>, _>(to)
        .bind::<Text, _>(reason)
        .bind::<Array<Text>, _>(restriction_kinds())
        .execute(conn)
}

/// What the public may know of a parcel's restrictions: whether a mortgage is registered, and
/// whether anything restricts the right (never who, how much or under which contract).
pub fn public_flags(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<(bool, bool)> {
    let in_force = rrrs::table.filter(rrrs::parcel_id.eq(parcel_id)).filter(rrrs::valid_to.is_null());
    let restricting: Vec<&str> = RestrictionKind::ALL.iter().filter(|k| k.restricts()).map(|k| k.as_str()).collect();
    diesel::select((
        exists(in_force.filter(rrrs::kind.eq(RestrictionKind::Mortgage.as_str()))),
        exists(in_force.filter(rrrs::kind.eq_any(restricting))),
    ))
    .get_result(conn)
}

/// When a restriction on the parcel was last recorded or ended.
pub fn last_change(conn: &mut PgConnection, parcel_id: i64) -> QueryResult<Option<DateTime<Utc>>> {
    use diesel::dsl::max;
    let of_parcel = || rrrs::table.filter(rrrs::parcel_id.eq(parcel_id)).filter(rrrs::kind.eq_any(restriction_kinds()));
    let recorded: Option<DateTime<Utc>> = of_parcel().select(max(rrrs::valid_from)).first(conn)?;
    let ended: Option<DateTime<Utc>> = of_parcel().select(max(rrrs::valid_to)).first(conn)?;
    Ok(recorded.max(ended))
}

/// Whether the dossier has already registered a record on the parcel.
pub fn registered_by(conn: &mut PgConnection, dossier_id: i64, parcel_id: i64) -> QueryResult<bool> {
    diesel::select(exists(
        rrrs::table
            .filter(rrrs::registered_dossier_id.eq(dossier_id))
            .filter(rrrs::parcel_id.eq(parcel_id))
            .filter(rrrs::carried_from_id.is_null()),
    ))
    .get_result(conn)
}
