//! A board page's tasks (`project.tasks`), their assignees and a project's members are served
//! in bulk: their plain fields come out of one pass over the selection (`graphql::plain`) and the
//! page reads only the columns the selection shows (`TaskColumns`). These tests hold that path
//! to what the resolvers answer for the same objects (`task(id:)`, `me`, `addProjectMember`),
//! field by field, and to GraphQL's rules for aliases, fragments, merged keys and key order.

mod common;

use common::{data, TestApp, TestUser};
use serde_json::{json, Value};

/// Every field a task can be asked for, scalar and related, under one fragment.
const TASK_FIELDS: &str = "fragment TaskFields on Task {
  __typename id title description status priority dueAt labels position version createdAt updatedAt
  project { id } assignee { ...UserFields } parent { id } createdBy { email }
  subtasks { __typename id title status labels parent { id } }
}";
const USER_FIELDS: &str =
    "fragment UserFields on User { __typename id email displayName isAdmin createdAt updatedAt }";
const MEMBER_FIELDS: &str =
    "fragment MemberFields on ProjectMember { __typename role joinedAt user { ...UserFields } }";

/// A project owned by `owner` with an editor and three tasks: `launch` (every field set,
/// assigned to the owner), its subtask "Fuel", and "Plain" (nothing set).
struct Board {
    app: TestApp,
    owner: TestUser,
    project: String,
    launch: Value,
    launch_id: String,
}

async fn board() -> Board {
    let app = TestApp::spawn().await;
    // A platform admin registers first, so the owner has no platform powers.
    app.register("admin@example.com", "Admin").await;
    let owner = app.register("owner@example.com", "Owner").await;
    let editor = app.register("editor@example.com", "Editor").await;
    let project = app.create_project(&owner, "Apollo").await;
    app.add_member(&owner, &project, &editor, "EDITOR").await;
    let launch = app
        .create_task(
            &editor,
            &project,
            "Launch \"now\" \u{e9}",
            json!({ "description": "# Plan\nline two", "priority": "URGENT", "status": "IN_PROGRESS",
                    "labels": ["ops", "rocket"], "assigneeId": owner.id, "dueAt": "2031-05-06T07:08:09.123Z" }),
        )
        .await;
    let launch_id = launch["id"].as_str().unwrap().to_string();
    app.create_task(
        &owner,
        &project,
        "Fuel",
        json!({ "parentId": launch_id, "labels": ["fuel"] }),
    )
    .await;
    app.create_task(&owner, &project, "Plain", json!({})).await;

    Board {
        app,
        owner,
        project,
        launch,
        launch_id,
    }
}

