//! Rebuilds the crate when a migration is added or changed:
//! `embed_migrations!` compiles `migrations/` into the template it makes.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
