//! Opaque, signed cursors and page parameters (API.md §4, §17).
//!
//! A cursor is `base64url(position) "." base64url(tag)`: the position is a
//! tagged keyset position (`n:<created_at µs>:<id>` for lists ordered by
//! creation, `v:<version>` for version history), and the tag an
//! HMAC-SHA-256 (first 16 bytes) over the position and its [`CursorScope`]:
//! the list, the org and the filters it was issued for. So a cursor is
//! accepted only where it was issued; anything else — another org's,
//! another filter's, another list's, or a position a client wrote itself —
//! is a 422 on `cursor`, and a forged position never reaches the store.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thunderphone_domain::{OrgId, Version};
use thunderphone_ports::{ListCursor, PageLimit, PageRequest};

use crate::Problem;
use crate::extract::QueryParams;

const BAD_CURSOR: &str = "is not a cursor this list returned for these filters";

/// Bytes of the tag kept in a cursor: 128 bits, enough against guessing.
const TAG_BYTES: usize = 16;

/// The longest cursor accepted.
const MAX_CURSOR: usize = 128;

/// Where a cursor is valid: one list of one org with one set of filters
/// (the page size may change from page to page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorScope(Vec<u8>);

impl CursorScope {
    /// `list` (e.g. `phone-numbers`, `versions:17`) of `org_id`, filtered by
    /// every parameter of `query` but `limit` and `cursor`.
    pub fn new(list: &str, org_id: OrgId, query: &QueryParams) -> Self {
        Self::build(list, &org_id.get().to_string(), query)
    }

    /// `list` of the operator API (which sees every org), filtered by every
    /// parameter of `query` but `limit` and `cursor`. The owner part cannot
    /// be an org id, so these cursors never pass in an org's lists.
    pub fn operator(list: &str, query: &QueryParams) -> Self {
        Self::build(list, "operator", query)
    }

    fn build(list: &str, owner: &str, query: &QueryParams) -> Self {
        let mut filters: Vec<(&str, &str)> = query
            .pairs()
            .filter(|(name, _)| !matches!(*name, "limit" | "cursor"))
            .collect();
        filters.sort_unstable();
        let mut bytes = Vec::with_capacity(64);
        for part in [list, owner] {
            bytes.extend_from_slice(part.as_bytes());
            bytes.push(0);
        }
        for (name, value) in filters {
            for part in [name, value] {
                bytes.extend_from_slice(part.as_bytes());
                bytes.push(0);
            }
        }
        Self(bytes)
    }
}

/// Signs cursors and checks them. With several instances the key must be
/// the same on each: it is derived from `THUNDERPHONE_SECRET_KEY`, which
/// they share anyway (see `docs/DECISIONS.md`).
#[derive(Clone)]
pub struct CursorSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner([redacted])")
    }
}

/// A cursor as read from a request: its position, not yet checked against
/// the scope it must have been issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    position: String,
    tag: Vec<u8>,
}

