//! The submit form (`GET /submit`, and the answer to its `POST`) and a submission's status
//! page (`GET /submissions/{id}` for browsers). Only the service renders them.

use askama::Template;
use serde::Deserialize;

use super::{Layout, Paths, Section, render};
use crate::catalog::CatalogMeta;
use crate::submission::{Action, Evaluated, ReviewState, StoredDiagnostic, Submission};

/// The form's fields (`application/x-www-form-urlencoded`); `action` is `check` or `submit`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub definition: String,
    #[serde(default)]
    pub action: String,
}

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage {
    layout: Layout,
    action: String,
    form: SubmitForm,
    error: Option<String>,
    check: Option<CheckView>,
}

struct CheckView {
    passes: bool,
    path: Option<String>,
    diagnostics: Vec<DiagnosticView>,
}

struct DiagnosticView {
    severity: &'static str,
    rule: String,
    line: String,
    message: String,
}

#[derive(Template)]
#[template(path = "submission.html")]
struct StatusPage {
    layout: Layout,
    id: String,
    type_id: String,
    version: String,
    status: &'static str,
    badge: &'static str,
    path: Option<String>,
    created_at: String,
    diagnostics: Vec<DiagnosticView>,
    history: Vec<EventView>,
    content: String,
    file: Option<String>,
    patch: Option<String>,
    submit: Option<String>,
}

struct EventView {
    at: String,
    action: &'static str,
    who: String,
    reason: String,
}

/// The form, with the outcome of a check when it was sent: the diagnostics, or why the
/// definition could not be checked (or stored) at all.
pub fn render_submit_page(
    meta: Option<&CatalogMeta>,
    form: &SubmitForm,
    outcome: Option<Result<Evaluated, String>>,
    paths: &Paths,
) -> String {
    let (check, error) = match outcome {
        None => (None, None),
        Some(Ok(evaluated)) => (
            Some(CheckView {
                passes: evaluated.status == ReviewState::Pending,
                path: evaluated.path,
                diagnostics: diagnostics(&evaluated.diagnostics),
            }),
            None,
        ),
        Some(Err(error)) => (None, Some(error)),
    };
    let page = SubmitPage {
        layout: Layout::new(paths, meta, "Submit a type", Section::Submit),
        action: paths.submit().unwrap_or_default(),
        form: form.clone(),
        error,
        check,
    };
    render(&page)
}

/// A submission's status, checks, history and content; links to the file and patch once
/// approved.
pub fn render_status_page(
    meta: Option<&CatalogMeta>,
    submission: &Submission,
    paths: &Paths,
) -> String {
    let id = submission.id.to_string();
    let approved = submission.status == ReviewState::Approved;
    let page = StatusPage {
        layout: Layout::new(paths, meta, format!("Submission {id}"), Section::Submit),
        type_id: submission.type_id.as_str().to_string(),
        version: submission
            .version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        status: submission.status.as_str(),
        badge: match submission.status {
            ReviewState::Approved => "badge-active",
            ReviewState::Pending => "badge-draft",
            ReviewState::Invalid | ReviewState::Rejected => "badge-deprecated",
        },
        path: submission.path.clone(),
        created_at: submission.created_at.to_string(),
        diagnostics: diagnostics(&submission.diagnostics),
        history: submission
            .history
            .iter()
            .map(|event| EventView {
                at: event.at.to_string(),
                action: match event.action {
                    Action::Submitted => "submitted",
                    Action::Approved => "approved",
                    Action::Rejected => "rejected",
                },
                who: event.who.clone().unwrap_or_default(),
                reason: event.reason.clone().unwrap_or_default(),
            })
            .collect(),
        content: submission.content.clone(),
        file: approved.then(|| format!("{}/file", paths.submission(&id))),
        patch: approved.then(|| format!("{}/patch", paths.submission(&id))),
        submit: paths.submit(),
        id,
    };
    render(&page)
}

fn diagnostics(diagnostics: &[StoredDiagnostic]) -> Vec<DiagnosticView> {
    diagnostics
        .iter()
        .map(|d| DiagnosticView {
            severity: if d.is_error() { "error" } else { "warning" },
            rule: d.rule.clone(),
            line: d.line.map(|line| line.to_string()).unwrap_or_default(),
            message: d.message.clone(),
        })
        .collect()
}
