//! Distributed traces over OTLP/HTTP, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: each
//! request's span (continuing the client's W3C `traceparent`), resolvers slower than a
//! threshold, SQL statements, Redis calls and pipeline runs. Metrics stay on Prometheus. While
//! traces are off, every hook here is one relaxed atomic load.

use std::{
    collections::VecDeque,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant, SystemTime},
};

use async_graphql::{
    extensions::{ExtensionContext, NextResolve, ResolveInfo},
    ServerResult, Value,
};
use opentelemetry::{
    global::{self, BoxedSpan},
    propagation::TextMapPropagator,
    trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _},
    Context, KeyValue,
};
use opentelemetry_http::{Bytes, HeaderExtractor, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider, Resource};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::TraceSettings;

/// The instrumentation scope every span of ours carries.
const TRACER_NAME: &str = "catalyst";
/// Statement text beyond this is cut: a span attribute, not a query log.
const MAX_STATEMENT_CHARS: usize = 2_000;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported; the hot paths ask before doing any tracing work.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The exporter pipeline; dropping it (at process exit) flushes what is still batched.
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            eprintln!("catalyst: flushing traces failed: {error}");
        }
    }
}

/// Builds the OTLP exporter and the tracer the tracing layer feeds. The batch processor runs
/// on its own thread, outside tokio, so the exporter's HTTP client is a blocking one.
pub(crate) fn start_export(
    settings: &TraceSettings,
) -> anyhow::Result<(opentelemetry_sdk::trace::Tracer, TraceExport)> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!(
            "{}/v1/traces",
            settings.endpoint.trim_end_matches('/')
        ))
        .with_timeout(Duration::from_secs(10))
        .with_http_client(BlockingClient(reqwest::blocking::Client::new()))
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(settings.service_name.clone())
                .build(),
        )
        .build();
    global::set_text_map_propagator(TraceContextPropagator::new());
    global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer(TRACER_NAME);
    ENABLED.store(true, Ordering::Relaxed);
    Ok((tracer, TraceExport { provider }))
}

/// reqwest's blocking client behind the exporter's client trait; reqwest runs its own
/// runtime thread for it, which the exporter's thread may block on.
#[derive(Debug)]
struct BlockingClient(reqwest::blocking::Client);

#[async_trait::async_trait]
impl HttpClient for BlockingClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let mut outgoing = self
            .0
            .request(parts.method, parts.uri.to_string())
            .body(body.to_vec());
        for (name, value) in &parts.headers {
            outgoing = outgoing.header(name, value);
        }
        let answered = outgoing.send()?;
        let status = answered.status();
        let body = answered.bytes()?;
        Ok(Response::builder().status(status).body(body)?)
    }
}

/// Makes `span` (the request's) continue the trace named by the client's `traceparent`
/// header, or start one, and records its trace id so every log line inside the request
/// carries it.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if !enabled() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    let _ = span.set_parent(parent);
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
}

/// The trace id of the request being served, for error `extensions`; none while traces are off.
pub fn current_trace_id() -> Option<String> {
    if !enabled() {
        return None;
    }
    let context = tracing::Span::current().context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The spans of one connection's SQL statements, opened at a statement's start and closed at
/// its finish, in order (diesel-async may pipeline several).
#[derive(Default)]
pub struct StatementSpans(VecDeque<BoxedSpan>);

impl StatementSpans {
    pub fn start(&mut self, statement: &dyn std::fmt::Display) {
        if !enabled() {
            return;
        }
        let text = statement.to_string();
        // Bind values are user data (emails, tokens): only the statement's shape is exported.
        let shape = text.split(" -- binds:").next().unwrap_or_default();
        let shape: String = shape.chars().take(MAX_STATEMENT_CHARS).collect();
        let tracer = global::tracer(TRACER_NAME);
        let span = tracer
            .span_builder("db.query")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("db.system", "postgresql"),
                KeyValue::new("db.statement", shape),
            ])
            .start_with_context(&tracer, &tracing::Span::current().context());
        self.0.push_back(span);
    }

    pub fn finish(&mut self, failed: bool) {
        if let Some(mut span) = self.0.pop_front() {
            if failed {
                span.set_status(Status::error("statement failed"));
            }
            span.end();
        }
    }
}

/// Exports a span for each resolver slower than the threshold: fast fields would bury the slow
/// ones and cost a span each. The schema's `resolve` hook (`graphql::hooks`) runs it around
/// every field, only while traces are configured.
#[derive(Clone, Copy)]
pub struct SlowResolverSpans {
    threshold: Duration,
}

impl SlowResolverSpans {
    pub fn new(threshold: Duration) -> Self {
        SlowResolverSpans { threshold }
    }

    pub async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if !enabled() {
            return next.run(ctx, info).await;
        }
        let name = format!("{}.{}", info.parent_type, info.name);
        let path = info.path_node.to_string();
        let started_at = SystemTime::now();
        let started = Instant::now();
        let result = next.run(ctx, info).await;
        let elapsed = started.elapsed();
        if elapsed >= self.threshold {
            let tracer = global::tracer(TRACER_NAME);
            let parent: Context = tracing::Span::current().context();
            let mut span = tracer
                .span_builder(name)
                .with_kind(SpanKind::Internal)
                .with_start_time(started_at)
                .with_attributes([KeyValue::new("graphql.field.path", path)])
                .start_with_context(&tracer, &parent);
            if let Err(error) = &result {
                span.set_status(Status::error(error.message.clone()));
            }
            span.end_with_timestamp(started_at + elapsed);
        }
        result
    }
}
