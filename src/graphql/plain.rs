//! Objects served in bulk (a board's task page: connection, edges, tasks) resolve the fields that
//! need no I/O in one synchronous pass over the selection, and only the others through
//! async-graphql.
//!
//! Why: async-graphql resolves every field of every object, and every item of every list, as its
//! own boxed future, through the request extension's `resolve` hook, with a registry lookup for
//! its `ResolveInfo`; for a board page's `edges { node { id title status position } }` that
//! machinery cost several times the values themselves (about 30,000 instructions per task on a
//! 20 × 50 board). A `Plain<T>` has `T`'s GraphQL type, arguments and resolvers unchanged; only
//! the fields `plain_field` answers skip the machinery, and an object below them whose selection
//! is all plain fields is built without a future at all. The slow-resolver spans (traces on) then
//! see only the fields that can be slow.

use std::{borrow::Cow, sync::Mutex};

use async_graphql::{
    connection::{
        Connection, CursorType, DefaultConnectionName, DefaultEdgeName, Edge, EmptyFields,
        EnableNodesField, PageInfo,
    },
    extensions::ResolveInfo,
    indexmap::IndexMap,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
    ContainerType, Context, ContextSelectionSet, Name, OutputType, Positioned, ServerError,
    ServerResult, Value,
};
use futures_util::future::{join_all, BoxFuture};

/// A field's value as an object gives it without I/O.
pub enum PlainValue<'a> {
    /// A leaf (scalar, enum, list of them) or null.
    Value(Value),
    /// An object the parent holds.
    Object(&'a dyn PlainObject),
    /// An object made for the answer (a connection's `pageInfo`).
    Owned(Box<dyn PlainObject + 'a>),
    /// A list of objects the parent holds.
    List(Vec<&'a dyn PlainObject>),
}

/// An object some of whose fields are values computed from the object alone.
pub trait PlainFields: ContainerType {
    /// The value of a field that takes no arguments and needs no I/O; `None` for every other
    /// field, which then goes through the object's own resolver. Whether a field is plain
    /// depends on the field alone, never on the object's data.
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>>;
}

/// [`PlainFields`] as a trait object, so that a connection, its edges and their nodes (each of
/// its own type) resolve in one pass.
pub trait PlainObject: Send + Sync {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>>;
    /// The type's name in the schema (`__typename`, fragment conditions, `ResolveInfo`).
    fn schema_type_name(&self) -> Cow<'static, str>;
    /// One field through the object's own resolver.
    fn resolve_field<'b>(
        &'b self,
        ctx: &'b Context<'_>,
    ) -> BoxFuture<'b, ServerResult<Option<Value>>>;
}

impl<T: PlainFields + Send + Sync> PlainObject for T {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        PlainFields::plain_field(self, name)
    }

    fn schema_type_name(&self) -> Cow<'static, str> {
        T::type_name()
    }

    fn resolve_field<'b>(
        &'b self,
        ctx: &'b Context<'_>,
    ) -> BoxFuture<'b, ServerResult<Option<Value>>> {
        // Boxed, as async-graphql boxes every field: an object's field may resolve the same type
        // again (a task's subtasks), and an unboxed future would contain itself.
        Box::pin(ContainerType::resolve_field(self, ctx))
    }
}

/// `T` as GraphQL sees it, resolving the plain fields of `T` and of the objects below it without
/// a future each.
pub struct Plain<T>(pub T);

impl<T: PlainFields + Send + Sync> OutputType for Plain<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        resolve_object(ctx, &self.0).await
    }
}

/// Resolves `object` as `Plain` does, for an output type that carries more than a `T` (a board
/// page's task with its assignee) and so implements `OutputType` itself.
pub async fn resolve_object<T: PlainFields + Send + Sync>(
    ctx: &ContextSelectionSet<'_>,
    object: &T,
) -> ServerResult<Value> {
    let memo = NeedsResolver::default();
    resolve_plain(ctx, object, &memo).await
}

/// The selection sets found to reach a field that needs its resolver, by address: once one
/// edge's `node { … assignee { … } }` has needed a future, the next 49 go straight to theirs
/// instead of trying the synchronous pass first. Sound because whether a field is plain depends
/// on the field alone, and a selection set belongs to one field of one type.
#[derive(Default)]
struct NeedsResolver(Mutex<Vec<usize>>);

impl NeedsResolver {
    fn key(selection_set: &Positioned<SelectionSet>) -> usize {
        std::ptr::from_ref(selection_set) as usize
    }

