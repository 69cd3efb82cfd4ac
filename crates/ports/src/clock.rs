use chrono::{SubsecRound, Utc};
use thunderphone_domain::Timestamp;

/// The time source. Timestamps are truncated to microseconds, the
/// precision every store keeps, so a value reads back exactly as written.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC, to the microsecond.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now().trunc_subsecs(6)
    }
}
