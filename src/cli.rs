//! The `typehouse` command line: parses arguments and runs one command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::catalog::check::{self, OutputFormat};
use crate::catalog::classify::{self, Reference};
use crate::catalog::{Catalog, CatalogFiles, Resolution};
use crate::http::reload::CatalogSource;
use crate::http::startup::StartError;
use crate::http::{Application, ServeConfig};

/// Exit code for problems found (check) or an invalid document (validate).
const EXIT_PROBLEMS: u8 = 1;
/// Exit code for usage and I/O errors.
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "typehouse",
    version,
    about = "A clearing house for well-known OCI artifact types"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the catalog over HTTP (the built-in catalog unless --types is given).
    Serve(ServeArgs),
    /// Check a catalog directory: every rule, every problem, with file and line.
    Check {
        /// The catalog directory.
        #[arg(default_value = "types")]
        dir: PathBuf,
        /// The catalog as it was before the change: enforces immutability, version order and
        /// config-schema compatibility.
        #[arg(long)]
        base: Option<PathBuf>,
        /// Output format; `github` prints GitHub Actions annotations.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Validate a config document (JSON) against a type's config schema.
    Validate {
        /// A type id (`cncf/helm-chart`) or media type, optionally `@VERSION` or `@REQUIREMENT`.
        key: String,
        /// The config document; `-` reads standard input.
        file: PathBuf,
        /// Catalog directory (default: the built-in catalog).
        #[arg(long, env = "TYPEHOUSE_TYPES")]
        types: Option<PathBuf>,
    },
    /// Classify a manifest or index (JSON) and print the answer as JSON.
    Classify {
        /// The manifest, or `{"manifest": ..., "config": ...}`; `-` reads standard input.
        file: PathBuf,
        /// Catalog directory (default: the built-in catalog).
        #[arg(long, env = "TYPEHOUSE_TYPES")]
        types: Option<PathBuf>,
        /// Registry host, to fill action templates.
        #[arg(long)]
        registry: Option<String>,
        /// Repository, to fill action templates.
        #[arg(long)]
        repository: Option<String>,
        /// Tag, to fill action templates.
        #[arg(long)]
        tag: Option<String>,
        /// Digest, to fill action templates.
        #[arg(long)]
        digest: Option<String>,
    },
}

/// Options of `typehouse serve`; each also reads an environment variable.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TYPEHOUSE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Catalog directory to serve, watched for changes (default: the built-in catalog).
    #[arg(long, env = "TYPEHOUSE_TYPES")]
    pub types: Option<PathBuf>,
    /// Data directory (the sled database of submissions).
    #[arg(long, env = "TYPEHOUSE_DATA", default_value = "typehouse-data")]
    pub data: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long, env = "TYPEHOUSE_WORKERS")]
    pub workers: Option<usize>,
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => run_serve(args),
        Command::Check {
            dir,
            base,
            format,
            deny_warnings,
        } => run_check(&dir, base.as_deref(), format, deny_warnings),
        Command::Validate { key, file, types } => run_validate(&key, &file, types.as_deref()),
        Command::Classify {
            file,
            types,
            registry,
            repository,
            tag,
            digest,
        } => {
            let reference = Reference {
                registry,
                repository,
                tag,
                digest,
            };
            run_classify(&file, types.as_deref(), &reference)
        }
    }
}

fn run_serve(args: ServeArgs) -> ExitCode {
    let source = match args.types {
        Some(dir) => CatalogSource::Directory(dir),
        None => CatalogSource::Embedded,
    };
    let mut config = ServeConfig::new(source);
    config.bind = args.bind;
    config.data = args.data;
    config.workers = args.workers;
    // The token is read from the environment only, so it never shows in process listings.
    config.review_token = std::env::var("TYPEHOUSE_REVIEW_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let outcome = actix_web::rt::System::new().block_on(async move {
        let application = match Application::build(config) {
            Ok(application) => application,
            Err(StartError::Invalid(count, diagnostics)) => {
                for diagnostic in &diagnostics {
                    eprintln!("{diagnostic}");
                }
                return Err(format!(
                    "the catalog has {count} error(s); run `typehouse check` on it"
                ));
            }
            Err(error) => return Err(error.to_string()),
        };
        tracing::info!(port = application.port(), "typehouse is serving");
        application
            .run_until_stopped()
            .await
            .map_err(|error| error.to_string())
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => usage_error(&message),
    }
}

