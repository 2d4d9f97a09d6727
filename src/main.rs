use std::process::ExitCode;

use clap::Parser;

/// See Cargo.toml: the catalog loader allocates a great deal, and glibc's malloc was a quarter
/// of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    typehouse::cli::run(typehouse::cli::Cli::parse())
}
