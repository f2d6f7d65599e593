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

const ACTIVITY: &str = "{ projects(first: 20) { edges { node { activity(first: 2) { edges { node { kind } } pageInfo { hasNextPage } } } } } }";
const RUNS: &str = "query($project: ID!) { pipelines(projectId: $project, first: 20) { edges { node { runs(first: 2) { edges { node { queuedAt } } pageInfo { hasNextPage } } } } } }";

/// The statements behind `query`, asked with `variables`, and each parent's page in it.
async fn pages_of(
    app: &TestApp,
    viewer: &TestUser,
    query: &str,
    variables: Value,
    (list, connection): (&str, &str),
) -> (u64, Vec<(Vec<Value>, bool)>) {
    let before = app.statements_executed().await;
    let body = app.graphql_as(&viewer.access_token, query, variables).await;
    let statements = app.statements_executed().await - before;
    let pages = data(&body)[list]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|edge| {
            let page = &edge["node"][connection];
            let nodes = page["edges"].as_array().unwrap();
            let nodes = nodes.iter().map(|edge| edge["node"].clone()).collect();
            (nodes, page["pageInfo"]["hasNextPage"].as_bool().unwrap())
        })
        .collect();
    (statements, pages)
}

/// Three runs of every pipeline that has none, a minute apart (no worker runs them).
async fn seed_runs(app: &TestApp) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let mut connection = AsyncPgConnection::establish(&app.database_url)
        .await
        .expect("the test database accepts connections");
    diesel::sql_query(
        "INSERT INTO pipeline_runs (id, pipeline_id, project_id, graph, queued_at) \
         SELECT gen_random_uuid(), p.id, p.project_id, '{}', \
                timestamptz '2026-12-01' + n * interval '1 minute' \
         FROM pipelines p CROSS JOIN generate_series(1, 3) AS n \
         WHERE NOT EXISTS (SELECT 1 FROM pipeline_runs r WHERE r.pipeline_id = p.id)",
    )
    .execute(&mut connection)
    .await
    .expect("runs are seeded");
}

/// `project.activity` and `pipeline.runs` under a list are one statement for all parents (a
/// LATERAL page per parent), not one per parent: the count is the same for 1 parent as for 4.
#[tokio::test]
async fn activity_and_run_pages_under_lists_cost_the_same_for_one_parent_as_for_four() {
    let app = TestApp::builder()
        .env("WORKER_CONCURRENCY", "0")
        .env("PIPELINE_CREATE_LIMIT_PER_HOUR", "1000")
        .spawn()
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let mut projects = Vec::new();
    let mut counts = Vec::new();
    for parents in [1, 4] {
        while projects.len() < parents {
            let project = app
                .create_project(&owner, &format!("P{}", projects.len()))
                .await;
            for t in 0..3 {
                app.create_task(&owner, &project, &format!("T{t}"), json!({}))
                    .await;
            }
            // Every pipeline in the first project, which the runs query lists.
            let home = projects.first().unwrap_or(&project);
            let body = app
                .graphql_as(
                    &owner.access_token,
                    "mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id } }",
                    json!({ "input": { "projectId": home, "name": format!("Pipeline {}", projects.len()) } }),
                )
                .await;
            assert!(data(&body)["createPipeline"]["id"].is_string(), "{body}");
            projects.push(project);
        }
        seed_runs(&app).await;

        let (activity_statements, activity) =
            pages_of(&app, &owner, ACTIVITY, json!({}), ("projects", "activity")).await;
        assert_eq!(activity.len(), parents);
        // Each project's log holds at least its three new tasks: a page of 2 and more.
        assert!(activity
            .iter()
            .all(|(events, more)| events.len() == 2 && *more));
        let variables = json!({ "project": projects[0] });
        let (run_statements, runs) =
            pages_of(&app, &owner, RUNS, variables, ("pipelines", "runs")).await;
        assert_eq!(runs.len(), parents);
        for (page, more) in &runs {
            let times: Vec<&str> = page
                .iter()
                .map(|run| run["queuedAt"].as_str().unwrap())
                .collect();
            assert!(*more && times.len() == 2 && times[0] > times[1], "{runs:?}");
        }
        counts.push([activity_statements, run_statements]);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements (activity, runs) for 1 parent, then for 4: {counts:?}"
    );
}
