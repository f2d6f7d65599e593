//! Nested pages cost what the page holds, not what the project holds: over a project of 20,000
//! tasks, the statements behind `project.tasks` (every order, with and without a cursor, with
//! assignees and subtasks) and `project.members`, and over 20,000 events and 20,000 runs those
//! behind `project.activity` and `pipeline.runs`, read each parent's rows as an index range
//! scan and sort nothing (their plans, `EXPLAIN (ANALYZE, FORMAT JSON)`, say so), and the pages
//! the API serves are the ones the orders define.

mod common;

use async_graphql::ID;
use catalyst::{
    events::log::explain_pages_newest_first,
    graphql::ids::decode_id,
    pipelines::queue::explain_run_pages,
    projects::{store::MEMBERS_JSON, views::PROJECT_TYPE},
    tasks::{
        model::TaskStatus,
        pages::explain_pages,
        store::{TaskColumns, TaskCursor, TaskFilter, TaskOrder, TaskPageQuery, TaskPrefetch},
    },
};
use common::{data, TestApp, TestUser};
use diesel::{
    sql_types::{Array, Integer, Json, Text, Uuid as SqlUuid},
    QueryableByName,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use uuid::Uuid;

const BIG: i32 = 20_000;
const SMALL: i32 = 50;

/// Tasks of one project straight into the table (the API would take minutes for 20,000):
/// every fifth a subtask of the one before, statuses and priorities cycling, a due date on
/// every third, creation times 1 ms apart.
const SEED_TASKS: &str = "
    INSERT INTO tasks (id, project_id, parent_id, title, status, priority, assignee_id, due_at,
                       position, created_at, updated_at)
    SELECT md5($2 || t)::uuid, $1,
           CASE WHEN t % 5 = 4 THEN md5($2 || (t - 1))::uuid END,
           'Task ' || t,
           (ARRAY['TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE'])[1 + t % 4],
           (ARRAY['LOW', 'MEDIUM', 'HIGH', 'URGENT'])[1 + (t / 4) % 4],
           $4,
           CASE WHEN t % 3 = 0 THEN timestamptz '2027-01-01' + (t % 97) * interval '1 hour' END,
           'a' || lpad(((t * 7919) % $3)::text, 8, '0'),
           timestamptz '2026-06-01' + t * interval '1 millisecond',
           timestamptz '2026-07-01' - t * interval '1 millisecond'
    FROM generate_series(1, $3) AS t";

/// Today's orders, written as the expressions the windowed statement sorted by before the
/// orders had indexes: the pages served must follow them exactly.
fn reference_order(order: TaskOrder) -> &'static str {
    match order {
        TaskOrder::Position => {
            "(CASE status WHEN 'TODO' THEN '0' WHEN 'IN_PROGRESS' THEN '1' \
             WHEN 'BLOCKED' THEN '2' ELSE '3' END || position) COLLATE \"C\", id"
        }
        TaskOrder::CreatedAt => "created_at, id",
        TaskOrder::UpdatedAt => "updated_at, id",
        TaskOrder::DueAt => "due_at NULLS LAST, id",
        TaskOrder::Priority => {
            "CASE priority WHEN 'URGENT' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 \
             ELSE 3 END, id"
        }
    }
}

/// The windowed statement `project.tasks` ran before: the plan check must reject it.
const WINDOWED: &str = "SELECT * FROM (
        SELECT tasks.*, row_number() OVER (PARTITION BY project_id ORDER BY
            ((CASE status WHEN 'TODO' THEN '0' WHEN 'IN_PROGRESS' THEN '1' WHEN 'BLOCKED' THEN '2'
              ELSE '3' END) || position) COLLATE \"C\", id) AS page_rank
        FROM tasks WHERE project_id = ANY($1)
    ) ranked WHERE page_rank <= 21 ORDER BY project_id, page_rank";

