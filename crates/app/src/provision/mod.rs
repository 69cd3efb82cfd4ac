//! `POST /v1/phone-numbers`: choose and reserve a pool number, then hand it
//! to the activation job. Which area codes a request's preferences mean,
//! and in what order, is in `rules`.

mod rules;

use thunderphone_domain::{AreaCode, City, PhoneNumber, Principal, UsState};
use thunderphone_ports::Inventory;

use crate::{App, AppError};
use rules::{city_state, plan, spread};
pub use rules::{demo_pool_size, every_area_code};

/// The caller's preferences; all optional (API.md §5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// Preferred area code.
    pub area_code: Option<AreaCode>,
    /// Preferred city.
    pub city: Option<City>,
    /// Preferred state.
    pub state: Option<UsState>,
}

/// Which preference the reserved number satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedOn {
    /// The requested area code.
    AreaCode,
    /// An area code serving the requested city.
    City,
    /// The requested state, or the state of the requested area code.
    State,
    /// No preference was given.
    Any,
}

impl MatchedOn {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedOn::AreaCode => "area_code",
            MatchedOn::City => "city",
            MatchedOn::State => "state",
            MatchedOn::Any => "any",
        }
    }
}

/// A reserved number, still `provisioning`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    /// The new number.
    pub number: PhoneNumber,
    /// The preference it satisfied.
    pub matched_on: MatchedOn,
}

/// Candidates asked of a carrier per preference: enough to get past numbers
/// other orgs took since the carrier last looked.
const CARRIER_CANDIDATES: usize = 20;

impl App {
    /// Reserves a pool number synchronously (so the response carries it)
    /// and queues its activation. With a carrier-backed pool, each
    /// preference is a carrier search whose first number nobody holds is
    /// taken.
    ///
    /// # Errors
    /// `Validation` for an area code that is not a US one, or a city in
    /// several states with none chosen (see [`rules::city_state`]);
    /// `NoNumbersAvailable` when no tier has a free number; `Unavailable`
    /// when the store or the carrier cannot be reached.
    pub async fn provision(
        &self,
        caller: &Principal,
        request: ProvisionRequest,
    ) -> Result<Provisioned, AppError> {
        let inventory = self.ports.provider.inventory();
        let city_state = city_state(&request)?;
        for mut tier in plan(&request, city_state) {
            let claimed = match inventory {
                Inventory::DemoPool => {
                    let now = self.ports.clock.now();
                    if tier.matched_on == MatchedOn::Any {
                        spread(&mut tier.area_codes, now);
                    }
                    self.ports
                        .numbers
                        .claim_pool_number(
                            caller.org_id,
                            &tier.area_codes,
                            now,
                            Some(caller.actor()),
                        )
                        .await
                        .map_err(AppError::store)?
                }
                Inventory::Carrier => {
                    let candidates = self
                        .ports
                        .provider
                        .search(&tier.query, CARRIER_CANDIDATES)
                        .await?;
                    if candidates.is_empty() {
                        continue;
                    }
                    let now = self.ports.clock.now();
                    self.ports
                        .numbers
                        .claim_first_free(caller.org_id, &candidates, now, Some(caller.actor()))
                        .await
                        .map_err(AppError::store)?
                }
            };
            if let Some(number) = claimed {
                tracing::info!(number_id = %number.id(), matched_on = tier.matched_on.as_str(), "number reserved");
                self.wake_activation_worker();
                return Ok(Provisioned {
                    number,
                    matched_on: tier.matched_on,
                });
            }
        }
        Err(AppError::NoNumbersAvailable)
    }
}
