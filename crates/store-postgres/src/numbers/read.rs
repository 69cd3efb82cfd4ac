//! Reading numbers and their history.

use std::collections::HashMap;

use diesel::prelude::*;
use thunderphone_domain::{OrgId, PhoneNumber, PhoneNumberId, Principal, Version, VersionSnapshot};
use thunderphone_ports::{Authenticated, ListCursor, NumberFilter, Page, PageRequest, RepoError};

use crate::error::Failure;
use crate::page::{load_page, newest_first};
use crate::rows::{NumberRow, VersionRow};
use crate::schema::{api_keys, phone_number_versions, phone_numbers};
use crate::tenancy::{PRINCIPAL_COLUMNS, PrincipalRow, authenticate, keys_with_role, principal};

/// A not-deleted number, of `org_id` when given.
pub(super) fn find(
    conn: &mut PgConnection,
    org_id: Option<OrgId>,
    id: PhoneNumberId,
) -> Result<Option<PhoneNumber>, Failure> {
    let mut query = phone_numbers::table
        .find(id.get())
        .filter(phone_numbers::deleted_at.is_null())
        .select(NumberRow::as_select())
        .into_boxed();
    if let Some(org_id) = org_id {
        query = query.filter(phone_numbers::org_id.eq(org_id.get()));
    }
    query
        .first(conn)
        .optional()?
        .map(NumberRow::into_domain)
        .transpose()
}

/// One `GET /v1/phone-numbers/{id}`: an API key's hash and a number id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyedRead {
    /// The hash of the caller's API key.
    pub(crate) key_hash: String,
    /// The number asked for.
    pub(crate) id: PhoneNumberId,
}

/// What a [`KeyedRead`] finds: `None` for an unknown or revoked key, else
/// the key's principal and the number if its org holds it.
pub(crate) type KeyedFind = Option<Authenticated<Option<PhoneNumber>>>;

