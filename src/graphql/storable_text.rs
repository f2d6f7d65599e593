//! The one rule for text PostgreSQL cannot store: a NUL character (PostgreSQL's `text` and
//! `jsonb` refuse it) or an unpaired UTF-16 surrogate (which no Rust string can hold). Every
//! string of a request — argument literals, variables, variable defaults, JSON scalars and their
//! keys, upload file names — is checked here, over HTTP and WebSocket alike, and a request
//! holding such text is refused with `BAD_USER_INPUT` naming the argument before any resolver
//! runs. Feature code that reads text out of an uploaded file asks `holds_unstorable_text`.
//!
//! A lone surrogate can only arrive as a JSON escape (`"\ud800"`), which serde_json refuses
//! when it decodes a string; `parse_json` rewrites such escapes into `\u0000` and decodes
//! again, so the request reaches this rule and the client learns which argument was at fault
//! instead of "not valid JSON". In a GraphQL string literal the parser itself refuses any
//! surrogate escape; that refusal is reworded here to say why.

use async_graphql::{
    parser::types::{Directive, ExecutableDocument, Selection, SelectionSet},
    Name, Pos, Positioned, Request, ServerError, ServerResult, Value as ConstValue, Variables,
};
use async_graphql_value::Value;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Whether PostgreSQL would refuse to store `text`.
pub fn holds_unstorable_text(text: &str) -> bool {
    text.contains('\0')
}

/// Decodes JSON from a client, reading an unpaired surrogate escape as a NUL so that the
/// request is refused by this module's rule, naming the argument, rather than as malformed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(error) => match mark_lone_surrogates(bytes) {
            Some(marked) => serde_json::from_slice(&marked),
            None => Err(error),
        },
    }
}

/// `bytes` with every `\uXXXX` escape of an unpaired UTF-16 surrogate inside a JSON string
/// replaced by `\u0000` (the same length), or None when there is none.
pub fn mark_lone_surrogates(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut marked: Option<Vec<u8>> = None;
    let (mut index, mut in_string) = (0, false);
    while index < bytes.len() {
        match (in_string, bytes[index]) {
            (false, b'"') => in_string = true,
            (false, _) => {}
            (true, b'"') => in_string = false,
            (true, b'\\') if bytes.get(index + 1) == Some(&b'u') => {
                let paired = match escaped_unit(bytes, index) {
                    Some(0xD800..=0xDBFF) => {
                        matches!(escaped_unit(bytes, index + 6), Some(0xDC00..=0xDFFF))
                    }
                    Some(0xDC00..=0xDFFF) => false,
                    _ => {
                        index += 2;
                        continue;
                    }
                };
                if paired {
                    index += 12;
                } else {
                    marked.get_or_insert_with(|| bytes.to_vec())[index..index + 6]
                        .copy_from_slice(b"\\u0000");
                    index += 6;
                }
                continue;
            }
            // Any other escape: skip the escaped character, which may be a quote.
            (true, b'\\') => index += 1,
            (true, _) => {}
        }
        index += 1;
    }
    marked
}

