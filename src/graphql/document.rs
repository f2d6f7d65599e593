//! Compacts a parsed GraphQL document that will live as long as a subscription does.
//!
//! The parser grows its vectors by pushing, and a vector's first allocation holds four
//! elements: a one-field selection set keeps room for four 184-byte selections, a single
//! variable definition for four. Harmless for a request that ends in milliseconds; for an idle
//! subscription, which keeps its document for hours, this slack was about 2 KiB of every
//! subscriber's memory. Trimming it changes nothing about the document's meaning.
//!
//! A subscription's variables are kept for its whole life too, in a map whose smallest node
//! holds eleven entries (about 1 KiB) even for the single `$projectId` every client sends. When
//! every variable is a built-in scalar, its value is written into the document as a literal
//! instead, and the definitions and the map are dropped: a literal of a built-in scalar is
//! coerced and validated exactly as the variable would have been.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, OperationDefinition,
    OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Request, Variables};
use async_graphql_value::Value;

/// Subscriptions' documents are small; anything larger is left for the limits to judge.
const MAX_INLINED_DOCUMENT_BYTES: usize = 16 * 1024;
const BUILT_IN_SCALARS: [&str; 5] = ["ID", "String", "Int", "Float", "Boolean"];

/// For a subscription whose variables are all built-in scalars: parses the document, writes the
/// variables' values into it and drops the variables; returns the document as parsed, before
/// the rewrite. Any other request is left as it came (and `None` returned).
pub fn inline_subscription_variables(request: &mut Request) -> Option<ExecutableDocument> {
    let worth_trying = !request.variables.is_empty()
        && request.query.len() <= MAX_INLINED_DOCUMENT_BYTES
        && request.query.contains("subscription");
    if !worth_trying {
        return None;
    }
    let parsed = request.parsed_query().ok()?.clone();
    let mut document = parsed.clone();
    let variables = std::mem::take(&mut request.variables);
    if inline_variables(&mut document, request.operation_name.as_deref(), &variables) {
        request.set_parsed_query(document);
        Some(parsed)
    } else {
        request.variables = variables;
        None
    }
}

/// What a variable reference becomes.
enum Substitute {
    Literal(Value),
    /// Not provided, nullable, no default: an argument given only this variable is omitted.
    Omitted,
}

fn inline_variables(
    document: &mut ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> bool {
    let Some(operation) = selected_operation(&mut document.operations, operation_name) else {
        return false;
    };
    if operation.ty != OperationType::Subscription {
        return false;
    }
    let Some(substitutes) = substitutes(operation, variables) else {
        return false;
    };
    let mut complete = substitute_in_selection_set(&mut operation.selection_set.node, &substitutes);
    complete &= substitute_in_directives(&mut operation.directives, &substitutes);
    for fragment in document.fragments.values_mut() {
        complete &= substitute_in_directives(&mut fragment.node.directives, &substitutes);
        complete &=
            substitute_in_selection_set(&mut fragment.node.selection_set.node, &substitutes);
    }
    if complete {
        if let Some(operation) = selected_operation(&mut document.operations, operation_name) {
            operation.variable_definitions.clear();
        }
    }
    complete
}

fn selected_operation<'a>(
    operations: &'a mut DocumentOperations,
    name: Option<&str>,
) -> Option<&'a mut OperationDefinition> {
    match (operations, name) {
        (DocumentOperations::Single(operation), _) => Some(&mut operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .get_mut(&Name::new(name))
            .map(|operation| &mut operation.node),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .values_mut()
            .next()
            .map(|operation| &mut operation.node),
        _ => None,
    }
}

/// The value standing in for each variable, or none when a variable is not a built-in scalar
/// or is required and missing (validation will then report it as usual).
fn substitutes(
    operation: &OperationDefinition,
    variables: &Variables,
) -> Option<HashMap<Name, Substitute>> {
    let mut substitutes = HashMap::with_capacity(operation.variable_definitions.len());
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        if !is_built_in_scalar(&definition.var_type.node.base) || !definition.directives.is_empty()
        {
            return None;
        }
        let substitute = match variables.get(&definition.name.node) {
            Some(value) => Substitute::Literal(value.clone().into_value()),
            None => match &definition.default_value {
                Some(default) => Substitute::Literal(default.node.clone().into_value()),
                None if definition.var_type.node.nullable => Substitute::Omitted,
                None => return None,
            },
        };
        substitutes.insert(definition.name.node.clone(), substitute);
    }
    let unknown = variables.keys().any(|name| !substitutes.contains_key(name));
    (!unknown).then_some(substitutes)
}

