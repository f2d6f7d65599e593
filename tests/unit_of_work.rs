//! The unit of work as clients meet it: network waits happen outside the project's lock, and
//! activity rows written before the log was typed still read back through the typed activity.

mod common;

use async_graphql::ID;
use catalyst::graphql::ids::decode_id;
use common::{data, expect_error, TestApp};
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::{mpsc, oneshot},
};
use uuid::Uuid;

/// A Redis connection proxy that holds back the first client command mentioning `marker` once
/// armed, tells the test it is holding it, and forwards it when the test says so. Everything
/// else passes straight through, so the server under test sees a real (if slow) Redis.
struct HoldingRedisProxy {
    url: String,
    arm: mpsc::UnboundedSender<(oneshot::Sender<()>, oneshot::Receiver<()>)>,
}

impl HoldingRedisProxy {
    async fn start(marker: &'static str) -> HoldingRedisProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let url = format!("redis://{}", listener.local_addr().expect("proxy address"));
        let (arm, mut armed) =
            mpsc::unbounded_channel::<(oneshot::Sender<()>, oneshot::Receiver<()>)>();
        let hold = std::sync::Arc::new(tokio::sync::Mutex::new(None));
        let hold_for_arming = hold.clone();
        tokio::spawn(async move {
            while let Some(request) = armed.recv().await {
                *hold_for_arming.lock().await = Some(request);
            }
        });
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let hold = hold.clone();
                tokio::spawn(async move {
                    let redis = TcpStream::connect("127.0.0.1:6379")
                        .await
                        .expect("the shared Redis answers");
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_redis, mut to_redis) = redis.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut from_redis, &mut to_client).await;
                    });
                    let mut buffer = vec![0u8; 64 * 1024];
                    loop {
                        let read = match from_client.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(read) => read,
                        };
                        let chunk = &buffer[..read];
                        if String::from_utf8_lossy(chunk).contains(marker) {
                            if let Some((held, release)) = hold.lock().await.take() {
                                let _ = held.send(());
                                let _ = release.await;
                            }
                        }
                        if to_redis.write_all(chunk).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        HoldingRedisProxy { url, arm }
    }

    /// Holds the next command mentioning the marker: resolves once it is held, and forwards it
    /// when the returned sender is used (or dropped).
    async fn hold_next(&self) -> oneshot::Sender<()> {
        let (held_sender, held) = oneshot::channel();
        let (release, release_receiver) = oneshot::channel();
        self.arm
            .send((held_sender, release_receiver))
            .expect("the proxy runs");
        held.await.expect("the server sent the marked command");
        release
    }
}

const CREATE_PIPELINE: &str = r#"
mutation ($projectId: ID!, $name: String!) {
  createPipeline(input: { projectId: $projectId, name: $name }) { id }
}"#;

fn uuid_of(type_name: &str, id: &str) -> Uuid {
    decode_id(type_name, "id", &ID(id.to_string())).expect("an id this API returned")
}

#[tokio::test]
async fn a_quota_refusal_of_create_pipeline_holds_no_lock_on_the_project() {
    let proxy = HoldingRedisProxy::start("createPipeline").await;
    let app = TestApp::builder()
        .env("REDIS_URL", &proxy.url)
        .env("REDIS_KEY_PREFIX", &format!("uow-{}:", Uuid::new_v4()))
        .env("PIPELINE_CREATE_LIMIT_PER_HOUR", "1")
        .spawn()
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project_id = app.create_project(&owner, "Locks").await;
    let first = app
        .graphql_as(
            &owner.access_token,
            CREATE_PIPELINE,
            json!({ "projectId": project_id, "name": "First" }),
        )
        .await;
    data(&first);

    // The second pipeline's quota check is held at Redis: the request is waiting on the network.
    // Meanwhile nobody may hold the project's activity head: another writer locks it at once.
    let refused = app.graphql_as(
        &owner.access_token,
        CREATE_PIPELINE,
        json!({ "projectId": project_id, "name": "Second" }),
    );
    let lock_while_held = async {
        let release = proxy.hold_next().await;
        let mut database = AsyncPgConnection::establish(&app.database_url)
            .await
            .expect("the test database answers");
        let locked = database
            .transaction::<_, diesel::result::Error, _>(async |connection| {
                diesel::sql_query(
                    "SELECT project_id FROM activity_heads \
                     WHERE project_id = $1 FOR UPDATE NOWAIT",
                )
                .bind::<SqlUuid, _>(uuid_of("Project", &project_id))
                .execute(connection)
                .await
            })
            .await;
        let _ = release.send(());
        locked
    };
    let (refused, locked) = tokio::join!(refused, lock_while_held);
    assert_eq!(
        locked.expect("the head is not locked while the quota is checked"),
        1
    );
    expect_error(&refused, "RATE_LIMITED");
}

