#!/usr/bin/env python3
"""Generate crates/nanp/src/table.rs: US area code -> state -> cities.

The source is libphonenumber's English geocoding data for country code 1, as
shipped inside the `phonenumber` crate (assets/geocoding/en/1.txt,
Apache-2.0). Its lines are `prefix|description`:

    1415|California            1 + area code -> state name (or "City, ST")
    1415202|San Francisco, CA  longer prefix  -> "City, ST" (or a state name)

Only area codes of the 50 US states and DC are kept; Canada, Puerto Rico,
Guam, the US Virgin Islands, the Caribbean and anything else is dropped.

Usage:
    python3 tools/gen_nanp.py [path/to/geocoding/en/1.txt]

Without an argument the file is looked up in ~/.cargo/registry/src. The
output path is fixed (relative to the repository root, found from this
script's location). Python 3.11 standard library only.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from collections import Counter, defaultdict

# The 50 states and DC by USPS code, with the names libphonenumber uses.
STATE_NAMES: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "Washington State": "WA",
    "Washington D.C.": "DC",
    "Washington DC": "DC",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
}
US_CODES: frozenset[str] = frozenset(STATE_NAMES.values())
assert len(US_CODES) == 51, len(US_CODES)

AREA_CODE = re.compile(r"[2-9][0-9][0-9]")
# "City, ST" or "Neighbourhood, City, ST": the city is the part before ST.
CITY_ST = re.compile(r"^(?:.*,\s*)?([^,]+?),\s*([A-Z]{2})$")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(REPO_ROOT, "crates", "nanp", "src", "table.rs")


def find_input() -> str:
    if len(sys.argv) > 2:
        sys.exit("usage: gen_nanp.py [path/to/geocoding/en/1.txt]")
    if len(sys.argv) == 2:
        return sys.argv[1]
    pattern = os.path.expanduser(
        "~/.cargo/registry/src/*/phonenumber-*/assets/geocoding/en/1.txt"
    )
    found = sorted(glob.glob(pattern))
    if not found:
        sys.exit(
            "geocoding file not found; run `cargo fetch` first or pass its path"
        )
    if len(found) > 1:
        print(
            f"note: several phonenumber versions found, using {found[-1]}",
            file=sys.stderr,
        )
    return found[-1]


def region_of(description: str) -> tuple[str | None, str | None]:
    """(region code, city) of a description; either may be None.

    The region code is a USPS state code for US entries, or whatever two
    letters follow the comma (ON, VI...) so foreign entries can be told apart.
    """
    description = description.strip()
    if STATE_NAMES.get(description) == "DC":
        # The district is one city; its lines never say "Washington, DC".
        return "DC", "Washington"
    if description in STATE_NAMES:
        return STATE_NAMES[description], None
    match = CITY_ST.match(description)
    if match:
        return match.group(2), match.group(1).strip()
    return None, None


def parse(path: str) -> list[tuple[str, str, list[str]]]:
    # Area code -> region code given by its own 4-digit line.
    own_region: dict[str, str | None] = {}
    # Area code -> regions named by its longer prefixes (used when the area
    # code has no 4-digit line of its own, as 203, 310, 713 and 718).
    longer_regions: dict[str, Counter[str]] = defaultdict(Counter)
    # Area code -> [(region, city)] from every entry under it.
    cities: dict[str, list[tuple[str, str]]] = defaultdict(list)

    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            prefix, sep, description = line.partition("|")
            if not sep or not prefix.isdigit() or not prefix.startswith("1"):
                print(f"warning: skipping malformed line {line!r}", file=sys.stderr)
                continue
            if len(prefix) < 4:
                continue
            npa = prefix[1:4]
            region, city = region_of(description)
            if len(prefix) == 4:
                own_region[npa] = region
            elif region is not None:
                longer_regions[npa][region] += 1
            if region is not None and city is not None:
                cities[npa].append((region, city))

    rows: list[tuple[str, str, list[str]]] = []
    for npa in sorted(set(own_region) | set(longer_regions)):
        if not AREA_CODE.fullmatch(npa):
            continue
        if npa in own_region:
            state = own_region[npa]
        else:
            # No 4-digit line: accept only when every longer prefix agrees.
            regions = longer_regions[npa]
            state = next(iter(regions)) if len(regions) == 1 else None
        if state not in US_CODES:
            continue
        rows.append((npa, state, distinct_cities(cities[npa], state)))
    return rows


def distinct_cities(entries: list[tuple[str, str]], state: str) -> list[str]:
    """Cities in `state`, deduplicated case-insensitively and sorted.

    Of several spellings of one city the most frequent wins (ties: the
    first in code-point order), so "McAllen"/"Mcallen" gives one name.
    """
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for region, city in entries:
        if region == state:
            spellings[city.casefold()][city] += 1
    chosen = [
        min(counts, key=lambda s: (-counts[s], s)) for counts in spellings.values()
    ]
    return sorted(chosen, key=lambda s: (s.casefold(), s))


def rust_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    if any(ord(c) < 0x20 for c in escaped):
        sys.exit(f"control character in {value!r}")
    return f'"{escaped}"'


def render(rows: list[tuple[str, str, list[str]]], source: str) -> str:
    out = [
        "// @generated by tools/gen_nanp.py from libphonenumber's geocoding data",
        f"// ({source}, Apache-2.0,",
        "// Copyright (C) 2011 The Libphonenumber Authors).",
        "// Do not edit by hand: change the script and run `python3 tools/gen_nanp.py`.",
        "",
        "use crate::AreaCodeRow;",
        "",
        "/// Every US (50 states + DC) area code in the data, sorted by code.",
        "#[rustfmt::skip]",
        "pub(crate) static AREA_CODES: &[AreaCodeRow] = &[",
    ]
    for code, state, names in rows:
        out.append(
            f"    AreaCodeRow {{ code: {rust_str(code)}, state: {rust_str(state)}, cities: &["
        )
        for name in names:
            out.append(f"        {rust_str(name)},")
        out.append("    ] },")
    out.append("];")
    out.append("")
    return "\n".join(out)


def source_label(path: str) -> str:
    """`phonenumber-<version>/assets/geocoding/en/1.txt` when recognisable."""
    match = re.search(r"(phonenumber-[^/\\]+)[/\\](assets[/\\].*)$", path)
    if match:
        return f"{match.group(1)}/{match.group(2).replace(os.sep, '/')}"
    return os.path.basename(path)


def main() -> None:
    path = find_input()
    rows = parse(path)
    text = render(rows, source_label(path))
    with open(OUTPUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    states = {state for _, state, _ in rows}
    city_count = sum(len(names) for _, _, names in rows)
    print(
        f"wrote {os.path.relpath(OUTPUT, REPO_ROOT)}: {len(rows)} area codes, "
        f"{len(states)} states, {city_count} area-code/city pairs",
        file=sys.stderr,
    )
    missing = sorted(US_CODES - states)
    if missing:
        print(f"warning: no area code for {', '.join(missing)}", file=sys.stderr)


if __name__ == "__main__":
    main()
