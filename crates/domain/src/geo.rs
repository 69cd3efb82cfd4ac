use std::fmt;

use crate::ParseError;

/// The 50 US states and DC, by USPS code.
const STATE_CODES: [&str; 51] = [
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN",
    "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ",
    "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA",
    "WI", "WV", "WY",
];

/// A US state (or DC) by its 2-letter code, stored upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsState(&'static str);

impl UsState {
    /// Accepts a 2-letter code of the 50 states or DC, in any case.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let upper = input.to_ascii_uppercase();
        STATE_CODES
            .iter()
            .find(|code| **code == upper)
            .map(|code| Self(code))
            .ok_or_else(|| ParseError::new("must be a 2-letter US state code (50 states and DC)"))
    }

    /// The upper-case code.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for UsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A US city name as a caller asked for it: 1–64 characters, compared
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct City(String);

impl City {
    /// Accepts 1–64 characters (after trimming), no control characters.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        let len = trimmed.chars().count();
        if len == 0 || len > 64 {
            return Err(ParseError::new("must be 1-64 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError::new("must not contain control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `name` is the same city, ignoring case.
    pub fn matches(&self, name: &str) -> bool {
        self.0.to_lowercase() == name.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_case_insensitive() {
        assert_eq!(UsState::parse("ca").map(|s| s.as_str()), Ok("CA"));
        assert_eq!(UsState::parse("DC").map(|s| s.as_str()), Ok("DC"));
        for bad in ["", "C", "CAL", "PR", "ZZ", "c a"] {
            assert!(UsState::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cities() {
        let Ok(city) = City::parse("  San Francisco ") else {
            panic!("valid city")
        };
        assert!(city.matches("san francisco"));
        assert!(City::parse("").is_err());
        assert!(City::parse(&"x".repeat(65)).is_err());
        assert!(City::parse(&"é".repeat(64)).is_ok());
        assert!(City::parse("a\u{0}b").is_err());
    }
}
