//! Idempotency keys in `idempotency_keys`, claimed with one upsert.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Nullable, SmallInt, Text, Timestamptz};
use thunderphone_domain::{OrgId, Timestamp};
use thunderphone_ports::{IdempotencyStart, IdempotencyStore, RepoError, StoredResponse};

use crate::PgStore;
use crate::error::corrupt;

/// Claims the key unless a live record holds it: inserts it, or takes over
/// a record that expired or whose request died (lock passed, no response).
/// Returns a row only when this call claimed the key.
const CLAIM: &str = "\
    INSERT INTO idempotency_keys (org_id, key, fingerprint, created_at, locked_until) \
    VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (org_id, key) DO UPDATE SET \
        fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at, \
        locked_until = EXCLUDED.locked_until, response_status = NULL, \
        response_headers = NULL, response_body = NULL \
    WHERE idempotency_keys.created_at < $6 \
       OR (idempotency_keys.response_status IS NULL AND idempotency_keys.locked_until <= $4 \
           AND idempotency_keys.fingerprint = EXCLUDED.fingerprint) \
    RETURNING 1 AS claimed";

/// Deletes one batch of expired records, oldest first through the
/// `created_at` index. `SKIP LOCKED`: instances purging at the same time
/// take different rows instead of waiting on each other, and a row being
/// claimed again right now is left alone (the outer `created_at` check
/// sees the claim's new time if it won).
const PURGE: &str = "\
    DELETE FROM idempotency_keys k USING ( \
        SELECT org_id, key FROM idempotency_keys WHERE created_at < $1 \
        ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED \
    ) old \
    WHERE k.org_id = old.org_id AND k.key = old.key AND k.created_at < $1";

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[allow(dead_code)]
    claimed: i32,
}

#[derive(QueryableByName)]
struct Existing {
    #[diesel(sql_type = Text)]
    fingerprint: String,
    #[diesel(sql_type = Nullable<SmallInt>)]
    response_status: Option<i16>,
    #[diesel(sql_type = Nullable<Text>)]
    response_headers: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    response_body: Option<Vec<u8>>,
}

/// Headers are stored one per line as `name: value`; names and values are
/// from our own responses (no newlines).
fn encode_headers(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            line.split_once(": ")
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
        })
        .collect()
}

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn begin(
        &self,
        org_id: OrgId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lock_until: Timestamp,
        expires_before: Timestamp,
    ) -> Result<IdempotencyStart, RepoError> {
        let (key, fingerprint) = (key.to_owned(), fingerprint.to_owned());
        self.run("idempotency_begin", move |conn| {
            let claimed = diesel::sql_query(CLAIM)
                .bind::<BigInt, _>(org_id.get())
                .bind::<Text, _>(&key)
                .bind::<Text, _>(&fingerprint)
                .bind::<Timestamptz, _>(now)
                .bind::<Timestamptz, _>(lock_until)
                .bind::<Timestamptz, _>(expires_before)
                .get_result::<Claimed>(conn)
                .optional()?;
            if claimed.is_some() {
                return Ok(IdempotencyStart::Started);
            }
            let existing = diesel::sql_query(
                "SELECT fingerprint, response_status, response_headers, response_body \
                 FROM idempotency_keys WHERE org_id = $1 AND key = $2",
            )
            .bind::<BigInt, _>(org_id.get())
            .bind::<Text, _>(&key)
            .get_result::<Existing>(conn)?;
            if existing.fingerprint != fingerprint {
                return Ok(IdempotencyStart::KeyReused);
            }
            Ok(match existing.response_status {
                None => IdempotencyStart::InProgress,
                Some(status) => IdempotencyStart::Replay(StoredResponse {
                    status: u16::try_from(status).map_err(|e| corrupt("response status", e))?,
                    headers: decode_headers(
                        existing.response_headers.as_deref().unwrap_or_default(),
                    ),
                    body: existing.response_body.unwrap_or_default(),
                }),
            })
        })
        .await
    }

    async fn complete(
        &self,
        org_id: OrgId,
        key: &str,
        fingerprint: &str,
        response: StoredResponse,
    ) -> Result<(), RepoError> {
        let (key, fingerprint) = (key.to_owned(), fingerprint.to_owned());
        self.run("idempotency_complete", move |conn| {
            let status = i16::try_from(response.status).map_err(|e| corrupt("response status", e))?;
            diesel::sql_query(
                "UPDATE idempotency_keys SET response_status = $4, response_headers = $5, response_body = $6 \
                 WHERE org_id = $1 AND key = $2 AND fingerprint = $3 AND response_status IS NULL",
            )
            .bind::<BigInt, _>(org_id.get())
            .bind::<Text, _>(&key)
            .bind::<Text, _>(&fingerprint)
            .bind::<SmallInt, _>(status)
            .bind::<Text, _>(encode_headers(&response.headers))
            .bind::<Bytea, _>(&response.body)
            .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn abandon(&self, org_id: OrgId, key: &str, fingerprint: &str) -> Result<(), RepoError> {
        let (key, fingerprint) = (key.to_owned(), fingerprint.to_owned());
        self.run("idempotency_abandon", move |conn| {
            diesel::sql_query(
                "DELETE FROM idempotency_keys \
                 WHERE org_id = $1 AND key = $2 AND fingerprint = $3 AND response_status IS NULL",
            )
            .bind::<BigInt, _>(org_id.get())
            .bind::<Text, _>(&key)
            .bind::<Text, _>(&fingerprint)
            .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn purge_expired(&self, expires_before: Timestamp, limit: u32) -> Result<u64, RepoError> {
        let limit = i64::from(limit);
        self.run("idempotency_purge", move |conn| {
            let deleted = diesel::sql_query(PURGE)
                .bind::<Timestamptz, _>(expires_before)
                .bind::<BigInt, _>(limit)
                .execute(conn)?;
            Ok(deleted as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("location".to_owned(), "/v1/x/1".to_owned()),
        ];
        assert_eq!(decode_headers(&encode_headers(&headers)), headers);
        assert!(decode_headers("").is_empty());
    }
}
