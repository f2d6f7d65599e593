//! The process's life as an orchestrator sees it: starting next to other replicas on one
//! database, and a rolling restart's SIGTERM.

mod common;

use std::time::{Duration, Instant};

use common::{
    process::ServerProcess,
    wait::eventually,
    ws::{Event, GraphqlWs},
    TestDatabase,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

const MIGRATIONS_APPLIED: &str = "applied database migrations";

fn migration_count() -> usize {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    std::fs::read_dir(directory)
        .expect("the migrations directory is readable")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("up.sql").exists())
        .count()
}

#[derive(diesel::QueryableByName)]
struct Applied {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    applied: i64,
}

async fn applied_migrations(database: &TestDatabase) -> i64 {
    let mut connection = AsyncPgConnection::establish(&database.url).await.unwrap();
    diesel::sql_query("SELECT count(*) AS applied FROM __diesel_schema_migrations")
        .get_result::<Applied>(&mut connection)
        .await
        .unwrap()
        .applied
}

#[tokio::test]
async fn three_replicas_starting_together_on_an_empty_database_migrate_it_once() {
    let database = TestDatabase::create_empty().await;
    let replicas: Vec<ServerProcess> = (0..3)
        .map(|_| ServerProcess::start("serve", &database.url, &[]))
        .collect();
    for replica in &replicas {
        replica.wait_ready().await;
    }
    assert_eq!(
        applied_migrations(&database).await,
        migration_count() as i64
    );
    let migrated: Vec<usize> = replicas
        .iter()
        .enumerate()
        .filter(|(_, replica)| {
            replica
                .logs()
                .iter()
                .any(|line| line.contains(MIGRATIONS_APPLIED))
        })
        .map(|(index, _)| index)
        .collect();
    assert_eq!(
        migrated.len(),
        1,
        "exactly one replica migrated: {migrated:?}"
    );
}

#[tokio::test]
async fn a_replica_that_must_not_migrate_refuses_a_database_that_is_behind_until_migrate_runs() {
    let database = TestDatabase::create_empty().await;
    let no_migrations = [("MIGRATE_ON_START", "false")];

    let mut refused = ServerProcess::start("serve", &database.url, &no_migrations);
    let status = refused.exit_status(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(1));
    let logs = refused.logs().join("\n");
    assert!(logs.contains("the database is behind this build"), "{logs}");
    assert!(logs.contains("run `catalyst migrate` first"), "{logs}");
    assert_eq!(
        applied_migrations(&database).await,
        0,
        "nothing was migrated"
    );

    let mut migrate = ServerProcess::start("migrate", &database.url, &[]);
    assert!(migrate.exit_status(Duration::from_secs(60)).await.success());
    assert_eq!(
        applied_migrations(&database).await,
        migration_count() as i64
    );

    let serving = ServerProcess::start("serve", &database.url, &no_migrations);
    serving.wait_ready().await;
    let logs = serving.logs().join("\n");
    assert!(!logs.contains(MIGRATIONS_APPLIED), "{logs}");
}

async fn status_of(url: &str) -> u16 {
    match reqwest::get(url).await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

async fn graphql(url: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body")
}

#[tokio::test]
async fn sigterm_drains_then_closes_sockets_with_service_restart_and_exits_zero() {
    let database = TestDatabase::create().await;
    let drain = Duration::from_secs(2);
    let mut server = ServerProcess::start(
        "serve",
        &database.url,
        &[
            ("SHUTDOWN_DRAIN_SECONDS", "2"),
            ("SHUTDOWN_GRACE_SECONDS", "5"),
        ],
    );
    server.wait_ready().await;
    let graphql_url = server.url("/graphql").await;
    let ready_url = server.url("/health/ready").await;
    let ws_url = graphql_url.replacen("http://", "ws://", 1);
    let registered = graphql(
        &graphql_url,
        json!({ "query": common::REGISTER, "variables": { "input": {
            "email": "ada@example.com", "password": common::STRONG_PASSWORD, "displayName": "Ada" } } }),
    )
    .await;
    let token = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"));
    let mut socket = GraphqlWs::connect(
        &ws_url,
        json!({ "authorization": format!("Bearer {token}") }),
    )
    .await
    .unwrap();
    socket
        .subscribe(
            "clock",
            "subscription { serverTime(intervalMs: 100) }",
            json!({}),
        )
        .await;
    let first = socket.next_message().await;
    assert!(
        first["payload"]["data"]["serverTime"].is_string(),
        "{first}"
    );

    let signalled = Instant::now();
    server.signal("TERM");
    eventually("readiness to turn 503", Duration::from_secs(2), || async {
        match status_of(&ready_url).await {
            503 => Ok(()),
            other => Err(format!("{other}")),
        }
    })
    .await;
    // While draining, the instance still serves what reaches it: the balancer is only
    // catching up with the readiness change.
    let answered = graphql(&graphql_url, json!({ "query": "{ __typename }" })).await;
    assert_eq!(answered["data"]["__typename"], "QueryRoot", "{answered}");
    assert_eq!(status_of(&server.url("/health/live").await).await, 200);

    let closed = loop {
        match socket.next_event().await {
            // No `complete` before the close: a client resubscribes after a restart only to
            // operations that did not complete.
            Event::Message(message) => assert_eq!(message["type"], "next", "{message}"),
            Event::Closed(closed) => break closed,
        }
    };
    assert_eq!(closed.code, 1012, "{closed:?}");
    assert!(
        signalled.elapsed() >= drain,
        "sockets stay open through the drain delay ({:?})",
        signalled.elapsed()
    );
    let status = server.exit_status(Duration::from_secs(10)).await;
    assert!(status.success(), "{status:?}: {}", server.logs().join("\n"));
    let logs = server.logs().join("\n");
    assert!(logs.contains("shut down"), "{logs}");
}