/// The UTF-16 unit of a `\uXXXX` escape starting at `at`.
fn escaped_unit(bytes: &[u8], at: usize) -> Option<u32> {
    let escape = bytes.get(at..at + 6)?;
    if !escape.starts_with(b"\\u") {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

/// The check of a prepared request, given the text of its document and what the hooks inside
/// this one (the request limits, which measure and parse the document) made of it: a document
/// too large to walk never gets here. Part of `graphql::hooks`.
pub(super) fn prepared_request(
    query: &str,
    prepared: ServerResult<Request>,
) -> ServerResult<Request> {
    let mut request = prepared.map_err(|error| explain_surrogate_literal(query, error))?;
    if let Some(offence) = find_unstorable(&mut request)? {
        return Err(offence.into_error());
    }
    Ok(request)
}

/// Where unstorable text was found.
struct Offence {
    /// The argument and the path inside it: `input.labels[1]`, or `$name` for a variable no
    /// argument uses.
    path: String,
    /// The field (or directive) the argument belongs to.
    owner: Option<String>,
    pos: Option<Pos>,
}

impl Offence {
    fn into_error(self) -> ServerError {
        let place = match &self.owner {
            Some(owner) => format!("`{}` of `{owner}`", self.path),
            None => format!("`{}`", self.path),
        };
        let error = AppError::BadUserInput {
            field: Some(self.path),
            message: format!(
                "{place} holds a NUL character (or an unpaired UTF-16 surrogate escape such as \\ud800); such text cannot be stored"
            ),
            details: vec![("reason", ConstValue::from("UNSTORABLE_TEXT"))],
        };
        error
            .into_graphql()
            .into_server_error(self.pos.unwrap_or_default())
    }
}

fn find_unstorable(request: &mut Request) -> ServerResult<Option<Offence>> {
    let variables = request.variables.clone();
    let uploads: Vec<String> = request
        .uploads
        .iter()
        .map(|upload| upload.filename.clone())
        .collect();
    let document = request.parsed_query()?;
    if let Some(offence) = in_document(document, &variables) {
        return Ok(Some(offence));
    }
    if let Some(offence) = in_variables(document, &variables) {
        return Ok(Some(offence));
    }
    Ok(uploads
        .iter()
        .position(|name| holds_unstorable_text(name))
        .map(|index| Offence {
            path: format!("file name of upload {index}"),
            owner: None,
            pos: None,
        }))
}

/// A variable's value as an argument will read it: as sent, or its default.
struct VariableValues<'a> {
    sent: &'a Variables,
    document: &'a ExecutableDocument,
}

impl VariableValues<'_> {
    fn get(&self, name: &Name) -> Option<&ConstValue> {
        self.sent.get(name).or_else(|| {
            self.document.operations.iter().find_map(|(_, operation)| {
                operation
                    .node
                    .variable_definitions
                    .iter()
                    .find(|definition| definition.node.name.node == *name)
                    .and_then(|definition| definition.node.default_value.as_ref())
                    .map(|default| &default.node)
            })
        })
    }
}

fn in_document(document: &ExecutableDocument, sent: &Variables) -> Option<Offence> {
    let variables = VariableValues { sent, document };
    document
        .operations
        .iter()
        .find_map(|(_, operation)| {
            in_directives(&operation.node.directives, &variables)
                .or_else(|| in_selection_set(&operation.node.selection_set.node, &variables))
        })
        .or_else(|| {
            document.fragments.values().find_map(|fragment| {
                in_directives(&fragment.node.directives, &variables)
                    .or_else(|| in_selection_set(&fragment.node.selection_set.node, &variables))
            })
        })
}

fn in_selection_set(set: &SelectionSet, variables: &VariableValues) -> Option<Offence> {
    set.items
        .iter()
        .find_map(|selection| match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                in_arguments(&field.arguments, &field.name.node, variables)
                    .or_else(|| in_directives(&field.directives, variables))
                    .or_else(|| in_selection_set(&field.selection_set.node, variables))
            }
            Selection::FragmentSpread(spread) => in_directives(&spread.node.directives, variables),
            Selection::InlineFragment(fragment) => {
                in_directives(&fragment.node.directives, variables)
                    .or_else(|| in_selection_set(&fragment.node.selection_set.node, variables))
            }
        })
}

fn in_directives(
    directives: &[Positioned<Directive>],
    variables: &VariableValues,
) -> Option<Offence> {
    directives.iter().find_map(|directive| {
        let owner = format!("@{}", directive.node.name.node);
        in_arguments(&directive.node.arguments, &owner, variables)
    })
}

fn in_arguments(
    arguments: &[(Positioned<Name>, Positioned<Value>)],
    owner: &str,
    variables: &VariableValues,
) -> Option<Offence> {
    arguments.iter().find_map(|(name, value)| {
        in_value(&value.node, variables).map(|rest| Offence {
            path: format!("{}{rest}", name.node),
            owner: Some(owner.to_string()),
            pos: Some(value.pos),
        })
    })
}

/// The path below `value` to unstorable text (empty when `value` itself is that text).
fn in_value(value: &Value, variables: &VariableValues) -> Option<String> {
    match value {
        Value::Variable(name) => variables.get(name).and_then(in_const_value),
        Value::String(text) => holds_unstorable_text(text).then(String::new),
        Value::List(items) => items.iter().enumerate().find_map(|(index, item)| {
            in_value(item, variables).map(|rest| format!("[{index}]{rest}"))
        }),
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            in_key(key).or_else(|| in_value(field, variables).map(|rest| format!(".{key}{rest}")))
        }),
        _ => None,
    }
}

