//! Abuse-limits micro-benchmark (run by `benches/abuse_limits.sh` after the HTTP runs, or alone
//! with `cargo bench --bench abuse_limits`): the time one operation spends in the schema
//! (parse, limits, validation, rate-limit charge, execution) with the limits and rate limiting
//! off, on with in-process counters, and on with Redis counters. The three schemas run in the
//! same process, interleaved in small blocks, so machine load affects them alike. Prints
//! figures; asserts nothing.

use std::{collections::HashMap, time::Instant};

use catalyst::{
    auth::viewer::{ClientInfo, Viewer},
    config::Settings,
    limits::OperationCharge,
    schema::{build_schema, CatalystSchema},
    Application,
};

const TYPENAME: &str = "{ __typename }";
/// A board-sized document: 13 fields, two paginated lists, a variable. Anonymous, so it stops
/// at the `SignedIn` guard after everything the limits do has been done.
const BOARD: &str = "query Board($first: Int) { projects(first: $first) { nodes { id name members { role user { email } } tasks(first: 50) { nodes { id title status assignee { displayName } } } } } }";
const BLOCKS: usize = 40;
const BLOCK: usize = 250;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

async fn schema(mode: &str) -> anyhow::Result<CatalystSchema> {
    let mut vars = HashMap::from([
        ("BIND_ADDR".to_string(), "127.0.0.1:0".to_string()),
        (
            "DATABASE_URL".to_string(),
            env_or(
                "BENCH_DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/catalyst_bench_limits",
            ),
        ),
        ("DATABASE_POOL_SIZE".to_string(), "2".to_string()),
        (
            "RATE_LIMIT_ANONYMOUS_POINTS".to_string(),
            "1000000000000".to_string(),
        ),
        (
            "REDIS_KEY_PREFIX".to_string(),
            format!("bench-micro-{}:", std::process::id()),
        ),
    ]);
    match mode {
        "off" => {
            vars.insert("QUERY_LIMITS_ENABLED".into(), "false".into());
            vars.insert("RATE_LIMIT_ENABLED".into(), "false".into());
        }
        "redis" => {
            vars.insert(
                "REDIS_URL".into(),
                env_or("BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
            );
        }
        _ => {}
    }
    let settings = Settings::from_vars(vars)?;
    let application = Application::build(settings).await?;
    build_schema(application.state().clone())
}

async fn run_once(schema: &CatalystSchema, query: &str) -> f64 {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(
            serde_json::json!({ "first": 20 }),
        ))
        .data(Viewer::Anonymous)
        .data(ClientInfo {
            ip_address: Some("127.0.0.1".into()),
            user_agent: None,
        })
        .data(OperationCharge::default());
    let started = Instant::now();
    let response = schema.execute(request).await;
    let elapsed = started.elapsed().as_secs_f64() * 1e6;
    std::hint::black_box(response);
    elapsed
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let modes = ["off", "memory", "redis"];
    let mut schemas = Vec::new();
    for mode in modes {
        schemas.push(schema(mode).await?);
    }
    println!(
        "== in-process: {} operations per mode and document, interleaved in blocks of {BLOCK}",
        BLOCKS * BLOCK
    );
    for (name, query) in [("typename", TYPENAME), ("board", BOARD)] {
        let mut samples = vec![Vec::new(); modes.len()];
        for schema in &schemas {
            for _ in 0..200 {
                run_once(schema, query).await;
            }
        }
        for _ in 0..BLOCKS {
            for (index, schema) in schemas.iter().enumerate() {
                for _ in 0..BLOCK {
                    samples[index].push(run_once(schema, query).await);
                }
            }
        }
        let mut medians = Vec::new();
        for (index, mode) in modes.iter().enumerate() {
            let sorted = &mut samples[index];
            sorted.sort_by(f64::total_cmp);
            let (p50, p99) = (percentile(sorted, 0.5), percentile(sorted, 0.99));
            medians.push(p50);
            let added = if index == 0 {
                String::new()
            } else {
                format!("   added p50 {:+6.1} µs", p50 - medians[0])
            };
            println!("{name:9} {mode:7} p50 {p50:8.1} µs   p99 {p99:8.1} µs{added}");
        }
    }
    Ok(())
}
