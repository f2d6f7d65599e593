//! Schema-driven fuzzing. Random operations that are valid GraphQL for this schema, with random
//! (type-correct, often meaningless) arguments and variables, are written from the introspected
//! schema with a fixed-seed generator and run against one real server, signed in and
//! anonymously, a few at a time. No answer may be a 5xx, carry `INTERNAL`, or hold an error
//! without `extensions.code`; afterwards the server must still be healthy.
//!
//! `FUZZ_OPERATIONS` (default 3000) and `FUZZ_SEED` (default 16) choose the run; a long run is
//! `FUZZ_OPERATIONS=100000 cargo test --release --test fuzz -- --nocapture`.

mod common;

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::{
    data,
    schema_model::{graphql_literal, FieldDef, InputValue, Kind, SchemaModel, TypeRef},
    ws::{Event, GraphqlWs},
    TestApp, STRONG_PASSWORD,
};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::{json, Value};

/// Operations sent at once; the server sees concurrent clients, as it does in production.
const CLIENTS: usize = 4;
/// Selections nest at most this deep below the root field (the depth limit is 12).
const MAX_SELECTION_DEPTH: usize = 3;
/// Messages read from each fuzzed subscription before it is completed.
const SUBSCRIPTION_MESSAGES: usize = 5;
/// An answer slower than this counts as a failure: nothing the fuzzer asks should take long.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Ids (by the type `__typename` gave them) and cursors seen in answers, offered back as
/// arguments so that operations reach real rows.
#[derive(Default)]
struct Harvest {
    ids: BTreeMap<String, Vec<String>>,
    cursors: Vec<String>,
}

impl Harvest {
    const KEPT: usize = 200;

