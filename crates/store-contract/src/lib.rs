//! The repository contract suite: one set of test cases that every store
//! (the in-memory store, the Postgres store, any future one) must pass, so
//! they all keep the same promises the application relies on — the doc
//! comments of the traits in `thunderphone-ports`.
//!
//! A store crate runs the whole suite from one integration test file:
//!
//! ```text
//! use std::sync::Arc;
//! thunderphone_store_contract::contract_tests!(|| async { Arc::new(MyStore::new()) });
//! ```
//!
//! [`contract_tests!`] expands to one `#[tokio::test]` per case (so each is
//! reported on its own by `cargo test`); every case gets a fresh, empty store
//! from the factory. The calling crate needs `tokio` (with `macros` and
//! `rt-multi-thread`) as a dev-dependency.
//!
//! This crate is test support: a failed expectation must panic with a clear
//! message, so `unwrap`/`expect` (denied in the rest of the workspace) are
//! allowed here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::Arc;

use thunderphone_ports::{
    ActivationQueue, AgentRepository, EventRepository, IdempotencyStore, KeyedReads,
    NumberRepository, SessionStore, TenancyRepository, VoipConnectionRepository, WebhookRepository,
};

pub mod cases;
pub mod fixtures;

/// A store under test: implements every repository trait and the
/// activation queue.
pub trait TestStore:
    NumberRepository
    + KeyedReads
    + AgentRepository
    + VoipConnectionRepository
    + TenancyRepository
    + ActivationQueue
    + IdempotencyStore
    + EventRepository
    + WebhookRepository
    + SessionStore
    + 'static
{
}

impl<T> TestStore for T where
    T: NumberRepository
        + KeyedReads
        + AgentRepository
        + VoipConnectionRepository
        + TenancyRepository
        + ActivationQueue
        + IdempotencyStore
        + EventRepository
        + WebhookRepository
        + SessionStore
        + 'static
{
}

/// Makes a fresh, empty store for one test case.
///
/// Implemented for every `Fn() -> impl Future<Output = Arc<S>>`, so a
/// closure such as `|| async { Arc::new(MemoryStore::new()) }` is a
/// factory; a store that needs setup (a database schema per case) can
/// implement it on its own type.
pub trait StoreFactory {
    /// The store type the factory makes.
    type Store: TestStore;

    /// A new store holding no records at all.
    fn create(&self) -> impl Future<Output = Arc<Self::Store>> + Send;
}

impl<F, Fut, S> StoreFactory for F
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<S>> + Send,
    S: TestStore,
{
    type Store = S;

    fn create(&self) -> impl Future<Output = Arc<S>> + Send {
        self()
    }
}

