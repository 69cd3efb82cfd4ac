//! The SIP credentials of a trunk, as values that cannot hold what SIP
//! forbids where they are written: the username goes into a `From:` URI
//! and a digest `Authorization` header, so a CR or LF in it would let a
//! tenant write lines of their own into the message (API.md §15).

use std::fmt;

use crate::{ParseError, Secret};

/// RFC 3261 `unreserved`: alphanumerics and `mark`.
pub(crate) fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c)
}

/// RFC 3261 `user-unreserved`: what a user part may hold besides
/// `unreserved` and escapes.
fn user_unreserved(c: char) -> bool {
    "&=+$,;?/".contains(c)
}

/// A character no value we accept may hold: C0 and C1 controls, DEL, and
/// the Unicode line and paragraph separators (which some log viewers and
/// terminals treat as line breaks).
pub(crate) fn breaks_lines(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// What is wrong with a `%HH`-escaped run of characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EscapeFault {
    /// A character outside the allowed set.
    Char,
    /// `%` not followed by two hex digits.
    Escape,
    /// An escape of a control character (`%0D`, `%0A`, `%00`, `%7F`, …):
    /// harmless on the wire, but a receiver that unescapes it gets a line
    /// break back.
    EscapedControl,
}

/// Checks `value` against "`allowed` characters or `%HH` escapes", the
/// shape of every component of a SIP URI.
pub(crate) fn check_escaped(
    value: &str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), EscapeFault> {
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let hex = [chars.next(), chars.next()];
            let byte = match hex {
                [Some(h), Some(l)] => h
                    .to_digit(16)
                    .zip(l.to_digit(16))
                    .map(|(h, l)| h * 16 + l)
                    .ok_or(EscapeFault::Escape)?,
                _ => return Err(EscapeFault::Escape),
            };
            if byte < 0x20 || byte == 0x7f {
                return Err(EscapeFault::EscapedControl);
            }
        } else if !allowed(c) {
            return Err(EscapeFault::Char);
        }
    }
    Ok(())
}

/// `value` with its `%HH` escapes decoded; `None` when the result is not
/// UTF-8 or holds a character that breaks lines.
fn unescape(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .ok()
        .filter(|s| !s.chars().any(breaks_lines))
}

/// A SIP digest username, in the form of an RFC 3261 `user` part: letters,
/// digits, `-_.!~*'()&=+$,;?/` and `%HH` escapes (`%40` for `@`). So it can
/// be written into a `From:` URI as it is, and never holds a space, quote,
/// angle bracket, `@` or control character. `Debug` does not print it: it
/// is a credential (API.md §12).
#[derive(Clone, PartialEq, Eq)]
pub struct SipUsername {
    /// As given: the URI form.
    uri: String,
    /// Escapes decoded: the form the trunk hashes in its digest.
    digest: String,
}

impl SipUsername {
    /// Longest accepted username, in characters (all ASCII).
    pub const MAX_CHARS: usize = 256;

    /// Validates a username.
    ///
    /// # Errors
    /// A [`ParseError`] saying which characters are allowed.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.is_empty() || input.len() > Self::MAX_CHARS {
            return Err(ParseError::new(format!(
                "must be 1-{} characters",
                Self::MAX_CHARS
            )));
        }
        let checked = check_escaped(input, |c| unreserved(c) || user_unreserved(c));
        let digest = checked.ok().and_then(|()| unescape(input));
        match (checked, digest) {
            (Ok(()), Some(digest)) => Ok(Self {
                uri: input.to_owned(),
                digest,
            }),
            (Err(EscapeFault::Escape), _) => Err(ParseError::new(
                "has a % that is not followed by two hex digits",
            )),
            (Err(EscapeFault::EscapedControl), _) | (Ok(()), None) => Err(ParseError::new(
                "must not contain control characters, escaped or not",
            )),
            (Err(EscapeFault::Char), _) => Err(ParseError::new(
                "may contain only letters, digits, -_.!~*'()&=+$,;?/ and %HH escapes (write @ as %40); no spaces, quotes, <, > or control characters",
            )),
        }
    }

    /// The username as given, escapes kept: what goes into a SIP URI.
    pub fn as_uri_user(&self) -> &str {
        &self.uri
    }

    /// The username with escapes decoded: what the digest hashes and the
    /// `username` parameter carries (quoted).
    pub fn as_digest_user(&self) -> &str {
        &self.digest
    }
}