    fn contains(&self, selection_set: &Positioned<SelectionSet>) -> bool {
        let key = Self::key(selection_set);
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&key)
    }

    fn insert(&self, selection_set: &Positioned<SelectionSet>) {
        let key = Self::key(selection_set);
        let mut sets = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !sets.contains(&key) {
            sets.push(key);
        }
    }
}

/// A response key's value: ready, waiting for its work, or dropped by its error.
enum Slot {
    Ready(Value),
    Pending,
    Failed,
}

/// What a field of the object still needs once the synchronous pass is done.
enum Work<'a> {
    /// The object's own resolver.
    Resolver(&'a Positioned<Field>),
    /// Objects below it whose selection reaches a resolver.
    Objects(&'a Positioned<Field>, Objects<'a>),
}

enum Objects<'a> {
    One(&'a dyn PlainObject),
    Owned(Box<dyn PlainObject + 'a>),
    List(Vec<&'a dyn PlainObject>),
}

/// What a selection set asks of one object: its response keys in order, and the work left.
#[derive(Default)]
struct Collected<'a> {
    slots: Vec<(Name, Slot)>,
    work: Vec<(usize, Work<'a>)>,
}

/// Resolves `root` as async-graphql's `resolve_container` would (same keys, values and errors;
/// a failed field is reported and left out, as there), with keys in selection order. Boxed, as
/// async-graphql boxes every object: objects below it resolve through here again.
fn resolve_plain<'a>(
    ctx: &'a ContextSelectionSet<'a>,
    root: &'a dyn PlainObject,
    memo: &'a NeedsResolver,
) -> BoxFuture<'a, ServerResult<Value>> {
    Box::pin(async move {
        let mut collected = Collected::default();
        collect(ctx, ctx.item, root, memo, &mut collected)?;
        let Collected { mut slots, work } = collected;

        let slots_of_work: Vec<usize> = work.iter().map(|(slot, _)| *slot).collect();
        let results = join_all(work.into_iter().map(
            |(_, work)| -> BoxFuture<'_, ServerResult<Value>> {
                match work {
                    Work::Resolver(field) => Box::pin(resolve_field(ctx, root, field)),
                    Work::Objects(field, objects) => {
                        Box::pin(resolve_objects(ctx, field, objects, memo))
                    }
                }
            },
        ))
        .await;
        for (slot, result) in slots_of_work.into_iter().zip(results) {
            let (_, current) = &mut slots[slot];
            match (result, &mut *current) {
                (Err(error), _) => {
                    ctx.add_error(error);
                    *current = Slot::Failed;
                }
                (Ok(_), Slot::Failed) => {}
                (Ok(value), Slot::Ready(existing)) => merge(existing, value),
                (Ok(value), Slot::Pending) => *current = Slot::Ready(value),
            }
        }
        Ok(object_of(slots))
    })
}

/// The answer object of a selection's slots; null when every key failed, as async-graphql does.
fn object_of(slots: Vec<(Name, Slot)>) -> Value {
    let mut object = IndexMap::with_capacity(slots.len());
    for (name, slot) in slots {
        if let Slot::Ready(value) = slot {
            object.insert(name, value);
        }
    }
    if object.is_empty() {
        Value::Null
    } else {
        Value::Object(object)
    }
}

fn collect<'a>(
    ctx: &ContextSelectionSet<'a>,
    selection_set: &'a Positioned<SelectionSet>,
    root: &'a dyn PlainObject,
    memo: &NeedsResolver,
    collected: &mut Collected<'a>,
) -> ServerResult<()> {
    for selection in &selection_set.node.items {
        match &selection.node {
            Selection::Field(field) => {
                let key = &field.node.response_key().node;
                let existing = collected.slots.iter().position(|(name, _)| name == key);
                let plain = match plain_value(ctx, root, field, memo) {
                    Found::Value(value) => Ok(value),
                    Found::Objects(objects) => Err(Work::Objects(field, objects)),
                    Found::Resolver => Err(Work::Resolver(field)),
                };
                match (plain, existing) {
                    (Ok(value), Some(slot)) => match &mut collected.slots[slot].1 {
                        Slot::Ready(existing) => merge(existing, value),
                        // The earlier selection's work merges into this value when it is done.
                        pending @ Slot::Pending => *pending = Slot::Ready(value),
                        Slot::Failed => {}
                    },
                    (Ok(value), None) => collected.slots.push((key.clone(), Slot::Ready(value))),
                    (Err(work), Some(slot)) => collected.work.push((slot, work)),
                    (Err(work), None) => {
                        collected.work.push((collected.slots.len(), work));
                        collected.slots.push((key.clone(), Slot::Pending));
                    }
                }
            }
            Selection::FragmentSpread(spread) => {
                let fragment = fragment(ctx, spread)?;
                let condition = fragment.node.type_condition.node.on.node.as_str();
                if applies(ctx, root, Some(condition)) {
                    collect(ctx, &fragment.node.selection_set, root, memo, collected)?;
                }
            }
            Selection::InlineFragment(fragment) => {
                let condition = fragment
                    .node
                    .type_condition
                    .as_ref()
                    .map(|condition| condition.node.on.node.as_str());
                if applies(ctx, root, condition) {
                    collect(ctx, &fragment.node.selection_set, root, memo, collected)?;
                }
            }
        }
    }
    Ok(())
}

