//! A project's activity, typed: one variant per kind, each with the fields it carries. The log
//! stores a variant as its kind (the `kind` column) and its fields (the `payload` column), and
//! every reader — subscription payloads, `project.activity`, the membership watch — reads the
//! variant, never a JSON key. Field names are the stored ones, so rows written before this type
//! existed read back unchanged.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    error::{internal, AppResult},
    events::ActivityEvent,
    pipelines::model::{Pipeline, PipelineConnection, PipelineNode},
    projects::model::{Project, ProjectMember},
    tasks::model::Task,
    work::LoggedActivity,
};

/// What happened in a project, as `ProjectEvent.kind`. Stored as text; the GraphQL enum
/// mirrors it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityKind {
    /// A task was created; `task` is the new task.
    TaskCreated,
    /// A task's fields changed; `task` is the task after, `changedFields` names the fields.
    TaskUpdated,
    /// A task moved to another place or column; `task` is the task after.
    TaskMoved,
    /// A task was deleted; `task` is the task as it was.
    TaskDeleted,
    /// Someone joined; `member` is the new membership.
    MemberAdded,
    /// A member's role changed (also by ownership transfer); `member` is the membership after.
    MemberRoleChanged,
    /// A member was removed or left; `member` is the membership that ended.
    MemberRemoved,
    /// The project's name, description or archived state changed (unarchiving included);
    /// `project` is the project after.
    ProjectUpdated,
    /// The project was archived; `project` is the project after.
    ProjectArchived,
    /// A pipeline was created in the project.
    PipelineCreated,
    /// A pipeline's name, description or status changed.
    PipelineUpdated,
    /// A pipeline was deleted.
    PipelineDeleted,
    /// A node was added to a pipeline's graph.
    PipelineNodeAdded,
    /// A pipeline node's label, position or config changed.
    PipelineNodeUpdated,
    /// A node was removed from a pipeline's graph.
    PipelineNodeRemoved,
    /// Two pipeline ports were linked.
    PipelineNodesConnected,
    /// A link between two pipeline ports was removed.
    PipelineNodesDisconnected,
    /// A pipeline's whole graph was replaced by `savePipelineGraph`.
    PipelineGraphSaved,
}

/// One entry of a project's activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Activity {
    TaskCreated(TaskSnapshot),
    TaskUpdated(TaskSnapshot),
    TaskMoved(TaskSnapshot),
    /// The task as it was when deleted.
    TaskDeleted(TaskSnapshot),
    MemberAdded(MemberSnapshot),
    MemberRoleChanged(MemberSnapshot),
    /// The membership that ended, removed or left.
    MemberRemoved(MemberSnapshot),
    ProjectUpdated(ProjectSnapshot),
    ProjectArchived(ProjectSnapshot),
    PipelineCreated(PipelineSnapshot),
    PipelineUpdated(PipelineFieldsChanged),
    PipelineDeleted(PipelineRemoved),
    PipelineNodeAdded(PipelineNodeChanged),
    PipelineNodeUpdated(PipelineNodeChanged),
    PipelineNodeRemoved(PipelineNodeRemoved),
    PipelineNodesConnected(PipelineWireChanged),
    PipelineNodesDisconnected(PipelineWireChanged),
    PipelineGraphSaved(PipelineGraphSaved),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSnapshot {
    pub task: Task,
    /// GraphQL names of the fields an update changed; empty for other task events.
    #[serde(default)]
    pub changed_fields: Vec<String>,
    /// The pipeline run that created the task, for tasks a run's `createTasks` sink made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_run_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberSnapshot {
    pub member: ProjectMember,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSnapshot {
    pub project: Project,
    #[serde(default)]
    pub changed_fields: Vec<String>,
}

/// The pipeline after an edit; `version` is the pipeline's version after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSnapshot {
    pub pipeline_id: Uuid,
    pub version: i32,
    pub pipeline: Pipeline,
}

