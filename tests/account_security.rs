//! Account security through the public API: TOTP MFA, sessions, API keys, the audit log and
//! the per-account login lock. TOTP codes are computed here from the enrolled secret, with an
//! HMAC-SHA1 of our own, as an authenticator app would.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use catalyst::auth::totp::base32_decode;
use common::{
    data, expect_error,
    wait::{eventually, within_one_window},
    ws::GraphqlWs,
    TestApp, TestUser, LOGIN, STRONG_PASSWORD,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

const ENROLL: &str = "mutation { enrollTotp { secret otpauthUri } }";
const CONFIRM: &str =
    "mutation Confirm($code: String!) { confirmTotp(code: $code) { recoveryCodes } }";
const LOGIN_MFA: &str = "mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken user { email } mfaRequired mfaChallenge mfaChallengeExpiresAt }
}";
const VERIFY: &str = "mutation Verify($challenge: String!, $code: String!) {
  verifyMfa(challenge: $challenge, code: $code) { accessToken refreshToken user { email } }
}";
const DISABLE: &str = "mutation Disable($password: String!, $code: String!) { disableTotp(password: $password, code: $code) }";
const ME: &str = "{ me { email } }";
const SESSIONS: &str =
    "{ mySessions { edges { node { id userAgent ipAddress createdAt lastUsedAt current } } } }";
const REVOKE_SESSION: &str = "mutation Revoke($id: ID!) { revokeSession(id: $id) }";
const REFRESH: &str =
    "mutation Refresh($token: String!) { refreshSession(refreshToken: $token) { accessToken } }";
const CREATE_KEY: &str = "mutation Create($name: String!, $scopes: [ApiScope!]!, $expiresAt: DateTime) {
  createApiKey(name: $name, scopes: $scopes, expiresAt: $expiresAt) { secret apiKey { id name prefix scopes expiresAt lastUsedAt revokedAt } }
}";
const API_KEYS: &str =
    "{ apiKeys { edges { node { id name prefix scopes lastUsedAt revokedAt } } } }";
const REVOKE_KEY: &str = "mutation Revoke($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }";
const UPDATE_PROFILE: &str =
    "mutation { updateProfile(input: { displayName: \"Renamed\" }) { displayName } }";
const AUDIT_LOG: &str = "query Audit($first: Int, $after: String, $filter: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    edges { node { kind actor { email } targetUser { email } target ipAddress userAgent details occurredAt } }
    pageInfo { hasNextPage endCursor }
  }
}";

// ---- an authenticator app, written independently of the server's implementation ----

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
}

