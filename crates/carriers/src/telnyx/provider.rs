//! ThunderPhone's own Telnyx account as the carrier behind the pool.

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{E164, Secret};
use thunderphone_ports::ProviderError;

use super::api::{self, Account, NumberOrder, PhoneNumberRecord};
use crate::http::{ApiError, HttpApi, check_base_url};
use crate::pool::{CarrierPool, PoolCarrier, SearchNames};
use crate::{ConfigError, RetryPolicy};

/// How to reach ThunderPhone's Telnyx account.
#[derive(Debug, Clone)]
pub struct TelnyxConfig {
    /// A v2 API key.
    pub api_key: Secret,
    /// API root, `https://api.telnyx.com/v2` unless testing.
    pub base_url: String,
    /// The SIP connection new numbers are put on (calls to them reach
    /// ThunderPhone through it); `None` leaves them unassigned.
    pub connection_id: Option<String>,
    /// Bound on each HTTP request.
    pub request_timeout: Duration,
    /// Wait between two looks at a pending number order.
    pub order_poll_interval: Duration,
    /// Retries on 429 and 5xx.
    pub retry: RetryPolicy,
}

impl TelnyxConfig {
    /// The production API, a 10 s request timeout, polling every second.
    pub fn new(api_key: Secret, connection_id: Option<String>) -> Self {
        Self {
            api_key,
            base_url: api::DEFAULT_BASE.to_owned(),
            connection_id,
            request_timeout: Duration::from_secs(10),
            order_poll_interval: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        }
    }
}

/// Telnyx as the pool's carrier: searches US numbers, orders the one the
/// store picked and waits for the order, releases numbers after DELETE.
pub type TelnyxProvider = CarrierPool<TelnyxAccount>;

/// ThunderPhone's Telnyx account, as the pool reaches it: the vendor calls
/// behind [`TelnyxProvider`].
#[derive(Debug, Clone)]
pub struct TelnyxAccount {
    http: HttpApi,
    base_url: String,
    api_key: Secret,
    connection_id: Option<String>,
    poll_interval: Duration,
}

impl TelnyxProvider {
    /// Builds the client.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad base URL or an HTTP client that cannot be
    /// set up.
    pub fn new(config: TelnyxConfig) -> Result<Self, ConfigError> {
        Ok(CarrierPool::over(TelnyxAccount {
            http: HttpApi::new(
                "telnyx",
                config.request_timeout,
                config.retry,
                api::describe_error,
            )?,
            base_url: check_base_url("base_url", &config.base_url)?,
            api_key: config.api_key,
            connection_id: config.connection_id.filter(|c| !c.trim().is_empty()),
            poll_interval: config.order_poll_interval,
        }))
    }
}

impl TelnyxAccount {
    fn account(&self) -> Account<'_> {
        Account::new(&self.http, &self.base_url, &self.api_key)
    }

    /// Polls `order` until it succeeds or fails. Unbounded on purpose: the
    /// caller bounds each activation attempt with a timeout.
    async fn wait_for(
        &self,
        account: &Account<'_>,
        number: &E164,
        mut order: NumberOrder,
    ) -> Result<(), ProviderError> {
        loop {
            match order.status.as_deref() {
                Some("success") => return Ok(()),
                Some("failure") => {
                    return Err(ProviderError::Rejected(format!(
                        "telnyx: number order {} for {number} failed",
                        order.id
                    )));
                }
                _ => {}
            }
            tokio::time::sleep(self.poll_interval).await;
            order = account
                .order(&order.id)
                .await
                .map_err(ApiError::into_provider)?;
        }
    }
}

/// The customer reference our orders carry, so a later attempt can find an
/// order still pending instead of ordering the number twice.
fn order_reference(number: &E164) -> String {
    format!("thunderphone:{number}")
}

#[async_trait]
impl PoolCarrier for TelnyxAccount {
    const VENDOR: &'static str = "telnyx";
    const SEARCH: SearchNames = SearchNames {
        fixed: &[("filter[country_code]", "US")],
        area_code: "filter[national_destination_code]",
        city: "filter[locality]",
        state: "filter[administrative_area]",
        limit: "filter[limit]",
    };
    type Held = PhoneNumberRecord;

    async fn available(
        &self,
        params: Vec<(&'static str, String)>,
    ) -> Result<Vec<String>, ApiError> {
        self.account().available(params).await
    }

    async fn find(&self, number: &E164) -> Result<Option<PhoneNumberRecord>, ApiError> {
        self.account().find_number(number).await
    }

    /// Orders the number and waits for the order; an order still pending
    /// from an earlier attempt is waited for rather than placed again.
    async fn acquire(&self, number: &E164) -> Result<(), ProviderError> {
        let account = self.account();
        let reference = order_reference(number);
        let pending = account
            .orders_by_reference(&reference)
            .await
            .map_err(ApiError::into_provider)?
            .into_iter()
            .find(|o| o.status.as_deref() == Some("pending"));
        let order = match pending {
            Some(order) => order,
            None => account
                .create_order(number, self.connection_id.as_deref(), &reference)
                .await
                .map_err(ApiError::into_provider)?,
        };
        tracing::debug!(%number, order = %order.id, "waiting for the Telnyx number order");
        self.wait_for(&account, number, order).await
    }

    async fn give_back(&self, held: PhoneNumberRecord) -> Result<(), ApiError> {
        self.account().delete_number(&held.id).await
    }
}

#[cfg(test)]
mod tests {
    use thunderphone_domain::{AreaCode, City, UsState};
    use thunderphone_ports::NumberQuery;

    use super::*;

    #[test]
    fn filters_follow_the_query() {
        let (Ok(code), Ok(city), Ok(state)) = (
            AreaCode::parse("212"),
            City::parse("New York"),
            UsState::parse("ny"),
        ) else {
            panic!("valid values")
        };
        let show = |q: &NumberQuery| {
            TelnyxAccount::SEARCH
                .params(q, 3)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        };
        let base = "filter[country_code]=US";
        assert_eq!(
            show(&NumberQuery::AreaCode(code)),
            format!("{base}&filter[national_destination_code]=212&filter[limit]=3")
        );
        assert_eq!(
            show(&NumberQuery::City {
                city,
                state: Some(state)
            }),
            format!(
                "{base}&filter[locality]=New York&filter[administrative_area]=NY&filter[limit]=3"
            )
        );
        assert_eq!(
            show(&NumberQuery::State(state)),
            format!("{base}&filter[administrative_area]=NY&filter[limit]=3")
        );
        assert_eq!(show(&NumberQuery::Any), format!("{base}&filter[limit]=3"));
    }
}
