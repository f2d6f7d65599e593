//! Test harness: a real Catalyst server on port 0 over its own PostgreSQL database, cloned from a
//! migrated template and dropped afterwards, plus GraphQL clients for HTTP and WebSocket.
#![allow(dead_code)]

pub mod database_faults;
pub mod diff;
pub mod process;
pub mod redis;
pub mod schema_model;
pub mod sse;
pub mod wait;
pub mod ws;

use std::{collections::HashMap, sync::Once, time::Duration};

use catalyst::{
    config::Settings,
    events::bus::{EventBus, Topic},
    Application,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{oneshot, OnceCell};

pub const TEST_JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long!!";
pub const STRONG_PASSWORD: &str = "correct horse battery staple";

fn postgres_base_url() -> String {
    std::env::var("TEST_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

async fn maintenance_connection() -> AsyncPgConnection {
    AsyncPgConnection::establish(&format!("{}/postgres", postgres_base_url()))
        .await
        .expect("tests need PostgreSQL at TEST_DATABASE_SERVER (default 127.0.0.1:5432)")
}

/// The template's name changes whenever a migration file changes, so a stale template from an
/// earlier run is never cloned.
fn template_name() -> String {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = walk(&directory);
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).expect("migration files are readable"));
    }
    format!("catalyst_tpl_{}", &hex::encode(hasher.finalize())[..16])
}

fn walk(directory: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory).expect("migrations directory exists") {
        let path = entry.expect("directory entries are readable").path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Any constant: test processes running at once take turns building the template.
const TEMPLATE_LOCK_KEY: i64 = 0x0CA7_7E57_0000_0001;

async fn ensure_template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut connection = maintenance_connection().await;
            execute(
                &mut connection,
                &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"),
            )
            .await;
            if !database_exists(&mut connection, &name).await {
                let building = format!("{name}_building");
                execute(
                    &mut connection,
                    &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
                )
                .await;
                execute(&mut connection, &format!("CREATE DATABASE {building}")).await;
                catalyst::db::run_migrations(&format!("{}/{building}", postgres_base_url()))
                    .await
                    .expect("migrations apply to an empty database");
                // Renaming publishes the template atomically: it is complete or absent.
                execute(
                    &mut connection,
                    &format!("ALTER DATABASE {building} RENAME TO {name}"),
                )
                .await;
            }
            execute(
                &mut connection,
                &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"),
            )
            .await;
            name
        })
        .await
}

async fn execute(connection: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(connection)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

async fn database_exists(connection: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    diesel::sql_query("SELECT EXISTS(SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Found>(connection)
        .await
        .expect("pg_database is readable")
        .exists
}

/// A fresh database cloned from the template; dropped when the value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let template = ensure_template().await;
        let name = format!("catalyst_test_{}", uuid::Uuid::new_v4().simple());
        let mut connection = maintenance_connection().await;
        execute(
            &mut connection,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await;
        TestDatabase {
            url: format!("{}/{name}", postgres_base_url()),
            name,
        }
    }

    /// A database with nothing in it, not even migrations: what a first deployment meets.
    pub async fn create_empty() -> TestDatabase {
        let name = format!("catalyst_test_{}", uuid::Uuid::new_v4().simple());
        let mut connection = maintenance_connection().await;
        execute(&mut connection, &format!("CREATE DATABASE {name}")).await;
        TestDatabase {
            url: format!("{}/{name}", postgres_base_url()),
            name,
        }
    }

    /// Drops the database now, even with connections open (they are terminated).
    pub async fn drop_now(&self) {
        let mut connection = maintenance_connection().await;
        execute(
            &mut connection,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await;
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside (or outside) a test's runtime; a thread with its own runtime works in both.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime starts");
            runtime.block_on(async {
                let mut connection = maintenance_connection().await;
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut connection)
                    .await;
            });
        });
        let _ = dropped.join();
    }
}

fn init_test_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            catalyst::telemetry::init_tracing(catalyst::config::LogFormat::Pretty);
        }
    });
}

pub struct TestAppBuilder {
    vars: HashMap<String, String>,
    database: Option<TestDatabase>,
}

