//! Console sessions: one row per session, keyed by the hash of its id.
//! Reading one joins its API key and the key's membership, so a revoked
//! key or a removed member ends the session in the same read.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use thunderphone_domain::{Principal, Timestamp};
use thunderphone_ports::{NewSession, RepoError, SessionStore};

use crate::PgStore;
use crate::error::Failure;
use crate::schema::{api_keys, console_sessions};
use crate::tenancy::{PRINCIPAL_COLUMNS, PrincipalRow, keys_with_role, principal};

/// Deletes one batch of expired sessions, oldest first.
const PURGE: &str = "DELETE FROM console_sessions WHERE id_hash IN (\
    SELECT id_hash FROM console_sessions WHERE expires_at <= $1 \
    ORDER BY expires_at LIMIT $2)";

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, session: NewSession) -> Result<(), RepoError> {
        self.run("create_session", move |conn| {
            conn.transaction(|conn| {
                let live = api_keys::table
                    .find(session.api_key_id.get())
                    .filter(api_keys::revoked_at.is_null())
                    .select(api_keys::id)
                    .for_key_share()
                    .first::<i64>(conn)
                    .optional()?;
                if live.is_none() {
                    return Err(RepoError::NotFound.into());
                }
                diesel::insert_into(console_sessions::table)
                    .values((
                        console_sessions::id_hash.eq(&session.id_hash),
                        console_sessions::api_key_id.eq(session.api_key_id.get()),
                        console_sessions::created_at.eq(session.created_at),
                        console_sessions::expires_at.eq(session.expires_at),
                    ))
                    .execute(conn)
                    .map_err(|e| {
                        let failure = Failure::from(e);
                        if failure.unique_violation() == Some("console_sessions_pkey") {
                            RepoError::Duplicate("session").into()
                        } else {
                            failure
                        }
                    })?;
                Ok(())
            })
        })
        .await
    }

    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, RepoError> {
        let id_hash = id_hash.to_owned();
        self.run("find_session", move |conn| {
            console_sessions::table
                .inner_join(keys_with_role())
                .filter(console_sessions::id_hash.eq(&id_hash))
                .filter(console_sessions::expires_at.gt(now))
                .filter(api_keys::revoked_at.is_null())
                .select(PRINCIPAL_COLUMNS)
                .first::<PrincipalRow>(conn)
                .optional()?
                .map(principal)
                .transpose()
        })
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, RepoError> {
        let id_hash = id_hash.to_owned();
        self.run("delete_session", move |conn| {
            let deleted = diesel::delete(console_sessions::table.find(&id_hash)).execute(conn)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn purge_sessions(&self, now: Timestamp, batch: u32) -> Result<u64, RepoError> {
        self.run("purge_sessions", move |conn| {
            let deleted = diesel::sql_query(PURGE)
                .bind::<Timestamptz, _>(now)
                .bind::<BigInt, _>(i64::from(batch))
                .execute(conn)?;
            Ok(deleted as u64)
        })
        .await
    }
}