/// Answers many keyed reads with one statement: each key's row and
/// membership, left-joined with those of the asked-for numbers its org
/// holds (so a key whose org holds none still returns its principal).
/// The answers follow `reads`' order; a row that does not decode fails
/// only the reads that needed it.
pub(crate) fn find_for_keys(
    conn: &mut PgConnection,
    reads: &[KeyedRead],
) -> Result<Vec<Result<KeyedFind, RepoError>>, Failure> {
    let mut hashes: Vec<&str> = reads.iter().map(|r| r.key_hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut ids: Vec<i64> = reads.iter().map(|r| r.id.get()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(String, PrincipalRow, Option<NumberRow>)> = keys_with_role()
        .left_join(
            phone_numbers::table.on(phone_numbers::id
                .eq_any(&ids)
                .and(phone_numbers::org_id.eq(api_keys::org_id))
                .and(phone_numbers::deleted_at.is_null())),
        )
        .filter(api_keys::key_hash.eq_any(&hashes))
        .filter(api_keys::revoked_at.is_null())
        .select((
            api_keys::key_hash,
            PRINCIPAL_COLUMNS,
            Option::<NumberRow>::as_select(),
        ))
        .load(conn)?;
    let mut found: HashMap<String, KeyRows> = HashMap::new();
    for (hash, key, number) in rows {
        let entry = found.entry(hash).or_insert_with(|| KeyRows {
            principal: principal(key).map_err(Failure::into_repo),
            numbers: HashMap::new(),
        });
        if let Some(number) = number {
            entry.numbers.insert(
                number.id(),
                number.into_domain().map_err(Failure::into_repo),
            );
        }
    }
    Ok(reads
        .iter()
        .map(|read| {
            let Some(key) = found.get(&read.key_hash) else {
                return Ok(None);
            };
            let principal = key.principal.clone()?;
            let value = key.numbers.get(&read.id.get()).cloned().transpose()?;
            Ok(Some(Authenticated { principal, value }))
        })
        .collect())
}

/// A key's decoded principal and the asked-for numbers of its org, by id.
struct KeyRows {
    principal: Result<Principal, RepoError>,
    numbers: HashMap<i64, Result<PhoneNumber, RepoError>>,
}

/// Authenticates `key_hash`, then reads a page of the key's org on the
/// same connection.
pub(super) fn list_for_key(
    conn: &mut PgConnection,
    key_hash: &str,
    filter: &NumberFilter,
    page: PageRequest<ListCursor>,
) -> Result<Option<Authenticated<Page<PhoneNumber, ListCursor>>>, Failure> {
    let Some(principal) = authenticate(conn, key_hash)? else {
        return Ok(None);
    };
    Ok(Some(Authenticated {
        principal,
        value: list(conn, principal.org_id, filter, page)?,
    }))
}

/// One page of an org's not-deleted numbers matching `filter`.
pub(super) fn list(
    conn: &mut PgConnection,
    org_id: OrgId,
    filter: &NumberFilter,
    page: PageRequest<ListCursor>,
) -> Result<Page<PhoneNumber, ListCursor>, Failure> {
    let mut query = phone_numbers::table
        .filter(phone_numbers::org_id.eq(org_id.get()))
        .filter(phone_numbers::deleted_at.is_null())
        .select(NumberRow::as_select())
        .order((phone_numbers::created_at.desc(), phone_numbers::id.desc()))
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(phone_numbers::status.eq(status.as_str()));
    }
    if let Some(source) = filter.source {
        query = query.filter(phone_numbers::source.eq(source.as_str()));
    }
    if let Some(agent) = filter.inbound_agent_id {
        query = query.filter(phone_numbers::inbound_agent_id.eq(agent.get()));
    }
    if let Some(agent) = filter.outbound_agent_id {
        query = query.filter(phone_numbers::outbound_agent_id.eq(agent.get()));
    }
    if let Some(connection) = filter.voip_connection_id {
        query = query.filter(phone_numbers::voip_connection_id.eq(connection.get()));
    }
    if let Some(area_code) = filter.area_code {
        // `E164::area_code`: a `+1` number of ten digits starting with it.
        // Area codes are three digits, so the pattern has no wildcards of
        // its own.
        query = query.filter(phone_numbers::number.like(format!("+1{area_code}_______")));
    }
    newest_first(conn, query, page, NumberRow::into_domain, |n| ListCursor {
        created_at: n.created_at(),
        id: n.id().get(),
    })
}

/// One page of the snapshots `org_id` recorded while holding the number.
pub(super) fn versions(
    conn: &mut PgConnection,
    org_id: OrgId,
    id: PhoneNumberId,
    page: PageRequest<Version>,
) -> Result<Page<VersionSnapshot, Version>, Failure> {
    // One snapshot for both reads: the number is held by the org, and
    // these are its snapshots.
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            let held: Option<i64> = phone_numbers::table
                .find(id.get())
                .filter(phone_numbers::org_id.eq(org_id.get()))
                .filter(phone_numbers::deleted_at.is_null())
                .select(phone_numbers::id)
                .first(conn)
                .optional()?;
            if held.is_none() {
                return Err(RepoError::NotFound.into());
            }
            let query = phone_number_versions::table
                .filter(phone_number_versions::phone_number_id.eq(id.get()))
                .filter(phone_number_versions::org_id.eq(org_id.get()))
                .select(VersionRow::as_select())
                .order(phone_number_versions::version.desc())
                .into_boxed();
            let after = page
                .after
                .map(|version| phone_number_versions::version.lt(version.get()));
            load_page(
                conn,
                query,
                page.limit,
                after,
                VersionRow::into_domain,
                |s| s.version,
            )
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use thunderphone_ports::{NumberRepository, PageLimit, TenancyRepository};
    use thunderphone_store_contract::fixtures::{Tenant, at, claim, missing_number, tenant};
    use thunderphone_test_db::TestDb;

    use super::*;
    use crate::tests::{migrated_connection, prepared_statements};
    use crate::{PgStore, PoolOptions};

    /// The hot reads are prepared once per connection and reused: the
    /// keyed find (whatever the batch size) and a list page after a
    /// cursor (whose row comparison used to be a SQL literal, which Diesel
    /// never prepares).
    #[test]
    fn hot_reads_are_prepared_once_per_connection() {
        let (_db, mut conn) = migrated_connection();
        let org = OrgId::new(1).unwrap();
        let page = PageRequest {
            limit: PageLimit::new(10).unwrap(),
            after: Some(ListCursor {
                created_at: chrono::Utc::now(),
                id: 5,
            }),
        };
        let read = |n: i64| KeyedRead {
            key_hash: format!("no-such-hash-{n}"),
            id: PhoneNumberId::new(n).unwrap(),
        };
        for size in 1..=3 {
            let listed = list(&mut conn, org, &NumberFilter::default(), page).unwrap();
            assert!(listed.items.is_empty());
            let reads: Vec<_> = (1..=size).map(read).collect();
            let found = find_for_keys(&mut conn, &reads).unwrap();
            assert_eq!(found, vec![Ok(None); reads.len()]);
        }
        assert_eq!(
            prepared_statements(&mut conn, "(created_at, id) < ("),
            1,
            "list page"
        );
        assert_eq!(prepared_statements(&mut conn, "key_hash"), 1, "keyed find");
    }

    fn read(tenant: &Tenant, id: PhoneNumberId) -> KeyedRead {
        KeyedRead {
            key_hash: tenant.key_hash.clone(),
            id,
        }
    }

    /// One statement answering reads of several keys at once gives each
    /// read exactly what it would get alone: its key's principal, and the
    /// number only if the key's org holds it; nothing for an unknown or
    /// revoked key; a row that does not decode fails only the reads of it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_statement_answers_each_keyed_read_as_if_alone() {
        let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
        let store = PgStore::connect(db.url(), PoolOptions::default()).unwrap();
        store.run_migrations().await.unwrap();
        let acme = tenant(&store, "acme").await;
        let globex = tenant(&store, "globex").await;
        let initech = tenant(&store, "initech").await;
        let ours = claim(&store, acme.org_id, "415", at(1)).await;
        let also_ours = claim(&store, acme.org_id, "415", at(2)).await;
        let theirs = claim(&store, globex.org_id, "212", at(3)).await;
        let broken = claim(&store, globex.org_id, "212", at(4)).await;
        let revoked_org_number = claim(&store, initech.org_id, "312", at(5)).await;
        store
            .revoke_api_key(initech.api_key_id, at(6))
            .await
            .unwrap();
        let deleted = claim(&store, acme.org_id, "415", at(7)).await;
        store
            .delete_number(acme.org_id, deleted.id(), None, at(9_000), None)
            .await
            .unwrap();
        let broken_id = broken.id().get();
        store
            .run("corrupt", move |conn| {
                diesel::sql_query(
                    "ALTER TABLE phone_numbers DROP CONSTRAINT phone_numbers_status_check",
                )
                .execute(conn)?;
                diesel::update(phone_numbers::table.find(broken_id))
                    .set(phone_numbers::status.eq("bogus"))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();

        let reads = vec![
            read(&acme, ours.id()),
            read(&globex, ours.id()),
            read(&acme, theirs.id()),
            read(&globex, theirs.id()),
            read(&acme, also_ours.id()),
            read(&acme, ours.id()),
            read(&acme, missing_number()),
            read(&acme, deleted.id()),
            read(&initech, revoked_org_number.id()),
            KeyedRead {
                key_hash: "hash-nobody".into(),
                id: ours.id(),
            },
            read(&globex, broken.id()),
            read(&acme, broken.id()),
        ];
        let found = store
            .run("batch", move |conn| find_for_keys(conn, &reads))
            .await
            .unwrap();

        let has = |tenant: &Tenant, number: Option<&PhoneNumber>| {
            Ok(Some(Authenticated {
                principal: tenant.principal(),
                value: number.cloned(),
            }))
        };
        assert_eq!(found.len(), 12);
        assert_eq!(found[0], has(&acme, Some(&ours)));
        assert_eq!(found[1], has(&globex, None), "another org's number");
        assert_eq!(found[2], has(&acme, None), "another org's number");
        assert_eq!(found[3], has(&globex, Some(&theirs)));
        assert_eq!(found[4], has(&acme, Some(&also_ours)));
        assert_eq!(found[5], has(&acme, Some(&ours)), "asked twice");
        assert_eq!(found[6], has(&acme, None), "missing");
        assert_eq!(found[7], has(&acme, None), "deleted");
        assert_eq!(found[8], Ok(None), "revoked key");
        assert_eq!(found[9], Ok(None), "unknown key");
        assert!(
            matches!(&found[10], Err(RepoError::Unexpected(m)) if m.to_string().contains("invalid")),
            "{:?}",
            found[10]
        );
        assert_eq!(found[11], has(&acme, None), "not acme's, broken or not");
        drop(store);
    }
}
