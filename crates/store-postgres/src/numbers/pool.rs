//! The demo pool as rows (`demo_pool`): one per line of an area code,
//! `held` while a live phone number holds its number. Claims lock the
//! first free row with `FOR UPDATE SKIP LOCKED`, so concurrent claimers
//! each take a different line instead of all racing for the same one.
//!
//! Every write that makes a pool-shaped number held or free updates its
//! row in the same transaction (claims, imports, `claim_first_free`,
//! deletes). Lock order is the pool row first, then the phone number,
//! except in `delete_number`, which locks the live number and then frees
//! its row: that row is `held`, so no claim locks it, and imports and
//! carrier claims only go for the number once the delete has committed
//! (until then they see it held). The unique index
//! `phone_numbers_number_held` stays the guarantee of one holder per
//! number; a row found free whose number is held after all is marked held
//! and passed over.

use std::sync::atomic::{AtomicU64, Ordering};

use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Text};
use thunderphone_domain::{AreaCode, E164};

use crate::error::Failure;

/// The pool row of a demo-pool-shaped number (`+1 NPA 555-01XX`): its area
/// code and line; `None` for any other number.
pub(crate) fn pool_row(number: &E164) -> Option<(AreaCode, i16)> {
    if !number.is_demo_pool_shape() {
        return None;
    }
    let line = number.as_str().get(10..)?.parse().ok()?;
    Some((number.area_code()?, line))
}

/// The area codes whose 100 rows this process knows exist, so a claim
/// creates them at most once per process (`AreaCode` is `[2-9]XX`: one bit
/// per value below 1000).
#[derive(Debug, Default)]
pub(crate) struct SeededCodes([AtomicU64; 16]);

impl SeededCodes {
    fn bit(code: AreaCode) -> Option<(usize, u64)> {
        let value: usize = code.as_str().parse().ok()?;
        Some((value / 64, 1 << (value % 64)))
    }

    fn contains(&self, code: AreaCode) -> bool {
        Self::bit(code).is_some_and(|(word, mask)| {
            self.0
                .get(word)
                .is_some_and(|w| w.load(Ordering::Acquire) & mask != 0)
        })
    }

    /// The distinct codes of `codes` not known to be seeded, sorted.
    pub(crate) fn missing(&self, codes: &[AreaCode]) -> Vec<AreaCode> {
        let mut missing: Vec<AreaCode> = codes
            .iter()
            .copied()
            .filter(|code| !self.contains(*code))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// How many of `codes`, from the first, are known to be seeded.
    pub(crate) fn prefix(&self, codes: &[AreaCode]) -> usize {
        codes
            .iter()
            .take_while(|code| self.contains(**code))
            .count()
    }

    /// Records that `codes` are seeded.
    pub(crate) fn mark(&self, codes: &[AreaCode]) {
        for (word, mask) in codes.iter().filter_map(|c| Self::bit(*c)) {
            if let Some(w) = self.0.get(word) {
                w.fetch_or(mask, Ordering::AcqRel);
            }
        }
    }

    /// Forgets everything (the table may have been dropped and re-created).
    pub(crate) fn clear(&self) {
        for word in &self.0 {
            word.store(0, Ordering::Release);
        }
    }
}

/// Creates the missing rows of the area codes `$1` (sorted, so two seeders
/// lock rows in the same order), each `held` when a live number holds it.
/// Rows that exist (seeded by another process, or written by an import
/// or delete) are left as they are: whoever changed them did so under
/// the row's lock, so they are right.
const SEED: &str = "\
    INSERT INTO demo_pool (area_code, line, held) \
    SELECT wanted.area_code, lines.line::smallint, EXISTS (\
        SELECT 1 FROM phone_numbers p WHERE p.deleted_at IS NULL \
        AND p.number = '+1' || wanted.area_code || '55501' || lpad(lines.line::text, 2, '0')\
    ) \
    FROM unnest($1::text[]) AS wanted(area_code) CROSS JOIN generate_series(0, 99) AS lines(line) \
    ORDER BY 1, 2 \
    ON CONFLICT (area_code, line) DO NOTHING";

/// Makes sure every line of `codes` has its row.
pub(crate) fn seed(conn: &mut PgConnection, codes: &[AreaCode]) -> Result<(), Failure> {
    // An area code libphonenumber does not know gets no rows: its numbers
    // would not be valid numbers (`AreaCode::has_demo_pool`).
    let codes: Vec<&str> = codes
        .iter()
        .filter(|code| code.has_demo_pool())
        .map(AreaCode::as_str)
        .collect();
    if codes.is_empty() {
        return Ok(());
    }
    let created = diesel::sql_query(SEED)
        .bind::<Array<Text>, _>(&codes)
        .execute(conn)?;
    tracing::debug!(area_codes = codes.len(), created, "demo pool rows created");
    Ok(())
}

/// Holds the pool rows of the pool-shaped `numbers` (creating missing
/// ones), in key order, so imports lock rows in the same order as each
/// other. Call before inserting the numbers: claimers then skip the rows.
pub(crate) fn hold<'a>(
    conn: &mut PgConnection,
    numbers: impl Iterator<Item = &'a E164>,
) -> Result<(), Failure> {
    let mut rows: Vec<(AreaCode, i16)> = numbers.filter_map(pool_row).collect();
    if rows.is_empty() {
        return Ok(());
    }
    rows.sort_unstable();
    rows.dedup();
    let (codes, lines): (Vec<&str>, Vec<i16>) = rows
        .iter()
        .map(|(code, line)| (code.as_str(), *line))
        .unzip();
    diesel::sql_query(
        "INSERT INTO demo_pool (area_code, line, held) \
         SELECT area_code, line, true FROM unnest($1::text[], $2::smallint[]) AS r(area_code, line) \
         ORDER BY 1, 2 \
         ON CONFLICT (area_code, line) DO UPDATE SET held = true",
    )
    .bind::<Array<Text>, _>(&codes)
    .bind::<Array<Int2>, _>(&lines)
    .execute(conn)?;
    Ok(())
}