    fn gather(&mut self, value: &Value) {
        match value {
            Value::Object(fields) => {
                if let (Some(Value::String(type_name)), Some(Value::String(id))) =
                    (fields.get("__typename"), fields.get("id"))
                {
                    Self::keep(self.ids.entry(type_name.clone()).or_default(), id);
                }
                for (key, field) in fields {
                    match (key.as_str(), field) {
                        ("cursor" | "endCursor", Value::String(cursor)) => {
                            Self::keep(&mut self.cursors, cursor)
                        }
                        _ => self.gather(field),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.gather(item)),
            _ => {}
        }
    }

    fn keep(list: &mut Vec<String>, value: &str) {
        if list.len() >= Self::KEPT {
            list.remove(0);
        }
        if !list.iter().any(|kept| kept == value) {
            list.push(value.to_string());
        }
    }
}

const TEXTS: &[&str] = &[
    "",
    " ",
    "a",
    "Apollo",
    "Launch the rocket",
    "naïve café 漢字 🚀",
    "\u{202e}gnp.exe",
    "<script>alert(1)</script>",
    "'; DROP TABLE users; --",
    "%00%ff",
    "a\u{0}b",
    "\\u0000",
    "https://example.com/docs?utm_source=x#top",
    "javascript:alert(1)",
    "ada@example.com",
    "correct horse battery staple",
    "region,amount\nEU,12\nUS,30\n",
    "amount > 10",
    "NaCl",
    "H2O",
    "silver nitrate",
    "csvText",
    "filter",
    "runOutput",
    "123456",
    "2030-01-01T00:00:00Z",
    "null",
    "{}",
    "[]",
    "-1",
];

const COMPONENTS: &[&str] = &[
    "inlineRows",
    "csvText",
    "projectTasks",
    "myBookmarks",
    "previousRunOutput",
    "filter",
    "map",
    "sort",
    "limit",
    "deduplicate",
    "aggregate",
    "join",
    "union",
    "validate",
    "runOutput",
    "csvExport",
    "createTasks",
];

/// Pipeline node configs, valid for some component each (and so invalid for most).
const CONFIGS: &[&str] = &[
    r#"{"text": "region,amount\nEU,12\nUS,30\n", "types": {"amount": "integer"}}"#,
    r#"{"text": "id;ok\n1;true\n2;\"x", "delimiter": ";"}"#,
    r#"{"rows": [{"n": 1, "c": "a"}, {"n": 3, "c": "b"}, {"n": null}]}"#,
    r#"{"expression": "n > params.min"}"#,
    r#"{"expression": "str::to_uppercase(c) + n"}"#,
    r#"{"expression": "n / 0"}"#,
    r#"{"fields": {"double": "n * 2", "big": "n * 9223372036854775807"}}"#,
    r#"{"keys": [{"field": "n", "descending": true}]}"#,
    r#"{"count": 1, "offset": 1}"#,
    r#"{"count": -1}"#,
    r#"{"keys": ["c"]}"#,
    r#"{"groupBy": ["c"], "aggregates": [{"name": "t", "op": "sum", "field": "n"}, {"name": "a", "op": "avg", "field": "c"}]}"#,
    r#"{"on": [{"left": "c", "right": "c"}]}"#,
    r#"{"required": ["n"], "types": {"n": "integer"}, "invalidRows": "FAIL"}"#,
    r#"{"columns": ["n", "c"]}"#,
    r#"{"titleField": "c", "descriptionField": "n"}"#,
];

const PORTS: &[&str] = &[
    "in", "out", "first", "second", "left", "right", "rejected", "x",
];

/// The object type an id argument named `name` most likely takes.
fn id_type(name: &str) -> Option<&'static str> {
    let stem = name.trim_end_matches('s').trim_end_matches("Id");
    Some(match stem {
        "project" => "Project",
        "task" | "parent" | "after" | "before" => "Task",
        "pipeline" => "Pipeline",
        "run" => "PipelineRun",
        "node" => "PipelineNode",
        "bookmark" => "Bookmark",
        "import" => "BookmarkImport",
        "session" => "Session",
        "user" | "assignee" => "User",
        "apiKey" => "ApiKey",
        _ => return None,
    })
}

const TYPE_NAMES: &[&str] = &[
    "User",
    "Project",
    "Task",
    "Pipeline",
    "PipelineNode",
    "PipelineRun",
    "Bookmark",
    "BookmarkImport",
    "Session",
    "ApiKey",
    "Reaction",
    "Discovery",
];

struct Fuzzer {
    model: Arc<SchemaModel>,
    rng: StdRng,
    harvest: Arc<Mutex<Harvest>>,
}

/// One operation ready to send.
struct Operation {
    query: String,
    variables: Value,
}

impl Fuzzer {
    fn operation(&mut self) -> Operation {
        let (keyword, root) = if self.rng.gen_bool(0.55) {
            ("query", self.model.query.clone())
        } else {
            ("mutation", self.model.mutation.clone())
        };
        self.operation_on(keyword, &root)
    }

    fn operation_on(&mut self, keyword: &str, root: &str) -> Operation {
        let model = self.model.clone();
        let field = model.types[root]
            .fields
            .choose(&mut self.rng)
            .expect("roots have fields")
            .clone();
        let mut variables = if self.rng.gen_bool(0.5) {
            Some((Vec::new(), serde_json::Map::new()))
        } else {
            None
        };
        let arguments = self.arguments(&field.args, &mut variables);
        let selection = self.selection(&field.ty, 0);
        let (declarations, variables) = match variables {
            Some((declarations, values)) if !declarations.is_empty() => (
                format!("({})", declarations.join(", ")),
                Value::Object(values),
            ),
            _ => (String::new(), json!({})),
        };
        Operation {
            query: format!(
                "{keyword} Fuzz{declarations} {{ {}{arguments}{selection} }}",
                field.name
            ),
            variables,
        }
    }

    /// Required arguments always, optional ones sometimes; as literals, or as variables when
    /// `variables` collects them.
    fn arguments(
        &mut self,
        args: &[InputValue],
        variables: &mut Option<(Vec<String>, serde_json::Map<String, Value>)>,
    ) -> String {
        let mut written = Vec::new();
        for arg in args {
            if !arg.required() && !self.rng.gen_bool(0.4) {
                continue;
            }
            let value = self.value(&arg.ty, &arg.name, 0);
            match variables {
                Some((declarations, values)) => {
                    let name = format!("v{}", values.len());
                    declarations.push(format!("${name}: {}", arg.ty.render()));
                    values.insert(name.clone(), value);
                    written.push(format!("{}: ${name}", arg.name));
                }
                None => written.push(format!(
                    "{}: {}",
                    arg.name,
                    graphql_literal(&value, &arg.ty, &self.model)
                )),
            }
        }
        if written.is_empty() {
            String::new()
        } else {
            format!("({})", written.join(", "))
        }
    }

