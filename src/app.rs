//! Assembles a runnable server from settings: database ready, pool open, schema built, port
//! bound. Tests build one on port 0 and read `port()`; `main` runs it until a signal arrives.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    auth::{session_memo::SessionMemo, tokens::TokenKeys},
    config::{SecretSource, Settings},
    db,
    events::{bus::LogFallback, EventBus},
    graphql::persisted::PersistedDocuments,
    http,
    limits::{RateLimiter, RedisLink, SubscriptionSlots},
    pipelines::pool::WorkerPool,
    schema::build_schema,
    state::{AppServices, AppState},
    telemetry::Metrics,
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    lifecycle: Lifecycle,
}

/// The two steps of a shutdown, as the parts of the process watch them: `draining` (readiness
/// says 503, everything else still works) and `shutdown` (streams close, workers stop claiming).
struct Lifecycle {
    draining: watch::Sender<bool>,
    shutdown: watch::Sender<bool>,
}

/// Database ready, pool open, bus connected: what both `serve` and `worker` need.
async fn prepare(settings: &Settings) -> anyhow::Result<(AppState, Lifecycle)> {
    if settings.jwt_secret_source == SecretSource::GeneratedForThisProcess {
        tracing::warn!(
            "JWT_SECRET is not set: using a random secret for this process; \
             tokens (and TOTP secrets enrolled without TOTP_ENCRYPTION_KEY) will not \
             survive a restart or work across instances"
        );
    }
    prepare_database(settings).await?;
    let statements = db::StatementCounter::default();
    let pool = db::build_pool(
        &settings.database_url,
        settings.database_pool_size,
        settings.database_statement_timeout,
        statements.clone(),
    )
    .await?;
    let redis = settings
        .redis_url
        .as_deref()
        .map(redis::Client::open)
        .transpose()
        .context("REDIS_URL is not a valid Redis URL")?;
    let metrics = Arc::new(Metrics::new()?);
    metrics.observe_pool(pool.clone());
    metrics.observe_statements(statements.clone());
    let (shutdown_sender, shutdown) = watch::channel(false);
    let (draining_sender, draining) = watch::channel(false);
    let events = match &redis {
        Some(client) => EventBus::with_redis(
            settings.event_buffer,
            client.clone(),
            shutdown.clone(),
            LogFallback {
                pool: pool.clone(),
                interval: settings.event_fallback_poll,
            },
        ),
        None => EventBus::in_process(settings.event_buffer),
    };
    let sessions = Arc::new(SessionMemo::new(
        settings.account_security.session_memo,
        events.subscription_state(),
    ));
    events.observe(sessions.clone());
    let redis_link = redis
        .clone()
        .map(|client| RedisLink::new(client, &settings.abuse.rate.redis_key_prefix));
    let persisted = PersistedDocuments::load(&settings.abuse.persisted, redis_link.clone())?;
    let state = AppState::new(AppServices {
        pool,
        redis,
        keys: Arc::new(TokenKeys::new(
            &settings.jwt_secret,
            settings.access_token_ttl,
        )),
        sessions,
        settings: Arc::new(settings.clone()),
        metrics,
        events,
        statements,
        limiter: RateLimiter::new(redis_link.clone()),
        subscriptions: SubscriptionSlots::new(
            redis_link,
            settings.abuse.rate.subscription_lease,
            shutdown.clone(),
        ),
        persisted,
        shutdown,
        draining,
    });
    let lifecycle = Lifecycle {
        draining: draining_sender,
        shutdown: shutdown_sender,
    };
    Ok((state, lifecycle))
}

