use thunderphone_domain::Version;

use crate::AppError;

/// A parsed `If-Match` header (RFC 9110 §13.1.1): `*` or a list of entity
/// tags. Our tags are the version in quotes (`"3"`); weak tags and bare
/// numbers are accepted too. A header that names no valid version matches
/// nothing, so a malformed one fails safe with 412.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: matches any existing number.
    Any,
    /// The versions the client will accept.
    Versions(Vec<Version>),
}

impl IfMatch {
    /// Parses a header value.
    pub fn parse(header: &str) -> Self {
        if header.trim() == "*" {
            return IfMatch::Any;
        }
        let versions = header
            .split(',')
            .filter_map(|tag| {
                let tag = tag.trim();
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                let tag = tag
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .unwrap_or(tag);
                tag.parse::<i64>().ok().and_then(Version::new)
            })
            .collect();
        IfMatch::Versions(versions)
    }

    /// The one version a conditional write must expect, or 412.
    pub(crate) fn check(option: Option<&IfMatch>, current: Version) -> Result<(), AppError> {
        match option {
            None | Some(IfMatch::Any) => Ok(()),
            Some(IfMatch::Versions(v)) if v.contains(&current) => Ok(()),
            Some(IfMatch::Versions(_)) => Err(AppError::PreconditionFailed { current }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: i64) -> Version {
        Version::new(n).unwrap_or(Version::FIRST)
    }

    #[test]
    fn parses_tags() {
        assert_eq!(IfMatch::parse("*"), IfMatch::Any);
        assert_eq!(IfMatch::parse("\"3\""), IfMatch::Versions(vec![v(3)]));
        assert_eq!(
            IfMatch::parse("W/\"3\", \"4\""),
            IfMatch::Versions(vec![v(3), v(4)])
        );
        assert_eq!(IfMatch::parse("garbage"), IfMatch::Versions(vec![]));
    }

    #[test]
    fn checks() {
        assert!(IfMatch::check(None, v(2)).is_ok());
        assert!(IfMatch::check(Some(&IfMatch::Any), v(2)).is_ok());
        assert!(IfMatch::check(Some(&IfMatch::parse("\"2\"")), v(2)).is_ok());
        assert_eq!(
            IfMatch::check(Some(&IfMatch::parse("\"1\"")), v(2)),
            Err(AppError::PreconditionFailed { current: v(2) })
        );
        assert!(IfMatch::check(Some(&IfMatch::parse("nope")), v(2)).is_err());
    }
}
