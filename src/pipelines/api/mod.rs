//! GraphQL surface of pipelines as a canvas edits them (the component catalogue, pipelines
//! with their nodes and connections, every edit, the live `pipelineEvents` stream) and of their
//! runs (start, cancel, progress). Edits go through the unit of work: the project's log is
//! locked, the role re-checked, `expectedVersion` checked, the version bumped, the graph
//! re-validated and the edit recorded.

mod edit;
mod events;
mod graph;
mod inputs;
mod pipelines;
mod queries;
mod runs;
mod types;

pub use events::PipelineSubscription;
pub use graph::PipelineGraphMutation;
pub use pipelines::PipelineMutation;
pub use queries::PipelineQuery;
pub use runs::{RunMutation, RunQuery, RunSubscription};