fn is_built_in_scalar(base: &BaseType) -> bool {
    match base {
        BaseType::Named(name) => BUILT_IN_SCALARS.contains(&name.as_str()),
        BaseType::List(item) => is_built_in_scalar(&item.base),
    }
}

/// False when a variable was left in place (it is used where it cannot be substituted).
fn substitute_in_selection_set(
    selection_set: &mut SelectionSet,
    substitutes: &HashMap<Name, Substitute>,
) -> bool {
    let mut complete = true;
    for selection in &mut selection_set.items {
        complete &= match &mut selection.node {
            Selection::Field(field) => substitute_in_field(&mut field.node, substitutes),
            Selection::FragmentSpread(spread) => {
                substitute_in_directives(&mut spread.node.directives, substitutes)
            }
            Selection::InlineFragment(fragment) => {
                substitute_in_directives(&mut fragment.node.directives, substitutes)
                    & substitute_in_selection_set(
                        &mut fragment.node.selection_set.node,
                        substitutes,
                    )
            }
        };
    }
    complete
}

fn substitute_in_field(field: &mut Field, substitutes: &HashMap<Name, Substitute>) -> bool {
    substitute_in_arguments(&mut field.arguments, substitutes)
        & substitute_in_directives(&mut field.directives, substitutes)
        & substitute_in_selection_set(&mut field.selection_set.node, substitutes)
}

fn substitute_in_directives(
    directives: &mut [Positioned<Directive>],
    substitutes: &HashMap<Name, Substitute>,
) -> bool {
    directives.iter_mut().fold(true, |complete, directive| {
        complete & substitute_in_arguments(&mut directive.node.arguments, substitutes)
    })
}

fn substitute_in_arguments(
    arguments: &mut Vec<(Positioned<Name>, Positioned<Value>)>,
    substitutes: &HashMap<Name, Substitute>,
) -> bool {
    arguments.retain(|(_, value)| {
        !matches!(&value.node, Value::Variable(name)
            if matches!(substitutes.get(name), Some(Substitute::Omitted)))
    });
    arguments.iter_mut().fold(true, |complete, (_, value)| {
        complete & substitute_in_value(&mut value.node, substitutes)
    })
}

fn substitute_in_value(value: &mut Value, substitutes: &HashMap<Name, Substitute>) -> bool {
    match value {
        Value::Variable(name) => match substitutes.get(name) {
            Some(Substitute::Literal(literal)) => {
                *value = literal.clone();
                true
            }
            Some(Substitute::Omitted) | None => false,
        },
        Value::List(items) => items.iter_mut().fold(true, |complete, item| {
            complete & substitute_in_value(item, substitutes)
        }),
        Value::Object(fields) => fields.values_mut().fold(true, |complete, field| {
            complete & substitute_in_value(field, substitutes)
        }),
        _ => true,
    }
}

pub fn shrink_to_fit(document: &mut ExecutableDocument) {
    match &mut document.operations {
        DocumentOperations::Single(operation) => shrink_operation(&mut operation.node),
        DocumentOperations::Multiple(operations) => {
            operations.shrink_to_fit();
            for operation in operations.values_mut() {
                shrink_operation(&mut operation.node);
            }
        }
    }
    document.fragments.shrink_to_fit();
    for fragment in document.fragments.values_mut() {
        shrink_directives(&mut fragment.node.directives);
        shrink_selection_set(&mut fragment.node.selection_set.node);
    }
}

fn shrink_operation(operation: &mut async_graphql::parser::types::OperationDefinition) {
    operation.variable_definitions.shrink_to_fit();
    for definition in &mut operation.variable_definitions {
        shrink_directives(&mut definition.node.directives);
    }
    shrink_directives(&mut operation.directives);
    shrink_selection_set(&mut operation.selection_set.node);
}

fn shrink_selection_set(selection_set: &mut SelectionSet) {
    selection_set.items.shrink_to_fit();
    for selection in &mut selection_set.items {
        match &mut selection.node {
            Selection::Field(field) => shrink_field(&mut field.node),
            Selection::FragmentSpread(spread) => shrink_directives(&mut spread.node.directives),
            Selection::InlineFragment(fragment) => {
                shrink_directives(&mut fragment.node.directives);
                shrink_selection_set(&mut fragment.node.selection_set.node);
            }
        }
    }
}

