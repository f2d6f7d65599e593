//! How many SQL statements a nested board query costs: three (the session with its user, the
//! projects page with every project's members and their users, the task pages of all projects
//! with their assignees and subtasks) whatever the page sizes, and whether or not the
//! dataloaders get to batch — the `projects` resolver reads the task pages ahead.

mod common;

use common::{data, TestApp, TestUser};
use serde_json::{json, Value};

const NESTED: &str = "{ projects(first: 20) { edges { node { members { user { email } } tasks(first: 50) { edges { node { assignee { displayName } subtasks { title } } } } } } } }";
const WITHOUT_SUBTASKS: &str = "{ projects(first: 20) { edges { node { members { user { email } } tasks(first: 50) { edges { node { title assignee { displayName } } } } } } } }";

/// `projects` projects of `tasks_per_project` tasks each, every project with three editors,
/// every task assigned to one of them, every fifth a subtask of the one before. The server runs
/// no pipeline workers: the statement counter counts every statement of the pool, and workers
/// polling for runs while a request runs would be counted with it.
async fn boards(app: &TestApp, projects: usize, tasks_per_project: usize) -> TestUser {
    let owner = app.register("owner@example.com", "Owner").await;
    let members: Vec<TestUser> = futures_util::future::join_all((0..3).map(|i| async move {
        app.register(&format!("member{i}@example.com"), &format!("Member {i}"))
            .await
    }))
    .await;
    for p in 0..projects {
        let project = app.create_project(&owner, &format!("P{p}")).await;
        for member in &members {
            app.add_member(&owner, &project, member, "EDITOR").await;
        }
        let mut parent = None;
        for t in 0..tasks_per_project {
            let mut extra = json!({ "assigneeId": members[t % members.len()].id });
            if t % 5 == 4 {
                extra["parentId"] = json!(parent);
            }
            let task = app
                .create_task(&owner, &project, &format!("T{t}"), extra)
                .await;
            parent = Some(task["id"].as_str().unwrap().to_string());
        }
    }
    owner
}

/// The answer to `query` and the statements the server ran for it.
async fn statements_of(app: &TestApp, viewer: &TestUser, query: &str) -> (Value, u64) {
    let before = app.statements_executed().await;
    let body = app.graphql_as(&viewer.access_token, query, json!({})).await;
    (body, app.statements_executed().await - before)
}

/// Every project's edges and the tasks on them.
fn tasks_seen(body: &Value) -> (usize, usize) {
    let edges = data(body)["projects"]["edges"].as_array().unwrap();
    let tasks = edges
        .iter()
        .map(|edge| edge["node"]["tasks"]["edges"].as_array().unwrap().len())
        .sum();
    (edges.len(), tasks)
}

#[tokio::test]
async fn nested_queries_cost_three_statements_for_2x2_as_for_20x50() {
    async fn statements_for(projects: usize, tasks_per_project: usize) -> [u64; 2] {
        let app = TestApp::builder()
            .env("WORKER_CONCURRENCY", "0")
            .spawn()
            .await;
        let owner = boards(&app, projects, tasks_per_project).await;
        let (lean, lean_statements) = statements_of(&app, &owner, WITHOUT_SUBTASKS).await;
        let (body, statements) = statements_of(&app, &owner, NESTED).await;
        let seen = (projects, projects * tasks_per_project);
        assert_eq!(tasks_seen(&lean), seen);
        assert_eq!(tasks_seen(&body), seen);
        [lean_statements, statements]
    }

    let small = statements_for(2, 2).await;
    let large = statements_for(20, 50).await;
    assert_eq!(
        small, large,
        "statements grew with the data: {small:?} for 2x2, {large:?} for 20x50"
    );
    assert!(
        large.iter().all(|count| *count <= 3),
        "{large:?} statements for the nested queries (without, with subtasks)"
    );
}

/// With loaders that cannot batch (`LOADER_MAX_BATCH=1`: every key its own statement), the
/// nested shape still costs three statements: its task pages, members and assignees are read
/// ahead by the `projects` resolver, not left to the loaders' 1 ms batching window, which a
/// busy host misses (100 projects once came out as ~36 statements).
#[tokio::test]
async fn nested_queries_cost_three_statements_when_loaders_cannot_batch() {
    let app = TestApp::builder()
        .env("WORKER_CONCURRENCY", "0")
        .env("LOADER_MAX_BATCH", "1")
        .spawn()
        .await;
    let owner = boards(&app, 6, 5).await;
    for query in [WITHOUT_SUBTASKS, NESTED] {
        let (body, statements) = statements_of(&app, &owner, query).await;
        assert_eq!(tasks_seen(&body), (6, 30), "{body}");
        assert!(
            statements <= 3,
            "{statements} statements for {query} without loader batching"
        );
    }
}
