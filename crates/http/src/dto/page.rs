//! Opaque cursors and page parameters (API.md §4).
//!
//! A cursor is base64url of a tagged position (`n:<created_at µs>:<id>` for
//! lists ordered by creation, `v:<version>` for version history); clients
//! must treat it as opaque. A cursor of the wrong kind or a tampered one is a
//! 422 on `cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use thunderphone_domain::Version;
use thunderphone_ports::{ListCursor, PageLimit, PageRequest};

use crate::Problem;
use crate::extract::QueryParams;

const BAD_CURSOR: &str = "is not a cursor returned by this list";

/// Encodes a list position.
pub fn encode_list(cursor: ListCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "n:{}:{}",
        cursor.created_at.timestamp_micros(),
        cursor.id
    ))
}

/// Encodes a version-history position.
pub fn encode_version(version: Version) -> String {
    URL_SAFE_NO_PAD.encode(format!("v:{}", version.get()))
}

fn decode(raw: &str) -> Option<String> {
    if raw.len() > 128 {
        return None;
    }
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

fn decode_list(raw: &str) -> Option<ListCursor> {
    let text = decode(raw)?;
    let mut parts = text.strip_prefix("n:")?.split(':');
    let micros = parts.next()?.parse::<i64>().ok()?;
    let id = parts.next()?.parse::<i64>().ok().filter(|id| *id > 0)?;
    if parts.next().is_some() {
        return None;
    }
    Some(ListCursor {
        created_at: DateTime::from_timestamp_micros(micros)?,
        id,
    })
}

fn decode_version(raw: &str) -> Option<Version> {
    decode(raw)?
        .strip_prefix("v:")?
        .parse::<i64>()
        .ok()
        .and_then(Version::new)
}

/// `limit`: 1–200, default 50.
pub fn limit(query: &QueryParams) -> Result<PageLimit, Problem> {
    match query.get("limit") {
        None => Ok(PageLimit::default()),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .and_then(PageLimit::new)
            .ok_or_else(|| Problem::invalid("limit", "must be an integer from 1 to 200")),
    }
}

/// `limit` and `cursor` of a list ordered by creation.
pub fn list_request(query: &QueryParams) -> Result<PageRequest<ListCursor>, Problem> {
    let limit = limit(query)?;
    let after = match query.get("cursor") {
        None => None,
        Some(raw) => Some(decode_list(raw).ok_or_else(|| Problem::invalid("cursor", BAD_CURSOR))?),
    };
    Ok(PageRequest { limit, after })
}

/// `limit` and `cursor` of a version history.
pub fn version_request(query: &QueryParams) -> Result<PageRequest<Version>, Problem> {
    let limit = limit(query)?;
    let after = match query.get("cursor") {
        None => None,
        Some(raw) => {
            Some(decode_version(raw).ok_or_else(|| Problem::invalid("cursor", BAD_CURSOR))?)
        }
    };
    Ok(PageRequest { limit, after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let created_at = DateTime::from_timestamp_micros(1_800_000_000_123_456).unwrap_or_default();
        let cursor = ListCursor { created_at, id: 42 };
        assert_eq!(decode_list(&encode_list(cursor)), Some(cursor));
        let v = Version::new(7).unwrap_or(Version::FIRST);
        assert_eq!(decode_version(&encode_version(v)), Some(v));
        assert_eq!(decode_list(&encode_version(v)), None, "kinds do not mix");
        for bad in [
            "",
            "x",
            "bjox",
            &URL_SAFE_NO_PAD.encode("n:1:-5"),
            &URL_SAFE_NO_PAD.encode("n:1:2:3"),
        ] {
            assert_eq!(decode_list(bad), None, "{bad}");
        }
    }
}
