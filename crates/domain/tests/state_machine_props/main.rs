//! Property tests of the phone-number state machine (API.md §3).
//!
//! Arbitrary sequences of requested operations — provider callbacks,
//! client updates with any status, transfers, verification outcomes,
//! connection detachment — are applied to demo and VoIP numbers, and the
//! invariants of API.md §2, §3, §7 and §8 are checked after every step.
//!
//! `ops.rs` generates and applies the operations; `invariants.rs` checks
//! each outcome.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod invariants;
mod ops;

use chrono::Duration;
use proptest::prelude::*;
use thunderphone_domain::Source;

use invariants::{check_change, check_state, check_unchanged};
use ops::{Outcome, Step, apply, new_number, start_time, steps};

fn run(source: Source, steps: &[Step]) {
    let mut number = new_number(source);
    let mut now = start_time();
    let mut recorded_changes = 0i64;
    check_state(&number, source);
    for step in steps {
        now += Duration::seconds(step.clock_delta_secs);
        let before = number.clone();
        match apply(&number, &step.op, now) {
            Outcome::Changed(updated) => {
                check_change(&number, &step.op, now, &updated);
                number = updated.number;
                recorded_changes += 1;
            }
            Outcome::Unchanged => check_unchanged(&number, &step.op, None),
            Outcome::Refused(err) => check_unchanged(&number, &step.op, Some(&err)),
        }
        if number.version() == before.version() {
            assert_eq!(number, before, "no version, no change");
        }
        assert!(number.updated_at() >= before.updated_at());
        assert_eq!(number.version().get(), 1 + recorded_changes);
        check_state(&number, source);
    }
}

proptest! {
    #[test]
    fn demo_numbers_follow_the_state_machine(steps in steps()) {
        run(Source::Demo, &steps);
    }

    #[test]
    fn voip_numbers_follow_the_state_machine(steps in steps()) {
        run(Source::Voip, &steps);
    }

}
