//! The one error the store reports: what a caller can act on, not diesel's kinds.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A database failure, classified once here so no layer above matches on diesel's errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint or index refused the row (`constraint` names it when known).
    #[error("unique constraint {} violated", constraint.as_deref().unwrap_or("?"))]
    Unique { constraint: Option<String> },
    /// A foreign key refused the row.
    #[error("foreign key {} violated", constraint.as_deref().unwrap_or("?"))]
    ForeignKey { constraint: Option<String> },
    /// A CHECK constraint refused the row.
    #[error("check constraint {} violated", constraint.as_deref().unwrap_or("?"))]
    Check { constraint: Option<String> },
    /// The row was expected and is not there.
    #[error("no such row")]
    NotFound,
    /// The connection is gone or the pool has none to give, or a read replica cancelled the
    /// read because replaying the primary's changes conflicted with it (the primary can answer).
    #[error("the database is unavailable")]
    Unavailable,
    /// Text the database cannot store: a NUL character (`\u0000` in JSON), which PostgreSQL's
    /// text types refuse. The client's fault, whichever field it came in.
    #[error("text with a NUL character cannot be stored")]
    InvalidText,
    /// A statement or lock timeout cancelled the work.
    #[error("the database timed out")]
    Timeout,
    /// Anything else: a bug or an operator's problem, never the client's.
    #[error(transparent)]
    Other(DieselError),
}

impl StoreError {
    /// The violated constraint's name, for unique/foreign-key/check violations.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            StoreError::Unique { constraint }
            | StoreError::ForeignKey { constraint }
            | StoreError::Check { constraint } => constraint.as_deref(),
            _ => None,
        }
    }
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let constraint = info.constraint_name().map(str::to_string);
                match kind {
                    DatabaseErrorKind::UniqueViolation => StoreError::Unique { constraint },
                    DatabaseErrorKind::ForeignKeyViolation => StoreError::ForeignKey { constraint },
                    DatabaseErrorKind::CheckViolation => StoreError::Check { constraint },
                    DatabaseErrorKind::ClosedConnection => StoreError::Unavailable,
                    // SQLSTATE 40001 on a hot standby: "canceling statement due to conflict with recovery".
                    DatabaseErrorKind::SerializationFailure if info.message().contains("conflict with recovery") => {
                        StoreError::Unavailable
                    }
                    // SQLSTATE 22021: "invalid byte sequence for encoding "UTF8": 0x00".
                    _ if info.message().contains("invalid byte sequence") && info.message().contains("0x00") => {
                        StoreError::InvalidText
                    }
                    // SQLSTATE 57014 query_canceled (statement_timeout), 55P03 lock_not_available.
                    _ if info.message().contains("statement timeout") || info.message().contains("lock timeout") => {
                        StoreError::Timeout
                    }
                    _ => StoreError::Other(e),
                }
            }
            DieselError::BrokenTransactionManager => StoreError::Unavailable,
            _ => StoreError::Other(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(_: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_classified_with_their_constraint() {
        let unique = DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new("dup".to_string()));
        assert!(matches!(StoreError::from(unique), StoreError::Unique { constraint: None }));
        let fk = DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, Box::new("fk".to_string()));
        assert!(matches!(StoreError::from(fk), StoreError::ForeignKey { .. }));
        let closed = DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new("gone".to_string()));
        assert!(matches!(StoreError::from(closed), StoreError::Unavailable));
        let standby = DieselError::DatabaseError(
            DatabaseErrorKind::SerializationFailure,
            Box::new("canceling statement due to conflict with recovery".to_string()),
        );
        assert!(matches!(StoreError::from(standby), StoreError::Unavailable));
        let serialization = DieselError::DatabaseError(
            DatabaseErrorKind::SerializationFailure,
            Box::new("could not serialize".to_string()),
        );
        assert!(matches!(StoreError::from(serialization), StoreError::Other(_)));
        let timeout = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("canceling statement due to statement timeout".to_string()),
        );
        assert!(matches!(StoreError::from(timeout), StoreError::Timeout));
        assert!(matches!(StoreError::from(DieselError::NotFound), StoreError::NotFound));
        let nul = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("invalid byte sequence for encoding \"UTF8\": 0x00".to_string()),
        );
        assert!(matches!(StoreError::from(nul), StoreError::InvalidText));
    }
}
