//! Rebuilds the crate when a migration is added or changed:
//! `embed_migrations!` compiles `migrations/` into the binary.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