    fn selection(&mut self, ty: &TypeRef, depth: usize) -> String {
        let model = self.model.clone();
        let Some(definition) = model.types.get(ty.named()) else {
            return String::new();
        };
        match definition.kind {
            Kind::Scalar | Kind::Enum | Kind::InputObject => String::new(),
            Kind::Union => {
                let Some(member) = definition.possible_types.choose(&mut self.rng) else {
                    return " { __typename }".into();
                };
                let inner = self.selection(&TypeRef::Named(member.clone()), depth);
                format!(" {{ __typename ... on {member}{inner} }}")
            }
            Kind::Object | Kind::Interface => {
                let mut chosen = vec!["__typename".to_string()];
                if definition.fields.iter().any(|field| field.name == "id") {
                    chosen.push("id".into());
                }
                let candidates: Vec<&FieldDef> = definition
                    .fields
                    .iter()
                    .filter(|field| {
                        depth < MAX_SELECTION_DEPTH
                            || matches!(model.kind_of(field.ty.named()), Kind::Scalar | Kind::Enum)
                    })
                    .collect();
                let count = self.rng.gen_range(1..=4).min(candidates.len());
                for field in candidates.choose_multiple(&mut self.rng, count) {
                    let arguments = self.arguments(&field.args, &mut None);
                    let inner = self.selection(&field.ty, depth + 1);
                    let alias = format!("f{}", chosen.len());
                    chosen.push(format!("{alias}: {}{arguments}{inner}", field.name));
                }
                format!(" {{ {} }}", chosen.join(" "))
            }
        }
    }

    /// A value of `ty` for an argument (or input field) named `name`.
    fn value(&mut self, ty: &TypeRef, name: &str, depth: usize) -> Value {
        match ty {
            TypeRef::NonNull(inner) => self.present_value(inner, name, depth),
            _ if self.rng.gen_bool(0.08) => Value::Null,
            _ => self.present_value(ty, name, depth),
        }
    }

    fn present_value(&mut self, ty: &TypeRef, name: &str, depth: usize) -> Value {
        match ty {
            TypeRef::NonNull(inner) => self.present_value(inner, name, depth),
            TypeRef::List(inner) => {
                let length = *[0, 1, 1, 2, 3].choose(&mut self.rng).expect("lengths");
                Value::Array(
                    (0..length)
                        .map(|_| self.value(inner, name, depth))
                        .collect(),
                )
            }
            TypeRef::Named(scalar) => match scalar.as_str() {
                "String" => self.text(name),
                "ID" => self.id(name),
                "Int" => json!(*[
                    0,
                    1,
                    -1,
                    2,
                    5,
                    20,
                    100,
                    101,
                    1000,
                    65536,
                    i32::MAX,
                    i32::MIN
                ]
                .choose(&mut self.rng)
                .expect("ints")),
                "Float" => json!(*[0.0, 0.5, -1.0, 25.0, 1e300, -1e300, 1e-300]
                    .choose(&mut self.rng)
                    .expect("floats")),
                "Boolean" => json!(self.rng.gen_bool(0.5)),
                "DateTime" => json!(*[
                    "2030-01-01T00:00:00Z",
                    "1970-01-01T00:00:00Z",
                    "9999-12-31T23:59:59Z",
                    "2026-12-03T12:00:00+05:30",
                    "yesterday",
                ]
                .choose(&mut self.rng)
                .expect("dates")),
                "JSON" if name == "config" && self.rng.gen_bool(0.7) => {
                    serde_json::from_str(CONFIGS.choose(&mut self.rng).expect("configs"))
                        .expect("the configs are JSON")
                }
                "JSON" if name == "parameters" && self.rng.gen_bool(0.5) => {
                    json!({ "min": self.rng.gen_range(-5..5), "threshold": "x" })
                }
                "JSON" => self.json(0),
                "Upload" => Value::Null,
                other => self.named_value(other, depth),
            },
        }
    }

