//! The catalog in `types/` is embedded into the binary: rebuild whenever it changes.
//!
//! `TYPEHOUSE_TESTS_WITHOUT_ROOT=1` at build time marks the tests that need root as ignored
//! (`cfg(tests_without_root)`): a developer without root opts out of them, and the summary
//! counts them as not run. Without it they run, and fail when they cannot (docs/security.md).
fn main() {
    println!("cargo:rerun-if-changed=types");
    println!("cargo::rustc-check-cfg=cfg(tests_without_root)");
    println!("cargo:rerun-if-env-changed=TYPEHOUSE_TESTS_WITHOUT_ROOT");
    if std::env::var_os("TYPEHOUSE_TESTS_WITHOUT_ROOT").is_some_and(|value| value == "1") {
        println!("cargo:rustc-cfg=tests_without_root");
    }
}
