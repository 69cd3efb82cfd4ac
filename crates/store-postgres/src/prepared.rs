//! Prepared statements for the writes Diesel would parse and plan on every
//! call.
//!
//! Diesel caches a statement per connection only when it can tell that a
//! Rust query type always produces the same SQL. Raw SQL (`sql_query`),
//! every `UPDATE`, upserts and inserts of rows with optional values fail
//! that test, so each call is parsed and planned again — on the
//! provisioning path that was as much PostgreSQL work as running them.
//! [`Prepared`] marks such a statement cacheable; Diesel then keys the
//! cache by the statement's SQL text (and bind types), so a statement
//! whose text varies gets one entry per variant, and stays correct.
//!
//! Use it only for statements with a bounded set of texts: constant SQL,
//! single-row inserts and updates. Never for multi-row inserts, whose text
//! grows with the row count.
//!
//! Run it by value (`load`, `get_result`: give inserts and updates a
//! `RETURNING`): `execute` takes the query by reference, and Diesel's
//! `&T` forwarding does not carry the override, so there it would not be
//! prepared.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A statement Diesel caches as a prepared statement, keyed by its SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared<Q>(pub(crate) Q);

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // Not keyed by type: the SQL text is the cache key.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<Q> {}
