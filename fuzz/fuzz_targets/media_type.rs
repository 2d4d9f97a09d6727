//! The media-type parser: never panics, and what it accepts holds its invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use typehouse::catalog::MediaType;
use typehouse::catalog::media_type::normalize;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let normalized = normalize(text);
    // Normalizing is idempotent.
    assert_eq!(normalize(&normalized), normalized);
    if let Ok(media_type) = MediaType::parse(text) {
        let _ = media_type.warnings();
        // A lookup with the catalog's spelling finds it.
        assert_eq!(normalize(text), media_type.normalized());
        assert_eq!(
            format!("{}/{}", media_type.top_level(), media_type.subtype()),
            media_type.as_str()
        );
        // What parses once parses again, to the same value.
        let again = MediaType::parse(media_type.as_str()).expect("a parsed media type parses");
        assert_eq!(again.normalized(), media_type.normalized());
    }
});
