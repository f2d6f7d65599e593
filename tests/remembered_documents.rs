//! The server parses a document's text once and reuses the parse (and, for requests without
//! variables, the validation verdict) for the same text later (`graphql::document_memo`). These
//! tests send the same text again and again and hold every request to the answer it would get
//! alone: variables validated each time, the operation name honoured, invalid documents refused
//! every time, and each caller's permissions and limits judged on their own.

mod common;

use catalyst::{events::bus::Topic, graphql::ids::decode_id};
use common::{data, error_code, expect_error, ws::GraphqlWs, TestApp, CREATE_PROJECT};
use serde_json::json;

const PROJECT_NAME: &str = "query ProjectName($id: ID!) { project(id: $id) { name } }";

#[tokio::test]
async fn variables_are_checked_on_every_request_of_a_remembered_document() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project_id = app.create_project(&owner, "Remembered").await;

    for round in 0..3 {
        let named = app
            .graphql_as(
                &owner.access_token,
                PROJECT_NAME,
                json!({ "id": project_id }),
            )
            .await;
        assert_eq!(
            data(&named)["project"]["name"],
            "Remembered",
            "round {round}"
        );
        let missing = app
            .graphql_as(&owner.access_token, PROJECT_NAME, json!({}))
            .await;
        expect_error(&missing, "BAD_USER_INPUT");
        let mistyped = app
            .graphql_as(&owner.access_token, PROJECT_NAME, json!({ "id": [1, 2] }))
            .await;
        expect_error(&mistyped, "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn each_request_runs_the_operation_it_names_and_invalid_text_is_refused_every_time() {
    let app = TestApp::spawn().await;
    let user = app.register("named@example.com", "Named Operations").await;
    let two_operations = "query Email { me { email } } query Name { me { displayName } }";

    for _ in 0..3 {
        for (operation, field, expected) in [
            ("Email", "email", "named@example.com"),
            ("Name", "displayName", "Named Operations"),
        ] {
            let body = app
                .post_graphql(
                    Some(&user.access_token),
                    json!({ "query": two_operations, "operationName": operation }),
                )
                .await
                .json::<serde_json::Value>()
                .await
                .unwrap();
            assert_eq!(data(&body)["me"][field], expected, "{operation}: {body:#}");
            assert_eq!(
                data(&body)["me"].as_object().map(|me| me.len()),
                Some(1),
                "{operation} selects one field: {body:#}"
            );
        }
        let unnamed = app
            .graphql_as(&user.access_token, two_operations, json!({}))
            .await;
        assert!(
            error_code(&unnamed).is_some(),
            "no operation chosen: {unnamed:#}"
        );

        let unknown_field = app
            .graphql_as(&user.access_token, "{ me { email nope } }", json!({}))
            .await;
        expect_error(&unknown_field, "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn each_caller_of_a_remembered_document_is_judged_on_their_own_permissions() {
    let app = TestApp::spawn().await;
    let owner = app.register("keys@example.com", "Key Owner").await;
    let key = app
        .graphql_as(
            &owner.access_token,
            "mutation { createApiKey(name: \"read only\", scopes: [READ]) { secret } }",
            json!({}),
        )
        .await;
    let read_key = data(&key)["createApiKey"]["secret"]
        .as_str()
        .expect("the key's secret")
        .to_string();
    let input = json!({ "input": { "name": "By session" } });

    for round in 0..2 {
        let by_session = app
            .graphql_as(&owner.access_token, CREATE_PROJECT, input.clone())
            .await;
        assert_eq!(
            data(&by_session)["createProject"]["name"],
            "By session",
            "round {round}"
        );
        // The same text the session just ran: a read-only key may not mutate.
        let by_read_key = app
            .graphql_as(&read_key, CREATE_PROJECT, input.clone())
            .await;
        expect_error(&by_read_key, "FORBIDDEN");
        // And an anonymous caller of a remembered `me` is nobody.
        let signed_in = app
            .graphql_as(&owner.access_token, "{ me { email } }", json!({}))
            .await;
        assert_eq!(data(&signed_in)["me"]["email"], "keys@example.com");
        let anonymous = app.graphql("{ me { email } }", json!({})).await;
        assert_eq!(
            data(&anonymous)["me"],
            serde_json::Value::Null,
            "{anonymous:#}"
        );
    }
    let projects = app
        .graphql_as(
            &owner.access_token,
            "{ projects(first: 10) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&projects)["projects"]["nodes"],
        json!([{ "name": "By session" }, { "name": "By session" }])
    );
}

#[tokio::test]
async fn subscriptions_of_the_same_text_each_follow_their_own_variables() {
    // A subscription's variables are written into its copy of the document: the text's
    // remembered parse must stay the one without them.
    let app = TestApp::spawn().await;
    let owner = app.register("two-boards@example.com", "Two Boards").await;
    let projects = [
        app.create_project(&owner, "First").await,
        app.create_project(&owner, "Second").await,
    ];
    let events = "subscription Events($projectId: ID!) { projectEvents(projectId: $projectId) { task { title } } }";
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", owner.access_token) }),
    )
    .await
    .expect("connected");
    for (index, project) in projects.iter().enumerate() {
        socket
            .subscribe(
                &format!("board{index}"),
                events,
                json!({ "projectId": project }),
            )
            .await;
        let uuid = decode_id("Project", "id", &async_graphql::ID(project.clone())).unwrap();
        app.wait_for_subscribers(Topic::Project(uuid), 1).await;
    }
    for (index, project) in projects.iter().enumerate().rev() {
        app.create_task(
            &owner,
            project,
            &format!("task of board {index}"),
            json!({}),
        )
        .await;
        let message = socket.next_message().await;
        assert_eq!(message["id"], format!("board{index}"), "{message:#}");
        assert_eq!(
            message["payload"]["data"]["projectEvents"]["task"]["title"],
            format!("task of board {index}")
        );
    }
}
