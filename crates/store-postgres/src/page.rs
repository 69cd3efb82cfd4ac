//! Keyset pagination, newest first: `ORDER BY created_at DESC, id DESC`,
//! strictly after the cursor `(created_at, id) < ($c, $id)`, reading one
//! item more than the page to learn whether a next page exists.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Int8, Timestamptz};
use diesel::{BoxableExpression, QueryResult};
use thunderphone_domain::Timestamp;
use thunderphone_ports::{ListCursor, PageLimit};

/// `(created_at, id) < ($created_at, $id)` for items after `cursor`, on
/// the one table of a query. A row comparison (not `a < x OR (a = x AND
/// b < y)`), so the index on `(org_id, created_at DESC, id DESC)` bounds
/// the scan: a page costs the same however deep it is.
pub(crate) fn before<QS: 'static>(
    cursor: ListCursor,
) -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>> {
    Box::new(Before {
        created_at: cursor.created_at,
        id: cursor.id,
    })
}

/// The row comparison of [`before`] as a Diesel expression of its own.
/// Diesel has no row-comparison operator, and a `dsl::sql` literal would
/// make the whole query one that is never cached as a prepared statement
/// (it is parsed and planned on every page); this fragment has a fixed
/// shape, so the query it is part of is prepared once per connection.
#[derive(Debug, Clone, Copy)]
struct Before {
    created_at: Timestamp,
    id: i64,
}

impl Expression for Before {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for Before {}

impl<QS> SelectableExpression<QS> for Before {}

impl<GroupBy> ValidGrouping<GroupBy> for Before {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for Before {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for Before {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("(created_at, id) < (");
        out.push_bind_param::<Timestamptz, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Int8, _>(&self.id)?;
        out.push_sql(")");
        Ok(())
    }
}

/// Rows to read for a page of `limit`: one more than it holds.
pub(crate) fn overfetch(limit: PageLimit) -> i64 {
    i64::try_from(limit.get())
        .unwrap_or(i64::from(PageLimit::MAX))
        .saturating_add(1)
}
