use std::fmt;

use crate::ParseError;

/// A valid phone number in E.164 form (`+14155550123`).
///
/// Parsing goes through the `phonenumber` crate (libphonenumber's metadata),
/// so formatting noise is accepted and normalised: `+1 (415) 555-0142` and
/// `415.555.0142` both become `+14155550142`. Numbers without a country code
/// are read as US numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct E164(String);

/// Longer input than this is not a phone number, however it is formatted.
const MAX_INPUT_LEN: usize = 64;

impl E164 {
    /// Validates and normalises a phone number.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let input = input.trim();
        if input.is_empty() || input.len() > MAX_INPUT_LEN || input.chars().any(char::is_control) {
            return Err(ParseError::new("is not a valid phone number"));
        }
        // `+1617-519-5298` is read by libphonenumber's Rust port as an
        // RFC 3966 number with country code 1617; visual separators of an
        // international number carry no meaning, so drop them first.
        let compact: String;
        let input = if input.starts_with('+') {
            compact = input
                .chars()
                .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | '/') && !c.is_whitespace())
                .collect();
            compact.as_str()
        } else {
            input
        };
        let parsed = phonenumber::parse(Some(phonenumber::country::Id::US), input)
            .map_err(|_| ParseError::new("is not a valid phone number"))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(ParseError::new("is not a valid phone number"));
        }
        let formatted = parsed.format().mode(phonenumber::Mode::E164).to_string();
        Ok(Self(formatted))
    }

    /// Accepts a number already in the canonical form [`E164::parse`]
    /// produces (`+`, then 3 to 15 digits, the first not 0: a country code and
    /// at least two digits of national number) without
    /// consulting libphonenumber's metadata.
    ///
    /// For values that went through [`E164::parse`] before they were
    /// stored: a store reading its own rows back checks their shape, which
    /// catches corruption, instead of re-running the validator on every row
    /// read (the validator's regexes dominated the cost of reading a list).
    /// Input from outside the service must go through [`E164::parse`].
    pub fn from_canonical(stored: &str) -> Result<Self, ParseError> {
        let digits = stored
            .strip_prefix('+')
            .ok_or_else(|| ParseError::new("is not in E.164 form"))?;
        let shaped = (3..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if shaped {
            Ok(Self(stored.to_owned()))
        } else {
            Err(ParseError::new("is not in E.164 form"))
        }
    }

    /// Builds a demo-pool number: `+1 NPA 555-01XX` with `line` in 0..100.
    pub fn demo_pool(area_code: AreaCode, line: u8) -> Option<Self> {
        (line < 100).then(|| Self(format!("+1{}55501{:02}", area_code.as_str(), line)))
    }

    /// True for the shape of a demo-pool number: `+1 NPA 555-01XX`.
    pub fn is_demo_pool_shape(&self) -> bool {
        self.area_code().is_some()
            && self
                .0
                .get(5..)
                .and_then(|rest| rest.strip_prefix("55501"))
                .is_some_and(|line| line.len() == 2 && line.bytes().all(|b| b.is_ascii_digit()))
    }

    /// The E.164 string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The NANP area code, for `+1` numbers.
    pub fn area_code(&self) -> Option<AreaCode> {
        self.0
            .strip_prefix("+1")
            .filter(|rest| rest.len() == 10)
            .and_then(|rest| AreaCode::parse(&rest[..3]).ok())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 3-digit NANP area code, `[2-9][0-9][0-9]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AreaCode([u8; 3]);

impl AreaCode {
    /// Accepts exactly three ASCII digits, the first one 2–9.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.as_bytes() {
            [a @ b'2'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => Ok(Self([*a, *b, *c])),
            _ => Err(ParseError::new("must be 3 digits, the first 2-9")),
        }
    }

    /// The three digits.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("000")
    }

    /// The 100 numbers of the demo pool in this area code (API.md §5), or
    /// none when libphonenumber does not accept numbers of this area code
    /// (a few assigned codes, such as 274 and 472, are not in its metadata
    /// yet): the pool only holds numbers that read back as valid.
    pub fn demo_pool_numbers(self) -> impl Iterator<Item = E164> {
        let lines = if self.has_demo_pool() { 0..100u8 } else { 0..0 };
        lines.filter_map(move |line| E164::demo_pool(self, line))
    }

    /// Whether this area code has demo-pool numbers: whether its
    /// `555-01XX` numbers are valid for libphonenumber. Validity of those
    /// numbers depends on the area code only, so one check stands for all
    /// 100 lines; the answers for all 800 codes are computed once per
    /// process (a few milliseconds) and then cost an array lookup.
    pub fn has_demo_pool(self) -> bool {
        static HAS_POOL: std::sync::OnceLock<Vec<bool>> = std::sync::OnceLock::new();
        let table = HAS_POOL.get_or_init(|| {
            (0..1000u16)
                .map(|value| {
                    let digits = format!("{value:03}");
                    AreaCode::parse(&digits).is_ok_and(|code| {
                        E164::demo_pool(code, 0)
                            .is_some_and(|n| E164::parse(n.as_str()).as_ref() == Ok(&n))
                    })
                })
                .collect()
        });
        let [a, b, c] = self.0.map(|digit| usize::from(digit - b'0'));
        table.get(a * 100 + b * 10 + c).copied().unwrap_or(false)
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_formatting_noise() {
        for input in [
            "+1 (415) 555-0142",
            "415.555.0142",
            "(415) 555 0142",
            "+14155550142",
        ] {
            assert_eq!(
                E164::parse(input).map(|n| n.to_string()),
                Ok("+14155550142".to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_invalid_numbers() {
        for input in [
            "",
            "abc",
            "+1555",
            "+1 555 555 0100",
            "1\0",
            &"9".repeat(100),
        ] {
            assert!(E164::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn from_canonical_checks_the_shape_only() {
        for stored in ["+14155550142", "+442079460958", "+12745550100", "+6834002"] {
            assert_eq!(
                E164::from_canonical(stored).map(|n| n.to_string()),
                Ok(stored.to_owned())
            );
        }
        for bad in [
            "",
            "+",
            "14155550142",
            "+12",
            "+1234567890123456",
            "+04155550142",
            "+1 415 555 0142",
            "+1415555014x",
            "+１４１５５５５０１４２",
        ] {
            assert!(E164::from_canonical(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accepts_other_countries() {
        assert_eq!(
            E164::parse("+44 20 7946 0958").map(|n| n.to_string()),
            Ok("+442079460958".to_owned())
        );
    }

    #[test]
    fn area_code_of_nanp_numbers() {
        let n = E164::parse("+14155550142").ok();
        assert_eq!(
            n.and_then(|n| n.area_code()).map(|a| a.to_string()),
            Some("415".into())
        );
        let uk = E164::parse("+442079460958").ok();
        assert_eq!(uk.and_then(|n| n.area_code()), None);
    }

    #[test]
    fn area_code_shape() {
        assert!(AreaCode::parse("415").is_ok());
        for bad in ["", "41", "4155", "015", "115", "4a5", "４１５"] {
            assert!(AreaCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn demo_pool_is_100_valid_numbers() {
        let Ok(ac) = AreaCode::parse("415") else {
            panic!("415 is an area code")
        };
        let pool: Vec<E164> = ac.demo_pool_numbers().collect();
        assert_eq!(pool.len(), 100);
        assert_eq!(pool[0].as_str(), "+14155550100");
        assert_eq!(pool[99].as_str(), "+14155550199");
        for n in &pool {
            assert_eq!(E164::parse(n.as_str()).as_ref(), Ok(n));
            assert!(n.is_demo_pool_shape());
        }
        assert!(ac.has_demo_pool());
        for unknown in ["274", "472"] {
            let code = AreaCode::parse(unknown).unwrap_or_else(|e| panic!("{e}"));
            assert!(!code.has_demo_pool(), "{unknown}");
            assert_eq!(code.demo_pool_numbers().count(), 0);
        }
        let not_pool = E164::parse("+14155550200").ok();
        assert!(!not_pool.is_some_and(|n| n.is_demo_pool_shape()));
    }
}
