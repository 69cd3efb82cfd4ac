//! Console sessions (API.md §16): an API key exchanged for a random
//! session id a browser keeps in a cookie. The store keeps only the id's
//! SHA-256, and every use of a session checks its key again, so revoking
//! the key or removing the member ends the session at once.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use thunderphone_domain::{Principal, Timestamp};
use thunderphone_ports::{NewSession, RepoError};

use thunderphone_ports::Unexpected;

use crate::api_keys::hash_api_key;
use crate::{App, AppError};

/// How long a session lasts from sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// A new session. The id is the secret the browser holds: give it to the
/// browser once and keep it nowhere else.
#[derive(Clone)]
pub struct ConsoleSession {
    /// The session id (43 base64url characters, 32 random bytes).
    pub id: String,
    /// Who the session acts as.
    pub principal: Principal,
    /// When it ends.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSession")
            .field("id", &"<secret>")
            .field("principal", &self.principal)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// 32 bytes from the operating system's generator.
fn new_session_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        AppError::Unexpected(Unexpected::context("no randomness for a session id", e))
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A presented id that cannot be one of ours is refused without a read.
fn well_formed(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl App {
    /// Exchanges an API key for a new session of [`SESSION_TTL`].
    ///
    /// # Errors
    /// `Unauthorized` for a malformed, unknown or revoked key; store errors.
    pub async fn sign_in(&self, api_key: &str) -> Result<ConsoleSession, AppError> {
        let principal = self.authenticate(api_key).await?;
        let id = new_session_id()?;
        let now = self.ports.clock.now();
        let ttl = chrono::Duration::from_std(SESSION_TTL)
            .map_err(|e| AppError::Unexpected(Unexpected::context("session lifetime", e)))?;
        let expires_at = now + ttl;
        let stored = self
            .ports
            .sessions
            .create_session(NewSession {
                id_hash: hash_api_key(&id),
                api_key_id: principal.api_key_id,
                created_at: now,
                expires_at,
            })
            .await;
        match stored {
            Ok(()) => Ok(ConsoleSession {
                id,
                principal,
                expires_at,
            }),
            // Revoked between the two reads.
            Err(RepoError::NotFound) => Err(AppError::Unauthorized),
            Err(other) => Err(AppError::store(other)),
        }
    }

    /// The caller behind a session id, with the key's current role.
    ///
    /// # Errors
    /// `Unauthorized` when the session is unknown, expired or signed out,
    /// or its key was revoked; store errors.
    pub async fn session_principal(&self, session_id: &str) -> Result<Principal, AppError> {
        if !well_formed(session_id) {
            return Err(AppError::Unauthorized);
        }
        self.ports
            .sessions
            .find_session(&hash_api_key(session_id), self.ports.clock.now())
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::Unauthorized)
    }

    /// Ends a session on the server; an unknown one is already ended.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn sign_out(&self, session_id: &str) -> Result<(), AppError> {
        if well_formed(session_id) {
            self.ports
                .sessions
                .delete_session(&hash_api_key(session_id))
                .await
                .map_err(AppError::store)?;
        }
        Ok(())
    }

    /// Deletes up to `batch` expired sessions; returns how many.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn purge_sessions(&self, batch: u32) -> Result<u64, AppError> {
        self.ports
            .sessions
            .purge_sessions(self.ports.clock.now(), batch)
            .await
            .map_err(AppError::store)
    }

    /// The purge job: deletes expired sessions every `every` (in batches
    /// of `batch`, until none is left) until `shutdown` completes.
    pub async fn run_session_purge(
        &self,
        every: Duration,
        batch: u32,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            loop {
                match self.purge_sessions(batch).await {
                    Ok(deleted) if deleted >= u64::from(batch) => {}
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "cannot purge expired console sessions");
                        break;
                    }
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}
