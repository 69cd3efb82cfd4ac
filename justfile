# ThunderPhone Numbers — common commands. `just` is optional: every recipe
# is a plain cargo command you can run yourself.

# List the recipes.
default:
    @just --list

# Run the server on the embedded store (pass flags after, e.g. `just run --bind 0.0.0.0:8080`).
run *ARGS:
    cargo run --bin thunderphone -- serve {{ARGS}}

# Run the server with a demo org, agents and API key printed on start.
demo *ARGS:
    cargo run --bin thunderphone -- serve --demo {{ARGS}}

# Run the tests (flags pass through, e.g. `just test -p thunderphone-domain`).
test *ARGS:
    cargo test --workspace {{ARGS}}

# Lint with clippy; warnings are errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# Everything CI runs.
ci:
    .ci/run

# Regenerate the area-code table from libphonenumber's geocoding data.
gen-nanp:
    python3 tools/gen_nanp.py

# Benchmark against a fresh Postgres database (see docs/PERFORMANCE.md).
bench:
    bench/run.sh
