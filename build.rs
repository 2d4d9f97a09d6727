//! The catalog in `types/` is embedded into the binary: rebuild whenever it changes.
fn main() {
    println!("cargo:rerun-if-changed=types");
}
