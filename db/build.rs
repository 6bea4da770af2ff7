//! `sqlx::migrate!` embeds the migrations at compile time, but Cargo does not know it reads
//! them: without this a changed or added migration would not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=src/sqlite/migrations");
    println!("cargo:rerun-if-changed=src/postgres/migrations");
}
