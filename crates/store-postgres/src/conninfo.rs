//! Connection settings the store insists on, added to the operator's
//! database URL unless it sets them itself: libpq's own timeouts, so that
//! opening a connection and a connection whose peer vanished are bounded
//! too, not only statements.

use crate::PoolOptions;

/// `url` with libpq's `connect_timeout`, TCP keepalives and
/// `tcp_user_timeout` derived from `options`, each only where `url` does
/// not set it. Works on both forms libpq takes: a `postgres://` URI and a
/// `key=value` string.
pub(crate) fn with_timeouts(url: &str, options: &PoolOptions) -> String {
    // libpq counts connect_timeout in whole seconds, and treats 1 as 2.
    let connect_secs = options.connection_timeout.as_secs().max(2);
    let unacknowledged_ms = (options.connection_timeout + options.statement_timeout).as_millis();
    let defaults = [
        ("connect_timeout", connect_secs.to_string()),
        ("keepalives", "1".to_owned()),
        ("keepalives_idle", "30".to_owned()),
        ("keepalives_interval", "10".to_owned()),
        ("keepalives_count", "3".to_owned()),
        ("tcp_user_timeout", unacknowledged_ms.to_string()),
    ];
    let is_uri = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let mut out = url.trim_end().to_owned();
    for (key, value) in defaults {
        if is_uri {
            if uri_has(&out, key) {
                continue;
            }
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(&format!("{key}={value}"));
        } else {
            if keyword_has(&out, key) {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&format!("{key}={value}"));
        }
    }
    out
}

/// Whether a URI's query sets `key`.
fn uri_has(url: &str, key: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(key))
    })
}

/// Whether a `key=value` string sets `key` (values may be quoted; a key is
/// a word followed by `=` at the start or after whitespace).
fn keyword_has(conninfo: &str, key: &str) -> bool {
    conninfo
        .split_whitespace()
        .any(|word| word.split_once('=').is_some_and(|(k, _)| k.trim() == key) || word == key)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn options() -> PoolOptions {
        PoolOptions {
            max_size: 4,
            connection_timeout: Duration::from_millis(2_000),
            statement_timeout: Duration::from_millis(5_000),
        }
    }

    #[test]
    fn uris_get_every_default_as_query_parameters() {
        let url = with_timeouts("postgres://u@h:5432/db", &options());
        assert_eq!(
            url,
            "postgres://u@h:5432/db?connect_timeout=2&keepalives=1&keepalives_idle=30\
             &keepalives_interval=10&keepalives_count=3&tcp_user_timeout=7000"
        );
        let url = with_timeouts(
            "postgresql://h/db?sslmode=disable&connect_timeout=9",
            &options(),
        );
        assert!(
            url.starts_with("postgresql://h/db?sslmode=disable&connect_timeout=9&keepalives=1")
        );
        assert_eq!(url.matches("connect_timeout").count(), 1, "{url}");
    }

    #[test]
    fn keyword_strings_get_them_as_words() {
        let url = with_timeouts("host=h dbname=db keepalives_idle=5", &options());
        assert!(url.starts_with("host=h dbname=db keepalives_idle=5 connect_timeout=2"));
        assert_eq!(url.matches("keepalives_idle").count(), 1, "{url}");
        assert!(url.ends_with("tcp_user_timeout=7000"), "{url}");
    }
}