const PROJECT_ACTIVITY: &str = r#"
query ($id: ID!) {
  project(id: $id) {
    activity(first: 10) {
      edges { node {
        kind changedFields
        task { title status }
        member { role user { email } }
        project { name }
      } }
    }
  }
}"#;

/// Appends a row exactly as the untyped log wrote it, bypassing the typed activity.
async fn append_untyped(
    database: &mut AsyncPgConnection,
    project_id: Uuid,
    kind: &str,
    payload: Value,
) {
    diesel::sql_query(
        "WITH head AS (SELECT last_seq FROM activity_heads WHERE project_id = $1 FOR UPDATE),
              row AS (INSERT INTO activity_log (prev_seq, project_id, actor_id, kind, payload)
                      SELECT last_seq, $1, NULL, $2, $3 FROM head RETURNING seq)
         UPDATE activity_heads SET last_seq = (SELECT seq FROM row) WHERE project_id = $1",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<Text, _>(kind)
    .bind::<Jsonb, _>(payload)
    .execute(database)
    .await
    .expect("the untyped row is appended");
}

#[tokio::test]
async fn activity_rows_written_before_the_log_was_typed_read_back() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let member = app.register("member@example.com", "Member").await;
    let project_id = app.create_project(&owner, "History").await;
    let project = uuid_of("Project", &project_id);
    let task = app
        .create_task(&owner, &project_id, "Old shape", json!({}))
        .await;
    let task_id = uuid_of("Task", task["id"].as_str().expect("task id"));
    let member_id = uuid_of("User", &member.id);
    let mut database = AsyncPgConnection::establish(&app.database_url)
        .await
        .expect("the test database answers");
    let now = "2026-11-20T10:00:00.000000Z";
    append_untyped(
        &mut database,
        project,
        "TASK_UPDATED",
        json!({
            "task": {
                "id": task_id, "project_id": project, "parent_id": null,
                "title": "Renamed long ago", "description": "", "status": "IN_PROGRESS",
                "priority": "HIGH", "assignee_id": null, "due_at": null, "labels": ["old"],
                "position": "a0", "version": 2, "created_by": null,
                "created_at": now, "updated_at": now
            },
            "changedFields": ["title", "status"]
        }),
    )
    .await;
    append_untyped(
        &mut database,
        project,
        "MEMBER_ADDED",
        json!({
            "member": {
                "project_id": project, "user_id": member_id, "role": "EDITOR",
                "created_at": now, "updated_at": now
            }
        }),
    )
    .await;
    append_untyped(
        &mut database,
        project,
        "PROJECT_UPDATED",
        json!({
            "project": {
                "id": project, "name": "History, renamed", "description": "",
                "archived_at": null, "created_by": null, "created_at": now, "updated_at": now
            },
            "changedFields": ["name"]
        }),
    )
    .await;

    let body = app
        .graphql_as(
            &owner.access_token,
            PROJECT_ACTIVITY,
            json!({ "id": project_id }),
        )
        .await;
    let edges = data(&body)["project"]["activity"]["edges"]
        .as_array()
        .expect("activity edges")
        .clone();
    let nodes: Vec<&Value> = edges.iter().map(|edge| &edge["node"]).collect();
    assert_eq!(nodes.len(), 4, "three old rows and the task's creation");
    assert_eq!(nodes[0]["kind"], "PROJECT_UPDATED");
    assert_eq!(nodes[0]["project"]["name"], "History, renamed");
    assert_eq!(nodes[0]["changedFields"], json!(["name"]));
    assert_eq!(nodes[1]["kind"], "MEMBER_ADDED");
    assert_eq!(nodes[1]["member"]["role"], "EDITOR");
    assert_eq!(nodes[1]["member"]["user"]["email"], "member@example.com");
    assert_eq!(nodes[2]["kind"], "TASK_UPDATED");
    assert_eq!(
        nodes[2]["task"],
        json!({ "title": "Renamed long ago", "status": "IN_PROGRESS" })
    );
    assert_eq!(nodes[2]["changedFields"], json!(["title", "status"]));
    assert_eq!(nodes[3]["kind"], "TASK_CREATED");
    assert_eq!(nodes[3]["task"]["title"], "Old shape");
}
