//! The `typehouse` command line: parses arguments and runs one command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::catalog::check::{self, OutputFormat};
use crate::catalog::classify;
use crate::catalog::reference::{Reference, ReferenceInput};
use crate::catalog::{Catalog, CatalogFiles, Resolution};
use crate::http::startup::StartError;
use crate::http::{Application, ServeConfig};
use crate::oci::{self, CatalogReference, Credentials, OciError, Remote};
use crate::service::CatalogSource;

mod inspect;

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
    /// Export the static site: the HTML pages, index.json, one JSON file per type and version,
    /// and the assets, for any static host or CDN.
    Build {
        /// Catalog directory (default: the built-in catalog).
        #[arg(long, env = "TYPEHOUSE_TYPES")]
        types: Option<PathBuf>,
        /// Where to write the site (created if missing; files already there are overwritten).
        #[arg(long)]
        out: PathBuf,
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
    /// Work with the submissions stored in a data directory.
    Submissions {
        #[command(subcommand)]
        command: SubmissionsCommand,
    },
    /// Push the catalog to an OCI registry as an artifact of typehouse's own type
    /// (`typehouse/catalog`). Exit 1 if the catalog has errors, 2 on usage or registry errors.
    Publish(PublishArgs),
    /// Pull a published catalog into a new directory, verifying every blob's digest.
    /// Exit 1 if the artifact is not a valid catalog or a digest does not match, 2 on usage or
    /// registry errors.
    Pull(PullArgs),
    /// List what a registry holds, every manifest classified: its type, whether it conforms,
    /// an index's platforms, the referrers under their subject, the actions filled in.
    /// Exit 1 if an artifact does not conform, 2 on usage or registry errors.
    Inspect(inspect::InspectArgs),
    /// Print a completion script for a shell, for example
    /// `typehouse completions bash > /etc/bash_completion.d/typehouse`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for example `typehouse man | man -l -`.
    Man {
        /// Write one page per command (`typehouse.1`, `typehouse-check.1`, ...) into this
        /// directory instead.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// How to reach a registry: the options `publish`, `pull` and `serve --from` share.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// Talk plain HTTP to the registry instead of TLS (for a registry on loopback).
    #[arg(long)]
    pub plain_http: bool,
    /// Registry user name; the password is read from standard input (--password-stdin).
    /// Without it, credentials come from the Docker config file ($DOCKER_CONFIG/config.json
    /// or ~/.docker/config.json), its credential helpers (credHelpers, credsStore) included,
    /// else the registry is used anonymously.
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
}

/// Options of `typehouse publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Where to push: REGISTRY/REPOSITORY:TAG.
    pub reference: CatalogReference,
    /// Catalog directory to publish (default: the built-in catalog).
    #[arg(long, env = "TYPEHOUSE_TYPES")]
    pub types: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Options of `typehouse pull`.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// What to pull: REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@DIGEST.
    pub reference: CatalogReference,
    /// The catalog directory to create; it must not exist or be empty.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
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
    #[arg(long, env = "TYPEHOUSE_WORKERS",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub workers: Option<usize>,
    /// A listener per worker on the bound port, each new connection going to the worker of
    /// the core its first packet arrived on (Linux, more than one worker). For connections
    /// that arrive on every core; see docs/operations.md.
    #[arg(long, env = "TYPEHOUSE_CONNECTIONS_BY_CPU")]
    pub connections_by_cpu: bool,
    /// Submissions waiting for review at most; past it new ones get 429.
    #[arg(long, env = "TYPEHOUSE_MAX_PENDING", default_value_t = crate::store::DEFAULT_MAX_PENDING)]
    pub max_pending: usize,
    /// New submissions per client address and minute (0: no limit).
    #[arg(long, env = "TYPEHOUSE_SUBMISSIONS_PER_MINUTE", default_value_t = 30)]
    pub submissions_per_minute: u32,
    /// Checks of definitions (dry runs, submissions, the submit form's Check) per client
    /// address and minute (0: no limit).
    #[arg(long, env = "TYPEHOUSE_CHECKS_PER_MINUTE", default_value_t = crate::http::DEFAULT_CHECKS_PER_MINUTE)]
    pub checks_per_minute: u32,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client, as
    /// address ranges: 10.0.0.0/8,fd00::/8. From any other peer those headers are ignored.
    #[arg(long, env = "TYPEHOUSE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<crate::http::Cidr>,
    /// The service's public base URL, shown in the API page's examples
    /// (https://types.example.com). Never taken from a request's `Host`.
    #[arg(long, env = "TYPEHOUSE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Days a submission waits for review (pending) or stays readable (invalid) before it is
    /// removed; 0 keeps them until reviewed.
    #[arg(long, env = "TYPEHOUSE_PENDING_EXPIRY_DAYS", default_value_t = 30)]
    pub pending_expiry_days: u64,
    /// Serve a catalog published with `typehouse publish`: REGISTRY/REPOSITORY:TAG. Pulled
    /// (digests verified) at start and again on SIGHUP.
    #[arg(long, env = "TYPEHOUSE_FROM", conflicts_with = "types")]
    pub from: Option<CatalogReference>,
    /// A registry to list under /registries/NAME: NAME=URL, as in
    /// hub=https://registry.example.com (http:// for plain HTTP); repeat it, or give several
    /// separated by commas. Credentials come from the Docker config file. No other registry is
    /// ever contacted.
    #[arg(
        long = "registry",
        value_name = "NAME=URL",
        env = "TYPEHOUSE_REGISTRIES",
        value_delimiter = ','
    )]
    pub registries: Vec<crate::oci::registries::RegistryConfig>,
    /// Manifest pushes (from registries' notifications, POST /hooks/registries/NAME, with the
    /// bearer token in TYPEHOUSE_HOOK_TOKEN) waiting to be classified at most; past it a
    /// notification gets 503 and the registry sends it again.
    #[arg(long, env = "TYPEHOUSE_HOOK_QUEUE", default_value_t = crate::http::hooks::DEFAULT_HOOK_QUEUE)]
    pub hook_queue: usize,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `typehouse submissions ...`