impl TestAppBuilder {
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_string(), value.to_string());
        self
    }

    pub fn with_redis(self) -> Self {
        let url = redis_url();
        self.env("REDIS_URL", &url)
    }

    /// Serve from an existing database (for several instances sharing one).
    pub fn sharing_database_of(mut self, other: &TestApp) -> Self {
        self.vars
            .insert("DATABASE_URL".to_string(), other.database_url.clone());
        self.database = None;
        self
    }

    pub async fn spawn(mut self) -> TestApp {
        init_test_logging();
        let database = if self.vars.contains_key("DATABASE_URL") {
            None
        } else {
            let database = TestDatabase::create().await;
            self.vars
                .insert("DATABASE_URL".to_string(), database.url.clone());
            Some(database)
        };
        let database_url = self.vars["DATABASE_URL"].clone();
        let settings = Settings::from_vars(self.vars).expect("test settings are valid");
        let application = Application::build(settings)
            .await
            .expect("the application builds");
        let port = application.port();
        let events = application.state().events.clone();
        let (stop_sender, stop_receiver) = oneshot::channel::<()>();
        let server = tokio::spawn(application.run_until_stopped(async move {
            let _ = stop_receiver.await;
        }));
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            database_url,
            database,
            client: reqwest::Client::new(),
            events,
            stop_sender: Some(stop_sender),
            server: Some(server),
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub database_url: String,
    pub database: Option<TestDatabase>,
    pub client: reqwest::Client,
    /// The server's own event bus, read only to see who listens (`wait_for_subscribers`).
    events: EventBus,
    stop_sender: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Tokens and identity of a registered test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            vars: HashMap::from([
                ("BIND_ADDR".to_string(), "127.0.0.1:0".to_string()),
                ("JWT_SECRET".to_string(), TEST_JWT_SECRET.to_string()),
                // Parallel tests share one PostgreSQL; small pools keep them under its limit.
                ("DATABASE_POOL_SIZE".to_string(), "5".to_string()),
                ("SHUTDOWN_GRACE_SECONDS".to_string(), "5".to_string()),
                // Every test's Redis counters and persisted queries are its own.
                (
                    "REDIS_KEY_PREFIX".to_string(),
                    format!("test:{}:", uuid::Uuid::new_v4().simple()),
                ),
                // Stories register many users from 127.0.0.1 and run large queries; the tests
                // of the limits themselves set the production budgets back.
                (
                    "RATE_LIMIT_USER_POINTS".to_string(),
                    "100000000".to_string(),
                ),
                (
                    "RATE_LIMIT_ANONYMOUS_POINTS".to_string(),
                    "100000000".to_string(),
                ),
                (
                    "RATE_LIMIT_REGISTER_PER_MINUTE".to_string(),
                    "100000".to_string(),
                ),
                (
                    "RATE_LIMIT_LOGIN_PER_MINUTE".to_string(),
                    "100000".to_string(),
                ),
                (
                    "RATE_LIMIT_PREDICT_REACTION_PER_MINUTE".to_string(),
                    "100000".to_string(),
                ),
            ]),
            database: None,
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql", self.port)
    }

    /// Asks the server to shut down gracefully and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(sender) = self.stop_sender.take() {
            let _ = sender.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub async fn post_graphql(&self, token: Option<&str>, body: Value) -> reqwest::Response {
        let mut request = self.client.post(self.url("/graphql")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the server answers")
    }

    /// Runs an operation anonymously and returns the JSON body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_with(None, query, variables).await
    }

    /// Runs an operation with a bearer token and returns the JSON body.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql_with(Some(token), query, variables).await
    }

    pub async fn graphql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self
            .post_graphql(token, json!({ "query": query, "variables": variables }))
            .await;
        response.json().await.expect("GraphQL responses are JSON")
    }

    pub async fn register(&self, email: &str, display_name: &str) -> TestUser {
        let body = self
            .graphql(
                REGISTER,
                json!({ "input": { "email": email, "password": STRONG_PASSWORD, "displayName": display_name } }),
            )
            .await;
        let payload = &data(&body)["register"];
        TestUser {
            id: payload["user"]["id"].as_str().expect("user id").to_string(),
            email: payload["user"]["email"]
                .as_str()
                .expect("email")
                .to_string(),
            access_token: payload["accessToken"].as_str().expect("token").to_string(),
            refresh_token: payload["refreshToken"].as_str().expect("token").to_string(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

pub const REGISTER: &str = "mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken expiresAt user { id email displayName isAdmin } }
}";

pub const LOGIN: &str = "mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken expiresAt user { id email } }
}";

/// The `data` of a response that must have succeeded.
pub fn data(body: &Value) -> &Value {
    assert!(
        body.get("errors").is_none(),
        "expected success, got errors: {body:#}"
    );
    &body["data"]
}

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Asserts the response failed with `code`, and returns the first error.
#[track_caller]
pub fn expect_error<'a>(body: &'a Value, code: &str) -> &'a Value {
    assert_eq!(
        error_code(body),
        Some(code),
        "expected error code {code}, got: {body:#}"
    );
    &body["errors"][0]
}

