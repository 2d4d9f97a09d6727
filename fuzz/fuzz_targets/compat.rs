//! The config-schema compatibility check: two JSON values (the old and the new schema), split
//! at the first NUL byte. Never panics; a schema is always compatible with itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use typehouse::catalog::compat::breaking_changes;

fuzz_target!(|data: &[u8]| {
    let (old, new) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, data),
    };
    let (Ok(old), Ok(new)) = (
        serde_json::from_slice::<serde_json::Value>(old),
        serde_json::from_slice::<serde_json::Value>(new),
    ) else {
        return;
    };
    let _ = breaking_changes(&old, &new);
    assert_eq!(breaking_changes(&old, &old), Vec::new(), "{old}");
});