#[derive(Debug, Subcommand)]
pub enum SubmissionsCommand {
    /// Write every approved submission into a catalog directory (a copy of types/), ready to
    /// check and commit.
    Export {
        /// Data directory (the sled database of submissions).
        #[arg(long, env = "TYPEHOUSE_DATA", default_value = "typehouse-data")]
        data: PathBuf,
        /// The catalog directory to write into.
        #[arg(long)]
        out: PathBuf,
    },
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
        Command::Build { types, out } => run_build(types.as_deref(), &out),
        Command::Validate { key, file, types } => run_validate(&key, &file, types.as_deref()),
        Command::Classify {
            file,
            types,
            registry,
            repository,
            tag,
            digest,
        } => {
            let input = ReferenceInput {
                registry,
                repository,
                tag,
                digest,
            };
            match Reference::parse(&input) {
                Ok(reference) => run_classify(&file, types.as_deref(), &reference),
                Err(invalid) => usage_error(&invalid.to_string()),
            }
        }
        Command::Submissions {
            command: SubmissionsCommand::Export { data, out },
        } => run_submissions_export(&data, &out),
        Command::Publish(args) => run_publish(args),
        Command::Pull(args) => run_pull(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Completions { shell } => run_completions(shell),
        Command::Man { out } => run_man(out.as_deref()),
    }
}

fn run_completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "typehouse", &mut script);
    write_stdout(&script)
}

/// `typehouse(1)` on standard output, or with `out` one page per command written there
/// (`typehouse.1`, `typehouse-check.1`, ...), as packagers install them.
fn run_man(out: Option<&Path>) -> ExitCode {
    let command = Cli::command();
    if let Some(dir) = out {
        let written =
            std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(command, dir));
        return match written {
            Ok(()) => {
                println!("wrote the manual pages to {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(error) => usage_error(&format!(
                "cannot write the manual pages to {}: {error}",
                dir.display()
            )),
        };
    }
    let mut page = Vec::new();
    if let Err(error) = clap_mangen::Man::new(command).render(&mut page) {
        return usage_error(&format!("cannot render the manual page: {error}"));
    }
    write_stdout(&page)
}

/// Writes `bytes` to standard output; a closed pipe (`typehouse man | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => usage_error(&format!("cannot write to standard output: {error}")),
    }
}

