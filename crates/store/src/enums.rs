//! Status columns as the domain's enums.
//!
//! A status is stored as text (`dossiers.state`, `certificates.status`, `certificate_blanks.status`,
//! `planning_plans.status`, `users.role`); the domain enum says which texts exist and reads one
//! with its `TryFrom<String>`. Every row field holding a status is declared the same way,
//! whether the row comes from the query builder (`Queryable`) or from a `.sql` file
//! (`QueryableByName`):
//!
//! ```ignore
//! #[diesel(deserialize_as = Stored<State>)]
//! pub state: State,
//! ```
//!
//! An unknown text is a deserialization error (the CHECK constraints keep it from happening).
//! Writes and filters bind the enum's `as_str()`.

use std::error::Error;

use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Text;

/// A domain enum read from a text column (see the module documentation).
#[derive(Debug, Clone, Copy, diesel::deserialize::FromSqlRow)]
pub struct Stored<T>(pub T);

impl<T> FromSql<Text, Pg> for Stored<T>
where
    T: TryFrom<String>,
    T::Error: Into<Box<dyn Error + Send + Sync>>,
{
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        T::try_from(text).map(Stored).map_err(Into::into)
    }
}

macro_rules! stored {
    ($($ty:ty),* $(,)?) => {$(
        impl From<Stored<$ty>> for $ty {
            fn from(stored: Stored<$ty>) -> $ty {
                stored.0
            }
        }
    )*};
}

stored!(
    domain::dossier::State,
    domain::certificate::Status,
    domain::certificate::BlankStatus,
    domain::planning::PlanStatus,
    domain::role::Role,
    domain::restriction::RestrictionKind,
    domain::dossier::submission::SubmissionState,
);
