//! ThunderPhone's own Twilio account as the carrier behind the pool.

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{E164, Secret};
use thunderphone_ports::ProviderError;

use super::api::{self, Account, IncomingNumber};
use crate::http::{ApiError, HttpApi, check_base_url};
use crate::pool::{CarrierPool, PoolCarrier, SearchNames};
use crate::{ConfigError, RetryPolicy};

/// How to reach ThunderPhone's Twilio account.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// The `AC…` account SID (also the Basic-auth user).
    pub account_sid: String,
    /// The account's auth token.
    pub auth_token: Secret,
    /// API root, `https://api.twilio.com` unless testing.
    pub base_url: String,
    /// Our inbound-call webhook: set as the `VoiceUrl` of bought numbers.
    pub voice_url: String,
    /// Bound on each HTTP request.
    pub request_timeout: Duration,
    /// Retries on 429 and 5xx.
    pub retry: RetryPolicy,
}

impl TwilioConfig {
    /// The production API with a 10 s request timeout and the default retries.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: Secret,
        voice_url: impl Into<String>,
    ) -> Self {
        Self {
            account_sid: account_sid.into(),
            auth_token,
            base_url: api::DEFAULT_API_BASE.to_owned(),
            voice_url: voice_url.into(),
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// Twilio as the pool's carrier: searches US local numbers, buys the one
/// the store picked (idempotently), and releases numbers after DELETE.
pub type TwilioProvider = CarrierPool<TwilioAccount>;

/// ThunderPhone's Twilio account, as the pool reaches it: the vendor calls
/// behind [`TwilioProvider`].
#[derive(Debug, Clone)]
pub struct TwilioAccount {
    http: HttpApi,
    base_url: String,
    account_sid: String,
    auth_token: Secret,
    voice_url: String,
}

impl TwilioProvider {
    /// Builds the client.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad base or voice URL, an empty SID, or an HTTP
    /// client that cannot be set up.
    pub fn new(config: TwilioConfig) -> Result<Self, ConfigError> {
        if config.account_sid.trim().is_empty() {
            return Err(ConfigError::Missing("account_sid"));
        }
        check_base_url("voice_url", &config.voice_url)?;
        Ok(CarrierPool::over(TwilioAccount {
            http: HttpApi::new(
                "twilio",
                config.request_timeout,
                config.retry,
                api::describe_error,
            )?,
            base_url: check_base_url("base_url", &config.base_url)?,
            account_sid: config.account_sid,
            auth_token: config.auth_token,
            voice_url: config.voice_url,
        }))
    }
}

impl TwilioAccount {
    fn account(&self) -> Account<'_> {
        Account::new(
            &self.http,
            &self.base_url,
            &self.account_sid,
            &self.auth_token,
        )
    }
}

#[async_trait]
impl PoolCarrier for TwilioAccount {
    const VENDOR: &'static str = "twilio";
    const SEARCH: SearchNames = SearchNames {
        fixed: &[],
        area_code: "AreaCode",
        city: "InLocality",
        state: "InRegion",
        limit: "PageSize",
    };
    type Held = IncomingNumber;

    async fn available(
        &self,
        params: Vec<(&'static str, String)>,
    ) -> Result<Vec<String>, ApiError> {
        self.account().available_local(params).await
    }

    async fn find(&self, number: &E164) -> Result<Option<IncomingNumber>, ApiError> {
        self.account().find_incoming(number).await
    }

    /// Buys the number. A refused purchase may be the echo of an earlier
    /// one that did go through (a retried POST): if the number is ours,
    /// we're done.
    async fn acquire(&self, number: &E164) -> Result<(), ProviderError> {
        let account = self.account();
        match account.buy(number, &self.voice_url).await {
            Ok(()) => Ok(()),
            Err(error @ ApiError::Status { .. }) if error.status().is_some_and(|s| s < 500) => {
                match account.find_incoming(number).await {
                    Ok(Some(_)) => Ok(()),
                    _ => Err(error.into_provider()),
                }
            }
            Err(error) => Err(error.into_provider()),
        }
    }

    async fn give_back(&self, held: IncomingNumber) -> Result<(), ApiError> {
        self.account().delete_incoming(&held.sid).await
    }
}

#[cfg(test)]
mod tests {
    use thunderphone_domain::{AreaCode, City, UsState};
    use thunderphone_ports::NumberQuery;

    use super::*;

    #[test]
    fn search_parameters_follow_the_query() {
        let (Ok(code), Ok(city), Ok(state)) = (
            AreaCode::parse("415"),
            City::parse("San Francisco"),
            UsState::parse("CA"),
        ) else {
            panic!("valid values")
        };
        let names = |q: &NumberQuery, limit| {
            TwilioAccount::SEARCH
                .params(q, limit)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&NumberQuery::AreaCode(code), 5),
            ["AreaCode=415", "PageSize=5"]
        );
        assert_eq!(
            names(
                &NumberQuery::City {
                    city: city.clone(),
                    state: Some(state)
                },
                5
            ),
            ["InLocality=San Francisco", "InRegion=CA", "PageSize=5"]
        );
        assert_eq!(
            names(&NumberQuery::City { city, state: None }, 5),
            ["InLocality=San Francisco", "PageSize=5"]
        );
        assert_eq!(
            names(&NumberQuery::State(state), 5000),
            ["InRegion=CA", "PageSize=100"]
        );
        assert_eq!(names(&NumberQuery::Any, 1), ["PageSize=1"]);
    }

    #[test]
    fn config_is_checked() {
        let config = TwilioConfig::new("AC1", Secret::new("t"), "not a url");
        assert!(matches!(
            TwilioProvider::new(config),
            Err(ConfigError::BadUrl {
                field: "voice_url",
                ..
            })
        ));
        let config = TwilioConfig::new(" ", Secret::new("t"), "https://x/voice");
        assert_eq!(
            TwilioProvider::new(config).err(),
            Some(ConfigError::Missing("account_sid"))
        );
    }
}
