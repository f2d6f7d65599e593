//! Refuses, before anything executes, an operation the request's credential may not run (a
//! mutation with a READ API key). The decision is `authz::require_operation`'s; this extension
//! only finds the operation type, for HTTP and WebSocket alike. Its parts run in the order
//! `graphql::hooks` gives them.

use std::sync::Mutex;

use async_graphql::{
    extensions::ExtensionContext,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection},
    Pos, Request, ServerResult,
};

use crate::{
    auth::{authz, viewer::Viewer},
    graphql::observer::selected_operation,
};

/// One request's check: remembers the requested operation name until the document is parsed.
#[derive(Default)]
pub(super) struct CredentialScopes {
    operation_name: Mutex<Option<String>>,
}

impl CredentialScopes {
    pub(super) fn prepare_request(&self, request: &Request) {
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
    }

    /// Refuses the parsed document when the viewer's credential may not run its operation.
    pub(super) fn parsed(
        &self,
        ctx: &ExtensionContext<'_>,
        document: ExecutableDocument,
    ) -> ServerResult<ExecutableDocument> {
        let Some(viewer) = ctx.data_opt::<Viewer>() else {
            return Ok(document);
        };
        let requested = self
            .operation_name
            .lock()
            .ok()
            .and_then(|name| name.clone());
        // When the operation cannot be told (execution will refuse it anyway), fail closed:
        // judge the document by its strongest operation.
        let operation_type = selected_operation(&document, requested.clone())
            .0
            .or_else(|| {
                document
                    .operations
                    .iter()
                    .any(|(_, operation)| operation.node.ty == OperationType::Mutation)
                    .then_some(OperationType::Mutation)
            });
        if let Some(operation_type) = operation_type {
            let root_fields = root_field_names(&document, requested.as_deref());
            authz::require_operation(viewer, operation_type, root_fields.as_deref())
                .map_err(|error| error.into_graphql().into_server_error(Pos::default()))?;
        }
        Ok(document)
    }
}

/// The root fields of the operation that will run, or none when they cannot be told (several
/// operations and no name, or a fragment at the root).
fn root_field_names<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<Vec<&'a str>> {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => Some(field.node.name.node.as_str()),
            _ => None,
        })
        .collect()
}