    fn named_value(&mut self, name: &str, depth: usize) -> Value {
        let model = self.model.clone();
        let Some(definition) = model.types.get(name) else {
            return Value::Null;
        };
        match definition.kind {
            Kind::Enum => json!(definition.enum_values.choose(&mut self.rng)),
            Kind::InputObject => {
                let mut fields = serde_json::Map::new();
                for field in &definition.input_fields {
                    if field.required() || (depth < 3 && self.rng.gen_bool(0.5)) {
                        let value = self.value(&field.ty, &field.name, depth + 1);
                        fields.insert(field.name.clone(), value);
                    }
                }
                Value::Object(fields)
            }
            _ => Value::Null,
        }
    }

    fn text(&mut self, name: &str) -> Value {
        if name == "component" && self.rng.gen_bool(0.9) {
            return json!(COMPONENTS.choose(&mut self.rng));
        }
        if name == "port" && self.rng.gen_bool(0.9) {
            return json!(PORTS.choose(&mut self.rng));
        }
        let lower = name.to_ascii_lowercase();
        let harvest = self.harvest.clone();
        let harvest = harvest.lock().unwrap();
        if (lower == "after" || lower == "before")
            && !harvest.cursors.is_empty()
            && self.rng.gen_bool(0.6)
        {
            return json!(harvest.cursors.choose(&mut self.rng));
        }
        drop(harvest);
        if lower.contains("email") && self.rng.gen_bool(0.7) {
            return json!(format!("fuzz{}@example.com", self.rng.gen_range(0..50)));
        }
        if lower.contains("password") && self.rng.gen_bool(0.7) {
            return json!(STRONG_PASSWORD);
        }
        if lower.contains("url") && self.rng.gen_bool(0.7) {
            return json!(format!(
                "https://site{}.example/page",
                self.rng.gen_range(0..50)
            ));
        }
        match self.rng.gen_range(0..10) {
            0 => json!("x".repeat(*[300, 2_000, 5_000].choose(&mut self.rng).expect("lengths"))),
            1 => json!((0..self.rng.gen_range(1..30))
                .map(|_| char::from(self.rng.gen_range(0x20u8..0x7f)))
                .collect::<String>()),
            _ => json!(TEXTS.choose(&mut self.rng)),
        }
    }

    /// An id for an argument named `name`: mostly one seen in an answer, of the type the name
    /// suggests (`projectId`: a Project), otherwise one of any type, or no id at all.
    fn id(&mut self, name: &str) -> Value {
        let harvest = self.harvest.clone();
        let harvest = harvest.lock().unwrap();
        let wanted = id_type(name);
        let typed = wanted.and_then(|type_name| harvest.ids.get(type_name));
        let pool = match typed {
            Some(ids) if self.rng.gen_bool(0.9) => Some(ids),
            _ => harvest
                .ids
                .values()
                .collect::<Vec<_>>()
                .choose(&mut self.rng)
                .copied(),
        };
        if let Some(pool) = pool.filter(|pool| !pool.is_empty()) {
            if self.rng.gen_bool(0.8) {
                return json!(pool.choose(&mut self.rng));
            }
        }
        drop(harvest);
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        let type_name = TYPE_NAMES.choose(&mut self.rng).expect("types");
        match self.rng.gen_range(0..4) {
            0 => json!(URL_SAFE_NO_PAD.encode(format!(
                "{type_name}:{}",
                uuid::Uuid::from_u128(self.rng.gen())
            ))),
            1 => json!(URL_SAFE_NO_PAD.encode(format!("{type_name}:not-a-uuid"))),
            2 => json!(URL_SAFE_NO_PAD.encode(type_name)),
            _ => json!(*["", "x", "1", "-1", "!!", "VXNlcjo="]
                .choose(&mut self.rng)
                .expect("ids")),
        }
    }