/// Holds the pool row of `number` for a `claim_first_free` candidate if it
/// is free (creating it if missing): `true` when this transaction now
/// holds it, `false` when a live number holds it. Waits for a concurrent
/// claimer that has it locked. Always `true` for numbers outside the pool.
pub(crate) fn try_hold(conn: &mut PgConnection, number: &E164) -> Result<bool, Failure> {
    let Some((code, line)) = pool_row(number) else {
        return Ok(true);
    };
    // The conflicting row is locked even when the WHERE refuses the update.
    let taken = diesel::sql_query(
        "INSERT INTO demo_pool (area_code, line, held) VALUES ($1, $2, true) \
         ON CONFLICT (area_code, line) DO UPDATE SET held = true WHERE NOT demo_pool.held",
    )
    .bind::<Text, _>(code.as_str())
    .bind::<Int2, _>(line)
    .execute(conn)?;
    Ok(taken == 1)
}

/// Frees the pool row of a deleted number (creating it if missing). Call
/// in the transaction that deletes the number.
pub(crate) fn release(conn: &mut PgConnection, number: &E164) -> Result<(), Failure> {
    let Some((code, line)) = pool_row(number) else {
        return Ok(());
    };
    diesel::sql_query(
        "INSERT INTO demo_pool (area_code, line, held) VALUES ($1, $2, false) \
         ON CONFLICT (area_code, line) DO UPDATE SET held = false",
    )
    .bind::<Text, _>(code.as_str())
    .bind::<Int2, _>(line)
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &str) -> AreaCode {
        AreaCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"))
    }

    #[test]
    fn pool_rows_of_pool_numbers_only() {
        let number = E164::demo_pool(area("415"), 7).unwrap_or_else(|| panic!("line 7"));
        assert_eq!(pool_row(&number), Some((area("415"), 7)));
        let last = E164::demo_pool(area("212"), 99).unwrap_or_else(|| panic!("line 99"));
        assert_eq!(pool_row(&last), Some((area("212"), 99)));
        let outside = E164::parse("+14155550200").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pool_row(&outside), None);
    }

    #[test]
    fn seeded_codes_are_remembered_until_cleared() {
        let seeded = SeededCodes::default();
        let codes = [area("999"), area("415"), area("200"), area("415")];
        assert_eq!(
            seeded.missing(&codes),
            vec![area("200"), area("415"), area("999")]
        );
        assert_eq!(seeded.prefix(&codes), 0);
        seeded.mark(&[area("415"), area("999")]);
        assert_eq!(seeded.missing(&codes), vec![area("200")]);
        assert_eq!(seeded.prefix(&codes), 2);
        seeded.clear();
        assert_eq!(seeded.missing(&codes).len(), 3);
    }
}