impl CursorSigner {
    /// A signer whose key is derived from `secret` (one-way, and separate
    /// from any use of the secret itself).
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"thunderphone/cursor-key/v1\0");
        hasher.update(secret);
        Self {
            key: hasher.finalize().into(),
        }
    }

    /// A signer with a key of its own, for a single instance.
    ///
    /// # Errors
    /// When the OS has no randomness to give.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(Self { key })
    }

    fn tag(&self, position: &str, scope: &CursorScope) -> Vec<u8> {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(&scope.0);
        mac.update(position.as_bytes());
        mac.finalize().into_bytes()[..TAG_BYTES].to_vec()
    }

    fn encode(&self, position: &str, scope: &CursorScope) -> String {
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(position),
            URL_SAFE_NO_PAD.encode(self.tag(position, scope))
        )
    }

    /// The cursor of a list position, valid in `scope` only.
    pub fn encode_list(&self, cursor: ListCursor, scope: &CursorScope) -> String {
        let position = format!("n:{}:{}", cursor.created_at.timestamp_micros(), cursor.id);
        self.encode(&position, scope)
    }

    /// The cursor of a version-history position, valid in `scope` only.
    pub fn encode_version(&self, version: Version, scope: &CursorScope) -> String {
        self.encode(&format!("v:{}", version.get()), scope)
    }

    /// The cursor of a position in a list ordered by a sequence (events,
    /// deliveries), valid in `scope` only.
    pub fn encode_seq(&self, seq: i64, scope: &CursorScope) -> String {
        self.encode(&format!("s:{seq}"), scope)
    }

    /// `limit` and `cursor` of a list ordered by a sequence, the cursor
    /// checked against `scope`.
    ///
    /// # Errors
    /// 422 on `limit` or `cursor`.
    pub fn seq_request(
        &self,
        query: &QueryParams,
        scope: &CursorScope,
    ) -> Result<PageRequest<i64>, Problem> {
        let limit = limit(query)?;
        let after = match query.get("cursor") {
            None => None,
            Some(raw) => {
                let cursor = split(raw).ok_or_else(bad_cursor)?;
                let seq = cursor
                    .position
                    .strip_prefix("s:")
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(bad_cursor)?;
                self.check(&cursor, scope)?;
                Some(seq)
            }
        };
        Ok(PageRequest { limit, after })
    }

    /// Accepts `cursor` only if it was issued for `scope`.
    ///
    /// # Errors
    /// 422 on `cursor` otherwise.
    pub fn check(&self, cursor: &Unchecked, scope: &CursorScope) -> Result<(), Problem> {
        let expected = self.tag(&cursor.position, scope);
        if bool::from(expected.ct_eq(&cursor.tag)) {
            Ok(())
        } else {
            Err(bad_cursor())
        }
    }

    /// `limit` and `cursor` of a list ordered by creation, the cursor
    /// checked against `scope`.
    ///
    /// # Errors
    /// 422 on `limit` or `cursor`.
    pub fn list_request(
        &self,
        query: &QueryParams,
        scope: &CursorScope,
    ) -> Result<PageRequest<ListCursor>, Problem> {
        let (page, unchecked) = list_request(query)?;
        if let Some(cursor) = &unchecked {
            self.check(cursor, scope)?;
        }
        Ok(page)
    }

    /// `limit` and `cursor` of a version history, the cursor checked
    /// against `scope`.
    ///
    /// # Errors
    /// 422 on `limit` or `cursor`.
    pub fn version_request(
        &self,
        query: &QueryParams,
        scope: &CursorScope,
    ) -> Result<PageRequest<Version>, Problem> {
        let limit = limit(query)?;
        let after = match query.get("cursor") {
            None => None,
            Some(raw) => {
                let cursor = split(raw).ok_or_else(bad_cursor)?;
                let version = decode_version(&cursor.position).ok_or_else(bad_cursor)?;
                self.check(&cursor, scope)?;
                Some(version)
            }
        };
        Ok(PageRequest { limit, after })
    }
}

fn bad_cursor() -> Problem {
    Problem::invalid("cursor", BAD_CURSOR)
}

/// Splits a cursor into its position and tag, both well-formed.
fn split(raw: &str) -> Option<Unchecked> {
    if raw.len() > MAX_CURSOR {
        return None;
    }
    let (position, tag) = raw.split_once('.')?;
    let position = String::from_utf8(URL_SAFE_NO_PAD.decode(position).ok()?).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    (tag.len() == TAG_BYTES).then_some(Unchecked { position, tag })
}

/// A list position, if well-formed and inside the range a store can hold
/// (years 1970–9999); whether it was issued is checked separately.
fn decode_list(position: &str) -> Option<ListCursor> {
    let mut parts = position.strip_prefix("n:")?.split(':');
    let micros = parts.next()?.parse::<i64>().ok()?;
    let id = parts.next()?.parse::<i64>().ok().filter(|id| *id > 0)?;
    if parts.next().is_some() {
        return None;
    }
    let created_at = DateTime::from_timestamp_micros(micros)?;
    (1970..=9999)
        .contains(&created_at.year())
        .then_some(ListCursor { created_at, id })
}