/// Brings the database to this build's schema, or (with `MIGRATE_ON_START=false`, when a
/// migration Job owns that) refuses to start on one that is behind: a replica must never serve
/// a schema its code does not expect.
async fn prepare_database(settings: &Settings) -> anyhow::Result<()> {
    if !settings.migrate_on_start {
        let pending = db::pending_migrations(&settings.database_url).await?;
        if !pending.is_empty() {
            anyhow::bail!(
                "the database is behind this build by {} migration(s) ({}) and MIGRATE_ON_START \
                 is false: run `catalyst migrate` first",
                pending.len(),
                pending.join(", ")
            );
        }
        return Ok(());
    }
    db::create_database_if_missing(&settings.database_url).await?;
    let applied = db::run_migrations(&settings.database_url).await?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    Ok(())
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (state, lifecycle) = prepare(&settings).await?;
        let schema = build_schema(state.clone())?;
        let router = http::router(state.clone(), schema)?;
        let listener = TcpListener::bind(settings.bind_addr)
            .await
            .with_context(|| format!("could not listen on {}", settings.bind_addr))?;
        Ok(Application {
            listener,
            router,
            state,
            lifecycle,
        })
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has a local address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `stop` completes, then shuts down in the order a load balancer needs:
    /// readiness turns 503 at once while the listener still accepts (the drain delay); then
    /// the listener closes, WebSockets close with 1012 (service restart) and SSE streams end so
    /// clients reconnect elsewhere and resume by cursor, in-flight requests and pipeline runs
    /// get the grace period, and runs still going after it are handed back to the queue.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = self.state.settings.shutdown_grace;
        let drain = self.state.settings.shutdown_drain;
        let lifecycle = self.lifecycle;
        let mut stopping = lifecycle.shutdown.subscribe();
        let signal = async move {
            stop.await;
            let _ = lifecycle.draining.send(true);
            if !drain.is_zero() {
                tracing::info!(?drain, "shutting down: readiness is 503; draining");
                tokio::time::sleep(drain).await;
            }
            tracing::info!("shutting down: listener closed; finishing in-flight requests");
            let _ = lifecycle.shutdown.send(true);
        };
        let connections = http::Connections::new(self.router, self.state.metrics.clone());
        let server = axum::serve(http::DetachableListener(self.listener), connections)
            .with_graceful_shutdown(signal);
        // Workers live in this future: if it is dropped, they stop at once, and their runs are
        // claimed again by other workers once their leases lapse.
        let workers = WorkerPool::spawn(
            &self.state,
            self.state.settings.pipelines.worker_concurrency,
        );
        // One grace period for requests and runs together, from the moment the listener
        // closes: drain + grace is what `terminationGracePeriodSeconds` must cover.
        let grace_ends = Arc::new(std::sync::OnceLock::new());
        let deadline = {
            let grace_ends = grace_ends.clone();
            async move {
                let _ = stopping.wait_for(|stopping| *stopping).await;
                let ends = *grace_ends.get_or_init(|| tokio::time::Instant::now() + grace);
                tokio::time::sleep_until(ends).await;
            }
        };
        let metrics = self.state.metrics.clone();
        let served = async move {
            server.await.context("server error")?;
            // The server is done with its connections, but not with the WebSockets it
            // upgraded or the event streams it let go: they are sending their 1012 closes and
            // final chunks, which must leave before we exit.
            metrics.off_server_connections_closed().await;
            anyhow::Ok(())
        };
        tokio::select! {
            result = served => result?,
            _ = deadline => tracing::warn!("grace period over; dropping remaining connections"),
        }
        let ends = *grace_ends.get_or_init(|| tokio::time::Instant::now() + grace);
        workers
            .finish(ends.saturating_duration_since(tokio::time::Instant::now()))
            .await;
        tracing::info!("shut down");
        Ok(())
    }
}

/// Runs pipeline workers only (`catalyst worker`) until `stop` completes; then they get the
/// grace period, and the runs still going after it are handed back to the queue.
pub async fn run_worker(
    settings: Settings,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let concurrency = settings.pipelines.worker_concurrency.max(1);
    let grace = settings.shutdown_grace;
    let (state, lifecycle) = prepare(&settings).await?;
    let workers = WorkerPool::spawn(&state, concurrency);
    tracing::info!(concurrency, "pipeline workers started");
    stop.await;
    let _ = lifecycle.shutdown.send(true);
    workers.finish(grace).await;
    tracing::info!("shut down");
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
