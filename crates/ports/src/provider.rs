use async_trait::async_trait;
use thunderphone_domain::{AreaCode, City, E164, UsState};

use crate::ProviderError;

/// Where a provider's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inventory {
    /// ThunderPhone's demo pool: the store picks the lowest free line of
    /// the wanted area codes (`NumberRepository::claim_pool_number`).
    DemoPool,
    /// The carrier's own inventory: [`NumberProvider::search`] proposes
    /// candidates and the store takes the first one nobody holds
    /// (`NumberRepository::claim_first_free`).
    Carrier,
}

/// One preference of the fallback chain, as a carrier search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberQuery {
    /// Numbers in this area code.
    AreaCode(AreaCode),
    /// Numbers in this city (and state, when known).
    City {
        /// The city.
        city: City,
        /// Its state, when the caller gave one.
        state: Option<UsState>,
    },
    /// Numbers in this state.
    State(UsState),
    /// Any US number.
    Any,
}

/// The upstream carrier behind ThunderPhone's pool. Which number to take is
/// decided by the store (so two requests can never take the same one); the
/// provider proposes candidates (carrier inventories), makes the chosen
/// number live, and gives it back.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait NumberProvider: Send + Sync {
    /// Where this provider's numbers come from.
    fn inventory(&self) -> Inventory;

    /// Up to `limit` numbers the carrier offers for `query`, best first.
    /// Only called for [`Inventory::Carrier`].
    ///
    /// # Errors
    /// [`ProviderError::Unavailable`] when the carrier cannot be asked (the
    /// request is then answered 503); [`ProviderError::Rejected`] when it
    /// refuses the query (e.g. bad credentials).
    async fn search(&self, query: &NumberQuery, limit: usize) -> Result<Vec<E164>, ProviderError>;

    /// Brings a reserved number into service (buys or orders it). May take
    /// seconds; the caller bounds it with a timeout and retries, so it must
    /// be idempotent: a number already in service for us is a success.
    ///
    /// # Errors
    /// - [`ProviderError::Rejected`] when the provider refuses for good: the
    ///   number is then marked `failed`.
    /// - [`ProviderError::Unavailable`] for anything worth retrying
    ///   (unreachable, 429, 5xx).
    async fn activate(&self, number: &E164) -> Result<(), ProviderError>;

    /// Gives a number back to the provider after DELETE.
    ///
    /// # Errors
    /// As for [`NumberProvider::activate`]; the number has already left the
    /// org, so a failure is logged, not shown to the client.
    async fn release(&self, number: &E164) -> Result<(), ProviderError>;
}
