#![doc = r#"
US area codes, the state each one is in and the cities it serves.

ThunderPhone's demo pool is every US area code × `+1 NPA 555-0100…0199`;
this table is how a request for "a number in Texas" or "a number in
Springfield" becomes a list of area codes to take a pool number from.

The data is a static table generated from libphonenumber's geocoding data
(see `docs/DATA.md` and `tools/gen_nanp.py`), so lookups need no I/O and the
crate has no dependencies. Only the 50 states and DC are included: Canada,
Puerto Rico, Guam and the Caribbean share `+1` but are not in the pool.

```
let sf = thunderphone_nanp::lookup("415");
assert_eq!(sf.map(|row| row.state), Some("CA"));
assert!(sf.is_some_and(|row| row.cities.contains(&"San Francisco")));
```
"#]

mod table;

/// One area code of the table.
///
/// Plain `&'static str`s rather than domain types, so the table stays a
/// dependency-free constant; callers parse into `AreaCode`/`UsState` at the
/// edge where they need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AreaCodeRow {
    /// The 3-digit area code (`[2-9][0-9][0-9]`).
    pub code: &'static str,
    /// USPS code of the state (or `DC`), upper-case.
    pub state: &'static str,
    /// Cities the data places in this area code, sorted, without
    /// case-insensitive duplicates. May be empty (many overlay codes have
    /// no city data), so don't treat it as exhaustive.
    pub cities: &'static [&'static str],
}

/// Every area code, sorted by code.
pub fn all() -> &'static [AreaCodeRow] {
    table::AREA_CODES
}

/// The row of `code` (exactly three digits), if it is a US area code.
pub fn lookup(code: &str) -> Option<&'static AreaCodeRow> {
    let rows = table::AREA_CODES;
    rows.binary_search_by(|row| row.code.cmp(code))
        .ok()
        .and_then(|index| rows.get(index))
}

/// Area codes in `state` (a USPS code such as `tx`, any case), in code order.
pub fn in_state(state: &str) -> impl Iterator<Item = &'static AreaCodeRow> {
    let state = state.to_owned();
    table::AREA_CODES
        .iter()
        .filter(move |row| row.state.eq_ignore_ascii_case(&state))
}

/// Area codes serving a city of exactly this name (any case), in code
/// order. A name can span several states: qualify it with [`in_state`]'s
/// state if that matters.
pub fn serving_city(city: &str) -> impl Iterator<Item = &'static AreaCodeRow> {
    let city = city.to_owned();
    table::AREA_CODES.iter().filter(move |row| {
        row.cities
            .iter()
            .any(|candidate| eq_ignore_case(candidate, &city))
    })
}

/// The states (USPS codes, sorted, each once) with an area code serving
/// a city of exactly this name (any case); empty for an unknown city.
pub fn states_of_city(city: &str) -> Vec<&'static str> {
    let mut states: Vec<&'static str> = serving_city(city).map(|row| row.state).collect();
    states.sort_unstable();
    states.dedup();
    states
}

/// Unicode-aware case-insensitive equality (city names are not all ASCII:
/// "Cañon City", "Wahiawā"), matching `City::matches` in the domain crate.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const STATES: [&str; 51] = [
        "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL",
        "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
        "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
        "VA", "VT", "WA", "WI", "WV", "WY",
    ];

    #[test]
    fn san_francisco_is_415_in_california() {
        let Some(row) = lookup("415") else {
            panic!("415 is a US area code")
        };
        assert_eq!(row.state, "CA");
        assert!(row.cities.contains(&"San Francisco"));
        assert!(serving_city("san francisco").any(|r| r.code == "415"));
    }

    #[test]
    fn new_york_and_washington() {
        assert_eq!(lookup("212").map(|r| r.state), Some("NY"));
        assert_eq!(lookup("202").map(|r| r.state), Some("DC"));
    }

    #[test]
    fn lookup_misses() {
        for code in ["", "41", "4155", "000", "555", "abc"] {
            assert_eq!(lookup(code), None, "{code:?}");
        }
    }

    #[test]
    fn size_is_plausible() {
        let n = all().len();
        assert!(n > 250 && n < 400, "{n} area codes");
    }

    #[test]
    fn only_us_codes() {
        // Toronto, Vancouver, Puerto Rico, Guam, Jamaica.
        for code in ["416", "604", "787", "671", "876"] {
            assert_eq!(lookup(code), None, "{code} is not a US area code");
        }
    }

    #[test]
    fn every_row_is_well_formed() {
        for row in all() {
            assert!(
                matches!(row.code.as_bytes(), [b'2'..=b'9', b'0'..=b'9', b'0'..=b'9']),
                "{row:?}"
            );
            assert!(STATES.contains(&row.state), "{row:?}");
            let folded: BTreeSet<String> = row.cities.iter().map(|c| c.to_lowercase()).collect();
            assert_eq!(folded.len(), row.cities.len(), "duplicate city in {row:?}");
        }
    }

    #[test]
    fn sorted_and_unique_so_binary_search_works() {
        assert!(all().windows(2).all(|w| w[0].code < w[1].code));
        for row in all() {
            assert_eq!(lookup(row.code), Some(row));
        }
    }

    #[test]
    fn every_state_has_an_area_code() {
        let states: BTreeSet<&str> = all().iter().map(|r| r.state).collect();
        assert_eq!(states, STATES.into_iter().collect());
    }

    #[test]
    fn in_state_ignores_case() {
        let texas: Vec<&str> = in_state("tx").map(|r| r.code).collect();
        assert!(texas.contains(&"512"), "{texas:?}");
        assert!(texas.len() > 10, "{texas:?}");
        assert!(in_state("TX").all(|r| r.state == "TX"));
        assert_eq!(in_state("ON").count(), 0);
    }

    #[test]
    fn springfield_spans_several_states() {
        let states: BTreeSet<&str> = serving_city("springfield").map(|r| r.state).collect();
        assert!(states.len() >= 3, "{states:?}");
        assert!(serving_city("SPRINGFIELD").count() >= states.len());
        assert_eq!(serving_city("Springfiel").count(), 0);
    }

    #[test]
    fn states_of_a_city_are_sorted_and_unique() {
        assert_eq!(states_of_city("austin"), ["IN", "MN", "TX"]);
        assert_eq!(states_of_city("San Francisco"), ["CA"]);
        assert!(states_of_city("Atlantis").is_empty());
        let springfield = states_of_city("SPRINGFIELD");
        assert!(springfield.len() >= 3, "{springfield:?}");
        assert!(springfield.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn non_ascii_city_names_match_any_case() {
        assert!(serving_city("CAÑON CITY").any(|r| r.state == "CO"));
    }
}
