//! The provisioning rules of API.md §5 and §17 over the area-code table:
//! which preferences are refused, the fallback chain of tiers, and where a
//! no-preference claim starts.

use thunderphone_domain::{AreaCode, Timestamp, UsState};
use thunderphone_ports::NumberQuery;

use super::{MatchedOn, ProvisionRequest};
use crate::AppError;

/// One step of the fallback chain: where to look and what it satisfies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tier {
    pub matched_on: MatchedOn,
    /// The preference as a carrier search.
    pub query: NumberQuery,
    /// The same preference as demo-pool area codes.
    pub area_codes: Vec<AreaCode>,
}

fn codes<'a>(rows: impl Iterator<Item = &'a thunderphone_nanp::AreaCodeRow>) -> Vec<AreaCode> {
    rows.filter_map(|row| AreaCode::parse(row.code).ok())
        .collect()
}

/// Every US area code of the table, parsed once: the "any" tier's list,
/// asked for by every request without a preference, and the demo pool's
/// area codes.
pub fn every_area_code() -> &'static [AreaCode] {
    static EVERY: std::sync::OnceLock<Vec<AreaCode>> = std::sync::OnceLock::new();
    EVERY.get_or_init(|| codes(thunderphone_nanp::all().iter()))
}

/// How many numbers the demo pool has in all (`+1 NPA 555-0100`–`0199`
/// of every area code whose numbers are valid), counted once.
pub fn demo_pool_size() -> u64 {
    static SIZE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        every_area_code()
            .iter()
            .map(|code| code.demo_pool_numbers().count() as u64)
            .sum()
    })
}

/// Checks the preferences against the table (API.md §17): a well-formed
/// area code that is not a US one is refused, and a city found in several
/// states needs one of them — given as `state`, or as the state of
/// `area_code`. Returns the state to look for the city in, if any.
///
/// A city the table does not know is not an error: the data is not
/// exhaustive, so such a request falls back to the state (§5).
///
/// # Errors
/// `Validation` on `area_code` or `city`.
pub(crate) fn city_state(request: &ProvisionRequest) -> Result<Option<UsState>, AppError> {
    let area_state = match request.area_code {
        None => None,
        Some(code) => match thunderphone_nanp::lookup(code.as_str()) {
            Some(row) => Some(row.state),
            None => {
                return Err(AppError::invalid(
                    "area_code",
                    format!("{code} is not a US area code"),
                ));
            }
        },
    };
    let Some(city) = &request.city else {
        return Ok(request.state);
    };
    if request.state.is_some() {
        return Ok(request.state);
    }
    let states = thunderphone_nanp::states_of_city(city.as_str());
    let chosen = match states.as_slice() {
        [] => return Ok(None),
        [only] => *only,
        several => match area_state.filter(|s| several.contains(s)) {
            Some(state) => state,
            None => {
                return Err(AppError::invalid(
                    "city",
                    format!("{} is in {}: add state", city.as_str(), several.join(", ")),
                ));
            }
        },
    };
    Ok(UsState::parse(chosen).ok())
}