/// How one field of an object is answered.
enum Found<'a> {
    Value(Value),
    Objects(Objects<'a>),
    Resolver,
}

fn plain_value<'a>(
    ctx: &ContextSelectionSet<'a>,
    root: &'a dyn PlainObject,
    field: &'a Positioned<Field>,
    memo: &NeedsResolver,
) -> Found<'a> {
    let name = field.node.name.node.as_str();
    if name == "__typename" {
        return Found::Value(Value::String(root.schema_type_name().into_owned()));
    }
    // `@skip` and `@include` are gone by now; any other directive is custom and runs in
    // async-graphql's path, as does every field with arguments.
    if !field.node.directives.is_empty() || !field.node.arguments.is_empty() {
        return Found::Resolver;
    }
    let selection_set = &field.node.selection_set;
    let objects = match root.plain_field(name) {
        None => return Found::Resolver,
        Some(PlainValue::Value(value)) => return Found::Value(value),
        Some(PlainValue::Object(object)) => Objects::One(object),
        Some(PlainValue::Owned(object)) => Objects::Owned(object),
        Some(PlainValue::List(objects)) => Objects::List(objects),
    };
    if memo.contains(selection_set) {
        return Found::Objects(objects);
    }
    let value = match &objects {
        Objects::One(object) => object_value(ctx, selection_set, *object, memo),
        Objects::Owned(object) => object_value(ctx, selection_set, object.as_ref(), memo),
        Objects::List(list) => list
            .iter()
            .map(|object| object_value(ctx, selection_set, *object, memo))
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
    };
    match value {
        Some(value) => Found::Value(value),
        None => {
            memo.insert(selection_set);
            Found::Objects(objects)
        }
    }
}

/// An object's answer to `selection_set` when every field it reaches is plain; `None` as soon as
/// one needs a resolver (or a fragment is unknown, which async-graphql's path then reports).
fn object_value<'a>(
    ctx: &ContextSelectionSet<'a>,
    selection_set: &'a Positioned<SelectionSet>,
    object: &'a dyn PlainObject,
    memo: &NeedsResolver,
) -> Option<Value> {
    let mut collected = Collected::default();
    // `collect` stops at nothing: run it on a scratch set and give up if any work is left.
    collect(ctx, selection_set, object, memo, &mut collected).ok()?;
    if !collected.work.is_empty() {
        return None;
    }
    Some(object_of(collected.slots))
}

