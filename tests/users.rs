//! Accounts through the public API: registration, login, sessions, profile, administration.

mod common;

use common::{
    data, error_code, expect_error, TestApp, LOGIN, REGISTER, STRONG_PASSWORD, TEST_JWT_SECRET,
};
use serde_json::{json, Value};

const ME: &str = "{ me { id email displayName isAdmin } }";
const REFRESH: &str = "mutation Refresh($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken user { email } } }";

async fn register_with(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(
        REGISTER,
        json!({ "input": { "email": email, "password": password, "displayName": "Tester" } }),
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(
        LOGIN,
        json!({ "input": { "email": email, "password": password } }),
    )
    .await
}

#[tokio::test]
async fn first_registered_user_becomes_admin_and_later_ones_do_not() {
    let app = TestApp::spawn().await;
    let first = register_with(&app, "Ada.Lovelace@Example.com", STRONG_PASSWORD).await;
    let payload = &data(&first)["register"];
    assert_eq!(payload["user"]["email"], "ada.lovelace@example.com");
    assert_eq!(payload["user"]["isAdmin"], true);
    assert!(payload["accessToken"].as_str().unwrap().split('.').count() == 3);
    assert!(payload["refreshToken"].as_str().unwrap().starts_with("rt_"));

    let second = register_with(&app, "grace@example.com", STRONG_PASSWORD).await;
    assert_eq!(data(&second)["register"]["user"]["isAdmin"], false);
}

#[tokio::test]
async fn me_is_the_signed_in_user_and_null_when_anonymous() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let me = app.graphql_as(&ada.access_token, ME, json!({})).await;
    assert_eq!(data(&me)["me"]["email"], "ada@example.com");
    assert_eq!(data(&me)["me"]["id"], ada.id.as_str());
    assert_eq!(data(&me)["me"]["displayName"], "Ada");

    let anonymous = app.graphql(ME, json!({})).await;
    assert_eq!(data(&anonymous)["me"], Value::Null);
}

