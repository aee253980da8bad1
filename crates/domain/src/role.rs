//! Staff roles: what an account may do. Stored as [`Role::as_str`] in `users.role`.

use serde::Serialize;

/// Vai trò — a staff account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Cán bộ tiếp nhận, thẩm định: receives and appraises dossiers, edits parcels.
    Officer,
    /// Lãnh đạo: approves dossiers and issues certificates.
    Approver,
    /// Cán bộ quy hoạch: keeps the land-use plans.
    Planner,
    /// Quản trị: every province, every action.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Officer, Role::Approver, Role::Planner, Role::Admin];

    /// The role stored as `text`, or `None` for an unknown text.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The text stored in the database.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Approver => "approver",
            Role::Planner => "planner",
            Role::Admin => "admin",
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(text: String) -> Result<Role, String> {
        Role::parse(&text).ok_or_else(|| format!("unknown role {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::try_from(role.as_str().to_string()), Ok(role));
        }
        assert!(Role::try_from("root".to_string()).is_err());
    }
}
