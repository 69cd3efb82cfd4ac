//! Webhook signing secrets as a key rotation sees them: listed by the key
//! that sealed them, sampled per key, and re-sealed only if unchanged
//! (compare-and-set on the stored bytes).

use std::collections::BTreeMap;

use diesel::prelude::*;
use thunderphone_domain::{Timestamp, WebhookEndpointId};
use thunderphone_ports::{SealedCredentials, SecretSlot, StoredSecret};

use crate::error::Failure;
use crate::rows::id;
use crate::schema::webhook_endpoints::{self, dsl as w};

/// An endpoint's secrets as stored.
type SecretsRow = (
    i64,
    String,
    Vec<u8>,
    Option<String>,
    Option<Vec<u8>>,
    Option<Timestamp>,
);

/// The secrets of a row still read at `now`: the current one, and the
/// previous one during its grace.
fn live(row: SecretsRow, now: Timestamp) -> Result<Vec<StoredSecret>, Failure> {
    let (raw, key_id, ciphertext, previous_key_id, previous_sealed, previous_until) = row;
    let endpoint_id = id("webhook endpoint id", raw, WebhookEndpointId::new)?;
    let mut secrets = vec![StoredSecret {
        endpoint_id,
        slot: SecretSlot::Current,
        sealed: SealedCredentials { key_id, ciphertext },
    }];
    if let (Some(key_id), Some(ciphertext), Some(until)) =
        (previous_key_id, previous_sealed, previous_until)
        && until > now
    {
        secrets.push(StoredSecret {
            endpoint_id,
            slot: SecretSlot::Previous,
            sealed: SealedCredentials { key_id, ciphertext },
        });
    }
    Ok(secrets)
}

fn columns() -> (
    w::id,
    w::secret_key_id,
    w::secret_sealed,
    w::previous_secret_key_id,
    w::previous_secret_sealed,
    w::previous_secret_until,
) {
    (
        w::id,
        w::secret_key_id,
        w::secret_sealed,
        w::previous_secret_key_id,
        w::previous_secret_sealed,
        w::previous_secret_until,
    )
}

/// `secrets_sealed_with_other_keys`, in endpoint id order.
pub(super) fn sealed_with_other_keys(
    conn: &mut PgConnection,
    key_id: &str,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<StoredSecret>, Failure> {
    let rows: Vec<SecretsRow> = webhook_endpoints::table
        .filter(
            w::secret_key_id.ne(key_id).or(w::previous_secret_until
                .gt(now)
                .and(w::previous_secret_key_id.ne(key_id))),
        )
        .select(columns())
        .order(w::id)
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .load(conn)?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        found.extend(
            live(row, now)?
                .into_iter()
                .filter(|s| s.sealed.key_id != key_id),
        );
    }
    found.truncate(limit);
    Ok(found)
}

/// `secret_sample_per_key`: the newest endpoint's secret of each key id
/// (run once at start-up).
pub(super) fn sample_per_key(
    conn: &mut PgConnection,
    now: Timestamp,
) -> Result<Vec<SealedCredentials>, Failure> {
    let current: Vec<(String, Vec<u8>)> = webhook_endpoints::table
        .select((w::secret_key_id, w::secret_sealed))
        .distinct_on(w::secret_key_id)
        .order((w::secret_key_id, w::id.desc()))
        .load(conn)?;
    let previous: Vec<(Option<String>, Option<Vec<u8>>)> = webhook_endpoints::table
        .filter(w::previous_secret_until.gt(now))
        .select((w::previous_secret_key_id, w::previous_secret_sealed))
        .distinct_on(w::previous_secret_key_id)
        .order((w::previous_secret_key_id, w::id.desc()))
        .load(conn)?;
    let mut per_key = BTreeMap::new();
    let previous = previous
        .into_iter()
        .filter_map(|(key_id, sealed)| Some((key_id?, sealed?)));
    for (key_id, ciphertext) in current.into_iter().chain(previous) {
        per_key
            .entry(key_id.clone())
            .or_insert(SealedCredentials { key_id, ciphertext });
    }
    Ok(per_key.into_values().collect())
}

/// `reseal_secret`: one `UPDATE` that matches only the bytes read.
pub(super) fn reseal(
    conn: &mut PgConnection,
    secret: &StoredSecret,
    sealed: &SealedCredentials,
) -> Result<bool, Failure> {
    let row = webhook_endpoints::table.find(secret.endpoint_id.get());
    let updated = match secret.slot {
        SecretSlot::Current => diesel::update(
            row.filter(w::secret_key_id.eq(&secret.sealed.key_id))
                .filter(w::secret_sealed.eq(&secret.sealed.ciphertext)),
        )
        .set((
            w::secret_key_id.eq(&sealed.key_id),
            w::secret_sealed.eq(&sealed.ciphertext),
        ))
        .execute(conn)?,
        SecretSlot::Previous => diesel::update(
            row.filter(w::previous_secret_key_id.eq(&secret.sealed.key_id))
                .filter(w::previous_secret_sealed.eq(&secret.sealed.ciphertext)),
        )
        .set((
            w::previous_secret_key_id.eq(&sealed.key_id),
            w::previous_secret_sealed.eq(&sealed.ciphertext),
        ))
        .execute(conn)?,
    };
    Ok(updated == 1)
}
