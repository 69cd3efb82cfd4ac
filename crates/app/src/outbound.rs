//! The instance's budget of outbound work (API.md §15): at most
//! `THUNDERPHONE_OUTBOUND_CONCURRENCY` verifications and webhook deliveries
//! in flight at once, whatever tenants ask for. Requests that find the
//! budget spent are refused at once ([`OutboundBudget::try_take`]);
//! background workers wait their turn ([`OutboundBudget::take`]).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::AppError;

/// Shared by every clone of the [`crate::App`]: one per instance.
#[derive(Debug, Clone)]
pub struct OutboundBudget {
    permits: Arc<Semaphore>,
    size: usize,
}

/// One unit of outbound work in flight; returned when dropped.
#[derive(Debug)]
pub struct OutboundPermit {
    _permit: OwnedSemaphorePermit,
}

impl OutboundBudget {
    /// A budget of `size` (at least 1) units.
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        Self {
            permits: Arc::new(Semaphore::new(size)),
            size,
        }
    }

    /// A permit now, for work a request waits on.
    ///
    /// # Errors
    /// [`AppError::Busy`] when every permit is taken: the caller should
    /// retry shortly.
    pub fn try_take(&self) -> Result<OutboundPermit, AppError> {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok(OutboundPermit { _permit: permit }),
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => {
                Err(AppError::Busy(format!(
                    "this server already has {} verifications and deliveries in flight; retry shortly",
                    self.size
                )))
            }
        }
    }

    /// A permit when one is free, for background work (deliveries) that
    /// can wait its turn.
    ///
    /// # Errors
    /// [`AppError::Busy`] only if the budget were closed, which it never is.
    pub async fn take(&self) -> Result<OutboundPermit, AppError> {
        match self.permits.clone().acquire_owned().await {
            Ok(permit) => Ok(OutboundPermit { _permit: permit }),
            Err(_) => Err(AppError::Busy("outbound work is shut down".into())),
        }
    }

    /// How many units are in flight.
    pub fn in_flight(&self) -> usize {
        self.size.saturating_sub(self.permits.available_permits())
    }

    /// The bound.
    pub fn size(&self) -> usize {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn permits_are_bounded_and_come_back() {
        let budget = OutboundBudget::new(2);
        let a = budget.try_take();
        let b = budget.try_take();
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(budget.in_flight(), 2);
        assert!(matches!(budget.try_take(), Err(AppError::Busy(_))));
        drop(a);
        let c = budget.try_take();
        assert!(c.is_ok());
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.take().await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "a worker waits while the budget is spent"
        );
        drop(b);
        assert!(matches!(waiting.await, Ok(Ok(()))));
        drop(c);
        assert_eq!(budget.in_flight(), 0);
        assert_eq!(OutboundBudget::new(0).size(), 1);
    }
}
