//! The demo provider: ThunderPhone's own pool of fictional numbers.

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::E164;
use thunderphone_ports::{Inventory, NumberProvider, NumberQuery, ProviderError};

/// The provider of the demo pool (`+1 NPA 555-0100…0199` in every US area
/// code). Those numbers are reserved for fiction and reach no one, so there
/// is no carrier to call: activation only waits, to make the asynchronous
/// `provisioning` → `active` path as visible as with a real carrier.
#[derive(Debug, Clone)]
pub struct DemoProvider {
    activation_delay: Duration,
}

impl DemoProvider {
    /// A provider whose activations take `activation_delay`, standing in for
    /// a real carrier's latency (zero is fine for tests).
    pub fn new(activation_delay: Duration) -> Self {
        Self { activation_delay }
    }
}

#[async_trait]
impl NumberProvider for DemoProvider {
    fn inventory(&self) -> Inventory {
        Inventory::DemoPool
    }

    /// The demo pool is searched by the store, never through here.
    async fn search(
        &self,
        _query: &NumberQuery,
        _limit: usize,
    ) -> Result<Vec<E164>, ProviderError> {
        Ok(Vec::new())
    }

    /// Waits the configured delay, then succeeds. A number outside the demo
    /// pool is refused at once: it cannot come from this provider's pool,
    /// so retrying would not help.
    async fn activate(&self, number: &E164) -> Result<(), ProviderError> {
        if !is_demo_pool(number) {
            return Err(ProviderError::Rejected(format!(
                "{number} is not a ThunderPhone demo pool number"
            )));
        }
        tracing::debug!(%number, delay = ?self.activation_delay, "activating demo number");
        tokio::time::sleep(self.activation_delay).await;
        Ok(())
    }

    /// Nothing to give back: the pool is derived from the store (a number is
    /// free when no not-deleted phone number holds it), so deleting the
    /// record is what frees it.
    async fn release(&self, _number: &E164) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// True for `+1 NPA 555-01XX` with a valid NPA (what `E164::demo_pool` builds).
fn is_demo_pool(number: &E164) -> bool {
    number.area_code().is_some()
        && number
            .as_str()
            .get(5..)
            .and_then(|rest| rest.strip_prefix("55501"))
            .is_some_and(|line| line.len() == 2 && line.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    fn number(s: &str) -> E164 {
        let Ok(n) = E164::parse(s) else {
            panic!("{s} is a valid number")
        };
        n
    }

    #[tokio::test(start_paused = true)]
    async fn activation_waits_the_configured_delay() {
        let delay = Duration::from_secs(3);
        let provider = DemoProvider::new(delay);
        let n = number("+14155550142");

        // Not done just before the delay...
        let early = tokio::time::timeout(delay - Duration::from_millis(1), provider.activate(&n));
        assert!(early.await.is_err(), "activation finished before the delay");

        // ...and done right after it.
        let start = Instant::now();
        assert_eq!(provider.activate(&n).await, Ok(()));
        assert_eq!(start.elapsed(), delay);
    }

    #[tokio::test(start_paused = true)]
    async fn rejects_numbers_outside_the_pool() {
        let provider = DemoProvider::new(Duration::from_secs(3));
        for outside in [
            "+14155550200", // right exchange, wrong line block
            "+14152220142", // right line, wrong exchange
            "+442079460958",
        ] {
            let result = provider.activate(&number(outside)).await;
            let Err(ProviderError::Rejected(message)) = result else {
                panic!("{outside}: expected a rejection, got {result:?}")
            };
            assert!(
                message.contains(outside) && message.contains("demo pool"),
                "{message}"
            );
        }
    }

    #[test]
    fn the_whole_demo_pool_is_accepted() {
        for code in ["201", "415", "907", "989"] {
            let Ok(area_code) = thunderphone_domain::AreaCode::parse(code) else {
                panic!("{code} is an area code")
            };
            assert!(area_code.demo_pool_numbers().all(|n| is_demo_pool(&n)));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn release_always_succeeds() {
        let provider = DemoProvider::new(Duration::ZERO);
        assert_eq!(provider.release(&number("+14155550142")).await, Ok(()));
    }
}
