//! The cause of an unexpected failure, kept whole.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// The cause of a failure only the operator can act on: a driver error, a
/// broken invariant, a bug. It keeps the whole chain of sources for the
/// one log line that reports it and is never shown to clients. Cheap to
/// clone, so one failure can answer many waiters (the store's batcher).
///
/// `{}` prints the outermost message, `{:#}` and `{:?}` the whole chain on
/// one line (`outer: cause: root cause`).
#[derive(Clone)]
pub struct Unexpected(Arc<dyn Error + Send + Sync + 'static>);

impl Unexpected {
    /// `error` as the cause, with its sources.
    pub fn new(error: impl Into<Box<dyn Error + Send + Sync + 'static>>) -> Self {
        Self(Arc::from(error.into()))
    }

    /// A cause that is only a message, such as a broken invariant.
    pub fn msg(message: impl Into<String>) -> Self {
        Self(Arc::new(Message(message.into())))
    }

    /// `error` explained by `message`: the chain reads `message: error: …`.
    pub fn context(
        message: impl Into<String>,
        error: impl Into<Box<dyn Error + Send + Sync + 'static>>,
    ) -> Self {
        Self(Arc::new(Context {
            message: message.into(),
            source: error.into(),
        }))
    }
}

impl fmt::Display for Unexpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        if f.alternate() {
            let mut next = self.0.source();
            while let Some(cause) = next {
                write!(f, ": {cause}")?;
                next = cause.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Unexpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Unexpected")
            .field(&format!("{self:#}"))
            .finish()
    }
}

impl Error for Unexpected {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// Two causes are equal when they are the same failure (clones of one
/// another): independent failures never compare equal, whatever they say.
impl PartialEq for Unexpected {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Unexpected {}

#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Message {}

#[derive(Debug)]
struct Context {
    message: String,
    source: Box<dyn Error + Send + Sync + 'static>,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Context {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_whole_chain_is_kept_and_printed_on_request() {
        let root = std::io::Error::other("disk on fire");
        let cause = Unexpected::context("saving a number", Outer(root));
        assert_eq!(cause.to_string(), "saving a number");
        assert_eq!(format!("{cause:#}"), "saving a number: outer: disk on fire");
        assert_eq!(
            format!("{cause:?}"),
            r#"Unexpected("saving a number: outer: disk on fire")"#
        );
        let sources = std::iter::successors(cause.source(), |e| (*e).source()).count();
        assert_eq!(sources, 2, "outer and the io error");
        assert_eq!(format!("{:#}", Unexpected::msg("just this")), "just this");
    }

    #[test]
    fn equal_only_to_its_clones() {
        let one = Unexpected::msg("same words");
        assert_eq!(one, one.clone());
        assert_ne!(one, Unexpected::msg("same words"));
    }
}
