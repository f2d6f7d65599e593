//! The attack corpus: what a hostile client sends to a public endpoint, run against a real
//! server in production mode. Every case has the answer it must get (status and code) and
//! none may be a 5xx; running the corpus a second time must not grow the process's memory.

mod common;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use common::{data, TestApp, TestUser, TEST_JWT_SECRET};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// What the server must answer: HTTP status and the first error's `extensions.code`.
struct Expected {
    status: u16,
    code: &'static str,
}

const fn expect(status: u16, code: &'static str) -> Expected {
    Expected { status, code }
}

/// One hostile request: a JSON body, or raw bytes, with an optional bearer token.
enum Payload {
    Json(Value),
    Bytes(Vec<u8>),
}

struct Attack {
    name: &'static str,
    token: Option<String>,
    payload: Payload,
    expected: Expected,
}

fn attack(name: &'static str, payload: Payload, expected: Expected) -> Attack {
    Attack {
        name,
        token: None,
        payload,
        expected,
    }
}

fn query(text: impl Into<String>) -> Payload {
    Payload::Json(json!({ "query": text.into() }))
}

/// The users, project and task the authenticated attacks use.
struct Fixture {
    admin: TestUser,
    viewer: TestUser,
    owner: TestUser,
    project: String,
    task: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    // The first account is the platform admin.
    let admin = app.register("admin@example.com", "Admin").await;
    let owner = app.register("owner@example.com", "Owner").await;
    let viewer = app.register("viewer@example.com", "Viewer").await;
    app.register("newcomer@example.com", "Newcomer").await;
    let project = app.create_project(&owner, "Fortress").await;
    app.add_member(&owner, &project, &viewer, "VIEWER").await;
    let task = app
        .create_task(&owner, &project, "Guarded", json!({}))
        .await["id"]
        .as_str()
        .expect("task id")
        .to_string();
    Fixture {
        admin,
        viewer,
        owner,
        project,
        task,
    }
}

fn jwt(header: Header, claims: Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).expect("encodes")
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// Forged and mangled tokens, each built from a real one so only the one flaw differs.
fn forged_tokens(real: &str) -> Vec<(&'static str, String)> {
    let claims = claims_of(real);
    let now = chrono::Utc::now().timestamp();
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let alg_none = format!(
        "{}.{}.",
        encode(&json!({ "alg": "none", "typ": "JWT" })),
        encode(&claims)
    );
    // RS256 in the header, HMAC-signed with the shared secret: the classic key confusion.
    let parts: Vec<&str> = real.split('.').collect();
    let confused_header = encode(&json!({ "alg": "RS256", "typ": "JWT" }));
    let rs_confusion = format!("{confused_header}.{}.{}", parts[1], parts[2]);
    let hs512 = jwt(
        Header::new(Algorithm::HS512),
        claims.clone(),
        TEST_JWT_SECRET.as_bytes(),
    );
    let other_key = jwt(
        Header::new(Algorithm::HS256),
        claims.clone(),
        b"another-secret-that-is-at-least-32-bytes-long",
    );
    let mut expired_claims = claims.clone();
    expired_claims["iat"] = json!(now - 7200);
    expired_claims["exp"] = json!(now - 3600);
    let expired = jwt(
        Header::new(Algorithm::HS256),
        expired_claims,
        TEST_JWT_SECRET.as_bytes(),
    );
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!(uuid::Uuid::new_v4());
    let tampered = format!("{}.{}.{}", parts[0], encode(&tampered_claims), parts[2]);
    vec![
        ("jwt with alg none", alg_none),
        (
            "jwt claiming RS256 signed with the HMAC secret",
            rs_confusion,
        ),
        ("jwt signed HS512 with the right secret", hs512),
        ("jwt signed with another key", other_key),
        ("expired jwt", expired),
        ("jwt with a tampered payload", tampered),
        ("garbage token", "not.a.jwt".to_string()),
    ]
}

