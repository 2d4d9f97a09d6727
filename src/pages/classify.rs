//! The classify page (`GET /classify` for browsers, and the answer to its form): paste a
//! manifest, see its type, whether it conforms, and its actions filled in.

use askama::Template;
use serde::Deserialize;

use super::{FieldErrors, Layout, Paths, Section, render};
use crate::catalog::Catalog;
use crate::catalog::classify::Classification;
use crate::catalog::reference::{InvalidReference, ReferenceInput};

/// The form's fields (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClassifyForm {
    #[serde(default)]
    pub manifest: String,
    #[serde(default)]
    pub registry: String,
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub digest: String,
}

impl ClassifyForm {
    /// The values that fill action templates, unchecked; empty fields are absent.
    pub fn reference(&self) -> ReferenceInput {
        let value = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        ReferenceInput {
            registry: value(&self.registry),
            repository: value(&self.repository),
            tag: value(&self.tag),
            digest: value(&self.digest),
        }
    }
}

#[derive(Template)]
#[template(path = "classify.html")]
struct ClassifyPage {
    layout: Layout,
    action: String,
    form: ClassifyForm,
    example: &'static str,
    error: Option<String>,
    errors: FieldErrors,
    result: Option<ResultView>,
}

struct ResultView {
    document: &'static str,
    matched: Option<Matched>,
    matched_by: Option<String>,
    conforms: bool,
    problems: Vec<ProblemView>,
    actions: Vec<ActionView>,
}

struct Matched {
    name: String,
    id: String,
    version: String,
    href: String,
}

struct ProblemView {
    code: &'static str,
    message: String,
}

struct ActionView {
    label: String,
    command: String,
    copy_id: String,
}

/// A Helm chart manifest, shown as the textarea's placeholder.
const EXAMPLE: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.cncf.helm.config.v1+json",
    "digest": "sha256:…",
    "size": 117
  },
  "layers": [{
    "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
    "digest": "sha256:…",
    "size": 3614
  }]
}"#;

/// The form, with the outcome of classifying it when it was sent: the classification, or why
/// the manifest could not be classified; `invalid` names the fields the grammar refused.
pub fn render_page(
    catalog: &Catalog,
    form: &ClassifyForm,
    outcome: Option<Result<Classification, String>>,
    invalid: Option<&InvalidReference>,
    paths: &Paths,
) -> String {
    let (result, error) = match outcome {
        None => (None, None),
        Some(Ok(classification)) => (Some(result_view(classification, paths)), None),
        Some(Err(error)) => (None, Some(error)),
    };
    let page = ClassifyPage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            "Classify a manifest",
            Section::Classify,
        ),
        action: paths.classify().unwrap_or_default(),
        form: form.clone(),
        example: EXAMPLE,
        error,
        errors: FieldErrors::of(invalid),
        result,
    };
    render(&page)
}

fn result_view(classification: Classification, paths: &Paths) -> ResultView {
    ResultView {
        document: classification.document.media_type(),
        matched: classification.matched.map(|m| Matched {
            href: paths.type_page(&m.id),
            name: m.name,
            id: m.id,
            version: m.version,
        }),
        matched_by: classification.matched_by.and_then(|m| {
            serde_json::to_value(m)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
        }),
        conforms: classification.conforms,
        problems: classification
            .problems
            .into_iter()
            .map(|p| ProblemView {
                code: p.code,
                message: p.message,
            })
            .collect(),
        actions: classification
            .actions
            .into_iter()
            .map(|a| ActionView {
                copy_id: format!("action-{}", a.id),
                label: a.label,
                command: a.command,
            })
            .collect(),
    }
}