/// RFC 6238 with HMAC-SHA1, 6 digits, 30-second steps.
fn totp(secret_base32: &str, unix_seconds: i64) -> String {
    let secret = base32_decode(secret_base32).expect("the server returns base32");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &secret);
    let mac = ring::hmac::sign(&key, &(unix_seconds / 30).to_be_bytes());
    let mac = mac.as_ref();
    let offset = (mac[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

/// Stories that compute codes for "now" and its neighbours run inside one step, so the codes
/// mean the same steps to the server a moment later (`within_one_window`).
const TOTP_STEP: Duration = Duration::from_secs(30);

// ---- small steps of the stories ----

async fn enroll_and_confirm(app: &TestApp, user: &TestUser, at: i64) -> (String, Vec<String>) {
    let enrolled = app.graphql_as(&user.access_token, ENROLL, json!({})).await;
    let secret = data(&enrolled)["enrollTotp"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let confirmed = app
        .graphql_as(
            &user.access_token,
            CONFIRM,
            json!({ "code": totp(&secret, at) }),
        )
        .await;
    let codes = data(&confirmed)["confirmTotp"]["recoveryCodes"]
        .as_array()
        .expect("recovery codes")
        .iter()
        .map(|code| code.as_str().expect("code").to_string())
        .collect();
    (secret, codes)
}

async fn login_with(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(
        LOGIN_MFA,
        json!({ "input": { "email": email, "password": password } }),
    )
    .await
}

/// Signs in with the password of a user with MFA on; returns the challenge.
async fn mfa_challenge(app: &TestApp, email: &str) -> String {
    let body = login_with(app, email, STRONG_PASSWORD).await;
    let login = &data(&body)["login"];
    assert_eq!(login["mfaRequired"], true, "{body:#}");
    assert_eq!(login["accessToken"], Value::Null);
    assert_eq!(login["user"], Value::Null);
    login["mfaChallenge"]
        .as_str()
        .expect("challenge")
        .to_string()
}

async fn verify(app: &TestApp, challenge: &str, code: &str) -> Value {
    app.graphql(VERIFY, json!({ "challenge": challenge, "code": code }))
        .await
}

async fn post_with_agent(app: &TestApp, agent: &str, query: &str, variables: Value) -> Value {
    app.client
        .post(app.url("/graphql"))
        .header("User-Agent", agent)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("GraphQL responses are JSON")
}

async fn audit_kinds(app: &TestApp, admin: &TestUser, user: &TestUser) -> Vec<String> {
    let body = app
        .graphql_as(
            &admin.access_token,
            AUDIT_LOG,
            json!({ "first": 100, "filter": { "userId": user.id } }),
        )
        .await;
    data(&body)["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["kind"].as_str().expect("kind").to_string())
        .collect()
}

// ---- MFA ----

#[tokio::test]
async fn mfa_login_needs_a_code_refuses_replay_and_accepts_the_next_step() {
    within_one_window(TOTP_STEP, || async {
        let app = TestApp::spawn().await;
        let _admin = app.register("admin@example.com", "Admin").await;
        let ada = app.register("ada@example.com", "Ada").await;
        let now = unix_now();

        let enrolled = app.graphql_as(&ada.access_token, ENROLL, json!({})).await;
        let enrollment = &data(&enrolled)["enrollTotp"];
        let secret = enrollment["secret"].as_str().unwrap().to_string();
        assert_eq!(base32_decode(&secret).unwrap().len(), 20);
        let uri = enrollment["otpauthUri"].as_str().unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Catalyst:ada%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={secret}&issuer=Catalyst")));

        let wrong = app
            .graphql_as(&ada.access_token, CONFIRM, json!({ "code": "000000" }))
            .await;
        assert_eq!(
            expect_error(&wrong, "BAD_USER_INPUT")["extensions"]["field"],
            "code"
        );
        let confirmed = app
            .graphql_as(
                &ada.access_token,
                CONFIRM,
                json!({ "code": totp(&secret, now) }),
            )
            .await;
        let codes = data(&confirmed)["confirmTotp"]["recoveryCodes"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(codes.len(), 10);

        // The password alone no longer signs in.
        let challenge = mfa_challenge(&app, "ada@example.com").await;
        let wrong_code = verify(&app, &challenge, "123456").await;
        expect_error(&wrong_code, "UNAUTHENTICATED");
        // The code that confirmed enrollment was used: replaying it is refused.
        let replay = verify(&app, &challenge, &totp(&secret, now)).await;
        expect_error(&replay, "UNAUTHENTICATED");
        // The next step's code (a phone clock one step ahead) is accepted.
        let ahead = totp(&secret, now + 30);
        let signed_in = verify(&app, &challenge, &ahead).await;
        let payload = &data(&signed_in)["verifyMfa"];
        assert_eq!(payload["user"]["email"], "ada@example.com");
        assert!(payload["refreshToken"].as_str().unwrap().starts_with("rt_"));
        let me = app
            .graphql_as(payload["accessToken"].as_str().unwrap(), ME, json!({}))
            .await;
        assert_eq!(data(&me)["me"]["email"], "ada@example.com");

        // A challenge is spent once it succeeded; that code cannot sign in again either.
        let spent = verify(&app, &challenge, &totp(&secret, now + 30)).await;
        expect_error(&spent, "UNAUTHENTICATED");
        let second = mfa_challenge(&app, "ada@example.com").await;
        let replayed_elsewhere = verify(&app, &second, &ahead).await;
        expect_error(&replayed_elsewhere, "UNAUTHENTICATED");
        let made_up = verify(&app, "mfa_made_up", &ahead).await;
        expect_error(&made_up, "UNAUTHENTICATED");

        // Once on, enrollment cannot restart (and so the secret is never handed out again).
        let again = app.graphql_as(&ada.access_token, ENROLL, json!({})).await;
        expect_error(&again, "CONFLICT");
    })
    .await;
}

#[tokio::test]
async fn a_code_one_step_behind_is_accepted_but_two_steps_away_is_not() {
    within_one_window(TOTP_STEP, || async {
        let app = TestApp::spawn().await;
        let ada = app.register("ada@example.com", "Ada").await;
        let now = unix_now();
        // Confirming with the previous step's code: a phone clock one step behind.
        let (secret, _) = enroll_and_confirm(&app, &ada, now - 30).await;

        let challenge = mfa_challenge(&app, "ada@example.com").await;
        let too_far_ahead = verify(&app, &challenge, &totp(&secret, now + 60)).await;
        expect_error(&too_far_ahead, "UNAUTHENTICATED");
        let too_far_behind = verify(&app, &challenge, &totp(&secret, now - 60)).await;
        expect_error(&too_far_behind, "UNAUTHENTICATED");
        let current = verify(&app, &challenge, &totp(&secret, now)).await;
        assert_eq!(
            data(&current)["verifyMfa"]["user"]["email"],
            "ada@example.com"
        );
    })
    .await;
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() {
    within_one_window(TOTP_STEP, || async {
        let app = TestApp::spawn().await;
        let _admin = app.register("admin@example.com", "Admin").await;
        let ada = app.register("ada@example.com", "Ada").await;
        let now = unix_now();
        let (_, codes) = enroll_and_confirm(&app, &ada, now).await;
        assert!(codes.iter().all(|code| code.len() == 19), "{codes:?}");

        let challenge = mfa_challenge(&app, "ada@example.com").await;
        let first = verify(&app, &challenge, &codes[0]).await;
        assert_eq!(
            data(&first)["verifyMfa"]["user"]["email"],
            "ada@example.com"
        );

        let challenge = mfa_challenge(&app, "ada@example.com").await;
        let reused = verify(&app, &challenge, &codes[0]).await;
        expect_error(&reused, "UNAUTHENTICATED");
        // Typed sloppily (lower case, spaces instead of dashes), another code still works.
        let sloppy = codes[1].to_lowercase().replace('-', " ");
        let second = verify(&app, &challenge, &sloppy).await;
        assert_eq!(
            data(&second)["verifyMfa"]["user"]["email"],
            "ada@example.com"
        );
    })
    .await;
}

#[tokio::test]
async fn disabling_mfa_needs_the_password_and_a_fresh_code() {
    within_one_window(TOTP_STEP, || async {
        let app = TestApp::spawn().await;
        let admin = app.register("admin@example.com", "Admin").await;
        let ada = app.register("ada@example.com", "Ada").await;
        let now = unix_now();
        let (secret, _) = enroll_and_confirm(&app, &ada, now).await;

        let bad_password = app
            .graphql_as(
                &ada.access_token,
                DISABLE,
                json!({ "password": "not my password", "code": totp(&secret, now + 30) }),
            )
            .await;
        assert_eq!(
            expect_error(&bad_password, "BAD_USER_INPUT")["extensions"]["field"],
            "password"
        );
        let replayed = app
            .graphql_as(
                &ada.access_token,
                DISABLE,
                json!({ "password": STRONG_PASSWORD, "code": totp(&secret, now) }),
            )
            .await;
        assert_eq!(
            expect_error(&replayed, "BAD_USER_INPUT")["extensions"]["field"],
            "code"
        );
        let disabled = app
            .graphql_as(
                &ada.access_token,
                DISABLE,
                json!({ "password": STRONG_PASSWORD, "code": totp(&secret, now + 30) }),
            )
            .await;
        assert_eq!(data(&disabled)["disableTotp"], true);

        let login = login_with(&app, "ada@example.com", STRONG_PASSWORD).await;
        assert_eq!(data(&login)["login"]["mfaRequired"], false);
        assert!(data(&login)["login"]["accessToken"].is_string());
        let kinds = audit_kinds(&app, &admin, &ada).await;
        assert!(kinds.contains(&"MFA_ENROLLED".to_string()), "{kinds:?}");
        assert!(kinds.contains(&"MFA_DISABLED".to_string()), "{kinds:?}");
        // The wrong code counted as a failed attempt against the account's lock.
        assert!(kinds.contains(&"LOGIN_FAILED".to_string()), "{kinds:?}");
    })
    .await;
}

#[tokio::test]
async fn totp_secrets_are_stored_encrypted() {
    within_one_window(TOTP_STEP, || async {
        let app = TestApp::spawn().await;
        let ada = app.register("ada@example.com", "Ada").await;
        let now = unix_now();
        let (secret, _) = enroll_and_confirm(&app, &ada, now).await;
        let raw = base32_decode(&secret).unwrap();

        #[derive(diesel::QueryableByName)]
        struct Stored {
            #[diesel(sql_type = diesel::sql_types::Bytea)]
            secret_encrypted: Vec<u8>,
        }
        let mut connection = AsyncPgConnection::establish(&app.database_url)
            .await
            .expect("the test database accepts connections");
        let stored: Stored = diesel::sql_query("SELECT secret_encrypted FROM totp_credentials")
            .get_result(&mut connection)
            .await
            .expect("one credential");
        assert!(stored.secret_encrypted.len() > raw.len());
        assert!(!stored
            .secret_encrypted
            .windows(raw.len())
            .any(|window| window == raw.as_slice()));
    })
    .await;
}

// ---- sessions ----

#[tokio::test]
async fn my_sessions_lists_devices_and_revoking_one_kills_its_refresh_and_access_tokens() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let login_input =
        json!({ "input": { "email": "ada@example.com", "password": STRONG_PASSWORD } });
    let phone = post_with_agent(&app, "Phone/1.0", LOGIN, login_input.clone()).await;
    let phone_access = data(&phone)["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let phone_refresh = data(&phone)["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let laptop = post_with_agent(&app, "Laptop/2.0", LOGIN, login_input).await;
    let laptop_access = data(&laptop)["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();

    let listed = app.graphql_as(&laptop_access, SESSIONS, json!({})).await;
    let sessions: Vec<Value> = data(&listed)["mySessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect();
    assert_eq!(sessions.len(), 3, "{sessions:#?}");
    let by_agent = |agent: &str| {
        sessions
            .iter()
            .find(|session| session["userAgent"] == agent)
            .unwrap_or_else(|| panic!("a session from {agent}"))
            .clone()
    };
    let phone_session = by_agent("Phone/1.0");
    assert_eq!(by_agent("Laptop/2.0")["current"], true);
    assert_eq!(phone_session["current"], false);
    assert_eq!(phone_session["ipAddress"], "127.0.0.1");
    assert!(phone_session["createdAt"].is_string() && phone_session["lastUsedAt"].is_string());

    // Before revocation the phone works; after, neither of its tokens does.
    let before = app.graphql_as(&phone_access, ME, json!({})).await;
    assert_eq!(data(&before)["me"]["email"], "ada@example.com");
    let revoked = app
        .graphql_as(
            &laptop_access,
            REVOKE_SESSION,
            json!({ "id": phone_session["id"] }),
        )
        .await;
    assert_eq!(data(&revoked)["revokeSession"], true);
    let access = app
        .post_graphql(Some(&phone_access), json!({ "query": ME }))
        .await;
    assert_eq!(access.status(), 401);
    let refresh = app
        .graphql(REFRESH, json!({ "token": phone_refresh }))
        .await;
    expect_error(&refresh, "UNAUTHENTICATED");
    let listed = app.graphql_as(&laptop_access, SESSIONS, json!({})).await;
    assert_eq!(
        data(&listed)["mySessions"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Someone else's session, or an already revoked one, is not found.
    let grace = app.register("grace@example.com", "Grace").await;
    let foreign = app
        .graphql_as(
            &grace.access_token,
            REVOKE_SESSION,
            json!({ "id": phone_session["id"] }),
        )
        .await;
    expect_error(&foreign, "NOT_FOUND");
    let twice = app
        .graphql_as(
            &ada.access_token,
            REVOKE_SESSION,
            json!({ "id": phone_session["id"] }),
        )
        .await;
    expect_error(&twice, "NOT_FOUND");
}

#[tokio::test]
async fn authenticating_costs_one_statement_with_an_api_key_and_with_a_session_not_just_checked() {
    let app = TestApp::builder()
        // Long enough that the session checked below is still remembered when asked again.
        .env("SESSION_MEMO_MS", "5000")
        .spawn()
        .await;
    let ada = app.register("ada@example.com", "Ada").await;
    let statements_for_me = async |credential: &str| {
        let before = app.statements_executed().await;
        data(&app.graphql_as(credential, ME, json!({})).await);
        app.statements_executed().await - before
    };
    // One statement checks the session and loads the user (registration's token has not been
    // checked yet); the answer is then remembered (`auth::session_memo`, tests/session_memo.rs).
    assert_eq!(
        statements_for_me(&ada.access_token).await,
        1,
        "with a session"
    );
    assert_eq!(
        statements_for_me(&ada.access_token).await,
        0,
        "with the session just checked"
    );

    let key = create_key(&app, &ada, json!(["READ"])).await;
    let secret = key["secret"].as_str().unwrap().to_string();
    // The first use of the key also records its last use; later ones within a minute do not.
    data(&app.graphql_as(&secret, ME, json!({})).await);
    assert_eq!(statements_for_me(&secret).await, 1, "with an API key");
    assert_eq!(
        statements_for_me(&secret).await,
        1,
        "with an API key, again"
    );
}

// ---- API keys ----

async fn create_key(app: &TestApp, user: &TestUser, scopes: Value) -> Value {
    let body = app
        .graphql_as(
            &user.access_token,
            CREATE_KEY,
            json!({ "name": "CI", "scopes": scopes }),
        )
        .await;
    data(&body)["createApiKey"].clone()
}

#[tokio::test]
async fn a_read_key_reads_but_cannot_mutate_and_a_write_key_can() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let read = create_key(&app, &ada, json!(["READ"])).await;
    let read_secret = read["secret"].as_str().unwrap();
    let prefix = read["apiKey"]["prefix"].as_str().unwrap();
    assert!(
        read_secret.starts_with(&format!("ck_{prefix}_")),
        "{read_secret}"
    );
    assert_eq!(read["apiKey"]["scopes"], json!(["READ"]));

    let me = app.graphql_as(read_secret, ME, json!({})).await;
    assert_eq!(data(&me)["me"]["email"], "ada@example.com");
    let mutation = app.graphql_as(read_secret, UPDATE_PROFILE, json!({})).await;
    expect_error(&mutation, "FORBIDDEN");
    let create_project = app
        .graphql_as(
            read_secret,
            common::CREATE_PROJECT,
            json!({ "input": { "name": "Sneaky" } }),
        )
        .await;
    expect_error(&create_project, "FORBIDDEN");
    // In a document with several operations, the one selected by name is judged.
    let document = format!(
        "query Read {ME} mutation Write {}",
        &UPDATE_PROFILE["mutation ".len()..]
    );
    for (operation, allowed) in [("Read", true), ("Write", false)] {
        let response = app
            .post_graphql(
                Some(read_secret),
                json!({ "query": document, "operationName": operation }),
            )
            .await;
        let body: Value = response.json().await.unwrap();
        if allowed {
            assert_eq!(data(&body)["me"]["email"], "ada@example.com");
        } else {
            expect_error(&body, "FORBIDDEN");
        }
    }

    let write = create_key(&app, &ada, json!(["READ", "WRITE"])).await;
    let write_secret = write["secret"].as_str().unwrap();
    let renamed = app
        .graphql_as(write_secret, UPDATE_PROFILE, json!({}))
        .await;
    assert_eq!(data(&renamed)["updateProfile"]["displayName"], "Renamed");
    // Even a WRITE key cannot manage credentials: no minting more keys with a leaked one.
    let minted = app
        .graphql_as(
            write_secret,
            CREATE_KEY,
            json!({ "name": "more", "scopes": ["WRITE"] }),
        )
        .await;
    expect_error(&minted, "FORBIDDEN");
}

#[tokio::test]
async fn over_websocket_a_read_key_queries_but_its_mutations_are_refused() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let key = create_key(&app, &ada, json!(["READ"])).await;
    let secret = key["secret"].as_str().unwrap();
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {secret}") }),
    )
    .await
    .expect("a live key is acknowledged");
    socket.subscribe("me", ME, json!({})).await;
    socket.subscribe("rename", UPDATE_PROFILE, json!({})).await;
    let (mut me, mut rename) = (None, None);
    while me.is_none() || rename.is_none() {
        let message = socket.next_message().await;
        match message["id"].as_str() {
            Some("me") if message["type"] == "next" => me = Some(message),
            Some("rename") if message["type"] != "complete" => rename = Some(message),
            _ => {}
        }
    }
    let me = me.unwrap();
    assert_eq!(me["payload"]["data"]["me"]["email"], "ada@example.com");
    let rename = rename.unwrap();
    let errors = if rename["type"] == "error" {
        &rename["payload"]
    } else {
        &rename["payload"]["errors"]
    };
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN", "{rename}");
    socket.close().await;

    let unchanged = app
        .graphql_as(&ada.access_token, "{ me { displayName } }", json!({}))
        .await;
    assert_eq!(data(&unchanged)["me"]["displayName"], "Ada");
}

#[tokio::test]
async fn keys_show_their_secret_once_record_last_use_and_stop_when_revoked_or_expired() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let key = create_key(&app, &ada, json!(["READ"])).await;
    let secret = key["secret"].as_str().unwrap().to_string();
    assert_eq!(key["apiKey"]["lastUsedAt"], Value::Null);

    let used = app.graphql_as(&secret, ME, json!({})).await;
    data(&used);
    let listed = app.graphql_as(&ada.access_token, API_KEYS, json!({})).await;
    let listing = data(&listed)["apiKeys"]["edges"][0]["node"].clone();
    assert!(listing["lastUsedAt"].is_string(), "{listing}");
    assert!(!listed.to_string().contains(&secret));

    let revoked = app
        .graphql_as(
            &ada.access_token,
            REVOKE_KEY,
            json!({ "id": key["apiKey"]["id"] }),
        )
        .await;
    assert!(data(&revoked)["revokeApiKey"]["revokedAt"].is_string());
    let after = app
        .post_graphql(Some(&secret), json!({ "query": ME }))
        .await;
    assert_eq!(after.status(), 401);
    let body: Value = after.json().await.unwrap();
    expect_error(&body, "UNAUTHENTICATED");

    let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
    let expiring = app
        .graphql_as(
            &ada.access_token,
            CREATE_KEY,
            json!({ "name": "brief", "scopes": ["READ"], "expiresAt": soon.to_rfc3339() }),
        )
        .await;
    let expiring_secret = data(&expiring)["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    data(&app.graphql_as(&expiring_secret, ME, json!({})).await);
    // Asked until it is refused: accepted until its expiry (and a moment of clock and
    // request time past it), refused from then on.
    let expired = eventually("the key to expire", Duration::from_secs(5), || async {
        let answer = app.graphql_as(&expiring_secret, ME, json!({})).await;
        if answer.get("errors").is_some() {
            return Some(answer);
        }
        assert!(
            chrono::Utc::now() < soon + chrono::Duration::milliseconds(500),
            "the key still works after its expiry: {answer}"
        );
        None
    })
    .await;
    expect_error(&expired, "UNAUTHENTICATED");

    let past = app
        .graphql_as(
            &ada.access_token,
            CREATE_KEY,
            json!({ "name": "old", "scopes": ["READ"], "expiresAt": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        expect_error(&past, "BAD_USER_INPUT")["extensions"]["field"],
        "expiresAt"
    );
    let no_scopes = app
        .graphql_as(
            &ada.access_token,
            CREATE_KEY,
            json!({ "name": "none", "scopes": [] }),
        )
        .await;
    expect_error(&no_scopes, "BAD_USER_INPUT");
    let made_up = app.graphql_as("ck_00000000_made_up", ME, json!({})).await;
    expect_error(&made_up, "UNAUTHENTICATED");
}

// ---- audit log ----

#[tokio::test]
async fn the_audit_log_records_security_events_with_client_details_for_admins_only() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@example.com", "Admin").await;
    let ada = app.register("ada@example.com", "Ada").await;
    post_with_agent(
        &app,
        "Attacker/0.1",
        LOGIN,
        json!({ "input": { "email": "ada@example.com", "password": "guessing wrong" } }),
    )
    .await;
    let ok = login_with(&app, "ada@example.com", STRONG_PASSWORD).await;
    data(&ok);
    let key = create_key(&app, &ada, json!(["READ"])).await;
    app.graphql_as(
        &ada.access_token,
        REVOKE_KEY,
        json!({ "id": key["apiKey"]["id"] }),
    )
    .await;
    let project = app.create_project(&admin, "Lab").await;
    app.add_member(&admin, &project, &ada, "EDITOR").await;
    let change_role = "mutation Change($p: ID!, $u: ID!) { changeMemberRole(projectId: $p, userId: $u, role: VIEWER) { role } }";
    data(
        &app.graphql_as(
            &admin.access_token,
            change_role,
            json!({ "p": project, "u": ada.id }),
        )
        .await,
    );
    let remove = "mutation Remove($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }";
    data(
        &app.graphql_as(
            &admin.access_token,
            remove,
            json!({ "p": project, "u": ada.id }),
        )
        .await,
    );
    let promote =
        "mutation Promote($u: ID!) { setPlatformAdmin(userId: $u, isAdmin: true) { isAdmin } }";
    data(
        &app.graphql_as(&admin.access_token, promote, json!({ "u": ada.id }))
            .await,
    );

    let mut kinds = audit_kinds(&app, &admin, &ada).await;
    kinds.reverse();
    assert_eq!(
        kinds,
        [
            "LOGIN_FAILED",
            "LOGIN_SUCCEEDED",
            "API_KEY_CREATED",
            "API_KEY_REVOKED",
            "PROJECT_MEMBER_ADDED",
            "PROJECT_MEMBER_ROLE_CHANGED",
            "PROJECT_MEMBER_REMOVED",
            "PLATFORM_ADMIN_GRANTED",
        ]
    );
    let failed = app
        .graphql_as(
            &admin.access_token,
            AUDIT_LOG,
            json!({ "filter": { "kinds": ["LOGIN_FAILED"] } }),
        )
        .await;
    let failed = &data(&failed)["auditLog"]["edges"][0]["node"];
    assert_eq!(failed["actor"], Value::Null);
    assert_eq!(failed["targetUser"]["email"], "ada@example.com");
    assert_eq!(failed["target"], "ada@example.com");
    assert_eq!(failed["ipAddress"], "127.0.0.1");
    assert_eq!(failed["userAgent"], "Attacker/0.1");
    assert_eq!(failed["details"]["reason"], "wrong_password");
    let role_change = app
        .graphql_as(
            &admin.access_token,
            AUDIT_LOG,
            json!({ "filter": { "kinds": ["PROJECT_MEMBER_ROLE_CHANGED"] } }),
        )
        .await;
    let role_change = &data(&role_change)["auditLog"]["edges"][0]["node"];
    assert_eq!(role_change["actor"]["email"], "admin@example.com");
    assert_eq!(role_change["target"], project.as_str());
    assert_eq!(role_change["details"]["role"], "VIEWER");

    // Pages are newest first and continue from `endCursor`.
    let page = app
        .graphql_as(&admin.access_token, AUDIT_LOG, json!({ "first": 2 }))
        .await;
    let page = &data(&page)["auditLog"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["edges"][0]["node"]["kind"], "PLATFORM_ADMIN_GRANTED");
    let next = app
        .graphql_as(
            &admin.access_token,
            AUDIT_LOG,
            json!({ "first": 1, "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_ne!(
        data(&next)["auditLog"]["edges"][0]["node"],
        page["edges"][1]["node"]
    );

    let grace = app.register("grace@example.com", "Grace").await;
    let forbidden = app
        .graphql_as(&grace.access_token, AUDIT_LOG, json!({}))
        .await;
    expect_error(&forbidden, "FORBIDDEN");
    let anonymous = app.graphql(AUDIT_LOG, json!({})).await;
    expect_error(&anonymous, "UNAUTHENTICATED");
}

// ---- the per-account lock ----

#[tokio::test]
async fn five_failed_logins_lock_the_account_until_the_lock_ends_and_success_resets_the_count() {
    let app = TestApp::builder()
        .env("LOGIN_LOCKOUT_SECONDS", "3")
        .spawn()
        .await;
    let admin = app.register("admin@example.com", "Admin").await;
    let ada = app.register("ada@example.com", "Ada").await;
    let wrong = || login_with(&app, "ada@example.com", "not the password at all");

    for _ in 0..4 {
        expect_error(&wrong().await, "UNAUTHENTICATED");
    }
    // A success forgets the four failures...
    data(&login_with(&app, "ada@example.com", STRONG_PASSWORD).await);
    for _ in 0..4 {
        expect_error(&wrong().await, "UNAUTHENTICATED");
    }
    // ...so only the fifth failure in a row locks.
    let locked = wrong().await;
    let error = expect_error(&locked, "RATE_LIMITED");
    let retry_after = error["extensions"]["retryAfterSeconds"].as_u64().unwrap();
    assert!((1..=3).contains(&retry_after), "{error}");
    assert!(error["message"].as_str().unwrap().contains("locked"));
    // While locked even the right password is refused.
    let right_but_locked = login_with(&app, "ada@example.com", STRONG_PASSWORD).await;
    expect_error(&right_but_locked, "RATE_LIMITED");

    // The lock ends on its own after LOGIN_LOCKOUT_SECONDS: until then the right password is
    // still refused as locked, and then it signs in.
    let unlocked = eventually("the lock to end", Duration::from_secs(4), || async {
        let answer = login_with(&app, "ada@example.com", STRONG_PASSWORD).await;
        match common::error_code(&answer) {
            Some("RATE_LIMITED") => None,
            _ => Some(answer),
        }
    })
    .await;
    data(&unlocked);
    let kinds = audit_kinds(&app, &admin, &ada).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| *kind == "ACCOUNT_LOCKED")
            .count(),
        1,
        "{kinds:?}"
    );

    // Unknown accounts lock the same way, so the lock tells nothing about who has an account.
    for _ in 0..4 {
        let unknown = login_with(&app, "nobody@example.com", STRONG_PASSWORD).await;
        expect_error(&unknown, "UNAUTHENTICATED");
    }
    let unknown = login_with(&app, "nobody@example.com", STRONG_PASSWORD).await;
    expect_error(&unknown, "RATE_LIMITED");
}

#[tokio::test]
async fn wrong_mfa_codes_count_towards_the_account_lock() {
    within_one_window(TOTP_STEP, || async {
        let app = TestApp::spawn().await;
        let ada = app.register("ada@example.com", "Ada").await;
        let now = unix_now();
        let (secret, _) = enroll_and_confirm(&app, &ada, now).await;
        let challenge = mfa_challenge(&app, "ada@example.com").await;
        for _ in 0..4 {
            expect_error(&verify(&app, &challenge, "000000").await, "UNAUTHENTICATED");
        }
        expect_error(&verify(&app, &challenge, "000000").await, "RATE_LIMITED");
        let right_code = verify(&app, &challenge, &totp(&secret, now + 30)).await;
        expect_error(&right_code, "UNAUTHENTICATED");
        let password = login_with(&app, "ada@example.com", STRONG_PASSWORD).await;
        expect_error(&password, "RATE_LIMITED");
    })
    .await;
}
