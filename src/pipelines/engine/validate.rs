//! Graph validation: at least one source and one sink, no cycles, every required input
//! connected (once), connections between existing ports, row-schema compatibility along each
//! connection, each config valid against its JSON Schema (issues carry the node id and a JSON
//! pointer), expressions that compile; nodes on no source-to-sink path are warnings.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    catalogue::{self, Component, ComponentKind, BOOKMARK_FIELDS, TASK_FIELDS},
    csv,
    expression::Expression,
    graph::{Graph, Node},
    json_schema,
    rows::FieldType,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssueSeverity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidationStatus {
    Pending,
    Valid,
    Invalid,
    Warning,
}

/// One finding. `code` is stable and machine-readable; `path` is a JSON pointer into the node
/// (`/config/aggregates/0/field`, `/inputs/left`) or into the graph (`/connections/3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub severity: IssueSeverity,
    pub code: String,
    pub message: String,
    pub node_id: Option<String>,
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    pub status: ValidationStatus,
    pub issues: Vec<Issue>,
}

impl ValidationReport {
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|issue| issue.severity == IssueSeverity::Error)
    }
}

fn error(
    code: &str,
    message: impl Into<String>,
    node: Option<&str>,
    path: Option<String>,
) -> Issue {
    Issue {
        severity: IssueSeverity::Error,
        code: code.to_string(),
        message: message.into(),
        node_id: node.map(str::to_string),
        path,
    }
}

/// Validates the whole graph. Deterministic: issues come in node, then connection order.
pub fn validate(graph: &Graph) -> ValidationReport {
    let mut issues = Vec::new();
    let mut components: HashMap<&str, &'static Component> = HashMap::new();
    let mut seen_ids = HashSet::new();
    for node in &graph.nodes {
        if !seen_ids.insert(node.id.as_str()) {
            issues.push(error(
                "DUPLICATE_NODE",
                "two nodes share this id",
                Some(&node.id),
                None,
            ));
        }
        match catalogue::component(&node.component) {
            Some(component) => {
                components.insert(&node.id, component);
                issues.extend(check_config(node, component));
            }
            None => issues.push(error(
                "UNKNOWN_COMPONENT",
                format!("`{}` is not a component", node.component),
                Some(&node.id),
                Some("/component".into()),
            )),
        }
    }
    issues.extend(check_connections(graph, &components));
    check_sources_and_sinks(&components, &mut issues);
    let order = match graph.topological_order() {
        Ok(order) => Some(order),
        Err(cyclic) => {
            issues.push(error(
                "CYCLE",
                format!("these nodes form a cycle: {}", cyclic.join(", ")),
                cyclic.first().map(String::as_str),
                None,
            ));
            None
        }
    };
    if let Some(order) = order {
        issues.extend(check_schemas(graph, &components, &order));
    }
    issues.extend(unreachable_warnings(graph, &components));
    let status = if issues
        .iter()
        .any(|issue| issue.severity == IssueSeverity::Error)
    {
        ValidationStatus::Invalid
    } else if issues.is_empty() {
        ValidationStatus::Valid
    } else {
        ValidationStatus::Warning
    };
    ValidationReport { status, issues }
}

fn check_config(node: &Node, component: &Component) -> Vec<Issue> {
    let mut issues: Vec<Issue> = json_schema::check(&component.config_schema, &node.config)
        .into_iter()
        .map(|violation| {
            error(
                "INVALID_CONFIG",
                violation.message,
                Some(&node.id),
                Some(format!("/config{}", violation.path)),
            )
        })
        .collect();
    if !issues.is_empty() {
        return issues;
    }
    let config = &node.config;
    let mut check_expression = |text: &str, path: String| {
        if let Err(message) = Expression::compile(text) {
            issues.push(error(
                "INVALID_EXPRESSION",
                message,
                Some(&node.id),
                Some(path),
            ));
        }
    };
    match component.name {
        "filter" => check_expression(
            config["expression"].as_str().unwrap_or_default(),
            "/config/expression".into(),
        ),
        "map" => {
            for (field, text) in config["fields"].as_object().into_iter().flatten() {
                check_expression(
                    text.as_str().unwrap_or_default(),
                    format!("/config/fields/{field}"),
                );
            }
        }
        "aggregate" => {
            for (position, aggregate) in config["aggregates"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                if aggregate["op"] != "count" && aggregate.get("field").is_none() {
                    issues.push(error(
                        "INVALID_CONFIG",
                        format!("{} needs a field", aggregate["op"]),
                        Some(&node.id),
                        Some(format!("/config/aggregates/{position}/field")),
                    ));
                }
            }
        }
        "csvText" => {
            let delimiter = delimiter_of(config);
            if let Err(error_at) =
                csv::header(config["text"].as_str().unwrap_or_default(), delimiter)
            {
                issues.push(error(
                    "INVALID_CONFIG",
                    format!("line {}: {}", error_at.line, error_at.message),
                    Some(&node.id),
                    Some("/config/text".into()),
                ));
            }
        }
        _ => {}
    }
    issues
}