/// The fallback chain of API.md §5: area code, then a city's area codes
/// (in `city_state` when known: Springfield, IL is not Springfield, MA),
/// then the state (or the area code's state), else nothing; with no
/// preference at all, every area code.
pub(crate) fn plan(request: &ProvisionRequest, city_state: Option<UsState>) -> Vec<Tier> {
    let mut tiers = Vec::new();
    if request.area_code.is_none() && request.city.is_none() && request.state.is_none() {
        tiers.push(Tier {
            matched_on: MatchedOn::Any,
            query: NumberQuery::Any,
            area_codes: every_area_code().to_vec(),
        });
        return tiers;
    }
    if let Some(area_code) = request.area_code
        && thunderphone_nanp::lookup(area_code.as_str()).is_some()
    {
        tiers.push(Tier {
            matched_on: MatchedOn::AreaCode,
            query: NumberQuery::AreaCode(area_code),
            area_codes: vec![area_code],
        });
    }
    if let Some(city) = &request.city {
        let rows = thunderphone_nanp::serving_city(city.as_str())
            .filter(|row| city_state.is_none_or(|s| row.state == s.as_str()));
        tiers.push(Tier {
            matched_on: MatchedOn::City,
            query: NumberQuery::City {
                city: city.clone(),
                state: city_state,
            },
            area_codes: codes(rows),
        });
    }
    let state = request.state.or_else(|| {
        request
            .area_code
            .and_then(|ac| thunderphone_nanp::lookup(ac.as_str()))
            .and_then(|row| UsState::parse(row.state).ok())
    });
    if let Some(state) = state {
        tiers.push(Tier {
            matched_on: MatchedOn::State,
            query: NumberQuery::State(state),
            area_codes: codes(thunderphone_nanp::in_state(state.as_str())),
        });
    }
    tiers.retain(|t| !t.area_codes.is_empty());
    tiers
}

