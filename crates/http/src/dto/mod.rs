//! JSON shapes of the API, kept apart from domain types: requests are
//! parsed into domain values (422 for invalid values), responses are built
//! from domain values.

pub mod agents;
pub mod connections;
pub mod events;
pub mod history;
pub mod names;
pub mod numbers;
pub mod operator;
pub mod operator_lists;
pub mod page;
pub mod params;
pub mod webhooks;

use chrono::SecondsFormat;
use serde::Deserialize;
use thunderphone_domain::Timestamp;

/// RFC 3339, UTC, `Z` suffix, microseconds.
pub fn timestamp(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