impl PipelineSnapshot {
    pub fn of(pipeline: &Pipeline) -> Self {
        PipelineSnapshot {
            pipeline_id: pipeline.id,
            version: pipeline.version,
            pipeline: pipeline.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineFieldsChanged {
    #[serde(flatten)]
    pub after: PipelineSnapshot,
    pub changed_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRemoved {
    pub pipeline_id: Uuid,
    /// The version the deletion would have produced: one past the last edit.
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineNodeChanged {
    #[serde(flatten)]
    pub after: PipelineSnapshot,
    pub node: PipelineNode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineNodeRemoved {
    #[serde(flatten)]
    pub after: PipelineSnapshot,
    pub removed_node_id: Uuid,
    pub removed_connection_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineWireChanged {
    #[serde(flatten)]
    pub after: PipelineSnapshot,
    pub connection: PipelineConnection,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineGraphSaved {
    #[serde(flatten)]
    pub after: PipelineSnapshot,
    pub nodes: Vec<PipelineNode>,
    pub connections: Vec<PipelineConnection>,
}

impl Activity {
    pub fn kind(&self) -> ActivityKind {
        match self {
            Activity::TaskCreated(_) => ActivityKind::TaskCreated,
            Activity::TaskUpdated(_) => ActivityKind::TaskUpdated,
            Activity::TaskMoved(_) => ActivityKind::TaskMoved,
            Activity::TaskDeleted(_) => ActivityKind::TaskDeleted,
            Activity::MemberAdded(_) => ActivityKind::MemberAdded,
            Activity::MemberRoleChanged(_) => ActivityKind::MemberRoleChanged,
            Activity::MemberRemoved(_) => ActivityKind::MemberRemoved,
            Activity::ProjectUpdated(_) => ActivityKind::ProjectUpdated,
            Activity::ProjectArchived(_) => ActivityKind::ProjectArchived,
            Activity::PipelineCreated(_) => ActivityKind::PipelineCreated,
            Activity::PipelineUpdated(_) => ActivityKind::PipelineUpdated,
            Activity::PipelineDeleted(_) => ActivityKind::PipelineDeleted,
            Activity::PipelineNodeAdded(_) => ActivityKind::PipelineNodeAdded,
            Activity::PipelineNodeUpdated(_) => ActivityKind::PipelineNodeUpdated,
            Activity::PipelineNodeRemoved(_) => ActivityKind::PipelineNodeRemoved,
            Activity::PipelineNodesConnected(_) => ActivityKind::PipelineNodesConnected,
            Activity::PipelineNodesDisconnected(_) => ActivityKind::PipelineNodesDisconnected,
            Activity::PipelineGraphSaved(_) => ActivityKind::PipelineGraphSaved,
        }
    }

    /// The activity of a logged event, decoded once per event however many readers ask.
    pub fn of(event: &ActivityEvent) -> AppResult<&Activity> {
        event.typed(Activity::decode)
    }

    fn decode(event: &ActivityEvent) -> AppResult<Activity> {
        Activity::from_stored(&event.kind, &event.payload).map_err(|error| {
            internal(anyhow::anyhow!(
                "activity {} ({}) does not read as its kind: {error}",
                event.seq,
                event.kind
            ))
        })
    }

    /// The activity a log row's kind and payload hold.
    fn from_stored(kind: &str, payload: &serde_json::Value) -> serde_json::Result<Activity> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
    }

    pub fn task(&self) -> Option<&Task> {
        match self {
            Activity::TaskCreated(snapshot)
            | Activity::TaskUpdated(snapshot)
            | Activity::TaskMoved(snapshot)
            | Activity::TaskDeleted(snapshot) => Some(&snapshot.task),
            _ => None,
        }
    }

    pub fn member(&self) -> Option<&ProjectMember> {
        match self {
            Activity::MemberAdded(snapshot)
            | Activity::MemberRoleChanged(snapshot)
            | Activity::MemberRemoved(snapshot) => Some(&snapshot.member),
            _ => None,
        }
    }

    pub fn project(&self) -> Option<&Project> {
        match self {
            Activity::ProjectUpdated(snapshot) | Activity::ProjectArchived(snapshot) => {
                Some(&snapshot.project)
            }
            _ => None,
        }
    }

    /// For updates: the fields that changed, by their GraphQL names.
    pub fn changed_fields(&self) -> &[String] {
        match self {
            Activity::TaskCreated(snapshot)
            | Activity::TaskUpdated(snapshot)
            | Activity::TaskMoved(snapshot)
            | Activity::TaskDeleted(snapshot) => &snapshot.changed_fields,
            Activity::ProjectUpdated(snapshot) | Activity::ProjectArchived(snapshot) => {
                &snapshot.changed_fields
            }
            Activity::PipelineUpdated(update) => &update.changed_fields,
            _ => &[],
        }
    }

    /// The pipeline a pipeline event is about.
    pub fn pipeline_id(&self) -> Option<Uuid> {
        match self {
            Activity::PipelineDeleted(removed) => Some(removed.pipeline_id),
            _ => self.pipeline_after().map(|after| after.pipeline_id),
        }
    }

    /// The pipeline's version right after a pipeline event.
    pub fn pipeline_version(&self) -> Option<i32> {
        match self {
            Activity::PipelineDeleted(removed) => Some(removed.version),
            _ => self.pipeline_after().map(|after| after.version),
        }
    }

    /// The pipeline row after an edit (not after its deletion).
    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline_after().map(|after| &after.pipeline)
    }

    fn pipeline_after(&self) -> Option<&PipelineSnapshot> {
        match self {
            Activity::PipelineCreated(snapshot) => Some(snapshot),
            Activity::PipelineUpdated(change) => Some(&change.after),
            Activity::PipelineNodeAdded(change) | Activity::PipelineNodeUpdated(change) => {
                Some(&change.after)
            }
            Activity::PipelineNodeRemoved(change) => Some(&change.after),
            Activity::PipelineNodesConnected(change)
            | Activity::PipelineNodesDisconnected(change) => Some(&change.after),
            Activity::PipelineGraphSaved(change) => Some(&change.after),
            _ => None,
        }
    }
}

impl LoggedActivity for Activity {
    /// The serde tag is the stored kind, so the variant names are written in one place.
    fn to_stored(&self) -> AppResult<(String, serde_json::Value)> {
        let stored = serde_json::to_value(self).map_err(internal)?;
        match stored {
            serde_json::Value::Object(mut stored) => match stored.remove("kind") {
                Some(serde_json::Value::String(kind)) => {
                    Ok((kind, stored.remove("payload").unwrap_or_default()))
                }
                _ => Err(internal(anyhow::anyhow!(
                    "activity serialized without a kind"
                ))),
            },
            _ => Err(internal(anyhow::anyhow!(
                "activity did not serialize to an object"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::{
        auth::authz::ProjectRole,
        pipelines::model::{PipelineStatus, ValidationStatusValue},
        tasks::model::{TaskPriority, TaskStatus},
    };

    fn at() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap()
    }

    fn task() -> Task {
        Task {
            id: Uuid::from_u128(1),
            project_id: Uuid::from_u128(2),
            parent_id: Some(Uuid::from_u128(3)),
            title: "Write the log".into(),
            description: "typed".into(),
            status: TaskStatus::InProgress,
            priority: TaskPriority::Urgent,
            assignee_id: None,
            due_at: Some(at()),
            labels: vec!["log".into()],
            position: "a1".into(),
            version: 4,
            created_by: Some(Uuid::from_u128(5)),
            created_at: at(),
            updated_at: at(),
        }
    }

    fn pipeline() -> PipelineSnapshot {
        PipelineSnapshot::of(&Pipeline {
            id: Uuid::from_u128(10),
            project_id: Uuid::from_u128(2),
            name: "Nightly".into(),
            description: String::new(),
            status: PipelineStatus::Active,
            validation_status: ValidationStatusValue::Valid,
            validation_issues: json!([]),
            version: 7,
            created_by: None,
            created_at: at(),
            updated_at: at(),
        })
    }

    fn node() -> PipelineNode {
        PipelineNode {
            id: Uuid::from_u128(11),
            pipeline_id: Uuid::from_u128(10),
            component: "csvSource".into(),
            label: "Input".into(),
            position_x: 1.5,
            position_y: -2.0,
            config: json!({ "csv": "a\n1" }),
            created_at: at(),
        }
    }

    fn wire() -> PipelineConnection {
        PipelineConnection {
            id: Uuid::from_u128(12),
            pipeline_id: Uuid::from_u128(10),
            from_node_id: Uuid::from_u128(11),
            from_port: "rows".into(),
            to_node_id: Uuid::from_u128(13),
            to_port: "rows".into(),
            created_at: at(),
        }
    }

    /// One example of every variant: adding a variant without an example fails to compile here.
    fn every_variant() -> Vec<Activity> {
        let task = TaskSnapshot {
            task: task(),
            changed_fields: vec!["title".into()],
            pipeline_run_id: Some(Uuid::from_u128(20)),
        };
        let member = MemberSnapshot {
            member: ProjectMember {
                project_id: Uuid::from_u128(2),
                user_id: Uuid::from_u128(5),
                role: ProjectRole::Executor,
                created_at: at(),
                updated_at: at(),
            },
        };
        let project = ProjectSnapshot {
            project: Project {
                id: Uuid::from_u128(2),
                name: "Board".into(),
                description: String::new(),
                archived_at: Some(at()),
                created_by: None,
                created_at: at(),
                updated_at: at(),
            },
            changed_fields: vec!["archived".into()],
        };
        let examples = vec![
            Activity::TaskCreated(task.clone()),
            Activity::TaskUpdated(task.clone()),
            Activity::TaskMoved(task.clone()),
            Activity::TaskDeleted(task),
            Activity::MemberAdded(member.clone()),
            Activity::MemberRoleChanged(member.clone()),
            Activity::MemberRemoved(member),
            Activity::ProjectUpdated(project.clone()),
            Activity::ProjectArchived(project),
            Activity::PipelineCreated(pipeline()),
            Activity::PipelineUpdated(PipelineFieldsChanged {
                after: pipeline(),
                changed_fields: vec!["name".into()],
            }),
            Activity::PipelineDeleted(PipelineRemoved {
                pipeline_id: Uuid::from_u128(10),
                version: 8,
            }),
            Activity::PipelineNodeAdded(PipelineNodeChanged {
                after: pipeline(),
                node: node(),
            }),
            Activity::PipelineNodeUpdated(PipelineNodeChanged {
                after: pipeline(),
                node: node(),
            }),
            Activity::PipelineNodeRemoved(PipelineNodeRemoved {
                after: pipeline(),
                removed_node_id: Uuid::from_u128(11),
                removed_connection_ids: vec![Uuid::from_u128(12)],
            }),
            Activity::PipelineNodesConnected(PipelineWireChanged {
                after: pipeline(),
                connection: wire(),
            }),
            Activity::PipelineNodesDisconnected(PipelineWireChanged {
                after: pipeline(),
                connection: wire(),
            }),
            Activity::PipelineGraphSaved(PipelineGraphSaved {
                after: pipeline(),
                nodes: vec![node()],
                connections: vec![wire()],
            }),
        ];
        for example in &examples {
            match example {
                Activity::TaskCreated(_)
                | Activity::TaskUpdated(_)
                | Activity::TaskMoved(_)
                | Activity::TaskDeleted(_)
                | Activity::MemberAdded(_)
                | Activity::MemberRoleChanged(_)
                | Activity::MemberRemoved(_)
                | Activity::ProjectUpdated(_)
                | Activity::ProjectArchived(_)
                | Activity::PipelineCreated(_)
                | Activity::PipelineUpdated(_)
                | Activity::PipelineDeleted(_)
                | Activity::PipelineNodeAdded(_)
                | Activity::PipelineNodeUpdated(_)
                | Activity::PipelineNodeRemoved(_)
                | Activity::PipelineNodesConnected(_)
                | Activity::PipelineNodesDisconnected(_)
                | Activity::PipelineGraphSaved(_) => {}
            }
        }
        examples
    }

    #[test]
    fn every_variant_reads_back_as_it_was_stored() {
        let examples = every_variant();
        assert_eq!(examples.len(), 18);
        for example in examples {
            let (kind, payload) = example.to_stored().expect("serializes");
            let graphql_kind = serde_json::to_value(example.kind()).expect("kind serializes");
            assert_eq!(
                graphql_kind,
                json!(kind),
                "the GraphQL kind is the stored kind"
            );
            let read = Activity::from_stored(&kind, &payload).expect("reads back");
            assert_eq!(read, example, "{kind}");
        }
    }

    #[test]
    fn payloads_keep_the_stored_field_names() {
        let (kind, payload) = Activity::PipelineNodeRemoved(PipelineNodeRemoved {
            after: pipeline(),
            removed_node_id: Uuid::from_u128(11),
            removed_connection_ids: vec![Uuid::from_u128(12)],
        })
        .to_stored()
        .expect("serializes");
        assert_eq!(kind, "PIPELINE_NODE_REMOVED");
        let mut keys: Vec<&str> = payload
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "pipeline",
                "pipelineId",
                "removedConnectionIds",
                "removedNodeId",
                "version"
            ]
        );
        let (_, task) = Activity::TaskCreated(TaskSnapshot {
            task: task(),
            changed_fields: Vec::new(),
            pipeline_run_id: None,
        })
        .to_stored()
        .expect("serializes");
        assert_eq!(task["changedFields"], json!([]));
        assert_eq!(task["task"]["status"], "IN_PROGRESS");
        assert!(task.get("pipelineRunId").is_none());
    }

    #[test]
    fn a_payload_that_does_not_match_its_kind_is_refused() {
        assert!(Activity::from_stored("TASK_CREATED", &json!({ "member": {} })).is_err());
        assert!(Activity::from_stored("TASK_EXPLODED", &json!({})).is_err());
    }
}
