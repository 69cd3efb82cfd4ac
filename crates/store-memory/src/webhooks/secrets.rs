//! Webhook signing secrets as a key rotation sees them: listed by the key
//! that sealed them, sampled per key, and re-sealed only if unchanged.

use std::collections::BTreeMap;

use thunderphone_domain::Timestamp;
use thunderphone_ports::{SealedCredentials, SecretSlot, StoredSecret};

use super::StoredEndpoint;
use crate::state::State;

/// The secrets of an endpoint still read at `now`: the current one, and
/// the previous one during its grace.
fn live_secrets(
    stored: &StoredEndpoint,
    now: Timestamp,
) -> impl Iterator<Item = (SecretSlot, &SealedCredentials)> {
    let previous = stored
        .previous
        .as_ref()
        .filter(|(_, until)| *until > now)
        .map(|(sealed, _)| (SecretSlot::Previous, sealed));
    std::iter::once((SecretSlot::Current, &stored.secret)).chain(previous)
}

impl State {
    pub(super) fn secrets_sealed_with_other_keys(
        &self,
        key_id: &str,
        now: Timestamp,
        limit: usize,
    ) -> Vec<StoredSecret> {
        let mut found: Vec<StoredSecret> = self
            .endpoints
            .iter()
            .flat_map(|(id, stored)| {
                live_secrets(stored, now).map(|(slot, sealed)| StoredSecret {
                    endpoint_id: *id,
                    slot,
                    sealed: sealed.clone(),
                })
            })
            .filter(|s| s.sealed.key_id != key_id)
            .collect();
        found.sort_by_key(|s| (s.endpoint_id, s.slot == SecretSlot::Previous));
        found.truncate(limit);
        found
    }

    pub(super) fn secret_sample_per_key(&self, now: Timestamp) -> Vec<SealedCredentials> {
        let mut per_key: BTreeMap<&str, &SealedCredentials> = BTreeMap::new();
        for stored in self.endpoints.values() {
            for (_, sealed) in live_secrets(stored, now) {
                per_key.entry(sealed.key_id.as_str()).or_insert(sealed);
            }
        }
        per_key.into_values().cloned().collect()
    }

    pub(super) fn reseal_secret(
        &mut self,
        secret: StoredSecret,
        sealed: SealedCredentials,
    ) -> bool {
        let Some(stored) = self.endpoints.get_mut(&secret.endpoint_id) else {
            return false;
        };
        let slot = match secret.slot {
            SecretSlot::Current => Some(&mut stored.secret),
            SecretSlot::Previous => stored.previous.as_mut().map(|(sealed, _)| sealed),
        };
        match slot {
            Some(current) if *current == secret.sealed => {
                *current = sealed;
                true
            }
            _ => false,
        }
    }
}
