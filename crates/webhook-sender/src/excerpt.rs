//! The start of a receiver's answer, kept for the delivery log (API.md
//! §14: at most 1 KiB). Reading stops there: a receiver that streams
//! gigabytes costs one kibibyte and the time bound, nothing more.

use tokio::time::{Instant, timeout_at};

/// Bytes kept, and the most the excerpt can hold.
pub const LIMIT: usize = 1024;

/// Reads at most [`LIMIT`] bytes of `response`'s body until `deadline`;
/// whatever came is kept when the body fails or the deadline passes (the
/// status already answered the attempt).
pub(crate) async fn read(mut response: reqwest::Response, deadline: Instant) -> String {
    let mut kept = Vec::with_capacity(LIMIT);
    while kept.len() < LIMIT {
        match timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                let room = LIMIT - kept.len();
                kept.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
            }
            _ => break,
        }
    }
    // Dropping the response unread closes the connection: a half-read
    // body is never pooled.
    drop(response);
    text(&kept)
}

/// Lossy UTF-8, cut back to [`LIMIT`] bytes on a character boundary
/// (each invalid byte became a 3-byte replacement character).
pub(crate) fn text(bytes: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if text.len() > LIMIT {
        let mut end = LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_valid_text_as_it_is() {
        assert_eq!(text(b"{\"ok\":true}"), "{\"ok\":true}");
        assert_eq!(text("été".as_bytes()), "été");
    }

    #[test]
    fn replaces_invalid_bytes_and_stays_within_the_limit() {
        assert_eq!(text(&[b'a', 0xff, b'b']), "a\u{fffd}b");
        let garbage = vec![0xff; LIMIT];
        let kept = text(&garbage);
        assert!(kept.len() <= LIMIT, "{} bytes", kept.len());
        assert_eq!(kept.chars().count(), LIMIT / 3);
        // A character cut by the byte limit becomes one replacement.
        let mut cut = vec![b'x'; LIMIT - 1];
        cut.push(0xc3);
        let kept = text(&cut);
        assert!(kept.len() <= LIMIT);
        assert!(kept.starts_with("xxx"));
    }
}
