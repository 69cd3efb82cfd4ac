//! VoIP connections and their credentials.

use async_trait::async_trait;
use diesel::prelude::*;
use thunderphone_domain::{
    Actor, DisplayName, OrgId, SipUri, Timestamp, VoipConnection, VoipConnectionId,
};
use thunderphone_ports::{
    ListCursor, NewVoipConnection, Page, PageRequest, RepoError, SealedCredentials,
    VoipConnectionRepository,
};

use crate::PgStore;
use crate::error::{Failure, corrupt};
use crate::numbers::write_change;
use crate::page::newest_first;
use crate::rows::{NumberRow, id, wire};
use crate::schema::{phone_numbers, voip_connections};
use crate::tenancy::require_org;

/// A `voip_connections` row without its credentials, which are only read
/// by [`VoipConnectionRepository::find_connection_credentials`].
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = voip_connections, check_for_backend(diesel::pg::Pg))]
struct ConnectionRow {
    id: i64,
    org_id: i64,
    name: String,
    provider: String,
    termination_uri: Option<String>,
    created_at: Timestamp,
}

impl ConnectionRow {
    fn into_domain(self) -> Result<VoipConnection, Failure> {
        Ok(VoipConnection {
            id: id("connection id", self.id, VoipConnectionId::new)?,
            org_id: id("org id", self.org_id, OrgId::new)?,
            name: DisplayName::parse(&self.name).map_err(|e| corrupt("connection name", e))?,
            provider: wire("provider", &self.provider)?,
            termination_uri: self
                .termination_uri
                .map(|uri| SipUri::parse_stored(&uri).map_err(|e| corrupt("termination uri", e)))
                .transpose()?,
            created_at: self.created_at,
        })
    }
}

/// A connection of `org_id`, or `None`.
fn find(
    conn: &mut PgConnection,
    org_id: OrgId,
    connection: VoipConnectionId,
) -> Result<Option<VoipConnection>, Failure> {
    voip_connections::table
        .find(connection.get())
        .filter(voip_connections::org_id.eq(org_id.get()))
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()?
        .map(ConnectionRow::into_domain)
        .transpose()
}

/// Detaches every live number of the connection (recording an `assigned`
/// version and event for each), then deletes it; one transaction. The connection is
/// row-locked first, so an import or change that has just checked it
/// (holding a key-share lock) commits before the numbers are read, and a
/// later one finds the connection gone.
fn delete(
    conn: &mut PgConnection,
    org_id: OrgId,
    connection: VoipConnectionId,
    now: Timestamp,
    actor: Option<Actor>,
) -> Result<(), Failure> {
    conn.transaction(|conn| {
        let found = voip_connections::table
            .find(connection.get())
            .filter(voip_connections::org_id.eq(org_id.get()))
            .select(voip_connections::id)
            .for_update()
            .first::<i64>(conn)
            .optional()?;
        if found.is_none() {
            return Err(RepoError::NotFound.into());
        }
        // A number links only connections of its own org (foreign key), and
        // deleted numbers link none.
        let linked = phone_numbers::table
            .filter(phone_numbers::org_id.eq(org_id.get()))
            .filter(phone_numbers::voip_connection_id.eq(connection.get()))
            .filter(phone_numbers::deleted_at.is_null())
            .select(NumberRow::as_select())
            .order(phone_numbers::id)
            .for_update()
            .load(conn)?;
        for row in linked {
            let number = row.into_domain()?;
            if let Some(updated) = number.detach_connection(now) {
                write_change(
                    conn,
                    number.version(),
                    &updated,
                    actor,
                    number.org_id(),
                    Vec::new(),
                )?;
            }
        }
        diesel::delete(voip_connections::table.find(connection.get())).execute(conn)?;
        Ok(())
    })
}

#[async_trait]
impl VoipConnectionRepository for PgStore {
    async fn create_connection(&self, new: NewVoipConnection) -> Result<VoipConnection, RepoError> {
        self.run("create_connection", move |conn| {
            let provider = new.provider;
            conn.transaction(|conn| {
                require_org(conn, new.org_id)?;
                let raw: i64 = diesel::insert_into(voip_connections::table)
                    .values((
                        voip_connections::org_id.eq(new.org_id.get()),
                        voip_connections::name.eq(new.name.as_str()),
                        voip_connections::provider.eq(provider.as_str()),
                        voip_connections::termination_uri
                            .eq(new.termination_uri.as_ref().map(SipUri::as_str)),
                        voip_connections::credentials_key_id.eq(&new.credentials.key_id),
                        voip_connections::credentials_sealed.eq(&new.credentials.ciphertext),
                        voip_connections::created_at.eq(new.created_at),
                    ))
                    .returning(voip_connections::id)
                    .get_result(conn)?;
                Ok(VoipConnection {
                    id: id("connection id", raw, VoipConnectionId::new)?,
                    org_id: new.org_id,
                    name: new.name,
                    provider,
                    termination_uri: new.termination_uri,
                    created_at: new.created_at,
                })
            })
        })
        .await
    }