fn in_const_value(value: &ConstValue) -> Option<String> {
    match value {
        ConstValue::String(text) => holds_unstorable_text(text).then(String::new),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| in_const_value(item).map(|rest| format!("[{index}]{rest}"))),
        ConstValue::Object(fields) => fields.iter().find_map(|(key, field)| {
            in_key(key).or_else(|| in_const_value(field).map(|rest| format!(".{key}{rest}")))
        }),
        _ => None,
    }
}

/// JSON scalars may carry arbitrary object keys, and `jsonb` refuses a NUL in a key too.
fn in_key(key: &Name) -> Option<String> {
    holds_unstorable_text(key).then(|| format!(".{}", key.replace('\0', "\\u0000")))
}

/// Variables sent but read by no argument (or by none of this document) are refused too: the
/// rule is about what the request holds, not what it happens to use.
fn in_variables(document: &ExecutableDocument, sent: &Variables) -> Option<Offence> {
    let defaults = document.operations.iter().flat_map(|(_, operation)| {
        operation
            .node
            .variable_definitions
            .iter()
            .filter_map(|definition| {
                let default = definition.node.default_value.as_ref()?;
                Some((&definition.node.name.node, &default.node, Some(default.pos)))
            })
            .collect::<Vec<_>>()
    });
    sent.iter()
        .map(|(name, value)| (name, value, None))
        .chain(defaults)
        .find_map(|(name, value, pos)| {
            in_const_value(value).map(|rest| Offence {
                path: format!("${name}{rest}"),
                owner: None,
                pos,
            })
        })
}

/// The GraphQL parser refuses any `\uD800`–`\uDFFF` escape in a string literal with a
/// generic syntax error; say what is wrong with it instead.
fn explain_surrogate_literal(query: &str, error: ServerError) -> ServerError {
    let parse_error = error
        .extensions
        .as_ref()
        .is_none_or(|extensions| extensions.get("code").is_none());
    if !parse_error {
        return error;
    }
    let Some(escape) = surrogate_escape(query) else {
        return error;
    };
    let mut refused = AppError::BadUserInput {
        field: None,
        message: format!(
            "a string literal holds the escape {escape}, a UTF-16 surrogate; GraphQL strings hold Unicode scalar values only (write the character itself, or pass the text in a variable)"
        ),
        details: vec![("reason", ConstValue::from("UNSTORABLE_TEXT"))],
    }
    .into_graphql()
    .into_server_error(Pos::default());
    refused.locations = error.locations;
    refused
}

fn surrogate_escape(query: &str) -> Option<&str> {
    query.match_indices("\\u").find_map(|(at, _)| {
        let escape = query.get(at..at + 6)?;
        let unit = u32::from_str_radix(escape.get(2..)?, 16).ok()?;
        (0xD800..=0xDFFF).contains(&unit).then_some(escape)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogate_escapes_become_nul_and_pairs_stay() {
        let marked = |json: &str| {
            mark_lone_surrogates(json.as_bytes()).map(|bytes| String::from_utf8(bytes).unwrap())
        };
        assert_eq!(
            marked(r#"{"a":"x\ud800y"}"#).as_deref(),
            Some(r#"{"a":"x\u0000y"}"#)
        );
        assert_eq!(
            marked(r#"{"a":"\uDC00"}"#).as_deref(),
            Some(r#"{"a":"\u0000"}"#)
        );
        assert_eq!(marked(r#"{"a":"\ud83d\ude00"}"#), None);
        // An escaped backslash before `u` is not an escape.
        assert_eq!(marked(r#"{"a":"\\ud800"}"#), None);
        assert_eq!(marked(r#"{"a\"":"\u00e9"}"#), None);
        assert_eq!(
            marked(r#"{"\ud800":"\ud83d"}"#).as_deref(),
            Some(r#"{"\u0000":"\u0000"}"#)
        );
    }

    #[test]
    fn parse_json_reads_a_lone_surrogate_as_nul() {
        let value: serde_json::Value = parse_json(br#"{"q":"a\ud800"}"#).unwrap();
        assert_eq!(value["q"], "a\0");
        assert!(parse_json::<serde_json::Value>(b"{\"q\":").is_err());
    }
}
