//! Where an artifact is stored: the values that fill action templates, checked against the
//! OCI distribution grammar when they come in. A [`Reference`] only exists with values that
//! passed, so no command is ever filled with one that did not.
//!
//! The grammar is distribution's reference grammar
//! (<https://github.com/distribution/reference/blob/727f80d42224f6696b8e1ad16b06aadf2c6b833b/regexp.go>)
//! and image-spec's digest grammar
//! (<https://github.com/opencontainers/image-spec/blob/b6e51fa50549ee0bd5188494912a7f4c382cb0d4/descriptor.md#digests>),
//! with two bounds DNS and TCP add: labels of at most 63 characters, ports up to 65535.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Deserialize;

/// The values as they arrive (a query, a form, command-line flags); empty means absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReferenceInput {
    pub registry: Option<String>,
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// The four fields, by the names the query, form and flags use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Registry,
    Repository,
    Tag,
    Digest,
}

impl Field {
    pub const ALL: [Field; 4] = [Self::Registry, Self::Repository, Self::Tag, Self::Digest];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registry => "registry",
            Self::Repository => "repository",
            Self::Tag => "tag",
            Self::Digest => "digest",
        }
    }

    /// The rule a value of this field must follow, as the refusal states it.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Registry => {
                "a host name (labels of letters, digits and inner `-`, joined by `.`), an IPv4 address or an IPv6 address in `[...]`, with an optional `:port`"
            }
            Self::Repository => {
                "path components `[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*` joined by `/`, at most 255 characters"
            }
            Self::Tag => "`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`",
            Self::Digest => {
                "`algorithm:encoded` with algorithm `[a-z0-9]+([+._-][a-z0-9]+)*` and encoded `[a-zA-Z0-9=_-]+` (sha256: 64 lowercase hex digits, sha512: 128)"
            }
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that does not follow its field's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` does not follow the OCI distribution grammar: it must be {}", field.rule())]
pub struct InvalidField {
    pub field: Field,
}

/// Every field that failed, in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidReference(pub Vec<InvalidField>);

impl InvalidReference {
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.iter().map(|f| f.field)
    }

    /// The refusal for `field`, if it failed.
    pub fn of(&self, field: Field) -> Option<&InvalidField> {
        self.0.iter().find(|f| f.field == field)
    }
}

impl fmt::Display for InvalidReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&messages.join("; "))
    }
}

impl std::error::Error for InvalidReference {}

/// Values that passed the grammar; any of them may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reference {
    registry: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Checks every present, non-empty value; refuses with every field that failed.
    pub fn parse(input: &ReferenceInput) -> Result<Self, InvalidReference> {
        let mut invalid = Vec::new();
        let mut take = |field: Field, value: &Option<String>| {
            let value = value.as_deref().filter(|v| !v.is_empty())?;
            if is_valid(field, value) {
                Some(value.to_string())
            } else {
                invalid.push(InvalidField { field });
                None
            }
        };
        let reference = Self {
            registry: take(Field::Registry, &input.registry),
            repository: take(Field::Repository, &input.repository),
            tag: take(Field::Tag, &input.tag),
            digest: take(Field::Digest, &input.digest),
        };
        if invalid.is_empty() {
            Ok(reference)
        } else {
            Err(InvalidReference(invalid))
        }
    }

    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    pub fn repository(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The last path component of the repository.
    pub fn name(&self) -> Option<&str> {
        self.repository
            .as_deref()
            .map(|r| r.rsplit('/').next().unwrap_or(r))
    }

    /// `@digest` when there is a digest, else `:tag`.
    pub fn reference(&self) -> Option<String> {
        self.digest
            .as_ref()
            .map(|d| format!("@{d}"))
            .or_else(|| self.tag.as_ref().map(|t| format!(":{t}")))
    }

    /// The value of a template placeholder (`registry`, `name`, `reference`, ...).
    pub fn placeholder(&self, name: &str) -> Option<String> {
        match name {
            "registry" => self.registry.clone(),
            "repository" => self.repository.clone(),
            "name" => self.name().map(String::from),
            "tag" => self.tag.clone(),
            "digest" => self.digest.clone(),
            "reference" => self.reference(),
            _ => None,
        }
    }
}

/// Does `value` follow `field`'s grammar?
pub fn is_valid(field: Field, value: &str) -> bool {
    match field {
        Field::Registry => is_registry(value),
        Field::Repository => is_repository(value),
        Field::Tag => is_tag(value),
        Field::Digest => is_digest(value),
    }
}

