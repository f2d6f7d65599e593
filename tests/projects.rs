//! Projects, members and tasks through the public API, as a board frontend uses them.

mod common;

use common::{data, error_code, expect_error, TestApp, TestUser};
use serde_json::{json, Value};

const PROJECT: &str = "query Project($id: ID!) {
  project(id: $id) { id name description archived viewerRole members { role user { email } }
    taskCounts { todo inProgress blocked done total } }
}";
const PROJECTS: &str = "query Projects($first: Int, $after: String, $filter: ProjectFilterInput) {
  projects(first: $first, after: $after, filter: $filter) { edges { node { name viewerRole } } pageInfo { hasNextPage endCursor } }
}";
const UPDATE_TASK: &str = "mutation Update($id: ID!, $version: Int!, $changes: TaskChangesInput!) {
  updateTask(id: $id, expectedVersion: $version, changes: $changes) { id title status priority labels version dueAt assignee { email } parent { id } }
}";
const MOVE_TASK: &str = "mutation Move($id: ID!, $status: TaskStatus!, $after: ID, $before: ID) {
  moveTask(id: $id, status: $status, after: $after, before: $before) { id status position version }
}";
const BOARD: &str = "query Board($id: ID!, $filter: TaskFilterInput, $orderBy: TaskOrder) {
  project(id: $id) { tasks(first: 100, filter: $filter, orderBy: $orderBy) { edges { node { title status } } } }
}";

