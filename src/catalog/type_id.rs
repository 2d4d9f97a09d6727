//! Type ids (`<vendor>/<name>`): lowercase words joined by single dashes.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::media_type::REGISTERED_TOP_LEVEL;

/// Why a string is not a type id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeIdError {
    #[error("type id `{0}` must be `<vendor>/<name>`")]
    Shape(String),
    #[error(
        "`{0}` is not a valid id segment: use lowercase letters and digits with single `-` between them"
    )]
    Segment(String),
    #[error("vendor `{0}` is a top-level media type name; ids would be mistaken for media types")]
    ReservedVendor(String),
}

/// `<vendor>/<name>`, e.g. `cncf/helm-chart`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(Box<str>);

impl TypeId {
    pub fn parse(value: &str) -> Result<Self, TypeIdError> {
        let mut parts = value.split('/');
        let (Some(vendor), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TypeIdError::Shape(value.chars().take(80).collect()));
        };
        for segment in [vendor, name] {
            if !is_segment(segment) {
                return Err(TypeIdError::Segment(segment.chars().take(80).collect()));
            }
        }
        if REGISTERED_TOP_LEVEL.contains(&vendor) {
            return Err(TypeIdError::ReservedVendor(vendor.to_string()));
        }
        Ok(Self(value.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn vendor(&self) -> &str {
        self.0.split_once('/').map_or("", |(v, _)| v)
    }

    pub fn name(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, n)| n)
    }
}

/// `[a-z0-9]+(-[a-z0-9]+)*`
pub fn is_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Ids hash and compare as their text, so maps keyed by id are searched with a plain `&str`
/// (a lookup key that may not even be an id) without parsing it first.
impl std::borrow::Borrow<str> for TypeId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TypeId({})", self.0)
    }
}

impl Serialize for TypeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TypeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_vendor_and_name() {
        let id = TypeId::parse("cncf/helm-chart").unwrap();
        assert_eq!((id.vendor(), id.name()), ("cncf", "helm-chart"));
    }

    #[test]
    fn rejects_bad_ids() {
        for bad in [
            "cncf",
            "a/b/c",
            "Cncf/helm",
            "cncf/helm--chart",
            "cncf/-helm",
            "cncf/helm_chart",
            "/x",
            "x/",
        ] {
            assert!(TypeId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            TypeId::parse("application/json"),
            Err(TypeIdError::ReservedVendor("application".into()))
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(value in "\\PC{0,80}") {
            let _ = TypeId::parse(&value);
        }

        #[test]
        fn well_formed_ids_parse(vendor in "[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", name in "[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}") {
            prop_assume!(!REGISTERED_TOP_LEVEL.contains(&vendor.as_str()));
            let id = format!("{vendor}/{name}");
            let parsed = TypeId::parse(&id).unwrap();
            prop_assert_eq!(parsed.as_str(), id.as_str());
        }
    }
}