pub const CREATE_PROJECT: &str = "mutation Create($input: CreateProjectInput!) { createProject(input: $input) { id name viewerRole } }";
pub const ADD_MEMBER: &str = "mutation Add($projectId: ID!, $email: String!, $role: ProjectRole!) {
  addProjectMember(projectId: $projectId, email: $email, role: $role) { role user { id email } }
}";
pub const CREATE_TASK: &str = "mutation CreateTask($input: CreateTaskInput!) {
  createTask(input: $input) { id title status priority labels version position assignee { id } }
}";

impl TestApp {
    /// Creates a project owned by `owner`; returns its id.
    pub async fn create_project(&self, owner: &TestUser, name: &str) -> String {
        let body = self
            .graphql_as(
                &owner.access_token,
                CREATE_PROJECT,
                json!({ "input": { "name": name } }),
            )
            .await;
        data(&body)["createProject"]["id"]
            .as_str()
            .expect("project id")
            .to_string()
    }

    pub async fn add_member(&self, by: &TestUser, project_id: &str, member: &TestUser, role: &str) {
        let body = self
            .graphql_as(
                &by.access_token,
                ADD_MEMBER,
                json!({ "projectId": project_id, "email": member.email, "role": role }),
            )
            .await;
        data(&body);
    }

    /// Creates a task with `title` (and any extra input fields); returns the task JSON.
    pub async fn create_task(
        &self,
        by: &TestUser,
        project_id: &str,
        title: &str,
        extra: Value,
    ) -> Value {
        let mut input = json!({ "projectId": project_id, "title": title });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        let body = self
            .graphql_as(&by.access_token, CREATE_TASK, json!({ "input": input }))
            .await;
        data(&body)["createTask"].clone()
    }

    /// Whether the server's event bus is subscribed to Redis (`false`: feeding its subscribers
    /// from the activity log), `None` without Redis.
    pub fn redis_subscribed(&self) -> Option<bool> {
        self.events.redis_subscribed()
    }

    /// Waits until the bus's Redis subscription is live (`true`) or known down (`false`);
    /// fails the test after `within`.
    pub async fn wait_for_redis_subscription(&self, subscribed: bool, within: Duration) {
        let what = if subscribed {
            "the bus to subscribe to Redis"
        } else {
            "the bus to notice Redis is gone"
        };
        wait::eventually(what, within, || async {
            (self.redis_subscribed() == Some(subscribed)).then_some(())
        })
        .await;
    }

    /// The total SQL statements the server has run, read from its own metrics.
    pub async fn statements_executed(&self) -> u64 {
        self.metric("db_statements_total")
            .await
            .expect("db_statements_total is exported") as u64
    }

    /// The server's `/metrics` page, in Prometheus text format.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics are text")
    }

    /// The value of the first sample whose line starts with `series` (a metric name, with the
    /// start of its labels if need be), or None while the server has not exported it.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        sample(&self.metrics().await, series)
    }

    /// How many of this server's subscriptions listen to `topic` right now.
    pub fn subscriber_count(&self, topic: Topic) -> usize {
        self.events.local_subscriber_count(topic)
    }

    /// Waits until `count` of this server's subscriptions (or workers) listen to `topic` on its
    /// event bus: a subscription takes its bus receiver when its stream opens, so from then on
    /// what is published reaches it. graphql-transport-ws acknowledges no `subscribe`, so this is
    /// the signal that a subscription is live before a test makes the change it should see.
    pub async fn wait_for_subscribers(&self, topic: Topic, count: usize) {
        wait::eventually(
            &format!("{count} subscriber(s) of {topic:?}"),
            Duration::from_secs(10),
            || async { (self.events.local_subscriber_count(topic) >= count).then_some(()) },
        )
        .await;
    }
}

/// The value of the first sample in a Prometheus text page whose line starts with `series`.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse::<f64>().ok())
}

impl TestApp {
    /// Sends one operation carrying one file as a GraphQL multipart request (the file goes to
    /// `variables.file`), the way Apollo and urql upload clients do.
    pub async fn upload_graphql(
        &self,
        token: &str,
        query: &str,
        mut variables: Value,
        file_name: &str,
        content: &[u8],
    ) -> reqwest::Response {
        let boundary = format!("catalyst-test-{}", uuid::Uuid::new_v4().simple());
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let mut body = Vec::with_capacity(content.len() + 1024);
        let mut part = |name: &str, file_name: Option<&str>, bytes: &[u8]| {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let disposition = match file_name {
                Some(file_name) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
            };
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        };
        part("operations", None, operations.as_bytes());
        part("map", None, br#"{"0":["variables.file"]}"#);
        part("0", Some(file_name), content);
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("the server answers")
    }
}
