//! The permission table, end to end: every project, member and task operation tried by every
//! kind of caller, each on a fresh project, with the answer the role table promises.

mod common;

use common::{data, error_code, TestApp, TestUser};
use serde_json::{json, Value};

const ROLES: [&str; 5] = ["VIEWER", "EXECUTOR", "EDITOR", "ADMIN", "OWNER"];

#[derive(Clone, Copy, Debug)]
enum Caller {
    Member(&'static str),
    NonMember,
    Anonymous,
}

/// A project with one member per role, a task, and a VIEWER `target` for member operations.
struct Fixture {
    project: String,
    task: String,
}

struct Team {
    by_role: Vec<(&'static str, TestUser)>,
    outsider: TestUser,
    target: TestUser,
}

impl Team {
    fn member(&self, role: &str) -> &TestUser {
        &self
            .by_role
            .iter()
            .find(|(r, _)| *r == role)
            .expect("a member per role")
            .1
    }
}

async fn fixture(app: &TestApp, team: &Team) -> Fixture {
    let owner = team.member("OWNER");
    let project = app.create_project(owner, "Matrix").await;
    for (role, user) in &team.by_role {
        if *role != "OWNER" {
            app.add_member(owner, &project, user, role).await;
        }
    }
    app.add_member(owner, &project, &team.target, "VIEWER")
        .await;
    let task = app.create_task(owner, &project, "Task", json!({})).await;
    Fixture {
        project,
        task: task["id"].as_str().unwrap().to_string(),
    }
}

struct Operation {
    name: &'static str,
    query: &'static str,
    /// The weakest role allowed.
    minimum: &'static str,
    variables: fn(&Fixture, &Team) -> Value,
}

fn operations() -> Vec<Operation> {
    vec![
        Operation { name: "project", minimum: "VIEWER", query: "query($p: ID!) { project(id: $p) { id } }", variables: |f, _| json!({ "p": f.project }) },
        Operation { name: "task", minimum: "VIEWER", query: "query($t: ID!) { task(id: $t) { id } }", variables: |f, _| json!({ "t": f.task }) },
        Operation { name: "updateProject", minimum: "ADMIN", query: "mutation($p: ID!) { updateProject(id: $p, input: { name: \"Renamed\" }) { id } }", variables: |f, _| json!({ "p": f.project }) },
        Operation { name: "archiveProject", minimum: "ADMIN", query: "mutation($p: ID!) { archiveProject(id: $p) { id } }", variables: |f, _| json!({ "p": f.project }) },
        Operation { name: "unarchiveProject", minimum: "ADMIN", query: "mutation($p: ID!) { unarchiveProject(id: $p) { id } }", variables: |f, _| json!({ "p": f.project }) },
        Operation { name: "deleteProject", minimum: "OWNER", query: "mutation($p: ID!) { deleteProject(id: $p) }", variables: |f, _| json!({ "p": f.project }) },
        Operation { name: "addProjectMember", minimum: "ADMIN", query: "mutation($p: ID!) { addProjectMember(projectId: $p, email: \"newcomer@example.com\", role: VIEWER) { role } }", variables: |f, _| json!({ "p": f.project }) },
        Operation { name: "changeMemberRole", minimum: "ADMIN", query: "mutation($p: ID!, $u: ID!) { changeMemberRole(projectId: $p, userId: $u, role: EDITOR) { role } }", variables: |f, t| json!({ "p": f.project, "u": t.target.id }) },
        Operation { name: "removeMember", minimum: "ADMIN", query: "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }", variables: |f, t| json!({ "p": f.project, "u": t.target.id }) },
        Operation { name: "transferOwnership", minimum: "OWNER", query: "mutation($p: ID!, $u: ID!) { transferOwnership(projectId: $p, userId: $u) { role } }", variables: |f, t| json!({ "p": f.project, "u": t.target.id }) },
        Operation { name: "createTask", minimum: "EDITOR", query: "mutation($p: ID!) { createTask(input: { projectId: $p, title: \"New\" }) { id } }", variables: |f, _| json!({ "p": f.project }) },
        Operation { name: "updateTask", minimum: "EDITOR", query: "mutation($t: ID!) { updateTask(id: $t, expectedVersion: 1, changes: { title: \"Edited\" }) { id } }", variables: |f, _| json!({ "t": f.task }) },
        Operation { name: "moveTask", minimum: "EDITOR", query: "mutation($t: ID!) { moveTask(id: $t, status: DONE) { id } }", variables: |f, _| json!({ "t": f.task }) },
        Operation { name: "deleteTask", minimum: "EDITOR", query: "mutation($t: ID!) { deleteTask(id: $t) }", variables: |f, _| json!({ "t": f.task }) },
    ]
}

fn expected(operation: &Operation, caller: Caller) -> &'static str {
    match caller {
        Caller::Anonymous => "UNAUTHENTICATED",
        Caller::NonMember => "NOT_FOUND",
        Caller::Member(role) => {
            let rank = |role: &str| ROLES.iter().position(|r| *r == role).unwrap();
            if rank(role) >= rank(operation.minimum) {
                "OK"
            } else {
                "FORBIDDEN"
            }
        }
    }
}

#[tokio::test]
async fn every_operation_answers_every_caller_as_the_permission_table_says() {
    let app = TestApp::spawn().await;
    // Registered first, the platform admin is not part of the matrix.
    app.register("platform-admin@example.com", "Platform admin")
        .await;
    let mut by_role = Vec::new();
    for role in ROLES {
        let user = app
            .register(&format!("{}@example.com", role.to_lowercase()), role)
            .await;
        by_role.push((role, user));
    }
    let team = Team {
        by_role,
        outsider: app.register("outsider@example.com", "Outsider").await,
        target: app.register("target@example.com", "Target").await,
    };
    app.register("newcomer@example.com", "Newcomer").await;

    let mut callers: Vec<Caller> = ROLES.iter().map(|role| Caller::Member(role)).collect();
    callers.extend([Caller::NonMember, Caller::Anonymous]);
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for operation in operations() {
        for &caller in &callers {
            let fixture = fixture(&app, &team).await;
            let token = match caller {
                Caller::Member(role) => Some(team.member(role).access_token.as_str()),
                Caller::NonMember => Some(team.outsider.access_token.as_str()),
                Caller::Anonymous => None,
            };
            let body = app
                .graphql_with(
                    token,
                    operation.query,
                    (operation.variables)(&fixture, &team),
                )
                .await;
            let outcome = match error_code(&body) {
                None => {
                    data(&body);
                    "OK"
                }
                Some(code) => code,
            };
            let want = expected(&operation, caller);
            checked += 1;
            if outcome != want {
                mismatches.push(format!(
                    "{} by {caller:?}: expected {want}, got {body}",
                    operation.name
                ));
            }
        }
    }
    assert_eq!(checked, 14 * 7);
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[tokio::test]
async fn leaving_is_open_to_every_member_but_the_owner() {
    let app = TestApp::spawn().await;
    app.register("platform-admin@example.com", "Platform admin")
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let outsider = app.register("outsider@example.com", "Outsider").await;
    let project = app.create_project(&owner, "Leavers").await;
    const LEAVE: &str = "mutation($p: ID!) { leaveProject(projectId: $p) }";
    for role in ["ADMIN", "EDITOR", "EXECUTOR", "VIEWER"] {
        let member = app
            .register(&format!("{}@example.com", role.to_lowercase()), role)
            .await;
        app.add_member(&owner, &project, &member, role).await;
        let left = app
            .graphql_as(&member.access_token, LEAVE, json!({ "p": project }))
            .await;
        assert_eq!(data(&left)["leaveProject"], true, "{role}");
    }
    let owner_leaving = app
        .graphql_as(&owner.access_token, LEAVE, json!({ "p": project }))
        .await;
    assert_eq!(error_code(&owner_leaving), Some("CONFLICT"));
    let stranger = app
        .graphql_as(&outsider.access_token, LEAVE, json!({ "p": project }))
        .await;
    assert_eq!(error_code(&stranger), Some("NOT_FOUND"));
    let anonymous = app.graphql(LEAVE, json!({ "p": project })).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn admins_manage_members_below_admin_only() {
    let app = TestApp::spawn().await;
    app.register("platform-admin@example.com", "Platform admin")
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let admin = app.register("admin@example.com", "Admin").await;
    let peer = app.register("peer@example.com", "Peer admin").await;
    let editor = app.register("editor@example.com", "Editor").await;
    let project = app.create_project(&owner, "Hierarchy").await;
    app.add_member(&owner, &project, &admin, "ADMIN").await;
    app.add_member(&owner, &project, &peer, "ADMIN").await;
    app.add_member(&owner, &project, &editor, "EDITOR").await;
    const CHANGE: &str = "mutation($p: ID!, $u: ID!, $r: ProjectRole!) { changeMemberRole(projectId: $p, userId: $u, role: $r) { role } }";
    let cases = [
        (&admin, &editor, "VIEWER", None),
        (&admin, &editor, "ADMIN", Some("FORBIDDEN")),
        (&admin, &peer, "EDITOR", Some("FORBIDDEN")),
        (&admin, &owner, "EDITOR", Some("FORBIDDEN")),
        (&owner, &peer, "EDITOR", None),
        (&owner, &editor, "OWNER", Some("FORBIDDEN")),
    ];
    for (actor, target, role, outcome) in cases {
        let body = app
            .graphql_as(
                &actor.access_token,
                CHANGE,
                json!({ "p": project, "u": target.id, "r": role }),
            )
            .await;
        assert_eq!(
            error_code(&body),
            outcome,
            "{} sets {} to {role}: {body}",
            actor.email,
            target.email
        );
    }
}
