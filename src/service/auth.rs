//! Staff sign-in: argon2id password hashes, opaque bearer tokens stored as SHA-256, a throttle
//! on failed sign-ins kept in the database, sign-out, and account deactivation and reset.

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

/// The longest account name the throttle keys on (longer ones are cut; no account is longer).
const THROTTLE_KEY_CHARS: usize = 256;

/// The throttle's key for an account name as typed.
fn throttle_key(username: &str) -> String {
    username.chars().take(THROTTLE_KEY_CHARS).collect()
}

/// A sign-in under way: the throttle let it through and the account (if any) is loaded. The
/// password is checked next, without a database connection ([`verify_password`]), and the
/// outcome recorded by [`finish_sign_in`].
pub struct SignInAttempt {
    username: String,
    client: String,
    user: Option<users::UserRow>,
}

/// Step 1 of `POST /auth/token`: refuses (429) an account name or a client address with too
/// many recent failures, before any password hashing; else loads the account.
pub fn begin_sign_in(
    conn: &mut PgConnection,
    settings: &Settings,
    username: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<SignInAttempt, Error> {
    let username = throttle_key(username);
    let since = now - settings.sign_in_window;
    let wait = |f: users::Failures, limit: i64| -> Option<u64> {
        (f.count >= limit).then(|| {
            let free_at = f.oldest.unwrap_or(now) + settings.sign_in_window;
            (free_at - now).num_seconds().max(1) as u64
        })
    };
    let account = users::failures_of_username(conn, &username, since).context_db("counting failed sign-ins")?;
    let from_client = users::failures_of_client(conn, client, since).context_db("counting failed sign-ins")?;
    let retry_after =
        [wait(account, settings.sign_in_failures_per_account), wait(from_client, settings.sign_in_failures_per_client)]
            .into_iter()
            .flatten()
            .max();
    if let Some(retry_after) = retry_after {
        tracing::warn!(username, client, retry_after, "sign-in throttled");
        return Err(Error::TooManyRequests { retry_after });
    }
    let user = users::by_username(conn, &username).context_db("loading the account")?;
    Ok(SignInAttempt { username, client: client.to_string(), user })
}

/// Step 2: the argon2id check (CPU-bound; run it without holding a connection). An unknown
/// account is checked against a dummy hash, so timing does not reveal which accounts exist.
pub fn verify_password(attempt: &SignInAttempt, password: &str) -> bool {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8yXwWBYb9L1sT2m4HhJ0fQ6oQ2m9b7mZk1bC3dE4fGg";
    let hash = attempt.user.as_ref().map_or(DUMMY, |u| u.password_hash.as_str());
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Step 3: on success, stops the account's failures counting against it (they still count for
/// their addresses) and issues a token; on failure (wrong password, unknown or deactivated
/// account: one answer, 401) records the failure for the throttle and audits it
/// (`auth.sign_in_failed`, never the password).
pub fn finish_sign_in(
    conn: &mut PgConnection,
    settings: &Settings,
    attempt: SignInAttempt,
    verified: bool,
    now: DateTime<Utc>,
) -> Result<IssuedToken, Error> {
    let SignInAttempt { username, client, user } = attempt;
    let user = match user {
        Some(u) if verified && u.active => u,
        user => {
            let reason = match &user {
                None => "unknown account",
                Some(u) if !u.active => "account deactivated",
                Some(_) => "wrong password",
            };
            conn.transaction(|conn| {
                users::record_failure(conn, &username, &client, now, now - settings.sign_in_window)
                    .context_db("recording the failed sign-in")?;
                audit::append(
                    conn,
                    audit::AuditEntry {
                        actor_id: None,
                        actor: "anonymous",
                        action: "auth.sign_in_failed",
                        entity: "user",
                        entity_id: &username,
                        before: None,
                        after: Some(serde_json::json!({"username": username, "client": client, "reason": reason})),
                    },
                )
                .context_db("writing the audit log")
            })?;
            return Err(Error::Unauthenticated);
        }
    };
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires_at = now + settings.token_ttl;
    conn.transaction(|conn| {
        users::forgive_account(conn, &username).context_db("forgetting failed sign-ins")?;
        users::insert_token(conn, &token_hash(&token), user.id, expires_at).context_db("storing the token")
    })?;
    Ok(IssuedToken { token, expires_at })
}

/// `POST /auth/logout`: revokes the presented token.
pub fn sign_out(conn: &mut PgConnection, token: &str) -> Result<(), Error> {
    match users::delete_token(conn, &token_hash(token)).context_db("revoking the token")? {
        true => Ok(()),
        false => Err(Error::Unauthenticated),
    }
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
    if role != Role::Admin && province.is_none() {
        return Err(Error::invalid("/province", "every role but admin is bound to a province"));
    }
    let hash = hash_password(password)?;
    conn.transaction(|conn| {
        let id =
            users::insert(conn, username, full_name, &hash, role, province).map_err(
                |e| match store::StoreError::from(e) {
                    store::StoreError::Unique { .. } => {
                        Error::Conflict { message: format!("user {username} exists"), errors: vec![] }
                    }
                    // A province node's guard (federation) is not the name's fault.
                    store::StoreError::Check { constraint } if constraint.as_deref() != Some("federation_scope") => {
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

/// An argon2id hash of a new password (at least 10 characters).
fn hash_password(password: &str) -> Result<String, Error> {
    if password.chars().count() < 10 {
        return Err(Error::invalid("/password", "use at least 10 characters"));
    }
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("while hashing the password: {e}"))?
        .to_string())
}

/// `diachinh user deactivate`: the account can no longer sign in and its tokens are revoked;
/// returns how many tokens were revoked.
pub fn deactivate_user(conn: &mut PgConnection, username: &str) -> Result<usize, Error> {
    conn.transaction(|conn| {
        let user = users::by_username(conn, username)
            .context_db("loading the account")?
            .ok_or_else(|| Error::NotFound(format!("user {username}")))?;
        users::deactivate(conn, user.id).context_db("deactivating the account")?;
        let revoked = users::delete_tokens_of(conn, user.id).context_db("revoking the tokens")?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: None,
                actor: "cli",
                action: "user.deactivate",
                entity: "user",
                entity_id: username,
                before: Some(serde_json::json!({"active": user.active})),
                after: Some(serde_json::json!({"active": false, "tokens_revoked": revoked})),
            },
        )
        .context_db("writing the audit log")?;
        Ok(revoked)
    })
}

/// `diachinh user reset-password`: a new password, every token revoked, the account's failed
/// sign-ins forgotten; returns how many tokens were revoked. The password is never audited.
pub fn reset_password(conn: &mut PgConnection, username: &str, password: &str) -> Result<usize, Error> {
    let hash = hash_password(password)?;
    conn.transaction(|conn| {
        let user = users::by_username(conn, username)
            .context_db("loading the account")?
            .ok_or_else(|| Error::NotFound(format!("user {username}")))?;
        users::set_password_hash(conn, user.id, &hash).context_db("storing the password")?;
        let revoked = users::delete_tokens_of(conn, user.id).context_db("revoking the tokens")?;
        users::forgive_account(conn, username).context_db("forgetting failed sign-ins")?;
        audit::append(
            conn,
            audit::AuditEntry {
                actor_id: None,
                actor: "cli",
                action: "user.reset_password",
                entity: "user",
                entity_id: username,
                before: None,
                after: Some(serde_json::json!({"tokens_revoked": revoked})),
            },
        )
        .context_db("writing the audit log")?;
        Ok(revoked)
    })
}
