//! `Catalog::plain_lookup`, the short way of `GET /types/{key}`: it must find exactly the keys
//! whose answer is their type's latest version and nothing else, and agree with `resolve`.

use typehouse::catalog::media_type::normalize_borrowed;
use typehouse::catalog::{Catalog, CatalogFiles, Resolution, Status};

/// A type whose two colours share one media type, told apart only by `match`.
fn gadget(colour: &str) -> String {
    format!(
        "version: 1.0.0\nname: {colour} gadget\nsummary: A gadget of one colour, for tests\n\
         status: active\nartifactType: application/vnd.acme.gadget.v1+json\nmatch:\n  \
         - annotation: com.example.colour\n    equals: {colour}\n\
         links:\n  spec: https://example.com/spec\nowners:\n  - name: Acme\n    url: https://example.com\n"
    )
}

const OLD_WIDGET: &str = "version: 1.0.0\nname: Old widget\nsummary: A deprecated widget, for tests\n\
    status: deprecated\ndeprecatedBy: cncf/helm-chart\nartifactType: application/vnd.acme.old-widget.v1+json\n\
    links:\n  spec: https://example.com/spec\nowners:\n  - name: Acme\n    url: https://example.com\n";

#[test]
fn a_plain_lookup_finds_exactly_the_keys_answered_by_their_latest_version() {
    let mut files = CatalogFiles::embedded();
    for colour in ["red", "blue"] {
        files.insert(
            format!("acme/{colour}-gadget/1.0.0.yaml"),
            gadget(colour).into_bytes(),
        );
    }
    files.insert("acme/old-widget/1.0.0.yaml", OLD_WIDGET.as_bytes().to_vec());
    // A prerelease newer than the latest release.
    let helm =
        String::from_utf8(files.bytes("cncf/helm-chart/1.0.0.yaml").unwrap().to_vec()).unwrap();
    let rc = helm.replacen("version: 1.0.0", "version: 2.0.0-rc.1", 1);
    assert_ne!(helm, rc);
    files.insert("cncf/helm-chart/2.0.0-rc.1.yaml", rc.into_bytes());
    let (catalog, _) = Catalog::load(files).expect("the catalog loads");

    let mut keys: Vec<String> = catalog.types().map(|t| t.id.to_string()).collect();
    keys.extend(catalog.media_types().map(String::from));
    let spelled: Vec<String> = keys
        .iter()
        .flat_map(|key| {
            [
                key.to_ascii_uppercase(),
                format!("{key}; v=1"),
                format!(" {key}"),
            ]
        })
        .collect();
    keys.extend(spelled);
    keys.push("acme/nothing".into());

    let (mut found, mut general) = (0, 0);
    for key in &keys {
        let as_is = catalog.types().any(|t| t.id.as_str() == key)
            || normalize_borrowed(key) == key.as_str();
        let expected = match catalog.resolve(key) {
            Resolution::Type(entry) if as_is && entry.latest().status != Status::Deprecated => {
                let latest = entry
                    .versions
                    .iter()
                    .position(|v| std::ptr::eq(v, entry.latest()))
                    .unwrap();
                Some((entry.position, latest))
            }
            _ => None,
        };
        assert_eq!(catalog.plain_lookup(key), expected, "{key}");
        if expected.is_some() {
            found += 1;
        } else {
            general += 1;
        }
    }
    // Every kind was met: found ones, and ones left to the general way (aliases, a shared
    // media type, a deprecated type, other spellings, unknown keys, layer media types).
    assert!(
        found > 100 && general > 100,
        "{found} found, {general} left"
    );
    let helm = catalog.plain_lookup("cncf/helm-chart").unwrap();
    assert_eq!(helm.1, 1, "2.0.0-rc.1 comes first, 1.0.0 is the latest");
    assert_eq!(
        catalog.plain_lookup("application/vnd.acme.gadget.v1+json"),
        None
    );
    assert_eq!(catalog.plain_lookup("acme/old-widget"), None);
}
