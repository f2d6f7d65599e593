//! The `catalyst` command: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use catalyst::{
    app::{self, shutdown_signal, Application},
    config::Settings,
    db, schema, telemetry,
};

/// Catalyst: a GraphQL backend for users, projects, tasks, reactions, bookmarks and pipelines.
///
/// Configuration comes from environment variables (and a `.env` file when present); see
/// README.md for the full list.
#[derive(Parser)]
#[command(name = "catalyst", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default): creates the database if missing, runs pending migrations,
    /// then listens on BIND_ADDR for GraphQL over HTTP and WebSocket at /graphql, the
    /// playground at /playground, health at /health/live and /health/ready, and /metrics.
    Serve,
    /// Create the database if missing and run pending migrations, then exit.
    Migrate,
    /// Run pipeline workers only (WORKER_CONCURRENCY of them, at least 1): claim queued runs
    /// from the database and execute them, until SIGINT or SIGTERM.
    Worker,
    /// Print the GraphQL schema (SDL) to standard output; `schema.graphql` is this output.
    Schema,
    /// Ask the server on BIND_ADDR's port whether it is ready (`/health/ready`); exit 0 if
    /// so, 1 if not. The container image's health check: the image has no curl.
    Health,
}

/// mimalloc: measurably less memory than the system allocator for what Catalyst holds most of,
/// many small long-lived allocations per open subscription (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for configuration errors, distinct from runtime failures (1).
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", schema::schema_sdl());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let trace_export =
        match telemetry::init_tracing_with(settings.log_format, settings.traces.as_ref()) {
            Ok(export) => export,
            Err(error) => {
                eprintln!("catalyst: could not start the trace export: {error:#}");
                return ExitCode::FAILURE;
            }
        };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Migrate => migrate(&settings).await,
            Command::Worker => app::run_worker(settings, shutdown_signal()).await,
            Command::Health => check_health(&settings).await,
            Command::Serve | Command::Schema => serve(settings).await,
        }
    });
    // Flushes the spans still batched before the process ends.
    drop(trace_export);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("catalyst: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    db::create_database_if_missing(&settings.database_url).await?;
    let applied = db::run_migrations(&settings.database_url).await?;
    tracing::info!(count = applied.len(), migrations = ?applied, "migrations complete");
    Ok(())
}

async fn check_health(settings: &Settings) -> anyhow::Result<()> {
    let url = format!(
        "http://127.0.0.1:{}/health/ready",
        settings.bind_addr.port()
    );
    let response = reqwest::Client::new()
        .get(&url)
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let application = Application::build(settings).await?;
    let address = application.local_addr();
    tracing::info!("GraphQL API:  http://{address}/graphql (WebSocket: ws://{address}/graphql)");
    tracing::info!("Playground:   http://{address}/playground");
    application.run_until_stopped(shutdown_signal()).await
}