/// Every mutation a project VIEWER must be refused, with the variables that target the fixture.
fn viewer_mutations(fixture: &Fixture) -> Vec<(&'static str, &'static str, Value)> {
    let project = json!({ "p": fixture.project });
    let task = json!({ "t": fixture.task });
    let member = json!({ "p": fixture.project, "u": fixture.owner.id });
    vec![
        ("updateProject", "mutation($p: ID!) { updateProject(id: $p, input: { name: \"Pwned\" }) { id } }", project.clone()),
        ("archiveProject", "mutation($p: ID!) { archiveProject(id: $p) { id } }", project.clone()),
        ("unarchiveProject", "mutation($p: ID!) { unarchiveProject(id: $p) { id } }", project.clone()),
        ("deleteProject", "mutation($p: ID!) { deleteProject(id: $p) }", project.clone()),
        ("addProjectMember", "mutation($p: ID!) { addProjectMember(projectId: $p, email: \"newcomer@example.com\", role: ADMIN) { role } }", project.clone()),
        ("changeMemberRole", "mutation($p: ID!, $u: ID!) { changeMemberRole(projectId: $p, userId: $u, role: VIEWER) { role } }", member.clone()),
        ("removeMember", "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }", member.clone()),
        ("transferOwnership", "mutation($p: ID!, $u: ID!) { transferOwnership(projectId: $p, userId: $u) { role } }", member),
        ("createTask", "mutation($p: ID!) { createTask(input: { projectId: $p, title: \"Injected\" }) { id } }", project),
        ("updateTask", "mutation($t: ID!) { updateTask(id: $t, expectedVersion: 1, changes: { title: \"Pwned\" }) { id } }", task.clone()),
        ("moveTask", "mutation($t: ID!) { moveTask(id: $t, status: DONE) { id } }", task.clone()),
        ("deleteTask", "mutation($t: ID!) { deleteTask(id: $t) }", task),
    ]
}

