//! Request limits applied to every GraphQL operation, over HTTP and WebSocket alike: document
//! size, nesting, aliases, root fields, directives, fragment cycles and expanded size are
//! checked on the parsed document before async-graphql validates it; complexity after; then
//! the operation's cost is charged to the viewer's points budget and execution is timed out.
//! Introspection policy and trusted documents are enforced here too. It owns no counters.
//!
//! Introspection has its own bound instead of the depth limit: standard tools (graphql-js
//! `getIntrospectionQuery()`, GraphiQL) follow `ofType` nine times, deeper than any ordinary
//! query may go. So an `ofType` link inside `__schema`/`__type` adds no depth; instead the links
//! on one path and the `__schema`/`__type` selections of a document are capped.

use std::{any::Any, collections::HashMap, future::Future};

use async_graphql::{
    extensions::ExtensionContext,
    parser::types::{ExecutableDocument, Field, FragmentDefinition, Selection, SelectionSet},
    Name, Positioned, Request, Response, ServerError, ServerResult, ValidationResult,
};

use crate::{
    auth::{
        api_keys::ApiScope,
        viewer::{ClientInfo, Credential, Viewer},
    },
    config::{IntrospectionPolicy, QueryLimitSettings},
    error::{forbidden, AppError},
    limits::{points_bucket, OperationCharge},
    state::AppState,
};

/// The most `ofType` links on one path of an introspection selection. graphql-js 16 and the
/// vendored GraphiQL send exactly nine (tests/fixtures/introspection); no type of this schema
/// wraps deeper than three (`[String!]!`). The GraphQL type system, not a deployment, sets
/// this, so it has no setting.
pub const MAX_OF_TYPE_LINKS: u64 = 9;

/// The most `__schema`/`__type` selections in one document (fragments expanded). Tools send
/// one `__schema`, sometimes with a `__type` or two beside it; every `__schema` walks every
/// type of the schema, so a thousand aliased ones would do a thousand times that work.
pub const MAX_INTROSPECTION_ROOTS: u64 = 3;

/// A refused request: `QUERY_TOO_COMPLEX` (or another code) naming the limit and its value.
fn refused(error: AppError, limit: &str, max: Option<usize>) -> ServerError {
    let mut error = error.into_graphql().into_server_error(Default::default());
    error.locations.clear();
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("limit", limit);
    if let Some(max) = max {
        extensions.set("max", max as u64);
    }
    error
}

fn too_complex(limit: &str, what: &str, actual: u64, max: usize) -> ServerError {
    refused(
        AppError::QueryTooComplex(format!(
            "the operation has {what} {actual}; the limit `{limit}` is {max}"
        )),
        limit,
        Some(max),
    )
}

/// Request data, or failing that the connection's (WebSocket) data.
fn request_data<'a, D: Any + Send + Sync>(
    request: &'a Request,
    ctx: &ExtensionContext<'a>,
) -> Option<&'a D> {
    request
        .data
        .get(&std::any::TypeId::of::<D>())
        .and_then(|data| data.downcast_ref::<D>())
        .or_else(|| ctx.data_opt::<D>())
}

/// Under `INTROSPECTION=admins`: a platform admin's session, or an API key with the SCHEMA
/// scope (a key never exceeds its owner, so its owner must be a platform admin too).
fn may_introspect(policy: IntrospectionPolicy, viewer: Option<&Viewer>) -> bool {
    let user = match (policy, viewer) {
        (IntrospectionPolicy::Everyone, _) => return true,
        (IntrospectionPolicy::PlatformAdmins, Some(Viewer::User(user))) => user,
        _ => return false,
    };
    let credential_reads_schema = match &user.credential {
        Credential::Session(_) => true,
        Credential::ApiKey { scopes, .. } => scopes.contains(&ApiScope::Schema),
    };
    user.is_platform_admin() && credential_reads_schema
}

// The limits' parts of the schema's hooks; `graphql::hooks` runs them in their order.

