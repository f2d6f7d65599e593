//! GraphQL surface of tasks: the `Task` type, the `task` query and task mutations. Mutations go
//! through the unit of work, so concurrent edits of one project queue up on its activity log and
//! a stale `expectedVersion` is detected reliably.

mod inputs;
mod mutations;
mod queries;
mod types;

pub use mutations::TaskMutation;
pub use queries::TaskQuery;