impl fmt::Debug for SipUsername {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SipUsername([redacted])")
    }
}

/// A SIP digest password: 1-512 bytes with no control characters. It only
/// ever enters a hash, but a value with line breaks is never a real
/// password and API.md §15 refuses it up front.
#[derive(Clone, PartialEq, Eq)]
pub struct SipPassword(Secret);

impl SipPassword {
    /// Longest accepted password, in bytes.
    pub const MAX_BYTES: usize = Secret::MAX_BYTES;

    /// Validates a password: the rule of every secret taken from a request
    /// ([`Secret::parse`]).
    ///
    /// # Errors
    /// A [`ParseError`] when it is empty, too long or holds a control
    /// character.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Secret::parse(input).map(Self)
    }

    /// The password, for the digest computation only.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for SipPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SipPassword([redacted])")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every character that must never reach a SIP header.
    fn controls() -> impl Iterator<Item = char> {
        (0u32..0x20)
            .chain(0x7f..0xa0)
            .chain([0x2028, 0x2029])
            .filter_map(char::from_u32)
    }

    #[test]
    fn realistic_usernames_are_accepted() {
        for ok in [
            "+15551234567",
            "trunk.user_1",
            "alice",
            "user%40example.com",
            "a-b!c~d*e'f(g)h",
            "x&y=z+$,;?/",
            "%C3%A9t%C3%A9",
        ] {
            assert!(SipUsername::parse(ok).is_ok(), "{ok}");
        }
        let escaped = SipUsername::parse("user%40example.com").unwrap();
        assert_eq!(escaped.as_uri_user(), "user%40example.com");
        assert_eq!(escaped.as_digest_user(), "user@example.com");
        assert_eq!(SipUsername::parse("%C3%A9").unwrap().as_digest_user(), "é");
    }

    #[test]
    fn usernames_refuse_every_control_and_sip_forbidden_char() {
        for c in controls() {
            for value in [format!("a{c}b"), format!("{c}"), format!("alice{c}")] {
                assert!(SipUsername::parse(&value).is_err(), "{value:?}");
            }
        }
        for c in " \t@<>\"\\[]{}|^`#:é\u{202e}".chars() {
            assert!(SipUsername::parse(&format!("a{c}b")).is_err(), "{c:?}");
        }
        for bad in [
            "",
            "alice\r\nSET key pwned",
            "%0D%0A",
            "%00",
            "%7f",
            "%zz",
            "%4",
            "a%",
            "%C2%85",
            "%FF",
            &"a".repeat(257),
        ] {
            assert!(SipUsername::parse(bad).is_err(), "{bad:?}");
        }
        assert!(SipUsername::parse(&"a".repeat(256)).is_ok());
    }

    #[test]
    fn passwords_refuse_control_chars_only() {
        for ok in ["Circle Of Life", "p@ss:w\"o<r>d", "é~!", " spaced "] {
            assert!(SipPassword::parse(ok).is_ok(), "{ok:?}");
        }
        for c in controls() {
            assert!(SipPassword::parse(&format!("pw{c}x")).is_err(), "{c:?}");
        }
        assert!(SipPassword::parse("").is_err());
        assert!(SipPassword::parse(&"p".repeat(513)).is_err());
        assert!(SipPassword::parse(&"p".repeat(512)).is_ok());
    }

    #[test]
    fn credentials_never_print() {
        let user = SipUsername::parse("alice").unwrap();
        let password = SipPassword::parse("hunter2").unwrap();
        let printed = format!("{user:?} {password:?}");
        assert!(!printed.contains("alice") && !printed.contains("hunter2"));
    }
}