fn fragment<'a>(
    ctx: &ContextSelectionSet<'a>,
    spread: &'a Positioned<async_graphql::parser::types::FragmentSpread>,
) -> ServerResult<&'a Positioned<async_graphql::parser::types::FragmentDefinition>> {
    let name = &spread.node.fragment_name.node;
    ctx.query_env
        .fragments
        .get(name)
        .ok_or_else(|| ServerError::new(format!(r#"Unknown fragment "{name}"."#), Some(spread.pos)))
}

/// Whether a fragment on `condition` selects from `root`: its own type or an interface it
/// implements (validation has already refused conditions that can never apply).
fn applies(ctx: &ContextSelectionSet<'_>, root: &dyn PlainObject, condition: Option<&str>) -> bool {
    let Some(condition) = condition else {
        return true;
    };
    let own = root.schema_type_name();
    own == condition
        || ctx
            .schema_env
            .registry
            .implements
            .get(own.as_ref())
            .is_some_and(|interfaces| interfaces.contains(condition))
}

/// Objects below a field whose selection reaches a resolver, each resolved as `resolve_plain`
/// resolves its root, at its own path (`edges.3.node`) for errors and for the resolvers below.
async fn resolve_objects<'a>(
    ctx: &ContextSelectionSet<'a>,
    field: &'a Positioned<Field>,
    objects: Objects<'a>,
    memo: &NeedsResolver,
) -> ServerResult<Value> {
    let ctx_field = ctx.with_field(field);
    let ctx_objects = ctx_field.with_selection_set(&field.node.selection_set);
    match objects {
        Objects::One(object) => resolve_plain(&ctx_objects, object, memo).await,
        Objects::Owned(object) => resolve_plain(&ctx_objects, object.as_ref(), memo).await,
        Objects::List(list) => {
            let ctx_objects = &ctx_objects;
            let items = join_all(
                list.into_iter()
                    .enumerate()
                    .map(|(index, object)| async move {
                        let ctx_item = ctx_objects.with_index(index);
                        resolve_plain(&ctx_item, object, memo).await
                    }),
            )
            .await;
            Ok(Value::List(items.into_iter().collect::<ServerResult<_>>()?))
        }
    }
}

/// One field through the object's resolver and the request extension, as async-graphql runs it.
async fn resolve_field<'a>(
    ctx: &ContextSelectionSet<'a>,
    root: &'a dyn PlainObject,
    field: &'a Positioned<Field>,
) -> ServerResult<Value> {
    let ctx_field = ctx.with_field(field);
    let type_name = root.schema_type_name();
    let name = field.node.name.node.as_str();
    let return_type = ctx
        .schema_env
        .registry
        .types
        .get(type_name.as_ref())
        .and_then(|ty| ty.field_by_name(name))
        .map(|field| field.ty.as_str())
        .ok_or_else(|| {
            ServerError::new(
                format!(r#"Cannot query field "{name}" on type "{type_name}"."#),
                Some(ctx_field.item.pos),
            )
        })?;
    let info = ResolveInfo {
        path_node: ctx_field
            .path_node
            .as_ref()
            .expect("a field's context has a path"),
        parent_type: &type_name,
        return_type,
        name,
        alias: field.node.alias.as_ref().map(|alias| alias.node.as_str()),
        // Bulk objects are data, never part of an introspection answer.
        is_for_introspection: false,
        field: &field.node,
    };
    let mut resolve = root.resolve_field(&ctx_field);
    Ok(ctx
        .query_env
        .extensions
        .resolve(info, &mut resolve)
        .await?
        .unwrap_or_default())
}

/// Merges a second selection of the same key into the first, as async-graphql does: objects
/// key by key, lists of objects item by item.
fn merge(target: &mut Value, value: Value) {
    match (target, value) {
        (Value::Object(target), Value::Object(object)) => {
            for (key, value) in object {
                match target.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (Value::List(target), Value::List(list)) => {
            for (existing, value) in target.iter_mut().zip(list) {
                if let (Value::Object(_), Value::Object(_)) = (&*existing, &value) {
                    merge(existing, value);
                }
            }
        }
        _ => {}
    }
}

/// A connection of plain nodes: its edges, nodes and page info without a future each.
impl<Cursor, Node> PlainFields
    for Connection<
        Cursor,
        Node,
        EmptyFields,
        EmptyFields,
        DefaultConnectionName,
        DefaultEdgeName,
        EnableNodesField,
    >
where
    Cursor: CursorType + Send + Sync,
    Node: PlainFields + OutputType + Send + Sync,
{
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        Some(match name {
            "edges" => PlainValue::List(
                self.edges
                    .iter()
                    .map(|edge| edge as &dyn PlainObject)
                    .collect(),
            ),
            "nodes" => PlainValue::List(
                self.edges
                    .iter()
                    .map(|edge| &edge.node as &dyn PlainObject)
                    .collect(),
            ),
            "pageInfo" => PlainValue::Owned(Box::new(PageInfo {
                has_previous_page: self.has_previous_page,
                has_next_page: self.has_next_page,
                start_cursor: self.edges.first().map(|edge| edge.cursor.encode_cursor()),
                end_cursor: self.edges.last().map(|edge| edge.cursor.encode_cursor()),
            })),
            _ => return None,
        })
    }
}

impl<Cursor, Node> PlainFields for Edge<Cursor, Node, EmptyFields, DefaultEdgeName>
where
    Cursor: CursorType + Send + Sync,
    Node: PlainFields + OutputType + Send + Sync,
{
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        Some(match name {
            "node" => PlainValue::Object(&self.node),
            "cursor" => PlainValue::Value(Value::String(self.cursor.encode_cursor())),
            _ => return None,
        })
    }
}

impl PlainFields for PageInfo {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        let cursor = |cursor: &Option<String>| {
            PlainValue::Value(cursor.clone().map_or(Value::Null, Value::String))
        };
        Some(match name {
            "hasPreviousPage" => PlainValue::Value(Value::Boolean(self.has_previous_page)),
            "hasNextPage" => PlainValue::Value(Value::Boolean(self.has_next_page)),
            "startCursor" => cursor(&self.start_cursor),
            "endCursor" => cursor(&self.end_cursor),
            _ => return None,
        })
    }
}
