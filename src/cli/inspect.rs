//! `typehouse inspect`: what a registry holds, every manifest classified, as a tree or JSON.

use std::io::IsTerminal;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{EXIT_PROBLEMS, RegistryArgs, credentials_for, usage_error, write_stdout};
use crate::oci::inspect::{Artifact, Connection, Listing, Progress, Target};

/// Listings with more tags than this show a progress bar (on a terminal only).
const PROGRESS_FROM_TAGS: u64 = 8;

/// How `inspect` prints its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InspectFormat {
    /// A tree: one line per artifact, its actions under it.
    Table,
    /// The listing as JSON, for scripts.
    Json,
}

/// Options of `typehouse inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// What to inspect: REGISTRY/REPOSITORY (every tag), REGISTRY/REPOSITORY:TAG or
    /// REGISTRY/REPOSITORY@DIGEST.
    pub reference: Target,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: InspectFormat,
    /// Catalog directory (default: the built-in catalog).
    #[arg(long, env = "TYPEHOUSE_TYPES")]
    pub types: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// A progress bar on standard error, drawn only where standard error is a terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn total(&self, tags: u64) {
        if tags >= PROGRESS_FROM_TAGS && std::io::stderr().is_terminal() {
            self.0.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.0.set_length(tags);
    }

    fn done(&self, tag: &str) {
        self.0.set_message(tag.to_string());
        self.0.inc(1);
    }
}

pub fn run(args: InspectArgs) -> ExitCode {
    let catalog = match super::load_catalog(args.types.as_deref()) {
        Ok(catalog) => catalog,
        Err(code) => return code,
    };
    let target = args.reference;
    let credentials = match credentials_for(&target.registry, &args.registry) {
        Ok(credentials) => credentials,
        Err(code) => return code,
    };
    let connection = Connection::new(&target.registry, args.registry.plain_http, credentials);
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} tags {wide_bar} {msg}")
            .expect("the template parses"),
    );
    let progress = Bar(bar);
    let listing = crate::oci::inspect(&catalog, &target, connection, &progress);
    progress.0.finish_and_clear();
    let listing = match listing {
        Ok(listing) => listing,
        Err(error) => return usage_error(&error.to_string()),
    };
    let written = match args.format {
        InspectFormat::Json => {
            let mut json = serde_json::to_vec_pretty(&listing).expect("a listing serializes");
            json.push(b'\n');
            write_stdout(&json)
        }
        InspectFormat::Table => write_stdout(render_tree(&listing).as_bytes()),
    };
    if written != ExitCode::SUCCESS {
        return written;
    }
    if !listing.complete() {
        ExitCode::from(super::EXIT_USAGE)
    } else if !listing.conforms() {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// The listing as a tree: the repository, then each artifact with its children, referrers
/// and actions indented under it.
pub fn render_tree(listing: &Listing) -> String {
    let mut out = format!("{}/{}\n", listing.registry, listing.repository);
    if listing.artifacts.is_empty() {
        out.push_str("  (no tags)\n");
    }
    let count = listing.artifacts.len();
    for (i, artifact) in listing.artifacts.iter().enumerate() {
        render_node(&mut out, artifact, "", i + 1 == count, false);
    }
    out
}

fn render_node(out: &mut String, artifact: &Artifact, prefix: &str, last: bool, referrer: bool) {
    let (branch, next) = if last {
        ("└── ", "    ")
    } else {
        ("├── ", "│   ")
    };
    out.push_str(prefix);
    out.push_str(branch);
    if referrer {
        out.push_str("referrer  ");
    }
    out.push_str(&headline(artifact));
    out.push('\n');
    let inner = format!("{prefix}{next}");
    let below = artifact.children.len() + artifact.referrers.len();
    let detail_prefix = if below > 0 {
        format!("{inner}│   ")
    } else {
        format!("{inner}    ")
    };
    for line in details(artifact) {
        out.push_str(&detail_prefix);
        out.push_str(&line);
        out.push('\n');
    }
    let mut index = 0;
    for child in &artifact.children {
        index += 1;
        render_node(out, child, &inner, index == below, false);
    }
    for referrer in &artifact.referrers {
        index += 1;
        render_node(out, referrer, &inner, index == below, true);
    }
}

/// `TAGS  TYPE NAME (id version)  conforms  digest`.
fn headline(artifact: &Artifact) -> String {
    let mut words = Vec::new();
    if let Some(platform) = &artifact.platform {
        words.push(platform.clone());
    }
    if !artifact.tags.is_empty() {
        words.push(artifact.tags.join(", "));
    }
    let short = artifact
        .digest
        .split_once(':')
        .map(|(algorithm, hex)| format!("{algorithm}:{}", &hex[..hex.len().min(12)]))
        .unwrap_or_else(|| artifact.digest.clone());
    words.push(short);
    match (&artifact.classification, &artifact.error) {
        (_, Some(_)) => words.push("error".into()),
        (Some(classification), None) => {
            let matched = &classification["type"];
            match matched["id"].as_str() {
                Some(id) => words.push(format!(
                    "{} ({id} {})",
                    matched["name"].as_str().unwrap_or(id),
                    matched["version"].as_str().unwrap_or_default()
                )),
                None => words.push("unknown type".into()),
            }
            words.push(
                if artifact.conforms() {
                    "conforms"
                } else {
                    "does not conform"
                }
                .into(),
            );
        }
        (None, None) => {}
    }
    words.join("  ")
}

/// The problems, the error and the actions, one per line.
fn details(artifact: &Artifact) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(error) = &artifact.error {
        lines.push(format!("! {error}"));
    }
    if let Some(classification) = &artifact.classification {
        if let Some(problems) = classification["problems"].as_array() {
            for problem in problems {
                lines.push(format!(
                    "! {}: {}",
                    problem["code"].as_str().unwrap_or_default(),
                    problem["message"].as_str().unwrap_or_default()
                ));
            }
        }
        if let Some(actions) = classification["actions"].as_array() {
            for action in actions {
                lines.push(format!(
                    "$ {}",
                    action["command"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    lines
}