/// Starts a no-preference claim at an area code chosen by the clock's
/// microseconds (the list wraps around, so every code is still tried).
/// "Any free number" (API.md §5) then spreads claims over all area codes
/// instead of filling them in order, so a claim finds a free line in the
/// first code it looks at rather than passing over every full one first.
pub(super) fn spread(area_codes: &mut [AreaCode], now: Timestamp) {
    if !area_codes.is_empty() {
        let start = now.timestamp_subsec_micros() as usize % area_codes.len();
        area_codes.rotate_left(start);
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use thunderphone_domain::City;

    use super::*;

    fn req(area_code: Option<&str>, city: Option<&str>, state: Option<&str>) -> ProvisionRequest {
        ProvisionRequest {
            area_code: area_code.and_then(|a| AreaCode::parse(a).ok()),
            city: city.and_then(|c| City::parse(c).ok()),
            state: state.and_then(|s| UsState::parse(s).ok()),
        }
    }

    /// The tiers of a request the checks accept.
    fn plan(request: &ProvisionRequest) -> Vec<Tier> {
        let state = city_state(request).expect("accepted preferences");
        super::plan(request, state)
    }

    fn kinds(tiers: &[Tier]) -> Vec<MatchedOn> {
        tiers.iter().map(|t| t.matched_on).collect()
    }

    #[test]
    fn spreading_rotates_and_keeps_every_code() {
        let all = plan(&req(None, None, None)).remove(0).area_codes;
        let at = |micros: u32| {
            chrono::DateTime::from_timestamp(1_800_000_000, micros * 1000).expect("a valid time")
        };
        let mut spread_codes = all.clone();
        spread(&mut spread_codes, at(5));
        assert_eq!(spread_codes[0], all[5]);
        assert_eq!(spread_codes[all.len() - 5], all[0]);
        let mut sorted = spread_codes.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, all, "every area code, once");
        let mut wrapped = all.clone();
        spread(
            &mut wrapped,
            at(u32::try_from(all.len()).expect("few codes") + 2),
        );
        assert_eq!(wrapped[0], all[2]);
        spread(&mut Vec::new(), at(7));
    }

    #[test]
    fn no_preference_means_any() {
        let tiers = plan(&req(None, None, None));
        assert_eq!(kinds(&tiers), vec![MatchedOn::Any]);
        assert!(tiers[0].area_codes.len() > 250);
    }

    #[test]
    fn area_code_falls_back_to_its_state() {
        let tiers = plan(&req(Some("415"), None, None));
        assert_eq!(kinds(&tiers), vec![MatchedOn::AreaCode, MatchedOn::State]);
        assert!(
            tiers[1].area_codes.iter().any(|a| a.as_str() == "213"),
            "CA codes"
        );
    }

    #[test]
    fn full_chain() {
        let tiers = plan(&req(Some("415"), Some("Austin"), Some("tx")));
        assert_eq!(
            kinds(&tiers),
            vec![MatchedOn::AreaCode, MatchedOn::City, MatchedOn::State]
        );
        assert!(tiers[1].area_codes.iter().any(|a| a.as_str() == "512"));
        assert!(
            tiers[2]
                .area_codes
                .iter()
                .all(|a| thunderphone_nanp::lookup(a.as_str()).is_some_and(|r| r.state == "TX"))
        );
    }

    #[test]
    fn city_is_restricted_to_the_given_state() {
        let tiers = plan(&req(None, Some("springfield"), Some("IL")));
        let city = &tiers[0];
        assert_eq!(city.matched_on, MatchedOn::City);
        assert!(
            city.area_codes
                .iter()
                .all(|a| thunderphone_nanp::lookup(a.as_str()).is_some_and(|r| r.state == "IL"))
        );
    }

    #[test]
    fn unknown_city_gives_no_tiers() {
        assert!(plan(&req(None, Some("Atlantis"), None)).is_empty());
    }

    fn refusal(request: &ProvisionRequest) -> Vec<(String, String)> {
        match city_state(request) {
            Err(AppError::Validation(errors)) => {
                errors.into_iter().map(|e| (e.field, e.message)).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn an_area_code_that_is_not_a_us_one_is_refused() {
        assert_eq!(
            refusal(&req(Some("555"), None, None)),
            [(
                "area_code".to_owned(),
                "555 is not a US area code".to_owned()
            )]
        );
        assert_eq!(
            refusal(&req(Some("416"), Some("Austin"), Some("TX"))).len(),
            1
        );
    }

    #[test]
    fn a_city_in_several_states_needs_one_of_them() {
        assert_eq!(
            refusal(&req(None, Some("Austin"), None)),
            [(
                "city".to_owned(),
                "Austin is in IN, MN, TX: add state".to_owned()
            )]
        );
        // The area code's state is one of them: that one.
        let tiers = plan(&req(Some("512"), Some("austin"), None));
        assert_eq!(
            kinds(&tiers),
            vec![MatchedOn::AreaCode, MatchedOn::City, MatchedOn::State]
        );
        let in_texas = |code: &AreaCode| {
            thunderphone_nanp::lookup(code.as_str()).is_some_and(|r| r.state == "TX")
        };
        assert!(tiers[1].area_codes.iter().all(in_texas));
        // An area code of another state does not choose.
        assert_eq!(refusal(&req(Some("415"), Some("Austin"), None)).len(), 1);
        // An explicit state always does.
        assert!(city_state(&req(Some("415"), Some("Austin"), Some("MN"))).is_ok());
    }

    #[test]
    fn a_city_in_one_state_means_that_one() {
        assert_eq!(
            city_state(&req(None, Some("San Francisco"), None))
                .ok()
                .flatten()
                .map(|s| s.as_str().to_owned()),
            Some("CA".to_owned())
        );
        assert_eq!(
            kinds(&plan(&req(None, Some("San Francisco"), None))),
            vec![MatchedOn::City]
        );
    }
}

#[cfg(test)]
mod pool_tests {
    use super::*;
    use thunderphone_domain::E164;

    /// Every number the pool can hand out reads back as a valid number:
    /// stored numbers are parsed again on every read.
    #[test]
    fn every_pool_number_parses_back() {
        let mut empty = Vec::new();
        for row in thunderphone_nanp::all() {
            let Ok(code) = AreaCode::parse(row.code) else {
                panic!("{} is an area code", row.code)
            };
            let numbers: Vec<E164> = code.demo_pool_numbers().collect();
            if numbers.is_empty() {
                empty.push(row.code);
            }
            for n in numbers {
                assert_eq!(E164::parse(n.as_str()).as_ref(), Ok(&n), "{n}");
            }
        }
        assert!(
            empty.contains(&"274") && empty.contains(&"472"),
            "{empty:?}"
        );
        assert!(
            empty.len() < 10,
            "only a few codes are unknown to libphonenumber: {empty:?}"
        );
    }
}