/// distribution's `domainAndPort`: a host (domain name, IPv4, or IPv6 in brackets) and an
/// optional port.
fn is_registry(value: &str) -> bool {
    let (host, port) = match value.strip_prefix('[') {
        Some(rest) => {
            let Some((address, after)) = rest.split_once(']') else {
                return false;
            };
            // distribution's `ipv6address`: hex digits and colons (no zone, no dotted IPv4).
            let hex_and_colons = address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
            if !hex_and_colons || address.parse::<Ipv6Addr>().is_err() {
                return false;
            }
            match after {
                "" => return true,
                _ => match after.strip_prefix(':') {
                    Some(port) => (None, Some(port)),
                    None => return false,
                },
            }
        }
        None => match value.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(value), None),
        },
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= 65535)
    });
    let Some(host) = host else {
        return port_ok;
    };
    port_ok && (host.parse::<Ipv4Addr>().is_ok() || is_host_name(host))
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= 63
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        })
}

/// Path components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` joined by `/`.
fn is_repository(value: &str) -> bool {
    value.len() <= 255 && value.split('/').all(is_path_component)
}

fn is_path_component(component: &str) -> bool {
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    let mut i = 0;
    // Runs of alphanumerics with one separator between each two.
    loop {
        let start = i;
        while i < bytes.len() && alphanumeric(bytes[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        let separator_start = i;
        while i < bytes.len() && matches!(bytes[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let separator = &component[separator_start..i];
        let allowed = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if separator.is_empty() || !allowed {
            return false;
        }
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn is_tag(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// image-spec: `algorithm ":" encoded`, with the registered algorithms' lengths.
fn is_digest(value: &str) -> bool {
    let Some((algorithm, encoded)) = value.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['+', '.', '_', '-']).all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let encoded_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    let lower_hex = |length: usize| {
        encoded.len() == length
            && encoded
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    algorithm_ok
        && encoded_ok
        && match algorithm {
            "sha256" => lower_hex(64),
            "sha512" => lower_hex(128),
            _ => true,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    #[test]
    fn registries() {
        for good in [
            "r.example",
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.0.0.1:5000",
            "[::1]",
            "[::1]:5000",
            "[2001:db8::1]:443",
            "[FE80::1]",
            "Registry-1.Docker.io",
        ] {
            assert!(is_registry(good), "{good}");
        }
        for bad in [
            "",
            "r.example;id",
            "r.example:",
            "r.example:99999",
            "r.example:5a",
            "-r.example",
            "r-.example",
            "r..example",
            "[::1",
            "[nope]",
            "[::1]x",
            "[::1]:",
            "[::ffff:1.2.3.4]",
            "[fe80::1%eth0]",
            "::1",
            "r.example/x",
            "r example",
            "$(id)",
            "a:1:2",
        ] {
            assert!(!is_registry(bad), "{bad}");
        }
    }

    #[test]
    fn repositories() {
        for good in ["a", "team/app", "a.b_c__d---e/f", "library/ubuntu", "0/1"] {
            assert!(is_repository(good), "{good}");
        }
        for bad in [
            "",
            "A",
            "a/",
            "/a",
            "a//b",
            "a___b",
            "a._b",
            "a.",
            "-a",
            "a;rm -rf ~",
            "a$(id)",
            "a\nb",
        ] {
            assert!(!is_repository(bad), "{bad:?}");
        }
        assert!(!is_repository(&"a".repeat(256)));
    }

    #[test]
    fn tags() {
        assert!(is_tag("1.0.0") && is_tag("_x") && is_tag("V-1_2.3"));
        assert!(is_tag(&"a".repeat(128)) && !is_tag(&"a".repeat(129)));
        for bad in ["", ".a", "-a", "a b", "$(id)", "a;b", "a:b", "a`id`"] {
            assert!(!is_tag(bad), "{bad}");
        }
    }

    #[test]
    fn digests() {
        assert!(is_digest(SHA256));
        assert!(is_digest(&format!("sha512:{}", "ab".repeat(64))));
        assert!(is_digest(
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"
        ));
        let upper = SHA256.to_uppercase();
        let short512 = format!("sha512:{}", "ab".repeat(32));
        for bad in [
            "sha256:abc",
            upper.as_str(),
            short512.as_str(),
            "sha256",
            ":abc",
            "a++b:abc",
            "x:a;b",
            "x:",
        ] {
            assert!(!is_digest(bad), "{bad}");
        }
    }

    #[test]
    fn parse_names_every_failing_field_and_skips_empty_ones() {
        let input = ReferenceInput {
            registry: Some("r.example".into()),
            repository: Some("a;rm -rf ~".into()),
            tag: Some("$(id)".into()),
            digest: Some(String::new()),
        };
        let error = Reference::parse(&input).unwrap_err();
        assert_eq!(
            error.fields().collect::<Vec<_>>(),
            [Field::Repository, Field::Tag]
        );
        let ok = Reference::parse(&ReferenceInput {
            registry: Some("r.example".into()),
            repository: Some("team/app".into()),
            tag: Some("1.0".into()),
            digest: Some(String::new()),
        })
        .unwrap();
        assert_eq!(ok.name(), Some("app"));
        assert_eq!(ok.reference().as_deref(), Some(":1.0"));
        assert_eq!(ok.digest(), None);
    }
}
