//! The shape every carrier behind the pool shares, written once: a search
//! is the query in the vendor's parameter names; activation is idempotent
//! (a number already in the account is done, so an attempt whose answer
//! was lost is not paid for twice); release leaves alone a number the
//! account does not hold. Each carrier supplies only its vendor's calls
//! ([`PoolCarrier`]); [`CarrierPool`] makes it a number provider.

use async_trait::async_trait;
use thunderphone_domain::E164;
use thunderphone_ports::{Inventory, NumberProvider, NumberQuery, ProviderError};

use crate::http::{ApiError, parse_numbers};

/// Most candidates one search asks for (the store only needs a few it can
/// try in turn).
const MAX_SEARCH: usize = 100;

/// How a vendor names the parameters of a number search.
pub struct SearchNames {
    /// Pairs every search carries, first.
    pub fixed: &'static [(&'static str, &'static str)],
    /// The area code.
    pub area_code: &'static str,
    /// The city.
    pub city: &'static str,
    /// The state.
    pub state: &'static str,
    /// How many numbers to offer, last.
    pub limit: &'static str,
}

impl SearchNames {
    /// The parameters of a search for `query`, asking for `limit` numbers
    /// (at least 1, at most [`MAX_SEARCH`]).
    pub fn params(&self, query: &NumberQuery, limit: usize) -> Vec<(&'static str, String)> {
        let mut params: Vec<_> = self
            .fixed
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect();
        match query {
            NumberQuery::AreaCode(code) => params.push((self.area_code, code.as_str().to_owned())),
            NumberQuery::City { city, state } => {
                params.push((self.city, city.as_str().to_owned()));
                if let Some(state) = state {
                    params.push((self.state, state.as_str().to_owned()));
                }
            }
            NumberQuery::State(state) => params.push((self.state, state.as_str().to_owned())),
            NumberQuery::Any => {}
        }
        params.push((self.limit, limit.clamp(1, MAX_SEARCH).to_string()));
        params
    }
}

/// The vendor calls of a carrier account behind the pool.
#[async_trait]
pub trait PoolCarrier: Send + Sync {
    /// The vendor, in logs and errors.
    const VENDOR: &'static str;
    /// The vendor's names of the search parameters.
    const SEARCH: SearchNames;
    /// A number the account holds.
    type Held: Send;

    /// The numbers on offer for `params`, as the vendor spells them.
    async fn available(&self, params: Vec<(&'static str, String)>)
    -> Result<Vec<String>, ApiError>;

    /// The account's record of `number`, if it holds it.
    async fn find(&self, number: &E164) -> Result<Option<Self::Held>, ApiError>;

    /// Gets `number` into the account, which did not hold it a moment ago.
    async fn acquire(&self, number: &E164) -> Result<(), ProviderError>;

    /// Gives a held number back.
    async fn give_back(&self, held: Self::Held) -> Result<(), ApiError>;
}

/// A carrier account behind the pool, as the pool's
/// [`NumberProvider`]: the shared shape around the vendor calls of `C`.
#[derive(Debug, Clone)]
pub struct CarrierPool<C>(C);

impl<C> CarrierPool<C> {
    /// The provider over a carrier's calls.
    pub(crate) fn over(carrier: C) -> Self {
        Self(carrier)
    }
}

#[async_trait]
impl<C: PoolCarrier + 'static> NumberProvider for CarrierPool<C> {
    fn inventory(&self) -> Inventory {
        Inventory::Carrier
    }

    async fn search(&self, query: &NumberQuery, limit: usize) -> Result<Vec<E164>, ProviderError> {
        search(&self.0, query, limit).await
    }

    /// Looks the number up first, so an attempt after an acquisition that
    /// went through (but whose answer was lost) succeeds instead of paying
    /// twice.
    async fn activate(&self, number: &E164) -> Result<(), ProviderError> {
        activate(&self.0, number).await
    }

    async fn release(&self, number: &E164) -> Result<(), ProviderError> {
        release(&self.0, number).await
    }
}

/// Up to `limit` valid numbers on offer for `query`.
async fn search<C: PoolCarrier>(
    carrier: &C,
    query: &NumberQuery,
    limit: usize,
) -> Result<Vec<E164>, ProviderError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let numbers = carrier
        .available(C::SEARCH.params(query, limit))
        .await
        .map_err(ApiError::into_provider)?;
    Ok(parse_numbers(C::VENDOR, numbers)
        .into_iter()
        .take(limit)
        .collect())
}

/// A number already in the account is activated; otherwise the carrier
/// acquires it.
async fn activate<C: PoolCarrier>(carrier: &C, number: &E164) -> Result<(), ProviderError> {
    if carrier
        .find(number)
        .await
        .map_err(ApiError::into_provider)?
        .is_some()
    {
        tracing::debug!(%number, vendor = C::VENDOR, "already in the carrier account");
        return Ok(());
    }
    carrier.acquire(number).await
}

/// A number that is not in the account (any more) is already released.
async fn release<C: PoolCarrier>(carrier: &C, number: &E164) -> Result<(), ProviderError> {
    let Some(held) = carrier
        .find(number)
        .await
        .map_err(ApiError::into_provider)?
    else {
        return Ok(());
    };
    match carrier.give_back(held).await {
        Ok(()) => Ok(()),
        Err(error) if error.status() == Some(404) => Ok(()),
        Err(error) => Err(error.into_provider()),
    }
}
