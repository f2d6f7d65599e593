//! PostgreSQL access: the bb8 pool of diesel-async connections, database creation and the
//! embedded migrations. Feature stores receive connections from here and never build their own.

pub mod schema;
pub mod statement;
mod stored_enum;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::Context;
use diesel::{
    connection::{Instrumentation, InstrumentationEvent},
    ConnectionError,
};
use diesel_async::{
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{
        bb8::Pool, AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
    },
    AsyncConnection, AsyncPgConnection, RunQueryDsl,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use futures_util::{future::BoxFuture, FutureExt};

use crate::traces::StatementSpans;

pub type DbPool = Pool<AsyncPgConnection>;
pub type PooledConnection<'a> =
    bb8::PooledConnection<'a, AsyncDieselConnectionManager<AsyncPgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Counts every SQL statement the pool's connections run: exported as a metric, and how tests
/// prove a nested query costs a bounded number of statements.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn total(&self) -> u64 {
        AtomicU64::load(&self.0, Ordering::Relaxed)
    }
}

/// Counts each statement and, when traces are exported, gives it a span.
struct CountStatements(StatementCounter, StatementSpans);

impl Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                self.0 .0.fetch_add(1, Ordering::Relaxed);
                self.1.start(query);
            }
            InstrumentationEvent::FinishQuery { error, .. } => self.1.finish(error.is_some()),
            _ => {}
        }
    }
}

/// Any 64-bit constant works; it only has to be the same for every instance migrating at once.
const MIGRATION_LOCK_KEY: i64 = 0x0CA7_A1A5_0000_0001;

/// Builds the pool; every connection gets the statement timeout before it is handed out, so
/// one runaway query cannot hold a connection forever.
pub async fn build_pool(
    database_url: &str,
    size: u32,
    statement_timeout: Duration,
    statements: StatementCounter,
) -> anyhow::Result<DbPool> {
    let timeout_ms = statement_timeout.as_millis();
    let mut config = ManagerConfig::default();
    config.custom_setup =
        Box::new(move |url| establish_with_timeout(url, timeout_ms, statements.clone()).boxed());
    // The checkout test asks no query of the server: it only looks whether the connection's
    // socket is still open. A connection the server closed (a terminated backend, a restart)
    // is then replaced at checkout instead of failing the request that drew it.
    config.recycling_method = RecyclingMethod::CustomFunction(Box::new(|connection| {
        let broken = connection.is_broken();
        async move {
            if broken {
                Err(diesel::result::Error::BrokenTransactionManager)
            } else {
                Ok(())
            }
        }
        .boxed()
    }));
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    let pool = Pool::builder()
        .max_size(size)
        .min_idle(Some(1.min(size)))
        .connection_timeout(Duration::from_secs(5))
        // The checkout test is the socket check above, not a `SELECT 1` round trip per request.
        .test_on_check_out(true)
        .build(manager)
        .await
        .context("could not open the database pool")?;
    Ok(pool)
}

fn establish_with_timeout(
    url: &str,
    timeout_ms: u128,
    statements: StatementCounter,
) -> BoxFuture<'_, Result<AsyncPgConnection, ConnectionError>> {
    async move {
        let mut connection = AsyncPgConnection::establish(url).await?;
        diesel::sql_query(format!("SET statement_timeout = {timeout_ms}"))
            .execute(&mut connection)
            .await
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        // Counting starts after setup: opening a connection is not work a request asked for.
        connection.set_instrumentation(CountStatements(statements, StatementSpans::default()));
        Ok(connection)
    }
    .boxed()
}

/// Creates the database named in `database_url` when it does not exist yet, so a newcomer's
/// first `catalyst serve` works on a PostgreSQL that has never seen Catalyst.
pub async fn create_database_if_missing(database_url: &str) -> anyhow::Result<()> {
    let mut url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let name = url.path().trim_start_matches('/').to_string();
    url.set_path("/postgres");
    let mut admin = AsyncPgConnection::establish(url.as_str())
        .await
        .context("could not connect to PostgreSQL (the `postgres` maintenance database)")?;

    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let found: Exists =
        diesel::sql_query("SELECT EXISTS(SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(&name)
            .get_result(&mut admin)
            .await?;
    if found.exists {
        return Ok(());
    }
    let statement = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match diesel::sql_query(statement).execute(&mut admin).await {
        Ok(_) => {
            tracing::info!(database = %name, "created database");
            Ok(())
        }
        // Another instance created it between our check and our CREATE.
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("already exists") =>
        {
            Ok(())
        }
        Err(error) => Err(error).context("could not create the database"),
    }
}

/// Runs pending migrations under an advisory lock so instances starting together take turns.
pub async fn run_migrations(database_url: &str) -> anyhow::Result<Vec<String>> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut connection =
            <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)
                .context("could not connect to run migrations")?;
        let lock = diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"));
        diesel::RunQueryDsl::execute(lock, &mut connection)?;
        let applied = connection
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| anyhow::anyhow!("migration failed: {error}"));
        let unlock = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
        diesel::RunQueryDsl::execute(unlock, &mut connection)?;
        applied
    })
    .await
    .context("migration task panicked")?
}

/// The embedded migrations the database has not applied yet, by name; the start-up check of
/// an instance that must not migrate (`MIGRATE_ON_START=false`).
pub async fn pending_migrations(database_url: &str) -> anyhow::Result<Vec<String>> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut connection =
            <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)
                .context("could not connect to check migrations")?;
        let pending = connection
            .pending_migrations(MIGRATIONS)
            .map_err(|error| anyhow::anyhow!("could not read the applied migrations: {error}"))?;
        Ok(pending
            .iter()
            .map(|migration| migration.name().to_string())
            .collect())
    })
    .await
    .context("migration check task panicked")?
}