fn parse_cidr(text: &str) -> Result<crate::http::Cidr, String> {
    text.parse()
}

/// An absolute http(s) URL with no query or fragment; the trailing slash is dropped.
fn parse_public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or("the public URL starts with https:// (or http://)")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "?#\"'<>`\\".contains(c))
    {
        return Err(format!(
            "`{text}` is not a base URL: write it as https://types.example.com[/path]"
        ));
    }
    Ok(text.to_string())
}

fn run_serve(args: ServeArgs) -> ExitCode {
    let source = match (args.types, args.from) {
        (Some(dir), _) => CatalogSource::Directory(dir),
        (None, Some(reference)) => match remote(reference, &args.registry) {
            Ok(remote) => CatalogSource::Remote(std::sync::Arc::new(remote)),
            Err(code) => return code,
        },
        (None, None) => CatalogSource::Embedded,
    };
    let mut config = ServeConfig::new(source);
    config.bind = args.bind;
    config.data = args.data;
    config.workers = args.workers;
    config.connections_by_cpu = args.connections_by_cpu;
    config.max_pending = args.max_pending;
    config.submissions_per_minute = args.submissions_per_minute;
    config.checks_per_minute = args.checks_per_minute;
    config.trusted_proxies = args.trusted_proxies;
    config.public_url = args.public_url;
    config.registries = args.registries;
    config.hook_queue = args.hook_queue;
    // Like the review token: from the environment only, never on a command line.
    config.hook_token = std::env::var("TYPEHOUSE_HOOK_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    config.pending_expiry = (args.pending_expiry_days > 0).then(|| {
        std::time::Duration::from_secs(args.pending_expiry_days.saturating_mul(24 * 3600))
    });
    // The token is read from the environment only, so it never shows in process listings.
    config.review_token = std::env::var("TYPEHOUSE_REVIEW_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let outcome = actix_web::rt::System::new().block_on(async move {
        let application = match Application::start(config).await {
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
    // The process ends next, which frees everything at once; freeing a large catalog's files
    // one by one first took a fiftieth of the check.
    std::mem::forget((files, base_files));
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
    let version = match wanted.map(|w| entry.select(w)) {
        None => entry.latest(),
        Some(Ok(Some(version))) => version,
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
    let published = match catalog.published(version) {
        Ok(published) => published,
        Err(error) => return usage_error(&error.to_string()),
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

fn run_publish(args: PublishArgs) -> ExitCode {
    let files = match &args.types {
        Some(dir) => match CatalogFiles::read_dir(dir) {
            Ok(files) => files,
            Err(error) => return usage_error(&format!("cannot read {}: {error}", dir.display())),
        },
        None => CatalogFiles::embedded(),
    };
    let remote = match remote(args.reference, &args.registry) {
        Ok(remote) => remote,
        Err(code) => return code,
    };
    match oci::publish(&files, &remote) {
        Ok(published) => {
            println!("Pushed {}", remote.reference);
            println!(
                "Catalog: {} {} ({} types)",
                published.config.name, published.config.version, published.config.types
            );
            println!("Digest: {}", published.digest);
            ExitCode::SUCCESS
        }
        Err(error) => oci_error(error),
    }
}

fn run_pull(args: PullArgs) -> ExitCode {
    let out = &args.out;
    let occupied = std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some());
    if occupied || (out.exists() && !out.is_dir()) {
        return usage_error(&format!(
            "{} exists and is not an empty directory; pull into a new one",
            out.display()
        ));
    }
    let remote = match remote(args.reference, &args.registry) {
        Ok(remote) => remote,
        Err(code) => return code,
    };
    let pulled = match oci::pull(&remote) {
        Ok(pulled) => pulled,
        Err(error) => return oci_error(error),
    };
    if let Err(diagnostics) = Catalog::load(pulled.files.clone()) {
        return oci_error(OciError::InvalidCatalog(
            diagnostics.into_iter().filter(|d| d.is_error()).collect(),
        ));
    }
    if let Err(error) = write_new_dir(&pulled.files, out) {
        return usage_error(&format!("cannot write {}: {error}", out.display()));
    }
    println!("Pulled {}", remote.reference);
    println!(
        "Catalog: {} {} ({} types) in {}",
        pulled.config.name,
        pulled.config.version,
        pulled.config.types,
        out.display()
    );
    println!("Digest: {}", pulled.digest);
    ExitCode::SUCCESS
}

/// Writes `files` into a sibling temporary directory, then renames it to `out`, so that a
/// failed pull leaves no half-written catalog behind.
fn write_new_dir(files: &CatalogFiles, out: &Path) -> std::io::Result<()> {
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "catalog".into());
    let staging = parent.join(format!(".{name}.pulling-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let written = files.write_to(&staging).and_then(|()| {
        if out.is_dir() {
            std::fs::remove_dir(out)?; // empty, checked before the pull
        }
        std::fs::rename(&staging, out)
    });
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    written
}

/// The registry to talk to, with credentials from `--username`/`--password-stdin` or the
/// Docker config file.
fn remote(reference: CatalogReference, args: &RegistryArgs) -> Result<Remote, ExitCode> {
    let credentials = credentials_for(reference.registry(), args)?;
    Ok(Remote {
        reference,
        plain_http: args.plain_http,
        credentials,
    })
}

/// The credentials for `registry`: `--username` with the password on standard input, else
/// the Docker config file's.
fn credentials_for(registry: &str, args: &RegistryArgs) -> Result<Credentials, ExitCode> {
    match &args.username {
        Some(username) => {
            let mut password = String::new();
            if let Err(error) = std::io::stdin().read_line(&mut password) {
                return Err(usage_error(&format!(
                    "cannot read the password from standard input: {error}"
                )));
            }
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            if password.is_empty() {
                return Err(usage_error("--password-stdin read an empty password"));
            }
            Ok(Credentials::Basic {
                username: username.clone(),
                password,
            })
        }
        None => Credentials::from_docker_config(registry)
            .map_err(|error| usage_error(&error.to_string())),
    }
}

fn oci_error(error: OciError) -> ExitCode {
    match error {
        OciError::InvalidCatalog(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("{diagnostic}");
            }
            eprintln!(
                "typehouse: the catalog has {} error(s); run `typehouse check` on it",
                diagnostics.len()
            );
            ExitCode::from(EXIT_PROBLEMS)
        }
        error @ (OciError::Digest { .. }
        | OciError::Artifact(_)
        | OciError::BlobTooLarge { .. }) => {
            eprintln!("typehouse: {error}");
            ExitCode::from(EXIT_PROBLEMS)
        }
        error => usage_error(&error.to_string()),
    }
}

fn run_build(types: Option<&Path>, out: &Path) -> ExitCode {
    let catalog = match load_catalog(types) {
        Ok(catalog) => catalog,
        Err(code) => return code,
    };
    match crate::site::build(catalog, out) {
        Ok(built) => {
            println!(
                "wrote {} files ({} pages) to {}",
                built.files,
                built.pages,
                out.display()
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

fn run_submissions_export(data: &Path, out: &Path) -> ExitCode {
    let store = match crate::store::Store::open_existing(data) {
        Ok(store) => store,
        Err(error @ crate::store::StoreError::Locked(_)) => {
            return usage_error(&format!(
                "{error}: a running `typehouse serve` holds the store locked. Stop the server, export, then start it again (see docs/submissions.md)"
            ));
        }
        Err(error) => return usage_error(&error.to_string()),
    };
    let approved = match store.list(
        Some(crate::submission::ReviewState::Approved),
        0,
        usize::MAX,
    ) {
        Ok(page) => page.items,
        Err(error) => return usage_error(&error.to_string()),
    };
    match crate::submission::export(&approved, out) {
        Ok(exported) => {
            let mut written = 0;
            for outcome in &exported {
                match outcome {
                    crate::submission::Exported::Written(path) => {
                        written += 1;
                        println!("wrote {path}");
                    }
                    crate::submission::Exported::Unchanged(path) => {
                        println!("unchanged {path}");
                    }
                }
            }
            println!(
                "{written} file(s) written, {} already present; run `typehouse check {}`",
                exported.len() - written,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(error @ crate::submission::ExportError::Conflicts(_)) => {
            eprintln!("typehouse: {error}");
            ExitCode::from(EXIT_PROBLEMS)
        }
        Err(error) => usage_error(&error.to_string()),
    }
}
