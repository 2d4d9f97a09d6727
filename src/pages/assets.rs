//! The stylesheet, script and icon under `static/`, built into the binary and published under
//! content-hashed names (`app.1a2b3c4d5e.css`): a new build gets new URLs, so browsers and CDNs
//! may keep each one for a year.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One file of `static/`.
#[derive(Debug)]
pub struct Asset {
    /// The source name, e.g. `app.css`.
    pub name: &'static str,
    /// The published name, e.g. `app.1a2b3c4d5e.css`.
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

const SOURCES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../static/icon.svg"),
    ),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|&(name, content_type, bytes)| {
            let digest = Sha256::digest(bytes);
            let hash = hex::encode(&digest[..5]);
            let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
            Asset {
                name,
                file_name: format!("{stem}.{hash}.{extension}"),
                content_type,
                bytes,
            }
        })
        .collect()
});

pub fn all() -> &'static [Asset] {
    &ASSETS
}

/// The asset published as `file_name`.
pub fn find(file_name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.file_name == file_name)
}

/// The published name of the source `name`.
///
/// # Panics
/// When `static/` has no such file: a page naming a missing asset is a bug.
pub fn file_name(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .map(|asset| asset.file_name.as_str())
        .unwrap_or_else(|| panic!("no asset `{name}` in static/"))
}

/// The stylesheet's text, for pages that inline it.
pub fn stylesheet() -> &'static str {
    let css = ASSETS
        .iter()
        .find(|asset| asset.name == "app.css")
        .expect("static/app.css is built in");
    std::str::from_utf8(css.bytes).expect("app.css is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_a_content_hash() {
        let css = file_name("app.css");
        assert!(css.starts_with("app.") && css.ends_with(".css"), "{css}");
        assert_eq!(css.len(), "app.".len() + 10 + ".css".len());
        assert_eq!(find(css).map(|a| a.name), Some("app.css"));
        assert!(find("app.css").is_none());
    }
}