fn corpus(fixture: &Fixture) -> Vec<Attack> {
    let mut attacks = vec![
        attack(
            "depth 10,000",
            query(format!("{}{}", "{ me ".repeat(10_000), "}".repeat(10_000))),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "depth 5,000 within the size limit",
            query(format!("{}{}", "{a".repeat(5_000), "}".repeat(5_000))),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "depth 13 through real fields",
            query(format!(
                "{{ projects {{ nodes {{ {} id {} }} }} }}",
                "tasks { nodes { project { ".repeat(4),
                "} } } ".repeat(4)
            )),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "10,000 aliases",
            query(format!(
                "{{ {} }}",
                (0..10_000)
                    .map(|n| format!("a{n}: __typename"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "31 aliases",
            query(format!(
                "{{ {} }}",
                (0..31)
                    .map(|n| format!("a{n}: __typename"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "fragment cycle",
            query(
                "{ me { ...A } } fragment A on User { id ...B } fragment B on User { email ...A }",
            ),
            expect(400, "BAD_USER_INPUT"),
        ),
        attack(
            "fragment spreading itself",
            query("{ me { ...A } } fragment A on User { ...A }"),
            expect(400, "BAD_USER_INPUT"),
        ),
        attack(
            "fragment bomb (each fragment spreads the next twice)",
            query({
                let mut text = String::from("{ me { ...F0 } }");
                for level in 0..40 {
                    text.push_str(&format!(
                        " fragment F{level} on User {{ ...F{} id ...F{} }}",
                        level + 1,
                        level + 1
                    ));
                }
                text + " fragment F40 on User { email }"
            }),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "1,000-operation batch",
            Payload::Json(Value::Array(vec![
                json!({ "query": "{ __typename }" });
                1_000
            ])),
            expect(400, "BAD_USER_INPUT"),
        ),
        attack(
            "10 MiB body",
            Payload::Json(
                json!({ "query": "{ __typename }", "variables": { "padding": "x".repeat(10 * 1024 * 1024) } }),
            ),
            expect(413, "BAD_USER_INPUT"),
        ),
        attack(
            "1 MiB string in the document",
            query(format!(
                "{{ chemicals(search: \"{}\") {{ nodes {{ formula }} }} }}",
                "x".repeat(1024 * 1024 - 100)
            )),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "1 MiB string argument in variables",
            Payload::Json(json!({
                "query": "mutation($p: String!) { register(input: { email: \"big@example.com\", password: $p, displayName: \"Big\" }) { accessToken } }",
                "variables": { "p": "x".repeat(1024 * 1024 - 1024) },
            })),
            expect(200, "BAD_USER_INPUT"),
        ),
        attack(
            "input object nested 1,000 deep in the document",
            query(format!(
                "{{ projects(filter: {}1{}) {{ nodes {{ id }} }} }}",
                "{ a: ".repeat(1_000),
                " }".repeat(1_000)
            )),
            expect(400, "QUERY_TOO_COMPLEX"),
        ),
        attack(
            "variables nested 10,000 deep",
            Payload::Json(json!({ "query": "query($v: String) { __typename }" }))
                .with_raw_variables(&format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
            expect(400, "BAD_USER_INPUT"),
        ),
        attack(
            "invalid UTF-8",
            Payload::Bytes(b"{\"query\": \"{ me { id \xff\xfe } }\"}".to_vec()),
            expect(400, "BAD_USER_INPUT"),
        ),
        attack(
            "misspelt field probing for suggestions",
            query("{ projets { nodes { id } } }"),
            expect(400, "BAD_USER_INPUT"),
        ),
        attack(
            "misspelt argument probing for suggestions",
            query("{ projects(frist: 1) { nodes { id } } }"),
            expect(400, "BAD_USER_INPUT"),
        ),
        attack(
            "anonymous introspection",
            query("{ __schema { types { name } } }"),
            expect(400, "FORBIDDEN"),
        ),
        attack(
            "anonymous __type probe",
            query("{ __type(name: \"User\") { fields { name } } }"),
            expect(400, "FORBIDDEN"),
        ),
        Attack {
            token: Some(fixture.viewer.access_token.clone()),
            ..attack(
                "introspection by a signed-in non-admin",
                query("{ __schema { queryType { name } } }"),
                expect(400, "FORBIDDEN"),
            )
        },
        Attack {
            token: Some(fixture.admin.access_token.clone()),
            // The control case: the same probe by a platform admin is answered (no error code).
            ..attack(
                "introspection by a platform admin",
                query("{ __schema { queryType { name } } }"),
                expect(200, "-"),
            )
        },
        Attack {
            token: Some(fixture.viewer.access_token.clone()),
            ..attack(
                "a non-admin making themselves platform admin",
                Payload::Json(json!({
                    "query": "mutation($u: ID!) { setPlatformAdmin(userId: $u, isAdmin: true) { id } }",
                    "variables": { "u": fixture.viewer.id },
                })),
                expect(200, "FORBIDDEN"),
            )
        },
    ];
    for (name, token) in forged_tokens(&fixture.viewer.access_token) {
        attacks.push(Attack {
            token: Some(token),
            ..attack(name, query("{ me { id } }"), expect(401, "UNAUTHENTICATED"))
        });
    }
    for (name, text, variables) in viewer_mutations(fixture) {
        attacks.push(Attack {
            token: Some(fixture.viewer.access_token.clone()),
            ..attack(
                name,
                Payload::Json(json!({ "query": text, "variables": variables })),
                expect(200, "FORBIDDEN"),
            )
        });
    }
    attacks
}

impl Payload {
    /// The same JSON with `variables` replaced by raw (possibly hostile) JSON text.
    fn with_raw_variables(self, variables: &str) -> Payload {
        let Payload::Json(Value::Object(mut object)) = self else {
            return self;
        };
        object.remove("variables");
        let mut text = Value::Object(object).to_string();
        text.pop();
        Payload::Bytes(format!("{text},\"variables\":{variables}}}").into_bytes())
    }
}

async fn send(app: &TestApp, attack: &Attack) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json");
    if let Some(token) = &attack.token {
        request = request.bearer_auth(token);
    }
    request = match &attack.payload {
        Payload::Json(value) => request.body(value.to_string()),
        Payload::Bytes(bytes) => request.body(bytes.clone()),
    };
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Runs every attack; returns the mismatches.
async fn run_corpus(app: &TestApp, fixture: &Fixture) -> Vec<String> {
    let mut mismatches = Vec::new();
    for attack in corpus(fixture) {
        let (status, body) = send(app, &attack).await;
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("-");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        if status >= 500
            || status != attack.expected.status
            || code != attack.expected.code
            || message.contains("Did you mean")
        {
            let mut shown = body.to_string();
            shown.truncate(400);
            mismatches.push(format!(
                "{}: expected {} {}, got {status} {code}: {shown}",
                attack.name, attack.expected.status, attack.expected.code
            ));
        }
    }
    mismatches.extend(brute_force_login(app).await);
    mismatches
}

/// Twenty wrong passwords from one address: the login limit (10 a minute) cuts them off.
async fn brute_force_login(app: &TestApp) -> Vec<String> {
    let mut outcomes = Vec::new();
    for attempt in 0..20 {
        let response = app
            .post_graphql(
                None,
                json!({ "query": common::LOGIN, "variables": { "input": { "email": "owner@example.com", "password": format!("guess number {attempt}") } } }),
            )
            .await;
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("-")
            .to_string();
        outcomes.push((status, code, retry_after));
    }
    let admitted = outcomes
        .iter()
        .filter(|(_, code, _)| code == "UNAUTHENTICATED")
        .count();
    let mut mismatches = Vec::new();
    if admitted > 10 {
        mismatches.push(format!(
            "brute-force login: {admitted} of 20 attempts were checked"
        ));
    }
    let (status, code, retry_after) = outcomes.last().expect("20 attempts");
    if (*status, code.as_str(), *retry_after) != (429, "RATE_LIMITED", true) {
        mismatches.push(format!(
            "brute-force login: the 20th attempt got {status} {code} (Retry-After: {retry_after})"
        ));
    }
    mismatches
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("Linux exposes /proc/self/status")
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS is reported")
}

#[tokio::test]
async fn the_attack_corpus_gets_the_expected_codes_and_memory_stays_flat() {
    let app = TestApp::builder()
        .env("APP_ENV", "production")
        .env("RATE_LIMIT_LOGIN_PER_MINUTE", "10")
        .spawn()
        .await;
    let fixture = fixture(&app).await;

    let first = run_corpus(&app, &fixture).await;
    assert!(first.is_empty(), "first run:\n{}", first.join("\n"));
    let after_first = resident_kib();
    let second = run_corpus(&app, &fixture).await;
    assert!(second.is_empty(), "second run:\n{}", second.join("\n"));
    let after_second = resident_kib();
    println!(
        "RSS after the first corpus run {after_first} KiB, after the second {after_second} KiB"
    );
    assert!(
        after_second * 100 <= after_first * 120,
        "RSS grew from {after_first} KiB to {after_second} KiB across a second run"
    );

    // Nothing the viewer tried changed anything.
    let body = app
        .graphql_as(
            &fixture.owner.access_token,
            "query($p: ID!) { project(id: $p) { name archived members { role user { email } } tasks { nodes { title status } } } }",
            json!({ "p": fixture.project }),
        )
        .await;
    let project = &data(&body)["project"];
    assert_eq!(project["name"], "Fortress");
    assert_eq!(project["archived"], false);
    assert_eq!(project["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        project["tasks"]["nodes"],
        json!([{ "title": "Guarded", "status": "TODO" }])
    );
    let me = app
        .graphql_as(
            &fixture.viewer.access_token,
            "{ me { isAdmin } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&me)["me"]["isAdmin"], false);
}

#[tokio::test]
async fn in_production_only_platform_admins_may_introspect_and_errors_never_suggest_names() {
    let production = TestApp::builder()
        .env("APP_ENV", "production")
        .spawn()
        .await;
    let admin = production.register("admin@example.com", "Admin").await;
    let introspection = "{ __schema { queryType { name } } }";
    let body = production
        .graphql_as(&admin.access_token, introspection, json!({}))
        .await;
    assert_eq!(data(&body)["__schema"]["queryType"]["name"], "QueryRoot");

    let probe = production.graphql("{ me { emai } }", json!({})).await;
    let message = common::expect_error(&probe, "BAD_USER_INPUT")["message"]
        .as_str()
        .unwrap();
    assert!(!message.contains("Did you mean"), "{message}");

    // The same probe in development gets the hint, so the production check is meaningful.
    let development = TestApp::spawn().await;
    let hinted = development.graphql("{ me { emai } }", json!({})).await;
    let hint = hinted["errors"][0]["message"].as_str().unwrap();
    assert!(hint.contains("Did you mean"), "{hint}");
}
