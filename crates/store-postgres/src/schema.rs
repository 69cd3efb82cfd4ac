//! The Diesel schema, written by hand to match `migrations/` (no
//! `diesel_cli` needed). `tests/migrations.rs` checks that every table and
//! column here exists in the migrated database and vice versa.

#![allow(missing_docs)]

diesel::table! {
    orgs (id) {
        id -> Int8,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    memberships (org_id, user_id) {
        org_id -> Int8,
        user_id -> Int8,
        role -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Int8,
        user_id -> Int8,
        org_id -> Int8,
        key_hash -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    agents (id) {
        id -> Int8,
        org_id -> Int8,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    voip_connections (id) {
        id -> Int8,
        org_id -> Int8,
        name -> Text,
        provider -> Text,
        termination_uri -> Nullable<Text>,
        created_at -> Timestamptz,
        credentials_key_id -> Text,
        credentials_sealed -> Bytea,
    }
}

diesel::table! {
    phone_numbers (id) {
        id -> Int8,
        org_id -> Int8,
        number -> Text,
        source -> Text,
        status -> Text,
        inbound_agent_id -> Nullable<Int8>,
        outbound_agent_id -> Nullable<Int8>,
        voip_connection_id -> Nullable<Int8>,
        voip_verification_status -> Text,
        voip_last_verified_at -> Nullable<Timestamptz>,
        status_reason -> Nullable<Text>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    phone_number_versions (phone_number_id, version) {
        phone_number_id -> Int8,
        version -> Int8,
        org_id -> Int8,
        status -> Text,
        inbound_agent_id -> Nullable<Int8>,
        outbound_agent_id -> Nullable<Int8>,
        voip_connection_id -> Nullable<Int8>,
        voip_verification_status -> Text,
        change -> Text,
        changed_by_user_id -> Nullable<Int8>,
        changed_by_api_key_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    activation_jobs (phone_number_id) {
        phone_number_id -> Int8,
        attempts -> Int4,
        due_at -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    demo_pool (area_code, line) {
        area_code -> Text,
        line -> Int2,
        held -> Bool,
    }
}

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Text,
        api_key_id -> Int8,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (org_id, key) {
        org_id -> Int8,
        key -> Text,
        fingerprint -> Text,
        created_at -> Timestamptz,
        locked_until -> Timestamptz,
        response_status -> Nullable<Int2>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Bytea>,
    }
}

diesel::table! {
    events (seq) {
        seq -> Int8,
        id -> Text,
        org_id -> Int8,
        #[sql_name = "type"]
        kind -> Text,
        created_at -> Timestamptz,
        phone_number_id -> Nullable<Int8>,
        number -> Nullable<Text>,
        source -> Nullable<Text>,
        status -> Nullable<Text>,
        inbound_agent_id -> Nullable<Int8>,
        outbound_agent_id -> Nullable<Int8>,
        voip_connection_id -> Nullable<Int8>,
        voip_verification_status -> Nullable<Text>,
        voip_last_verified_at -> Nullable<Timestamptz>,
        status_reason -> Nullable<Text>,
        version -> Nullable<Int8>,
        number_created_at -> Nullable<Timestamptz>,
        number_updated_at -> Nullable<Timestamptz>,
        changed_by_user_id -> Nullable<Int8>,
        changed_by_api_key_id -> Nullable<Int8>,
        to_org_id -> Nullable<Int8>,
        checks -> Nullable<Jsonb>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Int8,
        org_id -> Int8,
        url -> Text,
        event_types -> Array<Text>,
        description -> Nullable<Text>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        secret_key_id -> Text,
        secret_sealed -> Bytea,
        previous_secret_key_id -> Nullable<Text>,
        previous_secret_sealed -> Nullable<Bytea>,
        previous_secret_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        org_id -> Int8,
        endpoint_id -> Int8,
        event_seq -> Int8,
        status -> Text,
        attempts -> Int4,
        last_attempt_at -> Nullable<Timestamptz>,
        next_attempt_at -> Nullable<Timestamptz>,
        last_response_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(activation_jobs -> phone_numbers (phone_number_id));
diesel::joinable!(api_keys -> orgs (org_id));
diesel::joinable!(console_sessions -> api_keys (api_key_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(memberships -> orgs (org_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(agents -> orgs (org_id));
diesel::joinable!(voip_connections -> orgs (org_id));
diesel::joinable!(phone_numbers -> orgs (org_id));
diesel::joinable!(phone_number_versions -> phone_numbers (phone_number_id));
diesel::joinable!(webhook_endpoints -> orgs (org_id));
diesel::joinable!(webhook_deliveries -> events (event_seq));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(
    orgs,
    users,
    memberships,
    api_keys,
    agents,
    voip_connections,
    phone_numbers,
    phone_number_versions,
    activation_jobs,
    demo_pool,
    idempotency_keys,
    events,
    webhook_endpoints,
    webhook_deliveries,
    console_sessions,
);