fn shrink_field(field: &mut Field) {
    shrink_arguments(&mut field.arguments);
    shrink_directives(&mut field.directives);
    shrink_selection_set(&mut field.selection_set.node);
}

fn shrink_directives(directives: &mut Vec<Positioned<Directive>>) {
    directives.shrink_to_fit();
    for directive in directives {
        shrink_arguments(&mut directive.node.arguments);
    }
}

/// Argument values stay as parsed: list and object literals in subscription arguments are rare
/// and small.
fn shrink_arguments<Argument>(arguments: &mut Vec<Argument>) {
    arguments.shrink_to_fit();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacities(selection_set: &SelectionSet, found: &mut Vec<(usize, usize)>) {
        found.push((selection_set.items.len(), selection_set.items.capacity()));
        for selection in &selection_set.items {
            if let Selection::Field(field) = &selection.node {
                found.push((field.node.arguments.len(), field.node.arguments.capacity()));
                capacities(&field.node.selection_set.node, found);
            }
        }
    }

    fn request(query: &str, variables: serde_json::Value) -> Request {
        let mut request = Request::new(query).variables(Variables::from_json(variables));
        inline_subscription_variables(&mut request);
        request
    }

    fn printed_operation(request: &mut Request) -> String {
        let document = request.parsed_query().expect("parses").clone();
        let DocumentOperations::Single(operation) = document.operations else {
            panic!("one operation");
        };
        format!("{:?}", operation.node)
    }

    #[test]
    fn scalar_variables_of_a_subscription_become_literals() {
        let mut inlined = request(
            "subscription($p: ID!, $after: String, $n: Int = 5) { projectEvents(projectId: $p, after: $after) { cursor task { subtasks(first: $n) { title } } } }",
            serde_json::json!({ "p": "UHJvamVjdDox" }),
        );
        assert!(inlined.variables.is_empty());
        let operation = printed_operation(&mut inlined);
        assert!(
            operation.contains("variable_definitions: []"),
            "{operation}"
        );
        assert!(
            operation.contains("String(\"UHJvamVjdDox\")"),
            "{operation}"
        );
        assert!(!operation.contains("Variable("), "{operation}");
        assert!(
            !operation.contains("\"after\""),
            "an absent nullable variable omits its argument: {operation}"
        );
        assert!(
            operation.contains("Number(5)"),
            "defaults are used: {operation}"
        );
    }

    #[test]
    fn other_requests_keep_their_variables() {
        let query_operation = request(
            "query($p: ID!) { project(id: $p) { name } }",
            serde_json::json!({ "p": "x" }),
        );
        assert_eq!(query_operation.variables.len(), 1);
        let enum_variable = request(
            "subscription($s: TaskStatus!) { projectEvents(projectId: \"p\", status: $s) { cursor } }",
            serde_json::json!({ "s": "DONE" }),
        );
        assert_eq!(enum_variable.variables.len(), 1);
        let missing_required = request(
            "subscription($p: ID!, $q: ID!) { projectEvents(projectId: $p) { cursor } }",
            serde_json::json!({ "p": "x" }),
        );
        assert_eq!(missing_required.variables.len(), 1);
        let nested_absent = request(
            "subscription($p: ID!, $a: String) { projectEvents(projectId: $p, tags: [$a]) { cursor } }",
            serde_json::json!({ "p": "x" }),
        );
        assert_eq!(nested_absent.variables.len(), 1);
    }

    #[test]
    fn every_vector_ends_exactly_as_long_as_its_contents_and_the_document_is_unchanged() {
        let query = "subscription($p: ID!) { projectEvents(projectId: $p, after: \"1\") { cursor kind task { title version labels } } }";
        let mut document = async_graphql::parser::parse_query(query).expect("valid");
        let original = format!("{document:?}");
        shrink_to_fit(&mut document);
        assert_eq!(format!("{document:?}"), original);
        let DocumentOperations::Single(operation) = &document.operations else {
            panic!("one operation");
        };
        assert_eq!(operation.node.variable_definitions.capacity(), 1);
        let mut found = Vec::new();
        capacities(&operation.node.selection_set.node, &mut found);
        assert!(found.len() > 4);
        for (len, capacity) in found {
            assert_eq!(len, capacity);
        }
    }
}
