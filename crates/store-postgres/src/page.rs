//! Keyset pagination, newest first: `ORDER BY created_at DESC, id DESC`,
//! strictly after the cursor `(created_at, id) < ($c, $id)`, reading one
//! item more than the page to learn whether a next page exists.

use diesel::BoxableExpression;
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::sql_types::{Bool, Int8, Timestamptz};
use thunderphone_ports::{ListCursor, PageLimit};

/// `(created_at, id) < ($created_at, $id)` for items after `cursor`, on
/// the one table of a query. A row comparison (not `a < x OR (a = x AND
/// b < y)`), so the index on `(org_id, created_at DESC, id DESC)` bounds
/// the scan: a page costs the same however deep it is.
pub(crate) fn before<QS: 'static>(
    cursor: ListCursor,
) -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>> {
    Box::new(
        sql::<Bool>("(created_at, id) < (")
            .bind::<Timestamptz, _>(cursor.created_at)
            .sql(", ")
            .bind::<Int8, _>(cursor.id)
            .sql(")"),
    )
}

/// Rows to read for a page of `limit`: one more than it holds.
pub(crate) fn overfetch(limit: PageLimit) -> i64 {
    i64::try_from(limit.get())
        .unwrap_or(i64::from(PageLimit::MAX))
        .saturating_add(1)
}
