//! Keyset pagination: the caller filters and orders a query (newest
//! first: `ORDER BY created_at DESC, id DESC`); [`load_page`] reads one
//! item more than the page, strictly after the cursor, to learn whether a
//! next page exists.

use diesel::PgConnection;
use diesel::QueryResult;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::{FilterDsl, LimitDsl};
use diesel::query_dsl::{LoadQuery, RunQueryDsl};
use diesel::sql_types::{Bool, Int8, Timestamptz};
use thunderphone_domain::Timestamp;
use thunderphone_ports::{ListCursor, Page, PageLimit, PageRequest};

use crate::error::Failure;

/// One page of `query`, which the caller has filtered and ordered: at
/// most one row more than `limit`, only rows passing `after` (the cursor's
/// condition) when it is given, decoded; the next page's cursor comes from
/// the last item kept. The limit and the cursor's condition are added
/// last, so every list renders the same SQL it always has.
pub(crate) fn load_page<'a, Q, P, Row, T, C>(
    conn: &mut PgConnection,
    query: Q,
    limit: PageLimit,
    after: Option<P>,
    decode: impl FnMut(Row) -> Result<T, Failure>,
    cursor_of: impl Fn(&T) -> C,
) -> Result<Page<T, C>, Failure>
where
    Q: LimitDsl<Output = Q> + FilterDsl<P, Output = Q>,
    Q: RunQueryDsl<PgConnection> + LoadQuery<'a, PgConnection, Row>,
{
    let mut query = LimitDsl::limit(query, overfetch(limit));
    if let Some(after) = after {
        query = FilterDsl::filter(query, after);
    }
    let items = query
        .load(conn)?
        .into_iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, cursor_of))
}

/// [`load_page`] of a list ordered newest first, after a [`ListCursor`].
pub(crate) fn newest_first<'a, Q, Row, T>(
    conn: &mut PgConnection,
    query: Q,
    page: PageRequest<ListCursor>,
    decode: impl FnMut(Row) -> Result<T, Failure>,
    cursor_of: impl Fn(&T) -> ListCursor,
) -> Result<Page<T, ListCursor>, Failure>
where
    Q: LimitDsl<Output = Q> + FilterDsl<Before, Output = Q>,
    Q: RunQueryDsl<PgConnection> + LoadQuery<'a, PgConnection, Row>,
{
    let after = page.after.map(|cursor| Before {
        created_at: cursor.created_at,
        id: cursor.id,
    });
    load_page(conn, query, page.limit, after, decode, cursor_of)
}

/// `(created_at, id) < ($created_at, $id)` for items after a cursor, on
/// the one table of a query. A row comparison (not `a < x OR (a = x AND
/// b < y)`), so the index on `(org_id, created_at DESC, id DESC)` bounds
/// the scan: a page costs the same however deep it is.
///
/// A Diesel expression of its own: Diesel has no row-comparison operator,
/// and a `dsl::sql` literal would make the whole query one that is never
/// cached as a prepared statement (it is parsed and planned on every
/// page); this fragment has a fixed shape, so the query it is part of is
/// prepared once per connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Before {
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

/// [`Before`] boxed, for the lists that build a boxed query.
pub(crate) fn before<QS: 'static>(
    cursor: ListCursor,
) -> Box<dyn diesel::BoxableExpression<QS, Pg, SqlType = Bool>> {
    Box::new(Before {
        created_at: cursor.created_at,
        id: cursor.id,
    })
}

/// Rows to read for a page of `limit`: one more than it holds.
pub(crate) fn overfetch(limit: PageLimit) -> i64 {
    i64::try_from(limit.get())
        .unwrap_or(i64::from(PageLimit::MAX))
        .saturating_add(1)
}