pub fn delimiter_of(config: &Value) -> char {
    config["delimiter"]
        .as_str()
        .and_then(|text| text.chars().next())
        .unwrap_or(',')
}

fn check_connections(graph: &Graph, components: &HashMap<&str, &'static Component>) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut seen = HashSet::new();
    let mut into_port: HashMap<(&str, &str), usize> = HashMap::new();
    for (position, connection) in graph.connections.iter().enumerate() {
        let path = Some(format!("/connections/{position}"));
        if !seen.insert(connection) {
            issues.push(error(
                "DUPLICATE_CONNECTION",
                "this connection exists twice",
                None,
                path.clone(),
            ));
        }
        let from = components.get(connection.from.node_id.as_str());
        let to = components.get(connection.to.node_id.as_str());
        for (end, component, node_id) in [
            ("from", from, &connection.from.node_id),
            ("to", to, &connection.to.node_id),
        ] {
            if component.is_none() && graph.node(node_id).is_none() {
                issues.push(error(
                    "UNKNOWN_NODE",
                    format!("the `{end}` node `{node_id}` is not in this pipeline"),
                    None,
                    path.clone(),
                ));
            }
        }
        if let Some(component) =
            from.filter(|component| component.output(&connection.from.port).is_none())
        {
            issues.push(error(
                "UNKNOWN_PORT",
                format!(
                    "{} has no output port `{}`",
                    component.name, connection.from.port
                ),
                Some(&connection.from.node_id),
                path.clone(),
            ));
        }
        if let Some(component) =
            to.filter(|component| component.input(&connection.to.port).is_none())
        {
            issues.push(error(
                "UNKNOWN_PORT",
                format!(
                    "{} has no input port `{}`",
                    component.name, connection.to.port
                ),
                Some(&connection.to.node_id),
                path.clone(),
            ));
        }
        *into_port
            .entry((&connection.to.node_id, &connection.to.port))
            .or_default() += 1;
    }
    for node in &graph.nodes {
        let Some(component) = components.get(node.id.as_str()) else {
            continue;
        };
        for input in &component.inputs {
            let count = into_port
                .get(&(node.id.as_str(), input.name))
                .copied()
                .unwrap_or(0);
            let path = Some(format!("/inputs/{}", input.name));
            if count == 0 && input.required {
                issues.push(error(
                    "REQUIRED_INPUT_UNCONNECTED",
                    format!("the input `{}` must be connected", input.name),
                    Some(&node.id),
                    path,
                ));
            } else if count > 1 {
                issues.push(error(
                    "INPUT_CONNECTED_TWICE",
                    format!(
                        "the input `{}` has {count} connections; use a union to merge rows",
                        input.name
                    ),
                    Some(&node.id),
                    path,
                ));
            }
        }
    }
    issues
}

fn check_sources_and_sinks(
    components: &HashMap<&str, &'static Component>,
    issues: &mut Vec<Issue>,
) {
    let has = |kind| components.values().any(|component| component.kind == kind);
    if !has(ComponentKind::Source) {
        issues.push(error(
            "NO_SOURCE",
            "a pipeline needs at least one source",
            None,
            None,
        ));
    }
    if !has(ComponentKind::Sink) {
        issues.push(error(
            "NO_SINK",
            "a pipeline needs at least one sink",
            None,
            None,
        ));
    }
}

/// The fields rows on a port are known to have, or `None` when the rows are not known ahead.
type KnownFields = Option<BTreeMap<String, FieldType>>;

fn fixed(fields: &[(&str, &str)]) -> KnownFields {
    Some(
        fields
            .iter()
            .map(|(name, kind)| {
                (
                    name.to_string(),
                    FieldType::parse(kind).unwrap_or(FieldType::Any),
                )
            })
            .collect(),
    )
}

pub(super) fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect()
}

