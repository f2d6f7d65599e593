//! Compacts a parsed GraphQL document that will live as long as a subscription does.
//!
//! The parser grows its vectors by pushing, and a vector's first allocation holds four
//! elements: a one-field selection set keeps room for four 184-byte selections, a single
//! variable definition for four. Harmless for a request that ends in milliseconds; for an idle
//! subscription, which keeps its document for hours, this slack was about 2 KiB of every
//! subscriber's memory. Trimming it changes nothing about the document's meaning.

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet,
};
use async_graphql::Positioned;

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