/// Refuses an untrusted, oversized or too deeply nested document before it is parsed, then
/// parses and measures it; the request goes on with introspection off where it is not allowed.
pub(super) fn prepare_request(
    ctx: &ExtensionContext<'_>,
    mut request: Request,
) -> ServerResult<Request> {
    let Some(state) = ctx.data_opt::<AppState>() else {
        return Ok(request);
    };
    if !state.persisted.is_trusted(&request.query) {
        return Err(refused(
            forbidden(
                "this server only runs trusted documents; this operation is not in its manifest",
            ),
            "trustedDocuments",
            None,
        ));
    }
    let limits = &state.settings.abuse.query;
    if limits.enabled {
        check_before_parsing(&request.query, limits)?;
    }
    let introspection_allowed =
        may_introspect(limits.introspection, request_data::<Viewer>(&request, ctx));
    let document = request.parsed_query()?;
    let shape = DocumentShape::measure(document)?;
    if shape.introspects && !introspection_allowed {
        return Err(refused(
            forbidden("introspection is not available to this viewer"),
            "introspection",
            None,
        ));
    }
    if limits.enabled {
        shape.check(limits)?;
    }
    if !introspection_allowed {
        request = request.disable_introspection();
    }
    Ok(request)
}

/// After validation (and the subscription meter's admission): refuses a too complex operation,
/// then charges its complexity to the viewer's points budget.
pub(super) async fn validated(
    ctx: &ExtensionContext<'_>,
    result: ValidationResult,
) -> Result<ValidationResult, Vec<ServerError>> {
    let Some(state) = ctx.data_opt::<AppState>() else {
        return Ok(result);
    };
    let limits = &state.settings.abuse.query;
    if limits.enabled && result.complexity > limits.max_complexity {
        return Err(vec![too_complex(
            "maxComplexity",
            "a complexity of",
            result.complexity as u64,
            limits.max_complexity,
        )]);
    }
    let rate = &state.settings.abuse.rate;
    if !rate.enabled {
        return Ok(result);
    }
    let (bucket, window) =
        points_bucket(rate, ctx.data_opt::<Viewer>(), ctx.data_opt::<ClientInfo>());
    let cost = result.complexity.max(1) as u64;
    let charge = state.limiter.charge(&bucket, window, cost).await;
    if let Some(record) = ctx.data_opt::<OperationCharge>() {
        record.set(charge.clone());
    }
    if charge.allowed {
        return Ok(result);
    }
    let retry_after_secs = charge.retry_after_secs();
    let message = if cost > charge.limit {
        format!(
            "this operation costs {cost} points, more than the whole budget of {} per window; ask for fewer items",
            charge.limit
        )
    } else {
        format!(
            "rate limit exceeded: this operation costs {cost} points and {} of {} remain; the budget resets in {retry_after_secs} s",
            charge.remaining, charge.limit
        )
    };
    Err(vec![refused(
        AppError::RateLimited {
            message,
            retry_after_secs,
        },
        "rateLimit",
        None,
    )])
}

/// The execution, ended with `QUERY_TOO_COMPLEX` when it outlasts `executionTimeout`.
pub(super) async fn within_execution_timeout(
    ctx: &ExtensionContext<'_>,
    execution: impl Future<Output = Response>,
) -> Response {
    let Some(limits) = ctx
        .data_opt::<AppState>()
        .map(|state| &state.settings.abuse.query)
        .filter(|limits| limits.enabled)
    else {
        return execution.await;
    };
    let timeout = limits.execution_timeout;
    match tokio::time::timeout(timeout, execution).await {
        Ok(response) => response,
        Err(_) => Response::from_errors(vec![refused(
            AppError::QueryTooComplex(format!(
                "the operation did not finish within {} ms (`executionTimeout`)",
                timeout.as_millis()
            )),
            "executionTimeout",
            Some(timeout.as_millis() as usize),
        )]),
    }
}

/// The parser recurses once per nesting level; brackets nested deeper than this are refused
/// before it runs. No valid operation within the depth limit comes near it.
fn max_bracket_nesting(limits: &QueryLimitSettings) -> usize {
    (limits.max_depth * 3).max(64)
}

fn check_before_parsing(query: &str, limits: &QueryLimitSettings) -> ServerResult<()> {
    if query.len() > limits.max_document_bytes {
        return Err(too_complex(
            "maxDocumentBytes",
            "a document size (bytes) of",
            query.len() as u64,
            limits.max_document_bytes,
        ));
    }
    let nesting = bracket_nesting(query);
    let max = max_bracket_nesting(limits);
    if nesting > max {
        return Err(too_complex(
            "maxDepth",
            "brackets nested",
            nesting as u64,
            max,
        ));
    }
    Ok(())
}

