//! Logs, traces and metrics. Tracing is installed once per process (by `main`, or by tests
//! with `TEST_LOG=1`), with the OTLP trace export when configured; metrics live in a registry
//! per application so parallel test servers never mix.

use std::sync::{Arc, OnceLock};

use opentelemetry::{
    metrics::{
        Counter, Histogram, MeterProvider as _, ObservableCounter, ObservableGauge, UpDownCounter,
    },
    KeyValue,
};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

use crate::{
    config::{LogFormat, TraceSettings},
    db::{DbPool, StatementCounter},
    traces::{self, TraceExport},
};

/// Installs the global tracing subscriber. `RUST_LOG` overrides the default level.
pub fn init_tracing(format: LogFormat) {
    let _ = init_tracing_with(format, None);
}

/// Installs the global tracing subscriber and, given trace settings, the OTLP export that
/// every span then feeds. Keep the returned export alive until exit: dropping it flushes.
pub fn init_tracing_with(
    format: LogFormat,
    trace_settings: Option<&TraceSettings>,
) -> anyhow::Result<Option<TraceExport>> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(None);
    }
    let (exporter_layer, export) = match trace_settings {
        Some(settings) => {
            let (tracer, export) = traces::start_export(settings)?;
            (
                Some(tracing_opentelemetry::layer().with_tracer(tracer)),
                Some(export),
            )
        }
        None => (None, None),
    };
    INSTALLED.get_or_init(|| {
        let filter = EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,h2=warn,hyper=warn"));
        let registry = tracing_subscriber::registry()
            .with(filter)
            .with(exporter_layer);
        let _ = match format {
            LogFormat::Json => registry
                .with(fmt::layer().json().flatten_event(true))
                .try_init(),
            LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
        };
    });
    Ok(export)
}

/// The instruments Catalyst records, exported in Prometheus text format at `/metrics`.
pub struct Metrics {
    registry: prometheus::Registry,
    provider: SdkMeterProvider,
    http_requests: Counter<u64>,
    http_request_duration: Histogram<f64>,
    graphql_operations: Counter<u64>,
    open_websockets: UpDownCounter<i64>,
    open_detached_streams: UpDownCounter<i64>,
    /// Connections the HTTP server no longer sees: upgraded WebSockets and event streams
    /// written off hyper. Read at shutdown, which waits here for their closing frames (1012,
    /// the final chunk) to go out before the process ends.
    off_server_connections: tokio::sync::watch::Sender<usize>,
    predictor_attempts: Counter<u64>,
    pool_gauge: OnceLock<ObservableGauge<u64>>,
    statement_counter: OnceLock<ObservableCounter<u64>>,
}

/// One event stream written off the HTTP server, counted while it lives.
pub struct DetachedStream {
    metrics: Arc<Metrics>,
}

impl Drop for DetachedStream {
    fn drop(&mut self) {
        self.metrics.open_detached_streams.add(-1, &[]);
        self.metrics
            .off_server_connections
            .send_modify(|open| *open = open.saturating_sub(1));
    }
}

/// Request-latency buckets in seconds: fine below 100 ms where our requests should live.
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = prometheus::Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_target_info()
            .build()?;
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        let meter = provider.meter("catalyst");
        Ok(Metrics {
            http_requests: meter
                .u64_counter("http_requests")
                .with_description("HTTP requests by route and status")
                .build(),
            http_request_duration: meter
                .f64_histogram("http_request_duration")
                .with_unit("s")
                .with_description("HTTP request duration by route")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            graphql_operations: meter
                .u64_counter("graphql_operations")
                .with_description("GraphQL operations by type, name and outcome")
                .build(),
            open_websockets: meter
                .i64_up_down_counter("websocket_connections_open")
                .with_description("Open GraphQL WebSocket connections")
                .build(),
            open_detached_streams: meter
                .i64_up_down_counter("http1_event_streams_open")
                .with_description("Open SSE streams over HTTP/1.1, written off hyper")
                .build(),
            off_server_connections: tokio::sync::watch::channel(0).0,
            predictor_attempts: meter
                .u64_counter("reaction_predictor_attempts")
                .with_description(
                    "Calls to the external reaction predictor: answered, failed or breaker_open",
                )
                .build(),
            pool_gauge: OnceLock::new(),
            statement_counter: OnceLock::new(),
            registry,
            provider,
        })
    }

    /// Reports the pool's in-use and idle connections at every scrape.
    pub fn observe_pool(&self, pool: DbPool) {
        let meter = self.provider.meter("catalyst");
        let gauge = meter
            .u64_observable_gauge("db_pool_connections")
            .with_description("Database pool connections by state")
            .with_callback(move |observer| {
                let state = pool.state();
                let idle = u64::from(state.idle_connections);
                let in_use = u64::from(state.connections).saturating_sub(idle);
                observer.observe(in_use, &[KeyValue::new("state", "in_use")]);
                observer.observe(idle, &[KeyValue::new("state", "idle")]);
            })
            .build();
        let _ = self.pool_gauge.set(gauge);
    }

    /// Reports the SQL statements run so far at every scrape.
    pub fn observe_statements(&self, statements: StatementCounter) {
        let counter = self
            .provider
            .meter("catalyst")
            .u64_observable_counter("db_statements")
            .with_description("SQL statements executed")
            .with_callback(move |observer| observer.observe(statements.total(), &[]))
            .build();
        let _ = self.statement_counter.set(counter);
    }

    pub fn record_http(&self, route: &str, status: u16, seconds: f64) {
        let route = KeyValue::new("route", route.to_string());
        self.http_requests.add(
            1,
            &[route.clone(), KeyValue::new("status", i64::from(status))],
        );
        self.http_request_duration.record(seconds, &[route]);
    }

    pub fn record_graphql(&self, operation_type: &str, name: &str, outcome: &str) {
        self.graphql_operations.add(
            1,
            &[
                KeyValue::new("type", operation_type.to_string()),
                KeyValue::new("name", bounded_operation_name(name)),
                KeyValue::new("outcome", outcome.to_string()),
            ],
        );
    }

    pub fn record_predictor_attempt(&self, outcome: &'static str) {
        self.predictor_attempts
            .add(1, &[KeyValue::new("outcome", outcome)]);
    }

    pub fn websocket_opened(&self) {
        self.open_websockets.add(1, &[]);
        self.off_server_connections.send_modify(|open| *open += 1);
    }

    pub fn websocket_closed(&self) {
        self.open_websockets.add(-1, &[]);
        self.off_server_connections
            .send_modify(|open| *open = open.saturating_sub(1));
    }

    /// Counts an event stream taken off the HTTP server until the returned guard drops.
    pub fn event_stream_detached(self: &Arc<Self>) -> DetachedStream {
        self.open_detached_streams.add(1, &[]);
        self.off_server_connections.send_modify(|open| *open += 1);
        DetachedStream {
            metrics: self.clone(),
        }
    }

    /// Completes once every connection off the HTTP server has closed.
    pub async fn off_server_connections_closed(&self) {
        let mut open = self.off_server_connections.subscribe();
        let _ = open.wait_for(|open| *open == 0).await;
    }

    pub fn render(&self) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_default()
    }
}

/// Operation names come from clients: anything that is not a plain GraphQL name, or is long,
/// is folded into one label value so a client cannot explode the metric's cardinality.
fn bounded_operation_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        "other".to_string()
    }
}