#[tokio::test]
async fn registration_refuses_bad_emails_and_weak_passwords_naming_the_field() {
    let app = TestApp::spawn().await;
    for email in [
        "not-an-email",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
    ] {
        let body = register_with(&app, email, STRONG_PASSWORD).await;
        let error = expect_error(&body, "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "email", "{email}");
    }
    for (password, why) in [
        ("short1!", "at least 10"),
        ("password123", "too common"),
        ("1234567890", "too common"),
        ("xx-marie.curie-xx", "email"),
    ] {
        let body = register_with(&app, "marie.curie@example.com", password).await;
        let error = expect_error(&body, "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "password");
        assert!(
            error["message"].as_str().unwrap().contains(why),
            "{password}: {error}"
        );
    }
    let blank_name = app
        .graphql(
            REGISTER,
            json!({ "input": { "email": "x@example.com", "password": STRONG_PASSWORD, "displayName": "   " } }),
        )
        .await;
    assert_eq!(
        expect_error(&blank_name, "BAD_USER_INPUT")["extensions"]["field"],
        "displayName"
    );
}

#[tokio::test]
async fn duplicate_email_in_any_case_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", "Ada").await;
    for variant in ["ada@example.com", "ADA@EXAMPLE.COM", "  Ada@Example.Com "] {
        let body = register_with(&app, variant, STRONG_PASSWORD).await;
        expect_error(&body, "CONFLICT");
    }
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_email_create_exactly_one_account() {
    let app = TestApp::builder()
        .env("DATABASE_POOL_SIZE", "10")
        .spawn()
        .await;
    let attempts = (0..20).map(|i| {
        let app = &app;
        async move {
            let email = if i % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            };
            register_with(app, email, STRONG_PASSWORD).await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let succeeded = results
        .iter()
        .filter(|body| body.get("errors").is_none())
        .count();
    let conflicts = results
        .iter()
        .filter(|body| error_code(body) == Some("CONFLICT"))
        .count();
    assert_eq!((succeeded, conflicts), (1, 19), "{results:#?}");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", "Ada").await;
    let wrong_password = login(&app, "ada@example.com", "not the password at all").await;
    let unknown_email = login(&app, "nobody@example.com", STRONG_PASSWORD).await;
    let malformed_email = login(&app, "nobody", STRONG_PASSWORD).await;
    let first = expect_error(&wrong_password, "UNAUTHENTICATED");
    assert_eq!(first, expect_error(&unknown_email, "UNAUTHENTICATED"));
    assert_eq!(first, expect_error(&malformed_email, "UNAUTHENTICATED"));

    let ok = login(&app, "ADA@example.com", STRONG_PASSWORD).await;
    assert_eq!(data(&ok)["login"]["user"]["email"], "ada@example.com");
}

#[tokio::test]
async fn refresh_rotates_tokens_and_reuse_of_an_old_one_ends_the_session() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;

    let rotated = app
        .graphql(REFRESH, json!({ "token": ada.refresh_token }))
        .await;
    let rotated = &data(&rotated)["refreshSession"];
    let new_refresh = rotated["refreshToken"].as_str().unwrap().to_string();
    let new_access = rotated["accessToken"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, ada.refresh_token);
    assert_eq!(rotated["user"]["email"], "ada@example.com");
    let me = app.graphql_as(&new_access, ME, json!({})).await;
    assert_eq!(data(&me)["me"]["email"], "ada@example.com");

    // The first token was rotated: presenting it again is theft, and the session dies.
    let reused = app
        .graphql(REFRESH, json!({ "token": ada.refresh_token }))
        .await;
    expect_error(&reused, "UNAUTHENTICATED");
    let successor = app.graphql(REFRESH, json!({ "token": new_refresh })).await;
    expect_error(&successor, "UNAUTHENTICATED");
    let response = app
        .post_graphql(Some(&new_access), json!({ "query": ME }))
        .await;
    assert_eq!(response.status(), 401);

    let unknown = app.graphql(REFRESH, json!({ "token": "rt_made_up" })).await;
    expect_error(&unknown, "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_the_current_session_only() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let other_login = login(&app, "ada@example.com", STRONG_PASSWORD).await;
    let other_access = data(&other_login)["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();

    let logout = app
        .graphql_as(&ada.access_token, "mutation { logout }", json!({}))
        .await;
    assert_eq!(data(&logout)["logout"], true);

    let after = app
        .post_graphql(Some(&ada.access_token), json!({ "query": ME }))
        .await;
    assert_eq!(after.status(), 401);
    let body: Value = after.json().await.unwrap();
    expect_error(&body, "UNAUTHENTICATED");
    let refresh = app
        .graphql(REFRESH, json!({ "token": ada.refresh_token }))
        .await;
    expect_error(&refresh, "UNAUTHENTICATED");

    let still_signed_in = app.graphql_as(&other_access, ME, json!({})).await;
    assert_eq!(data(&still_signed_in)["me"]["email"], "ada@example.com");

    let anonymous_logout = app.graphql("mutation { logout }", json!({})).await;
    expect_error(&anonymous_logout, "UNAUTHENTICATED");
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let laptop = login(&app, "ada@example.com", STRONG_PASSWORD).await;
    let laptop_access = data(&laptop)["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    const CHANGE: &str =
        "mutation Change($input: ChangePasswordInput!) { changePassword(input: $input) { email } }";

    let wrong_current = app
        .graphql_as(
            &ada.access_token,
            CHANGE,
            json!({ "input": { "currentPassword": "not my password", "newPassword": "a brand new passphrase" } }),
        )
        .await;
    assert_eq!(
        expect_error(&wrong_current, "BAD_USER_INPUT")["extensions"]["field"],
        "currentPassword"
    );
    let weak = app
        .graphql_as(
            &ada.access_token,
            CHANGE,
            json!({ "input": { "currentPassword": STRONG_PASSWORD, "newPassword": "short" } }),
        )
        .await;
    assert_eq!(
        expect_error(&weak, "BAD_USER_INPUT")["extensions"]["field"],
        "newPassword"
    );

    let changed = app
        .graphql_as(
            &ada.access_token,
            CHANGE,
            json!({ "input": { "currentPassword": STRONG_PASSWORD, "newPassword": "a brand new passphrase" } }),
        )
        .await;
    assert_eq!(data(&changed)["changePassword"]["email"], "ada@example.com");

    let current = app.graphql_as(&ada.access_token, ME, json!({})).await;
    assert_eq!(data(&current)["me"]["email"], "ada@example.com");
    let other = app
        .post_graphql(Some(&laptop_access), json!({ "query": ME }))
        .await;
    assert_eq!(other.status(), 401);
    expect_error(
        &login(&app, "ada@example.com", STRONG_PASSWORD).await,
        "UNAUTHENTICATED",
    );
    data(&login(&app, "ada@example.com", "a brand new passphrase").await);
}

#[tokio::test]
async fn update_profile_changes_the_display_name() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    const UPDATE: &str = "mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { displayName } }";
    let updated = app
        .graphql_as(
            &ada.access_token,
            UPDATE,
            json!({ "input": { "displayName": "  Countess Lovelace " } }),
        )
        .await;
    assert_eq!(
        data(&updated)["updateProfile"]["displayName"],
        "Countess Lovelace"
    );
    let me = app.graphql_as(&ada.access_token, ME, json!({})).await;
    assert_eq!(data(&me)["me"]["displayName"], "Countess Lovelace");

    let too_long = app
        .graphql_as(
            &ada.access_token,
            UPDATE,
            json!({ "input": { "displayName": "x".repeat(81) } }),
        )
        .await;
    expect_error(&too_long, "BAD_USER_INPUT");
    let anonymous = app
        .graphql(UPDATE, json!({ "input": { "displayName": "Eve" } }))
        .await;
    expect_error(&anonymous, "UNAUTHENTICATED");
}

mod tampered_tokens {
    use super::*;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use jsonwebtoken::{encode, EncodingKey, Header};

    fn claims(user_id_global: &str, session: &str, iat: i64, exp: i64) -> Value {
        let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(user_id_global).unwrap()).unwrap();
        let user_uuid = decoded.split_once(':').unwrap().1.to_string();
        json!({ "sub": user_uuid, "sid": session, "iat": iat, "exp": exp })
    }

    fn session_of(token: &str) -> String {
        let payload = token.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["sid"].as_str().unwrap().to_string()
    }

    async fn assert_refused(app: &TestApp, token: &str) {
        let response = app.post_graphql(Some(token), json!({ "query": ME })).await;
        assert_eq!(response.status(), 401, "token {token} should be refused");
        assert!(response.headers().get("www-authenticate").is_some());
        let body: Value = response.json().await.unwrap();
        expect_error(&body, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn forged_expired_and_unsigned_tokens_are_refused() {
        let app = TestApp::spawn().await;
        let ada = app.register("ada@example.com", "Ada").await;
        let session = session_of(&ada.access_token);
        let now = chrono::Utc::now().timestamp();

        // The control: a token we sign ourselves with the server's key is accepted.
        let good = encode(
            &Header::default(),
            &claims(&ada.id, &session, now, now + 600),
            &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
        )
        .unwrap();
        data(&app.graphql_as(&good, ME, json!({})).await);

        let other_key = encode(
            &Header::default(),
            &claims(&ada.id, &session, now, now + 600),
            &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!"),
        )
        .unwrap();
        assert_refused(&app, &other_key).await;

        let expired = encode(
            &Header::default(),
            &claims(&ada.id, &session, now - 3600, now - 1800),
            &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
        )
        .unwrap();
        assert_refused(&app, &expired).await;

        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims(&ada.id, &session, now, now + 600).to_string());
        assert_refused(&app, &format!("{header}.{payload}.")).await;

        let hs512 = encode(
            &Header::new(jsonwebtoken::Algorithm::HS512),
            &claims(&ada.id, &session, now, now + 600),
            &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
        )
        .unwrap();
        assert_refused(&app, &hs512).await;

        // Same signature, payload edited to another session id.
        let mut parts: Vec<String> = ada.access_token.split('.').map(String::from).collect();
        parts[1] = URL_SAFE_NO_PAD
            .encode(claims(&ada.id, &uuid::Uuid::new_v4().to_string(), now, now + 600).to_string());
        assert_refused(&app, &parts.join(".")).await;

        // Valid signature, but naming a session that does not exist.
        let ghost_session = encode(
            &Header::default(),
            &claims(&ada.id, &uuid::Uuid::new_v4().to_string(), now, now + 600),
            &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
        )
        .unwrap();
        assert_refused(&app, &ghost_session).await;
        assert_refused(&app, "garbage").await;
    }
}

mod administration {
    use super::*;

    const USERS: &str = "query Users($first: Int, $after: String, $search: String) {
      users(first: $first, after: $after, search: $search) {
        edges { cursor node { email } }
        pageInfo { hasNextPage endCursor }
      }
    }";
    const SET_ADMIN: &str = "mutation SetAdmin($userId: ID!, $isAdmin: Boolean!) { setPlatformAdmin(userId: $userId, isAdmin: $isAdmin) { email isAdmin } }";

    fn emails(body: &Value) -> Vec<String> {
        data(body)["users"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["email"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn admins_page_through_users_and_search_them() {
        let app = TestApp::spawn().await;
        let admin = app.register("admin@example.com", "Admin").await;
        for name in ["alice", "bob", "carol", "dave"] {
            app.register(&format!("{name}@example.com"), name).await;
        }
        let first_page = app
            .graphql_as(&admin.access_token, USERS, json!({ "first": 2 }))
            .await;
        assert_eq!(
            emails(&first_page),
            ["admin@example.com", "alice@example.com"]
        );
        let page_info = &data(&first_page)["users"]["pageInfo"];
        assert_eq!(page_info["hasNextPage"], true);
        let second_page = app
            .graphql_as(
                &admin.access_token,
                USERS,
                json!({ "first": 2, "after": page_info["endCursor"] }),
            )
            .await;
        assert_eq!(
            emails(&second_page),
            ["bob@example.com", "carol@example.com"]
        );
        let last = app
            .graphql_as(
                &admin.access_token,
                USERS,
                json!({ "first": 2, "after": data(&second_page)["users"]["pageInfo"]["endCursor"] }),
            )
            .await;
        assert_eq!(emails(&last), ["dave@example.com"]);
        assert_eq!(data(&last)["users"]["pageInfo"]["hasNextPage"], false);

        let search = app
            .graphql_as(&admin.access_token, USERS, json!({ "search": "CAR" }))
            .await;
        assert_eq!(emails(&search), ["carol@example.com"]);
        let literal = app
            .graphql_as(&admin.access_token, USERS, json!({ "search": "%" }))
            .await;
        assert!(emails(&literal).is_empty());

        let bad_cursor = app
            .graphql_as(&admin.access_token, USERS, json!({ "after": "nonsense" }))
            .await;
        expect_error(&bad_cursor, "BAD_USER_INPUT");
        let too_many = app
            .graphql_as(&admin.access_token, USERS, json!({ "first": 101 }))
            .await;
        expect_error(&too_many, "BAD_USER_INPUT");
    }

    #[tokio::test]
    async fn only_admins_list_users_or_grant_admin() {
        let app = TestApp::spawn().await;
        app.register("admin@example.com", "Admin").await;
        let member = app.register("member@example.com", "Member").await;
        expect_error(
            &app.graphql_as(&member.access_token, USERS, json!({})).await,
            "FORBIDDEN",
        );
        expect_error(&app.graphql(USERS, json!({})).await, "UNAUTHENTICATED");
        let self_promotion = app
            .graphql_as(
                &member.access_token,
                SET_ADMIN,
                json!({ "userId": member.id, "isAdmin": true }),
            )
            .await;
        expect_error(&self_promotion, "FORBIDDEN");
    }

    #[tokio::test]
    async fn the_last_admin_cannot_remove_themself_but_can_hand_over() {
        let app = TestApp::spawn().await;
        let admin = app.register("admin@example.com", "Admin").await;
        let member = app.register("member@example.com", "Member").await;

        let alone = app
            .graphql_as(
                &admin.access_token,
                SET_ADMIN,
                json!({ "userId": admin.id, "isAdmin": false }),
            )
            .await;
        expect_error(&alone, "CONFLICT");

        let promoted = app
            .graphql_as(
                &admin.access_token,
                SET_ADMIN,
                json!({ "userId": member.id, "isAdmin": true }),
            )
            .await;
        assert_eq!(data(&promoted)["setPlatformAdmin"]["isAdmin"], true);
        let stepped_down = app
            .graphql_as(
                &admin.access_token,
                SET_ADMIN,
                json!({ "userId": admin.id, "isAdmin": false }),
            )
            .await;
        assert_eq!(data(&stepped_down)["setPlatformAdmin"]["isAdmin"], false);
        let now_forbidden = app.graphql_as(&admin.access_token, USERS, json!({})).await;
        expect_error(&now_forbidden, "FORBIDDEN");

        let unknown = app
            .graphql_as(
                &member.access_token,
                SET_ADMIN,
                json!({ "userId": "VXNlcjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA", "isAdmin": true }),
            )
            .await;
        expect_error(&unknown, "NOT_FOUND");
        let malformed = app
            .graphql_as(
                &member.access_token,
                SET_ADMIN,
                json!({ "userId": "???", "isAdmin": true }),
            )
            .await;
        expect_error(&malformed, "BAD_USER_INPUT");
    }
}