/// Expands to one `#[tokio::test]` per contract case, each running
/// `thunderphone_store_contract::cases::<case>` against a fresh store from
/// `$factory` (any [`StoreFactory`]).
#[macro_export]
macro_rules! contract_tests {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests!(($factory)
            // Tenancy.
            tenancy_creates_orgs_users_and_memberships,
            tenancy_rejects_duplicate_email,
            tenancy_membership_requires_org_and_user,
            tenancy_api_key_requires_membership,
            tenancy_authenticates_by_hash,
            tenancy_role_change_reaches_authenticate,
            tenancy_revoked_key_stops_working,
            tenancy_unknown_hash_is_none,
            tenancy_seed_is_all_or_nothing,
            tenancy_finds_users_by_email_with_memberships,
            tenancy_lists_orgs_and_users_newest_first,
            tenancy_lists_members_of_one_org,
            tenancy_lists_api_keys_by_org_and_user,
            // Console sessions.
            sessions_find_until_expiry,
            sessions_follow_their_key,
            sessions_delete_and_purge,
            // The demo pool.
            pool_claims_lowest_free_line_of_first_area_code,
            pool_falls_through_to_next_area_code,
            pool_ascending_codes_keep_the_order,
            pool_skips_area_codes_without_valid_numbers,
            pool_returns_none_when_exhausted,
            pool_deleted_number_is_free_again,
            pool_skips_voip_numbers_in_pool_range,
            pool_concurrent_claims_get_distinct_numbers,
            pool_claim_first_free_skips_held_candidates,
            pool_claim_first_free_concurrently_distinct,
            // Creating and finding numbers.
            insert_numbers_creates_version_one,
            insert_numbers_is_all_or_nothing,
            insert_numbers_rejects_foreign_connection,
            find_number_is_org_scoped,
            find_number_unscoped_ignores_org,
            // Reads in the name of an API key.
            keyed_find_authenticates_and_scopes,
            keyed_list_authenticates_and_scopes,
            keyed_finds_in_flight_together_each_get_their_own_answer,
            // Listing numbers.
            list_numbers_newest_first_ties_by_id_desc,
            list_numbers_applies_each_filter,
            list_numbers_pages_walk_every_item_once,
            list_numbers_pages_are_stable_under_inserts,
            list_numbers_pages_with_filter,
            list_numbers_excludes_deleted_and_other_orgs,
            list_numbers_follow_transfers,
            // Changes and deletion.
            save_change_writes_number_and_snapshot,
            save_change_stale_version_conflicts,
            save_change_on_deleted_number_is_not_found,
            save_change_rejects_missing_or_foreign_agents,
            save_change_rejects_connection_outside_new_org,
            save_change_concurrent_exactly_one_wins,
            delete_number_soft_deletes,
            delete_number_checks_org_and_version,
            // Version history.
            list_versions_newest_first_paginated,
            list_versions_follow_the_holding_org,
            list_versions_unknown_or_foreign_number_not_found,
            // Agents.
            agents_create_find_rename,
            agents_list_newest_first_paginated,
            agents_delete,
            agents_in_use_cannot_be_deleted,
            // VoIP connections.
            connections_create_find_credentials,
            connections_list_newest_first_paginated,
            connections_delete_detaches_numbers,
            connections_delete_is_org_scoped,
            connections_reseal_for_rotation,
            connections_sealed_sample_per_key,
            // The activation queue.
            jobs_start_with_claims_and_end_when_settled,
            jobs_leases_are_exclusive_until_they_expire,
            jobs_retry_at_reschedules,
            jobs_retry_at_needs_the_current_lease,
            jobs_lease_oldest_first_within_limit,
            jobs_concurrent_leases_never_share_a_job,
            // Idempotency keys.
            idempotency_claims_then_replays,
            idempotency_key_reused_for_another_request,
            idempotency_keys_are_scoped_to_the_org,
            idempotency_expired_keys_start_again,
            idempotency_abandoned_and_dead_claims_free_the_key,
            idempotency_concurrent_claims_start_once,
            idempotency_purge_deletes_expired_records,
            idempotency_purge_works_in_batches,
            // Events.
            events_record_every_change,
            events_of_imports_verifications_and_transfers,
            events_filters,
            events_ids_are_unique,
            events_purge_in_batches,
            // Webhook endpoints and deliveries.
            webhooks_endpoints_crud_and_limit,
            webhooks_deliveries_fan_out_with_the_event,
            webhooks_leases_are_exclusive_and_carry_what_to_send,
            webhooks_concurrent_leases_never_share,
            webhooks_attempts_schedule_and_retry,
            webhooks_failing_endpoints_are_disabled,
            webhooks_test_event_goes_to_one_endpoint,
            webhooks_oldest_pending,
            webhooks_new_deliveries_wake_the_waiter,
            webhooks_one_event_two_endpoints_lease_both,
            webhooks_secrets_listed_by_key_and_resealed,
            webhooks_secret_sample_per_key,
            webhooks_oldest_pending_skips_disabled_endpoints,
        );
    };
}

/// Implementation detail of [`contract_tests!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tests {
    (($factory:expr) $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let store = $crate::StoreFactory::create(&$factory).await;
                $crate::cases::$case(store).await;
            }
        )+
    };
}