/// The deepest nesting of `{`, `[` and `(` outside strings and comments.
fn bracket_nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut index) = (0usize, 0usize, 0usize);
    while index < bytes.len() {
        match bytes[index] {
            b'#' => {
                while index < bytes.len() && bytes[index] != b'\n' {
                    index += 1;
                }
            }
            b'"' if bytes[index..].starts_with(b"\"\"\"") => {
                index += 3;
                while index < bytes.len() && !bytes[index..].starts_with(b"\"\"\"") {
                    index += if bytes[index..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                index += 2;
            }
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' && bytes[index] != b'\n' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        index += 1;
    }
    deepest
}

/// What a document asks for once its fragments are expanded where they are spread.
#[derive(Debug, Default, Clone, Copy)]
struct DocumentShape {
    /// Field selections, counting each spread of a fragment again: a lower bound of complexity.
    fields: u64,
    aliases: u64,
    directives: u64,
    /// Levels of fields, not counting `ofType` links inside introspection.
    depth: u64,
    root_fields: u64,
    introspects: bool,
    /// `ofType` links inside introspection on the path that has most.
    of_type_links: u64,
    /// `__schema` and `__type` selections.
    introspection_roots: u64,
}

impl DocumentShape {
    /// Measures every operation (taking the largest of each measure). Fragments are measured
    /// once and reused, so a fragment spread exponentially often costs nothing to measure;
    /// a fragment that spreads itself, directly or not, is refused.
    fn measure(document: &ExecutableDocument) -> ServerResult<DocumentShape> {
        let mut measurer = Measurer {
            fragments: &document.fragments,
            measured: HashMap::new(),
        };
        let mut shape = DocumentShape::default();
        for (_, operation) in document.operations.iter() {
            let mut measured = measurer.selection_set(&operation.node.selection_set.node, false)?;
            measured.directives = measured
                .directives
                .saturating_add(operation.node.directives.len() as u64);
            shape = shape.largest(measured);
        }
        Ok(shape)
    }

    fn largest(self, other: DocumentShape) -> DocumentShape {
        DocumentShape {
            fields: self.fields.max(other.fields),
            aliases: self.aliases.max(other.aliases),
            directives: self.directives.max(other.directives),
            depth: self.depth.max(other.depth),
            root_fields: self.root_fields.max(other.root_fields),
            introspects: self.introspects || other.introspects,
            of_type_links: self.of_type_links.max(other.of_type_links),
            introspection_roots: self.introspection_roots.max(other.introspection_roots),
        }
    }

    /// The measures of two sibling selections together.
    fn beside(self, other: DocumentShape) -> DocumentShape {
        DocumentShape {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
            directives: self.directives.saturating_add(other.directives),
            depth: self.depth.max(other.depth),
            root_fields: self.root_fields.saturating_add(other.root_fields),
            introspects: self.introspects || other.introspects,
            of_type_links: self.of_type_links.max(other.of_type_links),
            introspection_roots: self
                .introspection_roots
                .saturating_add(other.introspection_roots),
        }
    }

    fn check(&self, limits: &QueryLimitSettings) -> ServerResult<()> {
        // The introspection bounds first: a hostile introspection query is told which one.
        let checks = [
            (
                "maxIntrospectionRoots",
                "`__schema`/`__type` selections:",
                self.introspection_roots,
                MAX_INTROSPECTION_ROOTS as usize,
            ),
            (
                "maxOfTypeLinks",
                "`ofType` links on one path:",
                self.of_type_links,
                MAX_OF_TYPE_LINKS as usize,
            ),
            ("maxDepth", "a depth of", self.depth, limits.max_depth),
            ("maxAliases", "aliases:", self.aliases, limits.max_aliases),
            (
                "maxRootFields",
                "root fields:",
                self.root_fields,
                limits.max_root_fields,
            ),
            (
                "maxDirectives",
                "directives:",
                self.directives,
                limits.max_directives,
            ),
            (
                "maxComplexity",
                "field selections (fragments expanded):",
                self.fields,
                limits.max_complexity,
            ),
        ];
        for (limit, what, actual, max) in checks {
            if actual > max as u64 {
                return Err(too_complex(limit, what, actual, max));
            }
        }
        Ok(())
    }
}

struct Measurer<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// None while a fragment is being measured: meeting it again means a cycle.
    measured: HashMap<&'a str, Option<DocumentShape>>,
}

impl<'a> Measurer<'a> {
    /// `introspective`: the selection set is on an introspection type (`__Type`, `__Field`…),
    /// where `ofType` is a link of a type chain rather than a level of data.
    fn selection_set(
        &mut self,
        selection_set: &'a SelectionSet,
        introspective: bool,
    ) -> ServerResult<DocumentShape> {
        let mut shape = DocumentShape::default();
        for selection in &selection_set.items {
            let measured = match &selection.node {
                Selection::Field(field) => self.field(&field.node, introspective)?,
                Selection::FragmentSpread(spread) => {
                    let mut fragment = self.fragment(&spread.node.fragment_name.node)?;
                    fragment.directives = fragment
                        .directives
                        .saturating_add(spread.node.directives.len() as u64);
                    fragment
                }
                Selection::InlineFragment(inline) => {
                    let on_introspection_type = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_some_and(|condition| is_introspection_type(&condition.node.on.node));
                    let mut fragment = self.selection_set(
                        &inline.node.selection_set.node,
                        introspective || on_introspection_type,
                    )?;
                    fragment.directives = fragment
                        .directives
                        .saturating_add(inline.node.directives.len() as u64);
                    fragment
                }
            };
            shape = shape.beside(measured);
        }
        Ok(shape)
    }

    fn field(&mut self, field: &'a Field, introspective: bool) -> ServerResult<DocumentShape> {
        let name = field.name.node.as_str();
        let introspection_root = matches!(name, "__schema" | "__type");
        let of_type_link = introspective && name == "ofType";
        let children = self.selection_set(
            &field.selection_set.node,
            introspective || introspection_root,
        )?;
        Ok(DocumentShape {
            fields: children.fields.saturating_add(1),
            aliases: children
                .aliases
                .saturating_add(u64::from(field.alias.is_some())),
            directives: children
                .directives
                .saturating_add(field.directives.len() as u64),
            depth: children.depth + u64::from(!of_type_link),
            root_fields: 1,
            introspects: introspection_root || children.introspects,
            of_type_links: children.of_type_links + u64::from(of_type_link),
            introspection_roots: children
                .introspection_roots
                .saturating_add(u64::from(introspection_root)),
        })
    }

    fn fragment(&mut self, name: &'a Name) -> ServerResult<DocumentShape> {
        match self.measured.get(name.as_str()) {
            Some(Some(shape)) => return Ok(*shape),
            Some(None) => {
                return Err(refused(
                    AppError::BadUserInput {
                        field: None,
                        message: format!(
                            "fragment `{name}` spreads itself (directly or through other fragments); recursive fragments are refused"
                        ),
                        details: Vec::new(),
                    },
                    "fragmentCycles",
                    None,
                ))
            }
            None => {}
        }
        // Unknown fragments are left for validation to report.
        let Some(definition) = self.fragments.get(name) else {
            return Ok(DocumentShape::default());
        };
        self.measured.insert(name.as_str(), None);
        let on_introspection_type =
            is_introspection_type(&definition.node.type_condition.node.on.node);
        let mut shape =
            self.selection_set(&definition.node.selection_set.node, on_introspection_type)?;
        shape.directives = shape
            .directives
            .saturating_add(definition.node.directives.len() as u64);
        self.measured.insert(name.as_str(), Some(shape));
        Ok(shape)
    }
}

/// `__Type`, `__Field` and the other types only introspection reaches (the spec reserves `__`).
fn is_introspection_type(name: &str) -> bool {
    name.starts_with("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(query: &str) -> ServerResult<DocumentShape> {
        DocumentShape::measure(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn fragments_count_once_per_spread_and_cycles_are_refused() {
        let measured = shape(
            "query { a: me { ...F } b: me { ...F } } fragment F on User { id x: email @skip(if: false) }",
        )
        .unwrap();
        assert_eq!(measured.fields, 6);
        assert_eq!(measured.aliases, 4);
        assert_eq!(measured.directives, 2);
        assert_eq!(measured.depth, 2);
        assert_eq!(measured.root_fields, 2);
        let cycle =
            shape("{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }")
                .unwrap_err();
        assert_eq!(
            cycle.extensions.unwrap().get("code"),
            Some(&async_graphql::Value::from("BAD_USER_INPUT"))
        );
    }

    #[test]
    fn a_fragment_bomb_is_measured_without_expanding_it() {
        let mut query = String::from("{ me { ...F0 } }");
        for level in 0..60 {
            let next = level + 1;
            query.push_str(&format!(
                " fragment F{level} on User {{ ...F{next} a{level}: id ...F{next} }}"
            ));
        }
        query.push_str(" fragment F60 on User { id }");
        let measured = shape(&query).unwrap();
        assert!(measured.fields > 1_000_000_000);
    }

    #[test]
    fn bracket_nesting_ignores_strings_and_comments() {
        assert_eq!(bracket_nesting("{ a { b(x: \"{{{{\") } } # {{{{"), 3);
        assert_eq!(bracket_nesting("{ a(x: \"\"\"{{ \\\"\"\" {\"\"\") }"), 2);
        assert_eq!(bracket_nesting(&"{a".repeat(500)), 500);
    }
}