pub fn declared_types(config: &Value) -> BTreeMap<String, FieldType> {
    config["types"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, kind)| Some((name.clone(), FieldType::parse(kind.as_str()?)?)))
        .collect()
}

/// Fields that the node requires of each input, with the type it needs, and where in the
/// config the requirement comes from.
fn requirements(node: &Node) -> Vec<(&'static str, String, FieldType, String)> {
    let config = &node.config;
    let mut needed = Vec::new();
    match node.component.as_str() {
        "createTasks" => {
            let title = config["titleField"].as_str().unwrap_or("title").to_string();
            needed.push((
                "in",
                title,
                FieldType::String,
                "/config/titleField".to_string(),
            ));
        }
        "join" => {
            for (position, key) in config["on"].as_array().into_iter().flatten().enumerate() {
                for side in ["left", "right"] {
                    if let Some(field) = key[side].as_str() {
                        let port = if side == "left" { "left" } else { "right" };
                        needed.push((
                            port,
                            field.to_string(),
                            FieldType::Any,
                            format!("/config/on/{position}/{side}"),
                        ));
                    }
                }
            }
        }
        "aggregate" => {
            for (position, field) in strings(&config["groupBy"]).into_iter().enumerate() {
                needed.push((
                    "in",
                    field,
                    FieldType::Any,
                    format!("/config/groupBy/{position}"),
                ));
            }
            for (position, aggregate) in config["aggregates"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(field) = aggregate["field"].as_str() else {
                    continue;
                };
                let kind = match aggregate["op"].as_str() {
                    Some("sum" | "avg") => FieldType::Number,
                    _ => FieldType::Any,
                };
                needed.push((
                    "in",
                    field.to_string(),
                    kind,
                    format!("/config/aggregates/{position}/field"),
                ));
            }
        }
        "deduplicate" => {
            for (position, field) in strings(&config["keys"]).into_iter().enumerate() {
                needed.push((
                    "in",
                    field,
                    FieldType::Any,
                    format!("/config/keys/{position}"),
                ));
            }
        }
        "sort" => {
            for (position, key) in config["keys"].as_array().into_iter().flatten().enumerate() {
                if let Some(field) = key["field"].as_str() {
                    needed.push((
                        "in",
                        field.to_string(),
                        FieldType::Any,
                        format!("/config/keys/{position}/field"),
                    ));
                }
            }
        }
        _ => {}
    }
    needed
}

fn output_fields(
    node: &Node,
    inputs: &BTreeMap<&str, KnownFields>,
) -> BTreeMap<&'static str, KnownFields> {
    let config = &node.config;
    let input = |port: &str| inputs.get(port).cloned().flatten();
    let single = |fields: KnownFields| BTreeMap::from([("out", fields)]);
    match node.component.as_str() {
        "projectTasks" => single(fixed(TASK_FIELDS)),
        "myBookmarks" => single(fixed(BOOKMARK_FIELDS)),
        "csvText" => {
            let types = declared_types(config);
            let header = csv::header(
                config["text"].as_str().unwrap_or_default(),
                delimiter_of(config),
            );
            single(header.ok().map(|columns| {
                columns
                    .into_iter()
                    .map(|column| {
                        let kind = types.get(&column).copied().unwrap_or(FieldType::String);
                        (column, kind)
                    })
                    .collect()
            }))
        }
        "filter" | "sort" | "limit" | "deduplicate" => single(input("in")),
        "map" => {
            let mut fields = if config["keepExisting"] == true {
                match input("in") {
                    Some(fields) => fields,
                    None => return single(None),
                }
            } else {
                BTreeMap::new()
            };
            for name in config["fields"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, _)| name)
            {
                fields.insert(name.clone(), FieldType::Any);
            }
            single(Some(fields))
        }
        "aggregate" => {
            let upstream = input("in");
            let type_of = |field: &str| {
                upstream
                    .as_ref()
                    .and_then(|fields| fields.get(field).copied())
                    .unwrap_or(FieldType::Any)
            };
            let mut fields: BTreeMap<String, FieldType> = strings(&config["groupBy"])
                .into_iter()
                .map(|field| {
                    let kind = type_of(&field);
                    (field, kind)
                })
                .collect();
            for aggregate in config["aggregates"].as_array().into_iter().flatten() {
                let Some(name) = aggregate["name"].as_str() else {
                    continue;
                };
                let kind = match aggregate["op"].as_str() {
                    Some("count") => FieldType::Integer,
                    Some("sum" | "avg") => FieldType::Number,
                    _ => aggregate["field"].as_str().map_or(FieldType::Any, type_of),
                };
                fields.insert(name.to_string(), kind);
            }
            single(Some(fields))
        }
        "join" => match (input("left"), input("right")) {
            (Some(mut left), Some(right)) => {
                for (name, kind) in right {
                    let name = if left.contains_key(&name) {
                        format!("right_{name}")
                    } else {
                        name
                    };
                    left.insert(name, kind);
                }
                single(Some(left))
            }
            _ => single(None),
        },
        "union" if !inputs.contains_key("second") => single(input("first")),
        "validate" => BTreeMap::from([("valid", input("in")), ("invalid", None)]),
        _ => single(None),
    }
}

