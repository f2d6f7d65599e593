//! Introspection as tools send it: graphql-js `getIntrospectionQuery()` (plain and with every
//! option) and GraphiQL's own query succeed at default limits wherever introspection is allowed,
//! while hostile introspection (deep `ofType` chains, a thousand `__schema`) is refused with
//! `QUERY_TOO_COMPLEX` before anything runs. The query texts are fixtures extracted from the
//! real packages: see tests/fixtures/introspection/README.md.

mod common;

use common::{data, expect_error, TestApp, TestUser};
use serde_json::{json, Value};

const GRAPHQL_JS_DEFAULT: &str = include_str!("fixtures/introspection/graphql-js-default.graphql");
const GRAPHQL_JS_ALL_OPTIONS: &str =
    include_str!("fixtures/introspection/graphql-js-all-options.graphql");
const GRAPHIQL: &str = include_str!("fixtures/introspection/graphiql.graphql");

const STANDARD_QUERIES: [(&str, &str); 3] = [
    ("graphql-js getIntrospectionQuery()", GRAPHQL_JS_DEFAULT),
    (
        "graphql-js getIntrospectionQuery(every option on)",
        GRAPHQL_JS_ALL_OPTIONS,
    ),
    ("GraphiQL 3.9", GRAPHIQL),
];

/// Sends the text as the tools do: the operation is named `IntrospectionQuery`.
async fn introspect(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let response = app
        .post_graphql(
            token,
            json!({ "query": query, "operationName": "IntrospectionQuery" }),
        )
        .await;
    response.json().await.expect("GraphQL responses are JSON")
}

/// The answer is a whole schema: the query root with its fields, and types reached through
/// the full `ofType` chain (a `[X!]!` field names X at the chain's end).
#[track_caller]
fn assert_full_schema(name: &str, body: &Value) {
    let schema = &data(body)["__schema"];
    assert_eq!(schema["queryType"]["name"], "QueryRoot", "{name}");
    let types = schema["types"].as_array().expect("types");
    let query_root = types
        .iter()
        .find(|kind| kind["name"] == "QueryRoot")
        .unwrap_or_else(|| panic!("{name}: no QueryRoot in {schema:#}"));
    let projects = query_root["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|field| field["name"] == "projects")
        .expect("QueryRoot.projects");
    assert_eq!(projects["type"]["kind"], "NON_NULL", "{name}");
    assert_eq!(
        projects["type"]["ofType"]["name"], "ProjectConnection",
        "{name}"
    );
    assert!(
        !schema["directives"]
            .as_array()
            .expect("directives")
            .is_empty(),
        "{name}"
    );
}

#[tokio::test]
async fn standard_introspection_queries_succeed_at_default_limits() {
    let app = TestApp::spawn().await;
    for (name, query) in STANDARD_QUERIES {
        let body = introspect(&app, None, query).await;
        assert_full_schema(name, &body);
    }
}

#[tokio::test]
async fn the_fixtures_are_the_tools_queries_not_trimmed_copies() {
    // Guards against someone "fixing" a fixture to fit the limits: these are the shapes the
    // introspection bound was made for.
    for (name, query) in STANDARD_QUERIES {
        assert!(query.contains("query IntrospectionQuery {"), "{name}");
        assert_eq!(query.matches("ofType {").count(), 9, "{name}");
        assert!(query.contains("fragment FullType on __Type"), "{name}");
    }
    assert!(GRAPHQL_JS_ALL_OPTIONS.contains("specifiedByURL"));
    assert!(GRAPHQL_JS_ALL_OPTIONS.contains("isRepeatable"));
    assert!(GRAPHQL_JS_ALL_OPTIONS.contains("args(includeDeprecated: true)"));
    assert!(!GRAPHQL_JS_DEFAULT.contains("includeDeprecated: true) {\n            ...InputValue"));
}

#[tokio::test]
async fn ordinary_queries_keep_their_depth_limit() {
    let app = TestApp::spawn().await;
    // Fourteen levels of ordinary fields; the default limit is twelve.
    let query = format!(
        "{{ projects {{ nodes {{ {} id {} }} }} }}",
        "tasks { nodes { project { ".repeat(4),
        "} } } ".repeat(4)
    );
    let body = app.graphql(&query, json!({})).await;
    let error = expect_error(&body, "QUERY_TOO_COMPLEX");
    assert_eq!(error["extensions"]["limit"], "maxDepth", "{body:#}");

    // Inside introspection only `ofType` is free: other fields still count as depth.
    let query = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "fields { type { ".repeat(6),
        "} } ".repeat(6)
    );
    let body = app.graphql(&query, json!({})).await;
    let error = expect_error(&body, "QUERY_TOO_COMPLEX");
    assert_eq!(error["extensions"]["limit"], "maxDepth", "{body:#}");
}

/// Refused in the request's preparation: no `data` at all, not even null.
#[track_caller]
fn assert_refused_before_execution(body: &Value, limit: &str) {
    let error = expect_error(body, "QUERY_TOO_COMPLEX");
    assert_eq!(error["extensions"]["limit"], limit, "{body:#}");
    assert!(body.get("data").is_none(), "{body:#}");
}

