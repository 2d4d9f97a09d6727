//! The catalog archive that `pull` and `serve --from` unpack: any bytes as the files layer of
//! a published catalog. Every input is a catalog's files or a clear error, never a panic, a
//! file outside the catalog or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use typehouse::oci::artifact::unpack;

fuzz_target!(|data: &[u8]| {
    if let Ok(files) = unpack(data) {
        for path in files.paths() {
            // Only plain relative paths come out.
            assert!(!path.starts_with('/') && !path.split('/').any(|part| part == ".."), "{path}");
            let _ = files.bytes(path);
        }
    }
});
