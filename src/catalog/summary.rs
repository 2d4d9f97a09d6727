//! One line of the index and of `GET /types`: a type's latest version, summarized.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::definition::Status;
use super::load::identifying_media_types;
use super::{Published, TypeId};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSummary {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub status: Status,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub identifying_media_types: Vec<String>,
    pub layer_media_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_by: Option<String>,
    /// Relative to the service root (or the static site's root).
    pub url: String,
    /// The latest version's icon, so that a catalog card never reads a definition back. Not
    /// part of the index or `GET /types`, which link the definition instead.
    #[serde(skip)]
    pub icon_svg: Option<Arc<str>>,
}

impl TypeSummary {
    /// The summary of `latest`, the latest version of type `id`.
    pub fn of(id: &TypeId, latest: &Published) -> Self {
        let definition = &latest.definition;
        Self {
            id: id.to_string(),
            name: definition.name.clone(),
            summary: definition.summary.clone(),
            status: definition.status,
            version: latest.version().to_string(),
            artifact_type: definition.artifact_type.as_ref().map(ToString::to_string),
            identifying_media_types: identifying_media_types(definition)
                .into_iter()
                .map(|(m, _)| m.to_string())
                .collect(),
            layer_media_types: definition
                .layers
                .iter()
                .flat_map(|l| l.all_media_types())
                .map(ToString::to_string)
                .collect(),
            tags: definition.tags.clone(),
            deprecated_by: definition.deprecated_by.as_ref().map(ToString::to_string),
            url: format!("types/{id}"),
            icon_svg: latest.icon_svg.as_deref().map(Arc::from),
        }
    }

    /// Does the free-text query `q` (lowercase) match this type?
    pub fn matches_text(&self, q: &str) -> bool {
        let contains = |text: &str| contains_ignoring_ascii_case(text, q);
        contains(&self.id)
            || contains(&self.name)
            || contains(&self.summary)
            || self.identifying_media_types.iter().any(|m| contains(m))
            || self.layer_media_types.iter().any(|m| contains(m))
            || self.tags.iter().any(|t| contains(t))
    }
}

/// `text.to_ascii_lowercase().contains(needle)` for a `needle` already lowercase where it is
/// ASCII, without copying `text`: candidates are found by their first byte in either case with
/// a SIMD search, then compared. On 10,000 types a search walks some 6 MB of text.
fn contains_ignoring_ascii_case(text: &str, needle: &str) -> bool {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0;
    while let Some(found) = memchr::memchr2(lower, upper, &text[from..]) {
        let at = from + found;
        if text.len() - at < needle.len() {
            return false;
        }
        if text[at + 1..at + needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str) -> TypeSummary {
        TypeSummary {
            id: "acme/widget".into(),
            name: name.into(),
            summary: String::new(),
            status: Status::Active,
            version: "1.0.0".into(),
            artifact_type: None,
            identifying_media_types: vec!["application/vnd.ACME.widget.v1+json".into()],
            layer_media_types: Vec::new(),
            tags: Vec::new(),
            deprecated_by: None,
            url: String::new(),
            icon_svg: None,
        }
    }

    #[test]
    fn free_text_matches_as_ascii_lowercase_contains_does() {
        let names = ["Widget", "WIDGET Ünïcode", "Ärger", "straße", "x", ""];
        let queries = [
            "widget",
            "acme.widget",
            "ünïcode",
            "ärger",
            "Ä",
            "e",
            "straße",
            "zz",
            "",
        ];
        for name in names {
            let summary = summary(name);
            for q in queries {
                let q = q.to_ascii_lowercase();
                let expected = [&summary.id, &summary.name, &summary.summary]
                    .into_iter()
                    .chain(&summary.identifying_media_types)
                    .any(|text| text.to_ascii_lowercase().contains(&q));
                assert_eq!(summary.matches_text(&q), expected, "{name:?} for {q:?}");
            }
        }
    }
}
