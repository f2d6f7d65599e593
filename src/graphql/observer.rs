//! Records what each GraphQL request turned out to be (operation type and name, whether it got
//! as far as execution) so the HTTP layer can pick status codes and count operations, and
//! refuses mutations arriving over GET, which the GraphQL-over-HTTP spec forbids. Documents of
//! subscriptions are compacted here, once, before they settle in for a long life.

use std::sync::{Arc, Mutex};

use async_graphql::{
    extensions::ExtensionContext,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
    Request, ServerError, ServerResult,
};

/// Request data marking a request that arrived over HTTP GET.
pub struct ArrivedOverGet;

#[derive(Debug, Default, Clone)]
pub struct OperationFacts {
    pub operation_type: Option<OperationType>,
    pub operation_name: Option<String>,
    /// False when the request failed before execution (parse, validation, variables).
    pub executed: bool,
    pub refused_mutation_over_get: bool,
}

/// Shared between the handler (which inserts it into the request data) and the extension.
#[derive(Debug, Default, Clone)]
pub struct OperationRecord(Arc<Mutex<OperationFacts>>);

impl OperationRecord {
    pub fn facts(&self) -> OperationFacts {
        self.0.lock().map(|facts| facts.clone()).unwrap_or_default()
    }

    fn update(&self, change: impl FnOnce(&mut OperationFacts)) {
        if let Ok(mut facts) = self.0.lock() {
            change(&mut facts);
        }
    }
}

/// The type and name of the operation the request will run, as the executor will choose it.
pub(crate) fn selected_operation(
    document: &ExecutableDocument,
    requested_name: Option<String>,
) -> (Option<OperationType>, Option<String>) {
    match (&document.operations, requested_name) {
        (DocumentOperations::Single(operation), name) => (Some(operation.node.ty), name),
        (DocumentOperations::Multiple(operations), Some(name)) => (
            operations
                .get(name.as_str())
                .map(|operation| operation.node.ty),
            Some(name),
        ),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            match operations.iter().next() {
                Some((name, operation)) => (Some(operation.node.ty), Some(name.to_string())),
                None => (None, None),
            }
        }
        _ => (None, None),
    }
}

// The observer's parts of the schema's hooks; `graphql::hooks` runs them in their order.

/// Before anything else sees the request: notes the requested operation name.
pub(super) fn prepare_request(ctx: &ExtensionContext<'_>, request: Request) -> Request {
    if let Some(record) = ctx.data_opt::<OperationRecord>() {
        let name = request.operation_name.clone();
        record.update(|facts| facts.operation_name = name);
    }
    request
}

/// Once the document is parsed (and the credential scopes accepted it): records which
/// operation will run and refuses a mutation that arrived over GET.
pub(super) fn parsed(
    ctx: &ExtensionContext<'_>,
    mut document: ExecutableDocument,
) -> ServerResult<ExecutableDocument> {
    if document
        .operations
        .iter()
        .any(|(_, operation)| operation.node.ty == OperationType::Subscription)
    {
        // A subscription keeps its document for as long as it stays open.
        super::document::shrink_to_fit(&mut document);
    }
    let Some(record) = ctx.data_opt::<OperationRecord>() else {
        return Ok(document);
    };
    let requested_name = record.facts().operation_name;
    let (operation_type, name) = selected_operation(&document, requested_name);
    record.update(|facts| {
        facts.operation_type = operation_type;
        facts.operation_name = name;
    });
    if operation_type == Some(OperationType::Mutation) && ctx.data_opt::<ArrivedOverGet>().is_some()
    {
        record.update(|facts| facts.refused_mutation_over_get = true);
        return Err(ServerError::new(
            "mutations are not allowed over GET; send them with POST",
            None,
        ));
    }
    Ok(document)
}

/// The request got as far as execution.
pub(super) fn executing(ctx: &ExtensionContext<'_>) {
    if let Some(record) = ctx.data_opt::<OperationRecord>() {
        record.update(|facts| facts.executed = true);
    }
}