    async fn find_connection(
        &self,
        org_id: OrgId,
        connection: VoipConnectionId,
    ) -> Result<Option<VoipConnection>, RepoError> {
        self.run("find_connection", move |conn| {
            find(conn, org_id, connection)
        })
        .await
    }

    async fn find_connection_credentials(
        &self,
        org_id: OrgId,
        connection: VoipConnectionId,
    ) -> Result<Option<(VoipConnection, SealedCredentials)>, RepoError> {
        self.run("find_connection_credentials", move |conn| {
            let found: Option<(ConnectionRow, String, Vec<u8>)> = voip_connections::table
                .find(connection.get())
                .filter(voip_connections::org_id.eq(org_id.get()))
                .select((
                    ConnectionRow::as_select(),
                    voip_connections::credentials_key_id,
                    voip_connections::credentials_sealed,
                ))
                .first(conn)
                .optional()?;
            found
                .map(|(row, key_id, ciphertext)| {
                    Ok((row.into_domain()?, SealedCredentials { key_id, ciphertext }))
                })
                .transpose()
        })
        .await
    }

    async fn sealed_with_other_keys(
        &self,
        key_id: &str,
        limit: usize,
    ) -> Result<Vec<(VoipConnectionId, SealedCredentials)>, RepoError> {
        let key_id = key_id.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run("sealed_with_other_keys", move |conn| {
            let rows: Vec<(i64, String, Vec<u8>)> = voip_connections::table
                .filter(voip_connections::credentials_key_id.ne(&key_id))
                .select((
                    voip_connections::id,
                    voip_connections::credentials_key_id,
                    voip_connections::credentials_sealed,
                ))
                .order(voip_connections::id)
                .limit(limit)
                .load(conn)?;
            rows.into_iter()
                .map(|(raw, key_id, ciphertext)| {
                    Ok((
                        id("connection id", raw, VoipConnectionId::new)?,
                        SealedCredentials { key_id, ciphertext },
                    ))
                })
                .collect()
        })
        .await
    }

    async fn sealed_sample_per_key(&self) -> Result<Vec<SealedCredentials>, RepoError> {
        self.run("sealed_sample_per_key", move |conn| {
            // The newest credential of each key id; run once at start-up.
            let rows: Vec<(String, Vec<u8>)> = voip_connections::table
                .select((
                    voip_connections::credentials_key_id,
                    voip_connections::credentials_sealed,
                ))
                .distinct_on(voip_connections::credentials_key_id)
                .order((
                    voip_connections::credentials_key_id,
                    voip_connections::id.desc(),
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(key_id, ciphertext)| SealedCredentials { key_id, ciphertext })
                .collect())
        })
        .await
    }

    async fn reseal(
        &self,
        connection: VoipConnectionId,
        previous: SealedCredentials,
        sealed: SealedCredentials,
    ) -> Result<bool, RepoError> {
        self.run("reseal", move |conn| {
            let updated = diesel::update(
                voip_connections::table
                    .find(connection.get())
                    .filter(voip_connections::credentials_key_id.eq(&previous.key_id))
                    .filter(voip_connections::credentials_sealed.eq(&previous.ciphertext)),
            )
            .set((
                voip_connections::credentials_key_id.eq(&sealed.key_id),
                voip_connections::credentials_sealed.eq(&sealed.ciphertext),
            ))
            .execute(conn)?;
            Ok(updated == 1)
        })
        .await
    }

    async fn list_connections(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<VoipConnection, ListCursor>, RepoError> {
        self.run("list_connections", move |conn| {
            let query = voip_connections::table
                .filter(voip_connections::org_id.eq(org_id.get()))
                .select(ConnectionRow::as_select())
                .order((
                    voip_connections::created_at.desc(),
                    voip_connections::id.desc(),
                ))
                .into_boxed();
            newest_first(conn, query, page, ConnectionRow::into_domain, |c| {
                ListCursor {
                    created_at: c.created_at,
                    id: c.id.get(),
                }
            })
        })
        .await
    }

    async fn delete_connection(
        &self,
        org_id: OrgId,
        connection: VoipConnectionId,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<(), RepoError> {
        self.run("delete_connection", move |conn| {
            delete(conn, org_id, connection, now, actor)
        })
        .await
    }
}