fn decode_version(position: &str) -> Option<Version> {
    position
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

/// `limit` and `cursor` of a list ordered by creation, the cursor not yet
/// checked: for reads that learn the caller's org only with their answer
/// ([`CursorSigner::check`] it before answering).
///
/// # Errors
/// 422 on `limit`, or on a `cursor` that is not even well-formed.
pub fn list_request(
    query: &QueryParams,
) -> Result<(PageRequest<ListCursor>, Option<Unchecked>), Problem> {
    let limit = limit(query)?;
    match query.get("cursor") {
        None => Ok((PageRequest { limit, after: None }, None)),
        Some(raw) => {
            let cursor = split(raw).ok_or_else(bad_cursor)?;
            let after = decode_list(&cursor.position).ok_or_else(bad_cursor)?;
            Ok((
                PageRequest {
                    limit,
                    after: Some(after),
                },
                Some(cursor),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> QueryParams {
        QueryParams::parse(q, &["limit", "cursor", "status", "source"]).unwrap_or_default()
    }

    fn org(id: i64) -> OrgId {
        OrgId::new(id).unwrap_or_else(|_| unreachable!())
    }

    fn page(
        signer: &CursorSigner,
        q: &str,
        scope: &CursorScope,
    ) -> Result<Option<ListCursor>, Problem> {
        signer.list_request(&query(q), scope).map(|p| p.after)
    }

    #[test]
    fn cursors_round_trip_in_their_scope_only() {
        let signer = CursorSigner::from_secret(b"k");
        let created_at = DateTime::from_timestamp_micros(1_800_000_000_123_456).unwrap_or_default();
        let cursor = ListCursor { created_at, id: 42 };
        let scope = CursorScope::new("phone-numbers", org(1), &query("status=active"));
        let raw = signer.encode_list(cursor, &scope);
        let q = format!("status=active&limit=5&cursor={raw}");
        let same = CursorScope::new("phone-numbers", org(1), &query(&q));
        assert_eq!(page(&signer, &q, &same).ok(), Some(Some(cursor)));
        for other in [
            CursorScope::new("phone-numbers", org(2), &query(&q)),
            CursorScope::new("agents", org(1), &query(&q)),
            CursorScope::new("phone-numbers", org(1), &query("status=released")),
            CursorScope::new("phone-numbers", org(1), &query("")),
        ] {
            assert!(page(&signer, &q, &other).is_err(), "{other:?}");
        }
        let elsewhere = CursorSigner::from_secret(b"other");
        assert!(page(&elsewhere, &q, &same).is_err(), "another key");
    }

    #[test]
    fn forged_and_malformed_cursors_are_refused() {
        let signer = CursorSigner::from_secret(b"k");
        let scope = CursorScope::new("phone-numbers", org(1), &query(""));
        let unsigned = URL_SAFE_NO_PAD.encode("n:-8000000000000000000:5");
        let forged_tag = format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode([0u8; 16]));
        let far = signer.encode(&format!("n:{}:5", i64::MAX), &scope);
        let negative_id = signer.encode("n:1:-5", &scope);
        for bad in [
            "",
            "x",
            "bjox",
            "a.b",
            &unsigned,
            &forged_tag,
            &far,
            &negative_id,
            &"A".repeat(200),
        ] {
            assert!(
                page(&signer, &format!("cursor={bad}"), &scope).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn version_cursors_do_not_mix_with_list_cursors() {
        let signer = CursorSigner::from_secret(b"k");
        let scope = CursorScope::new("versions:9", org(1), &query(""));
        let v = Version::new(7).unwrap_or(Version::FIRST);
        let raw = signer.encode_version(v, &scope);
        let q = query(&format!("cursor={raw}"));
        assert_eq!(
            signer.version_request(&q, &scope).map(|p| p.after).ok(),
            Some(Some(v))
        );
        assert!(signer.list_request(&q, &scope).is_err(), "kinds do not mix");
        let other = CursorScope::new("versions:10", org(1), &query(""));
        assert!(
            signer.version_request(&q, &other).is_err(),
            "another number"
        );
    }

    #[test]
    fn limits() {
        assert!(limit(&query("limit=0")).is_err());
        assert!(limit(&query("limit=201")).is_err());
        assert_eq!(
            limit(&query("limit=200")).map(PageLimit::get).ok(),
            Some(200)
        );
    }
}
