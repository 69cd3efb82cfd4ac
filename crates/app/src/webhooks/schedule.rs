//! When failed deliveries are tried again (API.md §14).

use std::fmt;
use std::time::Duration;

/// The waits before the 2nd, 3rd, … attempt. After the last wait's
/// attempt fails, the delivery is `failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    /// About 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h.
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self(vec![
            Duration::from_secs(5),
            Duration::from_secs(30),
            minutes(2),
            minutes(10),
            minutes(30),
            minutes(60),
            minutes(3 * 60),
            minutes(6 * 60),
            minutes(12 * 60),
            minutes(24 * 60),
        ])
    }
}

/// Why a schedule text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retry schedule `{0}`: expected a comma list of waits such as 5s,30s,2m,1h")]
pub struct ScheduleError(String);

impl RetrySchedule {
    /// A schedule of these waits.
    pub fn new(waits: Vec<Duration>) -> Self {
        Self(waits)
    }

    /// Parses `1s,2s,4s` (units `ms`, `s`, `m`, `h`; at least one wait).
    ///
    /// # Errors
    /// [`ScheduleError`] for anything else.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let refuse = || ScheduleError(text.to_owned());
        let waits = text
            .split(',')
            .map(|part| parse_wait(part.trim()).ok_or_else(refuse))
            .collect::<Result<Vec<_>, _>>()?;
        if waits.is_empty() {
            return Err(refuse());
        }
        Ok(Self(waits))
    }

    /// The wait after the `attempts`-th attempt failed, or `None` when
    /// that was the last one.
    pub fn after(&self, attempts: u32) -> Option<Duration> {
        let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
        self.0.get(index).copied()
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|d| format!("{}ms", d.as_millis()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl std::str::FromStr for RetrySchedule {
    type Err = ScheduleError;
    fn from_str(text: &str) -> Result<Self, ScheduleError> {
        Self::parse(text)
    }
}

fn parse_wait(part: &str) -> Option<Duration> {
    let split = part.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = part.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let wait = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60)?),
        "h" => Duration::from_secs(n.checked_mul(3600)?),
        _ => return None,
    };
    (wait > Duration::ZERO).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_has_ten_retries_ending_at_a_day() {
        let s = RetrySchedule::default();
        assert_eq!(s.after(1), Some(Duration::from_secs(5)));
        assert_eq!(s.after(10), Some(Duration::from_secs(86_400)));
        assert_eq!(s.after(11), None);
        assert_eq!(s.after(0), None);
    }

    #[test]
    fn parses_comma_lists() {
        assert_eq!(
            RetrySchedule::parse("1s, 2s,500ms,2m,1h"),
            Ok(RetrySchedule::new(vec![
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_millis(500),
                Duration::from_secs(120),
                Duration::from_secs(3600),
            ]))
        );
        for bad in ["", "1", "s", "1d", "0s", "1s,,2s", "-1s", "1.5s"] {
            assert!(RetrySchedule::parse(bad).is_err(), "{bad:?}");
        }
    }
}
