//! Staff sign-in: argon2id password hashes, opaque bearer tokens stored as SHA-256.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Actor, DbContext, Error, Role, Settings};
use store::{audit, users};

/// A freshly issued bearer token (shown once; only its hash is stored).
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// `POST /auth/token`: checks the password and issues a token.
pub fn issue_token(
    conn: &mut PgConnection,
    settings: &Settings,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<IssuedToken, Error> {
    let user = users::by_username(conn, username).context_db("loading the account")?;
    // Verify against a dummy hash when the user is unknown so timing does not reveal accounts.
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8yXwWBYb9L1sT2m4HhJ0fQ6oQ2m9b7mZk1bC3dE4fGg";
    let hash = user.as_ref().map_or(DUMMY, |u| u.password_hash.as_str());
    let verified = PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    let user = match user {
        Some(u) if verified && u.active => u,
        _ => return Err(Error::Unauthenticated),
    };
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires_at = now + settings.token_ttl;
    users::insert_token(conn, &token_hash(&token), user.id, expires_at).context_db("storing the token")?;
    Ok(IssuedToken { token, expires_at })
}

/// Resolves a bearer token to the acting staff member.
pub fn authenticate(conn: &mut PgConnection, token: &str) -> Result<Actor, Error> {
    let user =
        users::by_token(conn, &token_hash(token)).context_db("checking the token")?.ok_or(Error::Unauthenticated)?;
    Ok(Actor { user_id: user.id, username: user.username, role: user.role, province_code: user.province_code })
}

/// `diachinh user add`: creates an account (the first admin, or staff).
pub fn add_user(
    conn: &mut PgConnection,
    username: &str,
    full_name: &str,
    password: &str,
    role: Role,
    province: Option<&str>,
) -> Result<i32, Error> {
    if password.chars().count() < 10 {
        return Err(Error::invalid("/password", "use at least 10 characters"));
    }
    if role != Role::Admin && province.is_none() {
        return Err(Error::invalid("/province", "every role but admin is bound to a province"));
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("while hashing the password: {e}"))?
        .to_string();
    conn.transaction(|conn| {
        let id =
            users::insert(conn, username, full_name, &hash, role, province).map_err(
                |e| match store::StoreError::from(e) {
                    store::StoreError::Unique { .. } => {
                        Error::Conflict { message: format!("user {username} exists"), errors: vec![] }
                    }
                    store::StoreError::Check { .. } => {
                        Error::invalid("/username", "3-64 characters of a-z, 0-9, '.', '_' or '-'")
                    }
                    e => Error::db("creating the user", e),
                },
            )?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: None,
                actor: "cli",
                action: "user.create",
                entity: "user",
                entity_id: username,
                before: None,
                after: Some(serde_json::json!({"username": username, "role": role.as_str(), "province": province})),
            },
        )
        .context_db("writing the audit log")?;
        Ok(id)
    })
}