#[tokio::test]
async fn every_field_of_a_board_page_is_what_the_resolvers_answer() {
    let Board {
        app,
        owner,
        project,
        launch_id,
        ..
    } = board().await;
    let viewer = app.register("viewer@example.com", "Viewer").await;
    let added = app
        .graphql_as(
            &owner.access_token,
            &format!("mutation($projectId: ID!, $email: String!) {{ addProjectMember(projectId: $projectId, email: $email, role: VIEWER) {{ ...MemberFields }} }} {MEMBER_FIELDS} {USER_FIELDS}"),
            json!({ "projectId": project, "email": viewer.email }),
        )
        .await;
    let me = app
        .graphql_as(
            &owner.access_token,
            &format!("{{ me {{ ...UserFields }} }} {USER_FIELDS}"),
            json!({}),
        )
        .await;
    // The board's page (tasks served in bulk) against `task(id:)`, one task at a time.
    let board = app
        .graphql_as(
            &owner.access_token,
            &format!("query($id: ID!) {{ project(id: $id) {{ members {{ ...MemberFields }} tasks(first: 10) {{ edges {{ node {{ ...TaskFields }} }} }} }} }} {TASK_FIELDS} {MEMBER_FIELDS} {USER_FIELDS}"),
            json!({ "id": project }),
        )
        .await;
    let members = data(&board)["project"]["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    // The projects page reads members in its own statement (as JSON beside each project).
    let listed = app
        .graphql_as(
            &owner.access_token,
            &format!("{{ projects(first: 5) {{ edges {{ node {{ members {{ ...MemberFields }} }} }} }} }} {MEMBER_FIELDS} {USER_FIELDS}"),
            json!({}),
        )
        .await;
    assert_eq!(
        &data(&listed)["projects"]["edges"][0]["node"]["members"],
        &data(&board)["project"]["members"]
    );
    assert_eq!(members[2], data(&added)["addProjectMember"]);
    assert_eq!(members[0]["user"], data(&me)["me"]);
    let edges = data(&board)["project"]["tasks"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 3);
    for edge in &edges {
        let node = &edge["node"];
        let alone = app
            .graphql_as(
                &owner.access_token,
                &format!("query($id: ID!) {{ task(id: $id) {{ ...TaskFields }} }} {TASK_FIELDS} {USER_FIELDS}"),
                json!({ "id": node["id"] }),
            )
            .await;
        assert_eq!(node, &data(&alone)["task"]);
    }
    let launch_node = &edges
        .iter()
        .find(|edge| edge["node"]["id"] == launch_id.as_str())
        .unwrap()["node"];
    assert_eq!(launch_node["dueAt"], "2031-05-06T07:08:09.123+00:00");
    assert_eq!(launch_node["subtasks"][0]["title"], "Fuel");
    assert_eq!(launch_node["subtasks"][0]["__typename"], "Task");
    assert_eq!(launch_node["assignee"], data(&me)["me"]);
}

#[tokio::test]
async fn every_field_alone_reads_its_columns_as_edges_and_as_nodes() {
    let Board {
        app,
        owner,
        project,
        ..
    } = board().await;
    // One field at a time, as `edges.node` and as `nodes`: a page reads only the columns its
    // selection shows, and each field must still come out as `task(id:)` answers it.
    for field in [
        "title",
        "description",
        "status",
        "priority",
        "dueAt",
        "labels",
        "position",
        "version",
        "createdAt",
        "updatedAt",
        "project { id }",
        "assignee { email }",
        "parent { id }",
        "createdBy { email }",
        "subtasks { title description labels }",
        "__typename",
    ] {
        for shape in ["edges { node { id FIELD } }", "nodes { id FIELD }"] {
            let selection = shape.replace("FIELD", field);
            let page = app
                .graphql_as(
                    &owner.access_token,
                    &format!("query($id: ID!) {{ project(id: $id) {{ tasks(first: 10) {{ {selection} }} }} }}"),
                    json!({ "id": project }),
                )
                .await;
            let tasks = &data(&page)["project"]["tasks"];
            let nodes: Vec<&Value> = match tasks.get("nodes") {
                Some(nodes) => nodes.as_array().unwrap().iter().collect(),
                None => tasks["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|edge| &edge["node"])
                    .collect(),
            };
            assert_eq!(nodes.len(), 3);
            for node in nodes {
                let alone = app
                    .graphql_as(
                        &owner.access_token,
                        &format!("query($id: ID!) {{ task(id: $id) {{ id {field} }} }}"),
                        json!({ "id": node["id"] }),
                    )
                    .await;
                assert_eq!(node, &data(&alone)["task"], "{selection}");
            }
        }
    }
}

#[tokio::test]
async fn a_board_page_keeps_aliases_fragments_merged_keys_and_selection_order() {
    let Board {
        app,
        owner,
        project,
        launch,
        launch_id,
    } = board().await;
    // Aliases, a key selected twice (merged), fragments on the type and on its interface, and `@include`/`@skip`, in selection order as the spec asks.
    let selection = "query($id: ID!, $yes: Boolean!) { project(id: $id) { tasks(first: 1, orderBy: CREATED_AT) { edges { node {
      name: title
      subtasks { id }
      ... on Node { id __typename }
      kind: __typename
      subtasks { title }
      ...Late
      title @include(if: $yes)
      status @skip(if: $yes)
      version @include(if: false)
    } } } } }
    fragment Late on Task { priority position: title }";
    let response = app
        .post_graphql(
            Some(&owner.access_token),
            json!({ "query": selection, "variables": { "id": project, "yes": true } }),
        )
        .await
        .text()
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&response).unwrap();
    let node = &data(&body)["project"]["tasks"]["edges"][0]["node"];
    assert_eq!(
        node,
        &json!({
            "name": launch["title"], "subtasks": [{ "id": node["subtasks"][0]["id"], "title": "Fuel" }],
            "id": launch_id, "__typename": "Task", "kind": "Task", "priority": "URGENT",
            "position": launch["title"], "title": launch["title"]
        })
    );
    assert!(node["subtasks"][0]["id"].is_string());
    // The node's own keys, with the nested subtasks (which repeat `id` and `title`) cut out.
    let nested = serde_json::to_string(&node["subtasks"]).unwrap();
    let own_keys = response.replacen(&nested, "[]", 1);
    let order: Vec<usize> = [
        "\"name\"",
        "\"subtasks\"",
        "\"id\"",
        "\"__typename\"",
        "\"kind\"",
        "\"priority\"",
        "\"position\"",
        "\"title\"",
    ]
    .iter()
    .map(|key| {
        own_keys
            .find(key)
            .unwrap_or_else(|| panic!("{key} in {response}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|pair| pair[0] < pair[1]),
        "keys out of selection order: {response}"
    );
}

#[tokio::test]
async fn a_board_page_connection_answers_page_info_cursors_and_type_names() {
    let Board {
        app,
        owner,
        project,
        ..
    } = board().await;
    // The connection's own fields on the plain path.
    let page = app
        .graphql_as(
            &owner.access_token,
            "query($id: ID!) { project(id: $id) { tasks(first: 2) { __typename
              pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
              edges { __typename cursor node { id } } nodes { id } } } }",
            json!({ "id": project }),
        )
        .await;
    let tasks = &data(&page)["project"]["tasks"];
    let edges = tasks["edges"].as_array().unwrap();
    assert_eq!(tasks["__typename"], "TaskConnection");
    assert_eq!(edges[0]["__typename"], "TaskEdge");
    assert_eq!(
        tasks["pageInfo"],
        json!({ "__typename": "PageInfo", "hasNextPage": true, "hasPreviousPage": false,
                "startCursor": edges[0]["cursor"], "endCursor": edges[1]["cursor"] })
    );
    assert_eq!(tasks["nodes"], json!([edges[0]["node"], edges[1]["node"]]));
    let next = app
        .graphql_as(
            &owner.access_token,
            "query($id: ID!, $after: String) { project(id: $id) { tasks(first: 2, after: $after) {
              pageInfo { hasNextPage hasPreviousPage } nodes { id } } } }",
            json!({ "id": project, "after": edges[1]["cursor"] }),
        )
        .await;
    assert_eq!(
        data(&next)["project"]["tasks"]["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": true })
    );
    assert_eq!(
        data(&next)["project"]["tasks"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
