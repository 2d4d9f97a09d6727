//! The common-shape YAML reader against the event parser: whatever text the line reader
//! reads, the event parser must read to the same value, keys in the same order.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(difference) = typehouse::catalog::yaml::readers_agree(text) {
        panic!("{difference}");
    }
});