    fn json(&mut self, depth: usize) -> Value {
        match self.rng.gen_range(0..if depth < 3 { 8 } else { 5 }) {
            0 => Value::Null,
            1 => json!(self.rng.gen_range(-1000..1000)),
            2 => json!(self.rng.gen_bool(0.5)),
            3 | 4 => self.text("json"),
            5 => Value::Array(
                (0..self.rng.gen_range(0..4))
                    .map(|_| self.json(depth + 1))
                    .collect(),
            ),
            _ => {
                let keys = [
                    "text",
                    "types",
                    "expression",
                    "field",
                    "limit",
                    "by",
                    "amount",
                    "name",
                    "a",
                    "",
                ];
                Value::Object(
                    (0..self.rng.gen_range(0..4))
                        .map(|_| {
                            let key = keys.choose(&mut self.rng).expect("keys").to_string();
                            (key, self.json(depth + 1))
                        })
                        .collect(),
                )
            }
        }
    }
}

/// What an answer broke, or None when it kept every rule.
fn violation(status: u16, body: &Value) -> Option<String> {
    if status >= 500 {
        return Some(format!("HTTP {status}"));
    }
    let responses: Vec<&Value> = match body {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    for response in responses {
        for error in response["errors"].as_array().into_iter().flatten() {
            match error["extensions"]["code"].as_str() {
                None => return Some(format!("error without a code: {}", error["message"])),
                Some("INTERNAL") => return Some(format!("INTERNAL: {}", error["message"])),
                Some(_) => {}
            }
        }
    }
    None
}

/// The signed-in client the fuzzer speaks as; signed in again when an operation ended its
/// session (as the project owner while its password holds, else as a new account).
struct Identity {
    email: String,
    token: Mutex<String>,
    replacements: AtomicUsize,
}

impl Identity {
    async fn sign_in_again(&self, app: &TestApp) {
        let body = app
            .graphql(
                common::LOGIN,
                json!({ "input": { "email": self.email, "password": STRONG_PASSWORD } }),
            )
            .await;
        let token = match body["data"]["login"]["accessToken"].as_str() {
            Some(token) => token.to_string(),
            None => {
                let number = self.replacements.fetch_add(1, Ordering::SeqCst);
                app.register(&format!("fuzzer{number}@example.com"), "Fuzzer")
                    .await
                    .access_token
            }
        };
        *self.token.lock().unwrap() = token;
    }
}

async fn run_client(
    app: Arc<TestApp>,
    mut fuzzer: Fuzzer,
    operations: usize,
    identity: Arc<Identity>,
) -> (Vec<String>, BTreeMap<String, usize>) {
    let mut failures = Vec::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..operations {
        let operation = fuzzer.operation();
        let signed_in = fuzzer.rng.gen_bool(0.8);
        let token = signed_in.then(|| identity.token.lock().unwrap().clone());
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .timeout(ANSWER_TIMEOUT)
            .json(&json!({ "query": operation.query, "variables": operation.variables }));
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        let described = || format!("{} {}", operation.query, operation.variables);
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                failures.push(format!("no answer ({error}): {}", described()));
                continue;
            }
        };
        let status = response.status().as_u16();
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(_) => {
                failures.push(format!(
                    "HTTP {status} without a JSON body: {}",
                    described()
                ));
                continue;
            }
        };
        if let Some(problem) = violation(status, &body) {
            failures.push(format!("{problem}\n    {}", described()));
        }
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("ok")
            .to_string();
        let outcome = if std::env::var("FUZZ_VERBOSE").is_ok() {
            let message = body["errors"][0]["message"].as_str().unwrap_or_default();
            format!(
                "{status} {code} {}",
                message.chars().take(60).collect::<String>()
            )
        } else {
            format!("{status} {code}")
        };
        *outcomes.entry(outcome).or_default() += 1;
        fuzzer.harvest.lock().unwrap().gather(&body["data"]);
        // logout, changePassword, revokeSession and deleteAccount end the session they ran in.
        if status == 401 && token.is_some() {
            identity.sign_in_again(&app).await;
        }
    }
    (failures, outcomes)
}

