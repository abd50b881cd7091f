//! `sqlx::migrate!` embeds the migrations at compile time: a new or changed
//! migration file must rebuild the crate, though no Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