fn check_schemas(
    graph: &Graph,
    components: &HashMap<&str, &'static Component>,
    order: &[String],
) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut known: HashMap<(String, &'static str), KnownFields> = HashMap::new();
    for node_id in order {
        let Some(node) = graph.node(node_id) else {
            continue;
        };
        if !components.contains_key(node_id.as_str()) {
            continue;
        }
        let mut inputs: BTreeMap<&str, KnownFields> = BTreeMap::new();
        for (port, sources) in graph.inputs_of(node_id) {
            let fields = sources.first().and_then(|source| {
                known
                    .iter()
                    .find(|((id, name), _)| *id == source.node_id && *name == source.port)
                    .and_then(|(_, fields)| fields.clone())
            });
            inputs.insert(port, fields);
        }
        for (port, field, needed, path) in requirements(node) {
            let Some(Some(fields)) = inputs.get(port) else {
                continue;
            };
            match fields.get(&field) {
                None => issues.push(error(
                    "SCHEMA_MISMATCH",
                    format!("rows arriving on `{port}` have no field `{field}`"),
                    Some(node_id),
                    Some(path),
                )),
                Some(kind) if !kind.fits(needed) => issues.push(error(
                    "SCHEMA_MISMATCH",
                    format!(
                        "field `{field}` on `{port}` is {}, but {} is needed",
                        kind.as_str(),
                        needed.as_str()
                    ),
                    Some(node_id),
                    Some(path),
                )),
                Some(_) => {}
            }
        }
        for (port, fields) in output_fields(node, &inputs) {
            known.insert((node_id.clone(), port), fields);
        }
    }
    issues
}

/// Nodes on a path from a source to a sink; the rest contribute nothing to a run.
pub fn contributing_nodes(graph: &Graph) -> HashSet<String> {
    let kind_of =
        |node: &Node| catalogue::component(&node.component).map(|component| component.kind);
    let reach = |starts: Vec<&str>, forward: bool| {
        let mut seen: HashSet<String> = starts.iter().map(|id| id.to_string()).collect();
        let mut stack: Vec<String> = seen.iter().cloned().collect();
        while let Some(current) = stack.pop() {
            for connection in &graph.connections {
                let (here, there) = if forward {
                    (&connection.from.node_id, &connection.to.node_id)
                } else {
                    (&connection.to.node_id, &connection.from.node_id)
                };
                if *here == current && seen.insert(there.clone()) {
                    stack.push(there.clone());
                }
            }
        }
        seen
    };
    let sources = graph
        .nodes
        .iter()
        .filter(|node| kind_of(node) == Some(ComponentKind::Source))
        .map(|node| node.id.as_str())
        .collect();
    let sinks = graph
        .nodes
        .iter()
        .filter(|node| kind_of(node) == Some(ComponentKind::Sink))
        .map(|node| node.id.as_str())
        .collect();
    let from_sources = reach(sources, true);
    let to_sinks = reach(sinks, false);
    from_sources.intersection(&to_sinks).cloned().collect()
}

fn unreachable_warnings(
    graph: &Graph,
    components: &HashMap<&str, &'static Component>,
) -> Vec<Issue> {
    let contributing = contributing_nodes(graph);
    graph
        .nodes
        .iter()
        .filter(|node| {
            components.contains_key(node.id.as_str()) && !contributing.contains(&node.id)
        })
        .map(|node| Issue {
            severity: IssueSeverity::Warning,
            code: "UNREACHABLE_NODE".into(),
            message: "this node is on no path from a source to a sink; runs skip it".into(),
            node_id: Some(node.id.clone()),
            path: None,
        })
        .collect()
}
