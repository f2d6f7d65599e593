//! Refuses, before anything executes, an operation the request's credential may not run (a
//! mutation with a READ API key). The decision is `authz::require_operation`'s; this extension
//! only finds the operation type, for HTTP and WebSocket alike.

use std::sync::{Arc, Mutex};

use async_graphql::{
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    },
    parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection},
    Pos, Request, ServerResult, Variables,
};

use crate::{
    auth::{authz, viewer::Viewer},
    graphql::observer::selected_operation,
};

pub struct CredentialScopes;

impl ExtensionFactory for CredentialScopes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CredentialScopesExtension::default())
    }
}

#[derive(Default)]
struct CredentialScopesExtension {
    operation_name: Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl Extension for CredentialScopesExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
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