/// Random subscriptions over graphql-transport-ws, signed in and anonymously: each gets a
/// moment to answer (a live stream may say nothing), then is completed.
async fn run_subscriptions(
    app: Arc<TestApp>,
    mut fuzzer: Fuzzer,
    operations: usize,
    token: String,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (signed_in, init) in [
        (true, json!({ "authorization": format!("Bearer {token}") })),
        (false, json!({})),
    ] {
        let mut socket = match GraphqlWs::connect(&app.ws_url(), init).await {
            Ok(socket) => socket,
            Err(closed) => {
                failures.push(format!(
                    "WebSocket refused (signed in: {signed_in}): {closed:?}"
                ));
                continue;
            }
        };
        let root = fuzzer.model.subscription.clone();
        for index in 0..operations / 2 {
            let operation = fuzzer.operation_on("subscription", &root);
            let id = format!("s{index}");
            socket
                .subscribe(&id, &operation.query, operation.variables.clone())
                .await;
            let described = || format!("{} {}", operation.query, operation.variables);
            // A stream may say nothing, or tick without end (`serverTime`): a few messages, or
            // a moment's silence, are enough to judge it.
            for _ in 0..SUBSCRIPTION_MESSAGES {
                let Some(event) = socket.next_event_within(Duration::from_millis(200)).await else {
                    break;
                };
                let message = match event {
                    Event::Message(message) => message,
                    Event::Closed(closed) => {
                        failures.push(format!("socket closed {closed:?}\n    {}", described()));
                        return failures;
                    }
                };
                let payload = match &message["payload"] {
                    Value::Array(errors) => json!({ "errors": errors }),
                    payload => payload.clone(),
                };
                if let Some(problem) = violation(200, &payload) {
                    failures.push(format!("{problem}\n    {}", described()));
                }
                if message["id"] == id.as_str() && message["type"] != "next" {
                    break;
                }
            }
            socket.send(json!({ "id": id, "type": "complete" })).await;
        }
        socket.close().await;
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operations_from_the_schema_never_get_a_5xx_internal_or_uncoded_error() {
    let operations = setting("FUZZ_OPERATIONS", 3000) as usize;
    let seed = setting("FUZZ_SEED", 16);
    let app = Arc::new(TestApp::spawn().await);
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Fuzzed").await;
    app.create_task(&owner, &project, "Seed task", json!({}))
        .await;
    let model = Arc::new(SchemaModel::introspect(&app).await);
    let harvest = Arc::new(Mutex::new(Harvest::default()));
    harvest
        .lock()
        .unwrap()
        .ids
        .insert("Project".into(), vec![project]);
    let identity = Arc::new(Identity {
        email: owner.email.clone(),
        token: Mutex::new(owner.access_token.clone()),
        replacements: AtomicUsize::new(0),
    });

    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let fuzzer = Fuzzer {
                model: model.clone(),
                rng: StdRng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(client as u64)),
                harvest: harvest.clone(),
            };
            let share = operations / CLIENTS + usize::from(client < operations % CLIENTS);
            tokio::spawn(run_client(app.clone(), fuzzer, share, identity.clone()))
        })
        .collect();
    let subscriptions = tokio::spawn(run_subscriptions(
        app.clone(),
        Fuzzer {
            model: model.clone(),
            rng: StdRng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(999)),
            harvest: harvest.clone(),
        },
        (operations / 30).max(2),
        owner.access_token.clone(),
    ));
    let (mut failures, mut outcomes) = (Vec::new(), BTreeMap::<String, usize>::new());
    for client in clients {
        let (client_failures, client_outcomes) = client.await.expect("a fuzz client panicked");
        failures.extend(client_failures);
        for (outcome, count) in client_outcomes {
            *outcomes.entry(outcome).or_default() += count;
        }
    }
    failures.extend(
        subscriptions
            .await
            .expect("the subscription client panicked"),
    );
    eprintln!(
        "fuzz: {operations} operations (seed {seed}) in {:.1} s; outcomes:",
        started.elapsed().as_secs_f64()
    );
    for (outcome, count) in &outcomes {
        eprintln!("  {count:>6}  {outcome}");
    }
    failures.sort();
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} failing operations (seed {seed}):\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Still healthy: ready, and serving a fresh client end to end.
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let after = app.register("after@example.com", "After").await;
    let body = app
        .graphql_as(&after.access_token, "{ me { email } }", json!({}))
        .await;
    assert_eq!(data(&body)["me"]["email"], "after@example.com");
}