fn run_check(
    dir: &Path,
    base: Option<&Path>,
    format: OutputFormat,
    deny_warnings: bool,
) -> ExitCode {
    let files = match CatalogFiles::read_dir(dir) {
        Ok(files) => files,
        Err(error) => return usage_error(&format!("cannot read {}: {error}", dir.display())),
    };
    let base_files = match base.map(CatalogFiles::read_dir).transpose() {
        Ok(base) => base,
        Err(error) => return usage_error(&format!("cannot read the base catalog: {error}")),
    };
    let diagnostics = check::check(&files, base_files.as_ref());
    let prefix = format!("{}/", dir.display().to_string().trim_end_matches('/'));
    print!("{}", check::render(&diagnostics, format, &prefix));
    let failed = diagnostics.iter().any(|d| d.is_error() || deny_warnings);
    if failed {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_validate(key: &str, file: &Path, types: Option<&Path>) -> ExitCode {
    let catalog = match load_catalog(types) {
        Ok(catalog) => catalog,
        Err(code) => return code,
    };
    let (key, wanted) = match key.rsplit_once('@') {
        Some((key, version)) => (key, Some(version)),
        None => (key, None),
    };
    let entry = match catalog.resolve(key) {
        Resolution::Type(entry) | Resolution::Alias(entry) => entry,
        Resolution::Ambiguous(entries) => {
            let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
            return usage_error(&format!(
                "`{key}` names several types ({}); use a type id",
                ids.join(", ")
            ));
        }
        Resolution::NotFound => return usage_error(&format!("no type `{key}` in the catalog")),
    };
    let published = match wanted.map(|w| entry.select(w)) {
        None => entry.latest(),
        Some(Ok(Some(published))) => published,
        Some(Ok(None)) => {
            return usage_error(&format!(
                "{} has no version matching `{}`",
                entry.id,
                wanted.unwrap_or_default()
            ));
        }
        Some(Err(error)) => {
            return usage_error(&format!(
                "bad version `{}`: {error}",
                wanted.unwrap_or_default()
            ));
        }
    };
    let Some(schema) = &published.config_schema else {
        return usage_error(&format!(
            "{} {} defines no config schema",
            entry.id,
            published.version()
        ));
    };
    let document = match read_json(file) {
        Ok(document) => document,
        Err(message) => return usage_error(&message),
    };
    let problems = schema.validate(&document);
    if problems.is_empty() {
        println!("valid: {} {}", entry.id, published.version());
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        println!(
            "{}: {} (schema {})",
            display_path(&problem.instance_path),
            problem.message,
            problem.schema_path
        );
    }
    println!(
        "invalid: {} problem(s) against {} {}",
        problems.len(),
        entry.id,
        published.version()
    );
    ExitCode::from(EXIT_PROBLEMS)
}

fn run_classify(file: &Path, types: Option<&Path>, reference: &Reference) -> ExitCode {
    let catalog = match load_catalog(types) {
        Ok(catalog) => catalog,
        Err(code) => return code,
    };
    let document = match read_json(file) {
        Ok(document) => document,
        Err(message) => return usage_error(&message),
    };
    match classify::classify(&catalog, &document, reference) {
        Ok(answer) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).expect("classification serializes")
            );
            ExitCode::SUCCESS
        }
        Err(error) => usage_error(&error.to_string()),
    }
}

fn display_path(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// The catalog at `types`, or the built-in one; a broken catalog is a usage error.
pub fn load_catalog(types: Option<&Path>) -> Result<Catalog, ExitCode> {
    let files = match types {
        Some(dir) => CatalogFiles::read_dir(dir)
            .map_err(|error| usage_error(&format!("cannot read {}: {error}", dir.display())))?,
        None => CatalogFiles::embedded(),
    };
    match Catalog::load(files) {
        Ok((catalog, _warnings)) => Ok(catalog),
        Err(diagnostics) => {
            for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
                eprintln!("{diagnostic}");
            }
            Err(usage_error(
                "the catalog has errors; run `typehouse check` on it",
            ))
        }
    }
}

fn read_json(file: &Path) -> Result<serde_json::Value, String> {
    let bytes = if file == Path::new("-") {
        let mut buffer = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buffer)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        buffer
    } else {
        std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?
    };
    serde_json::from_slice(&bytes).map_err(|e| format!("{} is not JSON: {e}", file.display()))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("typehouse: {message}");
    ExitCode::from(EXIT_USAGE)
}