const ORDERS: [(TaskOrder, &str); 5] = [
    (TaskOrder::Position, "POSITION"),
    (TaskOrder::CreatedAt, "CREATED_AT"),
    (TaskOrder::UpdatedAt, "UPDATED_AT"),
    (TaskOrder::DueAt, "DUE_AT"),
    (TaskOrder::Priority, "PRIORITY"),
];

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = Json, column_name = "QUERY PLAN")]
    plan: Value,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Tables read a page (or a project's members) at a time.
const PAGED_TABLES: [&str; 4] = ["tasks", "project_members", "activity_log", "pipeline_runs"];

/// What is wrong with a plan: a window, a sort (of more than `sorted` rows), a scan of a paged
/// table that does not go through an index, or one that reads more rows per parent than
/// `per_parent`.
fn plan_problems(plan: &Value, per_parent: f64, sorted: f64) -> Vec<String> {
    let mut problems = Vec::new();
    let mut stack: Vec<&Value> = plan
        .as_array()
        .into_iter()
        .flatten()
        .map(|statement| &statement["Plan"])
        .collect();
    while let Some(node) = stack.pop() {
        let kind = node["Node Type"].as_str().unwrap_or_default();
        let relation = node["Relation Name"].as_str().unwrap_or_default();
        let rows = node["Actual Rows"].as_f64().unwrap_or_default();
        if kind == "WindowAgg" || (kind.ends_with("Sort") && rows > sorted) {
            problems.push(format!("{kind} over {rows} rows"));
        }
        if PAGED_TABLES.contains(&relation) {
            if !matches!(kind, "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan") {
                problems.push(format!("{kind} on {relation}"));
            }
            let read = rows + node["Rows Removed by Filter"].as_f64().unwrap_or_default();
            if read > per_parent {
                problems.push(format!(
                    "{kind} on {relation} read {read} rows per loop (at most {per_parent})"
                ));
            }
        }
        stack.extend(node["Plans"].as_array().into_iter().flatten());
    }
    problems
}

async fn seed(app: &TestApp) -> (TestUser, String, Uuid, Uuid, AsyncPgConnection) {
    let owner = app.register("owner@example.com", "Owner").await;
    let assignee = app.register("assignee@example.com", "Assignee").await;
    let big = app.create_project(&owner, "Big").await;
    let small = app.create_project(&owner, "Small").await;
    for project in [&big, &small] {
        app.add_member(&owner, project, &assignee, "EDITOR").await;
    }
    let uuid_of = |id: &str, kind| decode_id(kind, "id", &ID(id.to_string())).unwrap();
    let (big_id, small_id) = (uuid_of(&big, PROJECT_TYPE), uuid_of(&small, PROJECT_TYPE));
    let assignee_id = uuid_of(&assignee.id, "User");
    let mut connection = AsyncPgConnection::establish(&app.database_url)
        .await
        .expect("the test database accepts connections");
    for (project, prefix, count) in [(big_id, "big", BIG), (small_id, "small", SMALL)] {
        diesel::sql_query(SEED_TASKS)
            .bind::<SqlUuid, _>(project)
            .bind::<Text, _>(prefix)
            .bind::<Integer, _>(count)
            .bind::<SqlUuid, _>(assignee_id)
            .execute(&mut connection)
            .await
            .expect("tasks are seeded");
    }
    // Other teams fill the membership table, so that reading one project's members from its
    // index is the plan a real database gets (a table of a few rows is scanned whole).
    for filler in [
        "INSERT INTO users (id, email, password_hash, display_name)
         SELECT md5('user' || u)::uuid, 'user' || u || '@example.com', 'x', 'User ' || u
         FROM generate_series(1, 20) AS u",
        "INSERT INTO projects (id, name) SELECT md5('project' || p)::uuid, 'Other ' || p
         FROM generate_series(1, 500) AS p",
        "INSERT INTO project_members (project_id, user_id, role)
         SELECT md5('project' || p)::uuid, md5('user' || u)::uuid, 'EDITOR'
         FROM generate_series(1, 500) AS p, generate_series(1, 20) AS u",
    ] {
        diesel::sql_query(filler)
            .execute(&mut connection)
            .await
            .expect("other teams are seeded");
    }
    diesel::sql_query("ANALYZE tasks")
        .execute(&mut connection)
        .await
        .expect("analyze");
    diesel::sql_query("ANALYZE project_members")
        .execute(&mut connection)
        .await
        .expect("analyze");
    (owner, big, big_id, small_id, connection)
}

#[tokio::test]
async fn nested_pages_are_index_range_scans_over_a_project_of_20000_tasks() {
    let app = TestApp::spawn().await;
    let (owner, big, big_id, small_id, mut connection) = seed(&app).await;
    let projects = [big_id, small_id];

    // A cursor in the middle of each order, taken from the API itself.
    let mut cursors = Vec::new();
    for (order, name) in ORDERS {
        let body = app
            .graphql_as(
                &owner.access_token,
                "query($id: ID!, $order: TaskOrder) { project(id: $id) { tasks(first: 37, orderBy: $order) { pageInfo { endCursor } } } }",
                json!({ "id": big, "order": name }),
            )
            .await;
        let cursor = data(&body)["project"]["tasks"]["pageInfo"]["endCursor"]
            .as_str()
            .expect("a cursor")
            .to_string();
        let decoded: TaskCursor =
            catalyst::graphql::pagination::decode_cursor("after", &cursor).unwrap();
        cursors.push((order, Some(decoded)));
        cursors.push((order, None));
    }
    let mut queries: Vec<TaskPageQuery> = cursors
        .into_iter()
        .map(|(order, after)| TaskPageQuery {
            filter: TaskFilter::default(),
            order,
            after,
            fetch: 51,
            prefetch: TaskPrefetch {
                assignees: true,
                subtasks: true,
                columns: TaskColumns::ALL,
            },
        })
        .collect();
    queries.push(TaskPageQuery {
        filter: TaskFilter {
            status: Some(TaskStatus::Blocked),
            ..TaskFilter::default()
        },
        order: TaskOrder::Position,
        after: None,
        fetch: 21,
        // A board reading titles only: the other columns are not read (`TaskColumns`).
        prefetch: TaskPrefetch {
            columns: TaskColumns::TITLE,
            ..TaskPrefetch::default()
        },
    });
    for query in &queries {
        let plan = explain_pages(&mut connection, &projects, query)
            .await
            .expect("the page statement explains");
        let problems = plan_problems(&plan, query.fetch as f64, 0.0);
        assert!(
            problems.is_empty(),
            "{:?} after {:?}: {problems:?}\n{plan:#}",
            query.order,
            query.after
        );
    }

    let members: Plan = diesel::sql_query(format!(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT projects.id, {MEMBERS_JSON} FROM projects WHERE id = ANY($1)"
    ))
    .bind::<Array<SqlUuid>, _>(projects.to_vec())
    .get_result(&mut connection)
    .await
    .expect("the members subquery explains");
    // Members are not paged: every member is read, and PostgreSQL may sort a project's few
    // members rather than walk the index; what must not happen is reading other projects'.
    let problems = plan_problems(&members.plan, 2.0, 2.0);
    assert!(
        problems.is_empty(),
        "members: {problems:?}\n{:#}",
        members.plan
    );

    // The check can fail: the windowed statement of before sorts all 20,050 tasks.
    let windowed: Plan = diesel::sql_query(format!("EXPLAIN (ANALYZE, FORMAT JSON) {WINDOWED}"))
        .bind::<Array<SqlUuid>, _>(projects.to_vec())
        .get_result(&mut connection)
        .await
        .expect("the windowed statement explains");
    assert!(!plan_problems(&windowed.plan, 51.0, 0.0).is_empty());
}

#[tokio::test]
async fn pages_of_20000_tasks_follow_every_order_across_cursors() {
    let app = TestApp::spawn().await;
    let (owner, big, big_id, _, mut connection) = seed(&app).await;
    const PAGE: &str = "query($id: ID!, $order: TaskOrder, $after: String) { project(id: $id) { tasks(first: 40, after: $after, orderBy: $order) { edges { node { id title } } pageInfo { endCursor hasNextPage } } } }";
    for (order, name) in ORDERS {
        let expected: Vec<Id> = diesel::sql_query(format!(
            "SELECT id FROM tasks WHERE project_id = $1 ORDER BY {} LIMIT 120",
            reference_order(order)
        ))
        .bind::<SqlUuid, _>(big_id)
        .load(&mut connection)
        .await
        .expect("the reference order");
        let mut served = Vec::new();
        let mut after = Value::Null;
        for _ in 0..3 {
            let body = app
                .graphql_as(
                    &owner.access_token,
                    PAGE,
                    json!({ "id": big, "order": name, "after": after }),
                )
                .await;
            let tasks = &data(&body)["project"]["tasks"];
            assert_eq!(tasks["pageInfo"]["hasNextPage"], true);
            for edge in tasks["edges"].as_array().unwrap() {
                let id = edge["node"]["id"].as_str().unwrap();
                served.push(decode_id("Task", "id", &ID(id.to_string())).unwrap());
            }
            after = tasks["pageInfo"]["endCursor"].clone();
        }
        let expected: Vec<Uuid> = expected.into_iter().map(|row| row.id).collect();
        assert_eq!(served, expected, "{name}");
    }
}

/// Fills a table with other projects' rows too, so that reading one parent's rows from its
/// index is the plan a real database gets.
async fn run_all(connection: &mut AsyncPgConnection, statements: &[&str]) {
    for statement in statements {
        diesel::sql_query(*statement)
            .execute(connection)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
}

#[tokio::test]
async fn activity_and_run_pages_are_index_range_scans_over_20000_events_and_runs() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let uuid_of = |id: &str| decode_id(PROJECT_TYPE, "id", &ID(id.to_string())).unwrap();
    let big = uuid_of(&app.create_project(&owner, "Big").await);
    let small = uuid_of(&app.create_project(&owner, "Small").await);
    let mut connection = AsyncPgConnection::establish(&app.database_url)
        .await
        .expect("the test database accepts connections");
    let seeds = [
        "INSERT INTO projects (id, name) SELECT md5('project' || p)::uuid, 'Other ' || p
         FROM generate_series(1, 200) AS p"
            .to_string(),
        format!(
            "INSERT INTO activity_log (prev_seq, project_id, kind, payload)
             SELECT 0, project, 'PROJECT_UPDATED', '{{}}'
             FROM (SELECT '{big}'::uuid AS project, generate_series(1, 20000)
                   UNION ALL SELECT '{small}'::uuid, generate_series(1, 50)
                   UNION ALL SELECT md5('project' || p)::uuid, generate_series(1, 50)
                   FROM generate_series(1, 200) AS p) AS events"
        ),
        format!(
            "INSERT INTO pipelines (id, project_id, name)
             SELECT md5('pipeline' || p)::uuid, CASE p WHEN 0 THEN '{big}'::uuid
                    WHEN 1 THEN '{small}'::uuid ELSE md5('project' || p)::uuid END, 'P' || p
             FROM generate_series(0, 200) AS p"
        ),
        "INSERT INTO pipeline_runs (id, pipeline_id, project_id, status, graph, queued_at)
         SELECT md5('run' || p || '-' || r)::uuid, pipelines.id, pipelines.project_id,
                'SUCCEEDED', '{}', timestamptz '2026-06-01' + r * interval '1 second'
         FROM generate_series(0, 200) AS p
         JOIN pipelines ON pipelines.id = md5('pipeline' || p)::uuid
         CROSS JOIN LATERAL generate_series(1, CASE p WHEN 0 THEN 20000 ELSE 50 END) AS r"
            .to_string(),
        "ANALYZE activity_log".to_string(),
        "ANALYZE pipeline_runs".to_string(),
    ];
    run_all(
        &mut connection,
        &seeds.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let projects = [big, small];
    let pipelines: Vec<Uuid> = diesel::sql_query(
        "SELECT id FROM pipelines WHERE id IN (md5('pipeline0')::uuid, md5('pipeline1')::uuid)",
    )
    .load::<Id>(&mut connection)
    .await
    .unwrap()
    .into_iter()
    .map(|row| row.id)
    .collect();
    assert_eq!(pipelines.len(), 2);

    // A cursor in the middle of the big project's log and of its pipeline's runs.
    let middle_seq: i64 = diesel::sql_query(format!(
        "SELECT seq AS value FROM activity_log WHERE project_id = '{big}' ORDER BY seq OFFSET 10000 LIMIT 1"
    ))
    .get_result::<Value64>(&mut connection)
    .await
    .unwrap()
    .value;
    let middle_run = (
        "2026-06-01T02:46:40Z".parse().unwrap(),
        diesel::sql_query("SELECT md5('run0-10000')::uuid AS id")
            .get_result::<Id>(&mut connection)
            .await
            .unwrap()
            .id,
    );
    for before in [None, Some(middle_seq)] {
        let plan = explain_pages_newest_first(&mut connection, &projects, before, 20)
            .await
            .expect("the activity page statement explains");
        let problems = plan_problems(&plan, 21.0, 0.0);
        assert!(
            problems.is_empty(),
            "activity before {before:?}: {problems:?}\n{plan:#}"
        );
        assert!(plan.to_string().contains("activity_log_project_seq_idx"));
    }
    for after in [None, Some(middle_run)] {
        let plan = explain_run_pages(&mut connection, &pipelines, after, 20)
            .await
            .expect("the run page statement explains");
        let problems = plan_problems(&plan, 21.0, 0.0);
        assert!(
            problems.is_empty(),
            "runs after {after:?}: {problems:?}\n{plan:#}"
        );
        assert!(plan.to_string().contains("pipeline_runs_pipeline_idx"));
    }

    // The check can fail: both pipelines' runs in one ordered statement sort all 20,050.
    let merged: Plan = diesel::sql_query(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM pipeline_runs WHERE pipeline_id = ANY($1)
         ORDER BY queued_at DESC, id DESC LIMIT 42",
    )
    .bind::<Array<SqlUuid>, _>(pipelines)
    .get_result(&mut connection)
    .await
    .expect("the merged statement explains");
    assert!(!plan_problems(&merged.plan, 21.0, 0.0).is_empty());
}

#[derive(QueryableByName)]
struct Value64 {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}
