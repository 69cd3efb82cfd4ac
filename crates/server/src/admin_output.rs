//! The JSON the admin commands print: the shapes of the operator API, with
//! timestamps in the same form (RFC 3339, UTC, `Z`, microseconds).

use serde_json::json;
use thunderphone_app::IssuedApiKey;
use thunderphone_domain::{Membership, Org, Timestamp, User};
use thunderphone_ports::ListedApiKey;

/// RFC 3339 in UTC with a `Z` suffix, as the API prints it.
pub(crate) fn timestamp(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn org(o: &Org) -> String {
    json!({ "id": o.id.get(), "name": o.name.as_str(), "created_at": timestamp(o.created_at) })
        .to_string()
}

pub(crate) fn user(u: &User) -> String {
    json!({ "id": u.id.get(), "email": u.email.as_str(), "created_at": timestamp(u.created_at) })
        .to_string()
}

pub(crate) fn membership(m: &Membership) -> String {
    json!({ "org_id": m.org_id.get(), "user_id": m.user_id.get(), "role": m.role.as_str() })
        .to_string()
}

pub(crate) fn issued_key(k: &IssuedApiKey) -> String {
    json!({
        "id": k.record.id.get(),
        "user_id": k.record.user_id.get(),
        "org_id": k.record.org_id.get(),
        "key": k.key,
    })
    .to_string()
}

pub(crate) fn listed_key(k: &ListedApiKey) -> String {
    json!({
        "id": k.key.id.get(),
        "user_id": k.key.user_id.get(),
        "org_id": k.key.org_id.get(),
        "created_at": timestamp(k.key.created_at),
        "revoked_at": k.revoked_at.map(timestamp),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_end_in_z_like_the_api() {
        let t = chrono_at(1_800_000_000, 123_456_000);
        assert_eq!(timestamp(t), "2027-01-15T08:00:00.123456Z");
    }

    fn chrono_at(secs: i64, nanos: u32) -> Timestamp {
        Timestamp::from_timestamp(secs, nanos).unwrap_or_default()
    }
}