fn of_type_chain(links: usize) -> String {
    format!(
        "{{ __type(name: \"ID\") {{ name {} kind {} }} }}",
        "ofType { ".repeat(links),
        "} ".repeat(links)
    )
}

#[tokio::test]
async fn an_of_type_chain_longer_than_the_standard_query_is_refused() {
    let app = TestApp::spawn().await;
    let nine = app.graphql(&of_type_chain(9), json!({})).await;
    assert_eq!(data(&nine)["__type"]["name"], "ID");

    let ten = app.graphql(&of_type_chain(10), json!({})).await;
    assert_refused_before_execution(&ten, "maxOfTypeLinks");

    // A hundred inline: the brackets alone are too deep to parse.
    let hundred = app.graphql(&of_type_chain(100), json!({})).await;
    expect_error(&hundred, "QUERY_TOO_COMPLEX");
    assert!(hundred.get("data").is_none(), "{hundred:#}");

    // A hundred through fragments, each one link deep, so no bracket nests deeply.
    let mut query = String::from("{ __type(name: \"ID\") { ...Link0 } }");
    for link in 0..100 {
        query.push_str(&format!(
            " fragment Link{link} on __Type {{ name ofType {{ ...Link{} }} }}",
            link + 1
        ));
    }
    query.push_str(" fragment Link100 on __Type { name }");
    let body = app.graphql(&query, json!({})).await;
    assert_refused_before_execution(&body, "maxOfTypeLinks");
}

fn aliased_schemas(count: usize) -> String {
    let selections: String = (0..count)
        .map(|index| format!("s{index}: __schema {{ description }} "))
        .collect();
    format!("{{ {selections}}}")
}

#[tokio::test]
async fn a_thousand_aliased_schemas_are_refused() {
    let app = TestApp::spawn().await;
    let body = app.graphql(&aliased_schemas(1_000), json!({})).await;
    expect_error(&body, "QUERY_TOO_COMPLEX");
    assert!(body.get("data").is_none(), "{body:#}");

    // With the size, alias and root-field limits out of the way, the introspection cap alone
    // still refuses them.
    let roomy = TestApp::builder()
        .env("MAX_DOCUMENT_BYTES", "1048576")
        .env("MAX_QUERY_ALIASES", "10000")
        .env("MAX_ROOT_FIELDS", "1000")
        .spawn()
        .await;
    let body = roomy.graphql(&aliased_schemas(1_000), json!({})).await;
    assert_refused_before_execution(&body, "maxIntrospectionRoots");
    let body = roomy.graphql(&aliased_schemas(4), json!({})).await;
    assert_refused_before_execution(&body, "maxIntrospectionRoots");
    let body = roomy.graphql(&aliased_schemas(3), json!({})).await;
    assert_eq!(data(&body).as_object().map(|roots| roots.len()), Some(3));
}

const CREATE_API_KEY: &str = "mutation Key($scopes: [ApiScope!]!) {
  createApiKey(name: \"schema checks\", scopes: $scopes) { secret }
}";

async fn api_key(app: &TestApp, owner: &TestUser, scopes: Value) -> String {
    let body = app
        .graphql_as(
            &owner.access_token,
            CREATE_API_KEY,
            json!({ "scopes": scopes }),
        )
        .await;
    data(&body)["createApiKey"]["secret"]
        .as_str()
        .expect("the key's secret")
        .to_string()
}

#[tokio::test]
async fn in_production_platform_admins_and_schema_keys_run_the_full_query_and_no_one_else() {
    let production = TestApp::builder()
        .env("APP_ENV", "production")
        .spawn()
        .await;
    // The first account is the platform admin.
    let admin = production.register("admin@example.com", "Admin").await;
    let member = production.register("member@example.com", "Member").await;
    let admin_schema_key = api_key(&production, &admin, json!(["READ", "SCHEMA"])).await;
    let admin_read_key = api_key(&production, &admin, json!(["READ"])).await;
    let member_schema_key = api_key(&production, &member, json!(["SCHEMA"])).await;

    for (name, query) in STANDARD_QUERIES {
        let body = introspect(&production, Some(&admin.access_token), query).await;
        assert_full_schema(name, &body);
        let body = introspect(&production, Some(&admin_schema_key), query).await;
        assert_full_schema(name, &body);
    }
    let refused = [
        ("anonymous", None),
        ("a signed-in member", Some(member.access_token.as_str())),
        (
            "an admin's key without SCHEMA",
            Some(admin_read_key.as_str()),
        ),
        (
            "a member's key with SCHEMA",
            Some(member_schema_key.as_str()),
        ),
    ];
    for (who, token) in refused {
        let body = introspect(&production, token, GRAPHIQL).await;
        let error = expect_error(&body, "FORBIDDEN");
        assert_eq!(
            error["extensions"]["limit"], "introspection",
            "{who}: {body:#}"
        );
    }
    // A key without SCHEMA still runs ordinary queries.
    let me = production
        .graphql_as(&admin_read_key, "{ me { email } }", json!({}))
        .await;
    assert_eq!(data(&me)["me"]["email"], "admin@example.com");
}