fn names(body: &Value) -> Vec<String> {
    data(body)["projects"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn board_titles(body: &Value) -> Vec<String> {
    data(body)["project"]["tasks"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["title"].as_str().unwrap().to_string())
        .collect()
}

/// An owner and an editor of a fresh project. A platform admin registers first, so neither of
/// them has platform powers.
async fn team(app: &TestApp) -> (TestUser, TestUser, String) {
    app.register("admin@example.com", "Admin").await;
    let owner = app.register("owner@example.com", "Owner").await;
    let editor = app.register("editor@example.com", "Editor").await;
    let project = app.create_project(&owner, "Apollo").await;
    app.add_member(&owner, &project, &editor, "EDITOR").await;
    (owner, editor, project)
}

#[tokio::test]
async fn a_project_is_created_renamed_archived_and_listed() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let created = app
        .graphql_as(
            &owner.access_token,
            common::CREATE_PROJECT,
            json!({ "input": { "name": "  Apollo  ", "description": "to the moon" } }),
        )
        .await;
    let created = &data(&created)["createProject"];
    assert_eq!(created["name"], "Apollo");
    assert_eq!(created["viewerRole"], "OWNER");
    let id = created["id"].as_str().unwrap();

    let renamed = app
        .graphql_as(
            &owner.access_token,
            "mutation($id: ID!) { updateProject(id: $id, input: { name: \"Artemis\" }) { name description } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&renamed)["updateProject"],
        json!({ "name": "Artemis", "description": "to the moon" })
    );

    let archived = app
        .graphql_as(
            &owner.access_token,
            "mutation($id: ID!) { archiveProject(id: $id) { archived } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&archived)["archiveProject"]["archived"], true);
    app.create_project(&owner, "Gemini").await;
    let active = app
        .graphql_as(
            &owner.access_token,
            PROJECTS,
            json!({ "filter": { "archived": false } }),
        )
        .await;
    assert_eq!(names(&active), ["Gemini"]);
    let only_archived = app
        .graphql_as(
            &owner.access_token,
            PROJECTS,
            json!({ "filter": { "archived": true } }),
        )
        .await;
    assert_eq!(names(&only_archived), ["Artemis"]);
    let searched = app
        .graphql_as(
            &owner.access_token,
            PROJECTS,
            json!({ "filter": { "search": "GEM" } }),
        )
        .await;
    assert_eq!(names(&searched), ["Gemini"]);

    // Archived projects keep their tasks read-only.
    let refused = app
        .graphql_as(
            &owner.access_token,
            common::CREATE_TASK,
            json!({ "input": { "projectId": id, "title": "Too late" } }),
        )
        .await;
    expect_error(&refused, "CONFLICT");
    let unarchived = app
        .graphql_as(
            &owner.access_token,
            "mutation($id: ID!) { unarchiveProject(id: $id) { archived } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&unarchived)["unarchiveProject"]["archived"], false);
    app.create_task(&owner, id, "In time", json!({})).await;

    let blank = app
        .graphql_as(
            &owner.access_token,
            common::CREATE_PROJECT,
            json!({ "input": { "name": "   " } }),
        )
        .await;
    assert_eq!(
        expect_error(&blank, "BAD_USER_INPUT")["extensions"]["field"],
        "name"
    );
}

#[tokio::test]
async fn projects_paginate_and_outsiders_cannot_see_them() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@example.com", "Admin").await;
    let owner = app.register("owner@example.com", "Owner").await;
    let outsider = app.register("outsider@example.com", "Outsider").await;
    for name in ["One", "Two", "Three"] {
        app.create_project(&owner, name).await;
    }
    let first = app
        .graphql_as(&owner.access_token, PROJECTS, json!({ "first": 2 }))
        .await;
    assert_eq!(names(&first), ["One", "Two"]);
    let cursor = data(&first)["projects"]["pageInfo"]["endCursor"].clone();
    let rest = app
        .graphql_as(
            &owner.access_token,
            PROJECTS,
            json!({ "first": 2, "after": cursor }),
        )
        .await;
    assert_eq!(names(&rest), ["Three"]);
    assert_eq!(data(&rest)["projects"]["pageInfo"]["hasNextPage"], false);

    let nothing = app
        .graphql_as(&outsider.access_token, PROJECTS, json!({}))
        .await;
    assert!(names(&nothing).is_empty());
    // Platform admins see every project, without a role in it.
    let everything = app
        .graphql_as(&admin.access_token, PROJECTS, json!({}))
        .await;
    assert_eq!(names(&everything), ["One", "Two", "Three"]);
    assert_eq!(
        data(&everything)["projects"]["edges"][0]["node"]["viewerRole"],
        Value::Null
    );
    expect_error(&app.graphql(PROJECTS, json!({})).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn members_are_added_changed_removed_and_ownership_moves() {
    let app = TestApp::spawn().await;
    let (owner, editor, project) = team(&app).await;
    let viewer = app.register("viewer@example.com", "Viewer").await;
    app.add_member(&owner, &project, &viewer, "VIEWER").await;

    let duplicate = app
        .graphql_as(
            &owner.access_token,
            common::ADD_MEMBER,
            json!({ "projectId": project, "email": "EDITOR@example.com", "role": "VIEWER" }),
        )
        .await;
    expect_error(&duplicate, "CONFLICT");
    let unknown = app
        .graphql_as(
            &owner.access_token,
            common::ADD_MEMBER,
            json!({ "projectId": project, "email": "nobody@example.com", "role": "VIEWER" }),
        )
        .await;
    assert_eq!(
        expect_error(&unknown, "BAD_USER_INPUT")["extensions"]["field"],
        "email"
    );
    let second_owner = app
        .graphql_as(
            &owner.access_token,
            common::ADD_MEMBER,
            json!({ "projectId": project, "email": "nobody@example.com", "role": "OWNER" }),
        )
        .await;
    expect_error(&second_owner, "FORBIDDEN");

    let promoted = app
        .graphql_as(
            &owner.access_token,
            "mutation($p: ID!, $u: ID!) { changeMemberRole(projectId: $p, userId: $u, role: ADMIN) { role } }",
            json!({ "p": project, "u": editor.id }),
        )
        .await;
    assert_eq!(data(&promoted)["changeMemberRole"]["role"], "ADMIN");

    // The owner cannot leave; after transferring ownership they can.
    let leave = "mutation($p: ID!) { leaveProject(projectId: $p) }";
    expect_error(
        &app.graphql_as(&owner.access_token, leave, json!({ "p": project }))
            .await,
        "CONFLICT",
    );
    let transferred = app
        .graphql_as(
            &owner.access_token,
            "mutation($p: ID!, $u: ID!) { transferOwnership(projectId: $p, userId: $u) { role user { email } } }",
            json!({ "p": project, "u": editor.id }),
        )
        .await;
    assert_eq!(
        data(&transferred)["transferOwnership"],
        json!({ "role": "OWNER", "user": { "email": "editor@example.com" } })
    );
    let roles = app
        .graphql_as(&editor.access_token, PROJECT, json!({ "id": project }))
        .await;
    let members = data(&roles)["project"]["members"]
        .as_array()
        .unwrap()
        .clone();
    let owners: Vec<_> = members.iter().filter(|m| m["role"] == "OWNER").collect();
    assert_eq!(owners.len(), 1, "{members:?}");
    assert_eq!(owners[0]["user"]["email"], "editor@example.com");
    assert!(members.contains(&json!({ "role": "ADMIN", "user": { "email": "owner@example.com" } })));

    let left = app
        .graphql_as(&owner.access_token, leave, json!({ "p": project }))
        .await;
    assert_eq!(data(&left)["leaveProject"], true);
    let gone = app
        .graphql_as(&owner.access_token, PROJECT, json!({ "id": project }))
        .await;
    expect_error(&gone, "NOT_FOUND");

    let removed = app
        .graphql_as(
            &editor.access_token,
            "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }",
            json!({ "p": project, "u": viewer.id }),
        )
        .await;
    assert_eq!(data(&removed)["removeMember"], true);
    expect_error(
        &app.graphql_as(&viewer.access_token, PROJECT, json!({ "id": project }))
            .await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn tasks_are_created_validated_updated_with_versions_and_deleted_with_subtasks() {
    let app = TestApp::spawn().await;
    let (owner, editor, project) = team(&app).await;
    let outsider = app.register("outsider@example.com", "Outsider").await;

    let task = app
        .create_task(
            &editor,
            &project,
            "Launch",
            json!({ "priority": "HIGH", "labels": ["  Rocket Science ", "rocket-science", "Ops"], "assigneeId": owner.id }),
        )
        .await;
    assert_eq!(task["status"], "TODO");
    assert_eq!(task["priority"], "HIGH");
    assert_eq!(task["labels"], json!(["rocket-science", "ops"]));
    assert_eq!(task["version"], 1);
    assert_eq!(task["assignee"]["id"], owner.id.as_str());
    let task_id = task["id"].as_str().unwrap();

    for (input, field) in [
        (json!({ "projectId": project, "title": "" }), "title"),
        (
            json!({ "projectId": project, "title": "x".repeat(201) }),
            "title",
        ),
        (
            json!({ "projectId": project, "title": "ok", "description": "d".repeat(10_001) }),
            "description",
        ),
        (
            json!({ "projectId": project, "title": "ok", "labels": (0..21).map(|i| format!("l{i}")).collect::<Vec<_>>() }),
            "labels",
        ),
        (
            json!({ "projectId": project, "title": "ok", "assigneeId": outsider.id }),
            "assigneeId",
        ),
        (
            json!({ "projectId": project, "title": "ok", "parentId": "bm9wZQ" }),
            "parentId",
        ),
    ] {
        let body = app
            .graphql_as(
                &editor.access_token,
                common::CREATE_TASK,
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            expect_error(&body, "BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{body}"
        );
    }

    let updated = app
        .graphql_as(
            &editor.access_token,
            UPDATE_TASK,
            json!({ "id": task_id, "version": 1, "changes": { "title": "Launch!", "status": "IN_PROGRESS", "assigneeId": null, "dueAt": "2030-01-01T00:00:00Z" } }),
        )
        .await;
    let updated = &data(&updated)["updateTask"];
    assert_eq!(updated["title"], "Launch!");
    assert_eq!(updated["status"], "IN_PROGRESS");
    assert_eq!(updated["assignee"], Value::Null);
    assert_eq!(updated["version"], 2);

    let stale = app
        .graphql_as(
            &editor.access_token,
            UPDATE_TASK,
            json!({ "id": task_id, "version": 1, "changes": { "title": "Mine" } }),
        )
        .await;
    let error = expect_error(&stale, "CONFLICT");
    assert_eq!(error["extensions"]["currentVersion"], 2);

    // Subtasks, and no cycles.
    let child = app
        .create_task(&editor, &project, "Fuel", json!({ "parentId": task_id }))
        .await;
    let grandchild = app
        .create_task(
            &editor,
            &project,
            "Oxidizer",
            json!({ "parentId": child["id"] }),
        )
        .await;
    let cycle = app
        .graphql_as(
            &editor.access_token,
            UPDATE_TASK,
            json!({ "id": task_id, "version": 2, "changes": { "parentId": grandchild["id"] } }),
        )
        .await;
    assert_eq!(
        expect_error(&cycle, "BAD_USER_INPUT")["extensions"]["field"],
        "parentId"
    );
    let tree = app
        .graphql_as(
            &editor.access_token,
            "query($id: ID!) { task(id: $id) { subtasks { title subtasks { title parent { title } } } } }",
            json!({ "id": task_id }),
        )
        .await;
    assert_eq!(
        data(&tree)["task"]["subtasks"],
        json!([{ "title": "Fuel", "subtasks": [{ "title": "Oxidizer", "parent": { "title": "Fuel" } }] }])
    );

    let deleted = app
        .graphql_as(
            &editor.access_token,
            "mutation($id: ID!) { deleteTask(id: $id) }",
            json!({ "id": task_id }),
        )
        .await;
    assert_eq!(data(&deleted)["deleteTask"], true);
    for id in [
        task_id,
        child["id"].as_str().unwrap(),
        grandchild["id"].as_str().unwrap(),
    ] {
        let gone = app
            .graphql_as(
                &editor.access_token,
                "query($id: ID!) { task(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        expect_error(&gone, "NOT_FOUND");
    }
}

#[tokio::test]
async fn moving_tasks_orders_the_board_and_filters_apply() {
    let app = TestApp::spawn().await;
    let (owner, editor, project) = team(&app).await;
    let mut ids = Vec::new();
    for title in ["A", "B", "C", "D"] {
        let task = app.create_task(&editor, &project, title, json!({})).await;
        ids.push(task["id"].as_str().unwrap().to_string());
    }
    let board = app
        .graphql_as(&editor.access_token, BOARD, json!({ "id": project }))
        .await;
    assert_eq!(board_titles(&board), ["A", "B", "C", "D"]);

    // D right after A, then A to the end, then B before D, then C into another column.
    let moves = [
        (3, "TODO", Some(("after", 0))),
        (0, "TODO", None),
        (1, "TODO", Some(("before", 3))),
        (2, "DONE", None),
    ];
    for (task, status, anchor) in moves {
        let mut variables = json!({ "id": ids[task], "status": status });
        if let Some((side, anchor)) = anchor {
            variables[side] = json!(ids[anchor]);
        }
        let moved = app
            .graphql_as(&editor.access_token, MOVE_TASK, variables)
            .await;
        assert_eq!(data(&moved)["moveTask"]["status"], status);
    }
    let board = app
        .graphql_as(&editor.access_token, BOARD, json!({ "id": project }))
        .await;
    assert_eq!(board_titles(&board), ["B", "D", "A", "C"]);

    let wrong_anchor = app
        .graphql_as(
            &editor.access_token,
            MOVE_TASK,
            json!({ "id": ids[0], "status": "TODO", "after": ids[2] }),
        )
        .await;
    assert_eq!(
        expect_error(&wrong_anchor, "BAD_USER_INPUT")["extensions"]["field"],
        "after"
    );

    app.create_task(
        &editor,
        &project,
        "Urgent thing",
        json!({ "priority": "URGENT", "labels": ["hot"], "assigneeId": owner.id }),
    )
    .await;
    let by_priority = app
        .graphql_as(
            &editor.access_token,
            BOARD,
            json!({ "id": project, "orderBy": "PRIORITY" }),
        )
        .await;
    assert_eq!(board_titles(&by_priority)[0], "Urgent thing");
    let done = app
        .graphql_as(
            &editor.access_token,
            BOARD,
            json!({ "id": project, "filter": { "status": "DONE" } }),
        )
        .await;
    assert_eq!(board_titles(&done), ["C"]);
    let hot = app
        .graphql_as(
            &editor.access_token,
            BOARD,
            json!({ "id": project, "filter": { "label": "HOT", "assigneeId": owner.id } }),
        )
        .await;
    assert_eq!(board_titles(&hot), ["Urgent thing"]);
    let searched = app
        .graphql_as(
            &editor.access_token,
            BOARD,
            json!({ "id": project, "filter": { "search": "urgent" } }),
        )
        .await;
    assert_eq!(board_titles(&searched), ["Urgent thing"]);

    let counts = app
        .graphql_as(&editor.access_token, PROJECT, json!({ "id": project }))
        .await;
    assert_eq!(
        data(&counts)["project"]["taskCounts"],
        json!({ "todo": 4, "inProgress": 0, "blocked": 0, "done": 1, "total": 5 })
    );
}

#[tokio::test]
async fn task_pages_follow_cursors_in_every_order() {
    let app = TestApp::spawn().await;
    let (_, editor, project) = team(&app).await;
    for index in 0..7 {
        let priority = ["LOW", "MEDIUM", "HIGH", "URGENT"][index % 4];
        app.create_task(
            &editor,
            &project,
            &format!("T{index}"),
            json!({ "priority": priority }),
        )
        .await;
    }
    const PAGE: &str = "query($id: ID!, $after: String, $orderBy: TaskOrder) {
      project(id: $id) { tasks(first: 3, after: $after, orderBy: $orderBy) { edges { cursor node { title } } pageInfo { hasNextPage endCursor } } }
    }";
    for order in ["POSITION", "CREATED_AT", "UPDATED_AT", "DUE_AT", "PRIORITY"] {
        let all = app
            .graphql_as(
                &editor.access_token,
                BOARD,
                json!({ "id": project, "orderBy": order }),
            )
            .await;
        let expected = board_titles(&all);
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app
                .graphql_as(
                    &editor.access_token,
                    PAGE,
                    json!({ "id": project, "after": after, "orderBy": order }),
                )
                .await;
            let tasks = &data(&page)["project"]["tasks"];
            seen.extend(board_titles(
                &json!({ "data": { "project": { "tasks": tasks } } }),
            ));
            if tasks["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = tasks["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, expected, "paging in {order} order");
        assert_eq!(seen.len(), 7);
    }
}

#[tokio::test]
async fn ten_concurrent_updates_from_one_version_let_exactly_one_win() {
    let app = TestApp::builder()
        .env("DATABASE_POOL_SIZE", "10")
        .spawn()
        .await;
    let (_, editor, project) = team(&app).await;
    let task = app
        .create_task(&editor, &project, "Contested", json!({}))
        .await;
    let attempts = (0..10).map(|i| {
        let (app, editor, id) = (&app, &editor, task["id"].clone());
        async move {
            app.graphql_as(
                &editor.access_token,
                UPDATE_TASK,
                json!({ "id": id, "version": 1, "changes": { "title": format!("Edit {i}") } }),
            )
            .await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let winners = results
        .iter()
        .filter(|body| body.get("errors").is_none())
        .count();
    let conflicts: Vec<_> = results
        .iter()
        .filter(|body| error_code(body) == Some("CONFLICT"))
        .collect();
    assert_eq!((winners, conflicts.len()), (1, 9), "{results:#?}");
    for conflict in conflicts {
        assert_eq!(conflict["errors"][0]["extensions"]["currentVersion"], 2);
    }
}

#[tokio::test]
async fn node_resolves_what_the_viewer_may_see_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (owner, editor, project) = team(&app).await;
    let outsider = app.register("outsider@example.com", "Outsider").await;
    let task = app
        .create_task(&editor, &project, "Visible", json!({}))
        .await;
    const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Task { title } ... on Project { name } ... on User { email } } }";
    for (id, typename) in [
        (project.as_str(), "Project"),
        (task["id"].as_str().unwrap(), "Task"),
        (owner.id.as_str(), "User"),
    ] {
        let seen = app
            .graphql_as(&editor.access_token, NODE, json!({ "id": id }))
            .await;
        assert_eq!(data(&seen)["node"]["__typename"], typename);
        assert_eq!(data(&seen)["node"]["id"], id);
        let hidden = app
            .graphql_as(&outsider.access_token, NODE, json!({ "id": id }))
            .await;
        assert_eq!(
            data(&hidden)["node"],
            Value::Null,
            "{typename} leaked to an outsider"
        );
    }
    let malformed = app
        .graphql_as(&editor.access_token, NODE, json!({ "id": "%%%" }))
        .await;
    expect_error(&malformed, "BAD_USER_INPUT");
}
