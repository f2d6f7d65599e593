//! Execution: nodes run in topological order over rows of JSON objects. Each node's output is
//! handed to its consumers (moved to the last one, cloned for the others). The caller supplies
//! the rows of database-backed sources, an `interrupted` check (cancellation, timeout, lost
//! lease) polled every few thousand rows, and an observer told when each node starts and ends.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use super::{
    catalogue::{self, ComponentKind},
    csv,
    expression::Expression,
    graph::{Graph, Node, PortRef},
    rows::{compare_values, key_of, key_text, Row},
    validate::{contributing_nodes, declared_types, delimiter_of},
};

/// How often, in rows, long loops ask whether the run was interrupted.
const INTERRUPT_CHECK_EVERY: usize = 4096;

#[derive(Debug, Clone, Copy)]
pub struct ExecutionLimits {
    /// No node may produce more rows than this.
    pub max_rows: usize,
}

/// What the caller hands in: run parameters (`params.<name>` in expressions) and the rows of
/// each database-backed source node, by node id.
#[derive(Debug, Clone, Default)]
pub struct RunInputs {
    pub parameters: Row,
    pub source_rows: HashMap<String, Vec<Row>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExecutionEvent {
    NodeStarted {
        node_id: String,
    },
    NodeFinished {
        node_id: String,
        rows_in: u64,
        rows_out: u64,
    },
    NodeFailed {
        node_id: String,
        rows_in: u64,
        error: String,
    },
}

/// A task the `createTasks` sink asks the caller to create.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskToCreate {
    pub node_id: String,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunResult {
    /// Rows of the `runOutput` sinks (in node order), and one `{node, csv}` row per `csvExport`.
    pub output: Vec<Row>,
    pub tasks_to_create: Vec<TaskToCreate>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunFailure {
    /// A node failed; the message names the row where one is to blame.
    Node {
        node_id: String,
        message: String,
    },
    Interrupted,
    /// The graph cannot run at all (it should have been refused by validation).
    Graph(String),
}

impl RunFailure {
    pub fn message(&self) -> String {
        match self {
            RunFailure::Node { node_id, message } => format!("node {node_id}: {message}"),
            RunFailure::Interrupted => "the run was interrupted".into(),
            RunFailure::Graph(message) => message.clone(),
        }
    }
}

type Ports = BTreeMap<String, Vec<Row>>;

struct Run<'a> {
    limits: ExecutionLimits,
    parameters: &'a Row,
    interrupted: &'a dyn Fn() -> bool,
    /// Units of work done (rows read or written); every few thousand, ask `interrupted`.
    work: std::cell::Cell<usize>,
}

impl Run<'_> {
    fn tick(&self) -> Result<(), NodeError> {
        let work = self.work.get() + 1;
        self.work.set(work);
        if work % INTERRUPT_CHECK_EVERY == 0 && (self.interrupted)() {
            return Err(NodeError::Interrupted);
        }
        Ok(())
    }

    fn check_size(&self, rows: usize) -> Result<(), NodeError> {
        if rows > self.limits.max_rows {
            return Err(NodeError::Failed(format!(
                "produced more than {} rows, the most a run may handle",
                self.limits.max_rows
            )));
        }
        Ok(())
    }
}

enum NodeError {
    Failed(String),
    Interrupted,
}

impl From<String> for NodeError {
    fn from(message: String) -> Self {
        NodeError::Failed(message)
    }
}

/// Runs `graph`. The graph must have passed validation; nodes on no source-to-sink path are
/// skipped.
pub fn execute(
    graph: &Graph,
    inputs: RunInputs,
    limits: ExecutionLimits,
    interrupted: &dyn Fn() -> bool,
    observer: &mut dyn FnMut(ExecutionEvent),
) -> Result<RunResult, RunFailure> {
    let order = graph.topological_order().map_err(|cyclic| {
        RunFailure::Graph(format!(
            "the graph has a cycle through {}",
            cyclic.join(", ")
        ))
    })?;
    let contributing = contributing_nodes(graph);
    let mut remaining_consumers: HashMap<PortRef, usize> = HashMap::new();
    for connection in &graph.connections {
        *remaining_consumers
            .entry(connection.from.clone())
            .or_default() += 1;
    }
    let run = Run {
        limits,
        parameters: &inputs.parameters,
        interrupted,
        work: std::cell::Cell::new(0),
    };
    if interrupted() {
        return Err(RunFailure::Interrupted);
    }
    let mut source_rows = inputs.source_rows;
    let mut produced: HashMap<PortRef, Vec<Row>> = HashMap::new();
    let mut result = RunResult::default();
    for node_id in order.iter().filter(|id| contributing.contains(*id)) {
        let node = graph
            .node(node_id)
            .ok_or_else(|| RunFailure::Graph(format!("node {node_id} vanished")))?;
        let mut node_inputs = Ports::new();
        for (port, sources) in graph.inputs_of(node_id) {
            let mut rows = Vec::new();
            for source in sources {
                let left = remaining_consumers.entry(source.clone()).or_default();
                *left = left.saturating_sub(1);
                let taken = if *left == 0 {
                    produced.remove(source).unwrap_or_default()
                } else {
                    produced.get(source).cloned().unwrap_or_default()
                };
                rows.extend(taken);
            }
            node_inputs.insert(port.to_string(), rows);
        }
        let rows_in: u64 = node_inputs.values().map(|rows| rows.len() as u64).sum();
        observer(ExecutionEvent::NodeStarted {
            node_id: node_id.clone(),
        });
        let external = source_rows.remove(node_id);
        match run_node(&run, node, node_inputs, external, &mut result) {
            Ok(outputs) => {
                let rows_out = outputs.values().map(|rows| rows.len() as u64).sum::<u64>()
                    + sink_rows(node, rows_in);
                observer(ExecutionEvent::NodeFinished {
                    node_id: node_id.clone(),
                    rows_in,
                    rows_out,
                });
                for (port, rows) in outputs {
                    produced.insert(
                        PortRef {
                            node_id: node_id.clone(),
                            port,
                        },
                        rows,
                    );
                }
            }
            Err(NodeError::Interrupted) => return Err(RunFailure::Interrupted),
            Err(NodeError::Failed(message)) => {
                observer(ExecutionEvent::NodeFailed {
                    node_id: node_id.clone(),
                    rows_in,
                    error: message.clone(),
                });
                return Err(RunFailure::Node {
                    node_id: node_id.clone(),
                    message,
                });
            }
        }
    }
    Ok(result)
}

/// A sink's "rows out" are the rows it wrote.
fn sink_rows(node: &Node, rows_in: u64) -> u64 {
    match catalogue::component(&node.component).map(|component| component.kind) {
        Some(ComponentKind::Sink) => rows_in,
        _ => 0,
    }
}

fn out(rows: Vec<Row>) -> Ports {
    BTreeMap::from([("out".to_string(), rows)])
}

fn take(inputs: &mut Ports, port: &str) -> Vec<Row> {
    inputs.remove(port).unwrap_or_default()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect()
}

fn run_node(
    run: &Run,
    node: &Node,
    mut inputs: Ports,
    external: Option<Vec<Row>>,
    result: &mut RunResult,
) -> Result<Ports, NodeError> {
    let config = &node.config;
    let outputs = match node.component.as_str() {
        "inlineRows" => out(config["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|row| row.as_object().cloned())
            .collect()),
        "csvText" => {
            let rows = csv::parse(
                config["text"].as_str().unwrap_or_default(),
                delimiter_of(config),
                &declared_types(config),
            )
            .map_err(|error| format!("CSV line {}: {}", error.line, error.message))?;
            out(rows)
        }
        "projectTasks" | "myBookmarks" | "previousRunOutput" => out(external.ok_or_else(|| {
            NodeError::Failed(format!("the rows of {} were not provided", node.component))
        })?),
        "filter" => out(filter(run, config, take(&mut inputs, "in"))?),
        "map" => out(map(run, config, take(&mut inputs, "in"))?),
        "sort" => out(sort(config, take(&mut inputs, "in"))),
        "limit" => {
            let offset = config["offset"].as_u64().unwrap_or(0) as usize;
            let count = config["count"].as_u64().unwrap_or(0) as usize;
            out(take(&mut inputs, "in")
                .into_iter()
                .skip(offset)
                .take(count)
                .collect())
        }
        "deduplicate" => {
            let keys = strings(&config["keys"]);
            let mut seen = std::collections::HashSet::new();
            out(take(&mut inputs, "in")
                .into_iter()
                .filter(|row| seen.insert(key_text(&key_of(row, &keys))))
                .collect())
        }
        "aggregate" => out(aggregate(run, config, take(&mut inputs, "in"))?),
        "join" => {
            let left = take(&mut inputs, "left");
            let right = take(&mut inputs, "right");
            out(join(run, config, left, right)?)
        }
        "union" => {
            let mut rows = take(&mut inputs, "first");
            rows.extend(take(&mut inputs, "second"));
            out(rows)
        }
        "validate" => validate_rows(config, take(&mut inputs, "in")),
        "runOutput" => {
            result.output.extend(take(&mut inputs, "in"));
            Ports::new()
        }
        "csvExport" => {
            let rows = take(&mut inputs, "in");
            let columns = match config.get("columns") {
                Some(columns) => strings(columns),
                None => columns_in_order(&rows),
            };
            let text = csv::write(&rows, &columns, delimiter_of(config));
            let mut row = Row::new();
            row.insert("node".into(), json!(node.id));
            row.insert("csv".into(), Value::String(text));
            result.output.push(row);
            Ports::new()
        }
        "createTasks" => {
            let title_field = config["titleField"].as_str().unwrap_or("title");
            let description_field = config["descriptionField"].as_str();
            for (position, row) in take(&mut inputs, "in").into_iter().enumerate() {
                let title = row
                    .get(title_field)
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        format!("row {}: `{title_field}` is not a string", position + 1)
                    })?;
                let description = description_field
                    .and_then(|field| row.get(field))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                result.tasks_to_create.push(TaskToCreate {
                    node_id: node.id.clone(),
                    title: title.to_string(),
                    description: description.to_string(),
                });
            }
            Ports::new()
        }
        other => return Err(NodeError::Failed(format!("`{other}` is not a component"))),
    };
    for rows in outputs.values() {
        run.check_size(rows.len())?;
    }
    Ok(outputs)
}

fn columns_in_order(rows: &[Row]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for key in row.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    columns
}

fn row_error(position: usize, message: String) -> NodeError {
    NodeError::Failed(format!("row {}: {message}", position + 1))
}

fn filter(run: &Run, config: &Value, rows: Vec<Row>) -> Result<Vec<Row>, NodeError> {
    let expression = Expression::compile(config["expression"].as_str().unwrap_or_default())?;
    let mut kept = Vec::new();
    for (position, row) in rows.into_iter().enumerate() {
        run.tick()?;
        match expression.evaluate(&row, run.parameters) {
            Ok(Value::Bool(true)) => kept.push(row),
            Ok(Value::Bool(false)) => {}
            Ok(other) => {
                return Err(row_error(
                    position,
                    format!("the filter gave {other}, not true or false"),
                ))
            }
            Err(message) => return Err(row_error(position, message)),
        }
    }
    Ok(kept)
}

fn map(run: &Run, config: &Value, rows: Vec<Row>) -> Result<Vec<Row>, NodeError> {
    let keep_existing = config["keepExisting"] == true;
    let mut fields = Vec::new();
    for (name, text) in config["fields"].as_object().into_iter().flatten() {
        fields.push((
            name.clone(),
            Expression::compile(text.as_str().unwrap_or_default())?,
        ));
    }
    let mut mapped = Vec::with_capacity(rows.len());
    for (position, row) in rows.into_iter().enumerate() {
        run.tick()?;
        let mut next = if keep_existing {
            row.clone()
        } else {
            Row::new()
        };
        for (name, expression) in &fields {
            let value = expression
                .evaluate(&row, run.parameters)
                .map_err(|message| row_error(position, format!("field `{name}`: {message}")))?;
            next.insert(name.clone(), value);
        }
        mapped.push(next);
    }
    Ok(mapped)
}

fn sort(config: &Value, mut rows: Vec<Row>) -> Vec<Row> {
    let keys: Vec<(String, bool)> = config["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|key| {
            Some((
                key["field"].as_str()?.to_string(),
                key["descending"] == true,
            ))
        })
        .collect();
    let null = Value::Null;
    rows.sort_by(|a, b| {
        keys.iter()
            .map(|(field, descending)| {
                let ordering =
                    compare_values(a.get(field).unwrap_or(&null), b.get(field).unwrap_or(&null));
                if *descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            })
            .find(|ordering| ordering.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows
}

#[derive(Clone)]
struct Accumulator {
    count: u64,
    sum: f64,
    /// Sum of integers stays exact while every value is an integer.
    integer_sum: Option<i64>,
    numbers: u64,
    /// Rows where the field is present and not null (`count` with a field).
    present: u64,
    min: Option<Value>,
    max: Option<Value>,
}

impl Accumulator {
    fn new() -> Self {
        Accumulator {
            count: 0,
            sum: 0.0,
            integer_sum: Some(0),
            numbers: 0,
            present: 0,
            min: None,
            max: None,
        }
    }
}

fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn aggregate(run: &Run, config: &Value, rows: Vec<Row>) -> Result<Vec<Row>, NodeError> {
    let group_by = strings(&config["groupBy"]);
    let specs: Vec<(String, String, Option<String>)> = config["aggregates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|spec| {
            Some((
                spec["name"].as_str()?.to_string(),
                spec["op"].as_str()?.to_string(),
                spec["field"].as_str().map(str::to_string),
            ))
        })
        .collect();
    let mut order: Vec<Vec<Value>> = Vec::new();
    let mut groups: HashMap<String, Vec<Accumulator>> = HashMap::new();
    if group_by.is_empty() {
        order.push(Vec::new());
        groups.insert(key_text(&[]), vec![Accumulator::new(); specs.len()]);
    }
    for (position, row) in rows.iter().enumerate() {
        run.tick()?;
        let key = key_of(row, &group_by);
        let text = key_text(&key);
        let accumulators = groups.entry(text).or_insert_with(|| {
            order.push(key);
            vec![Accumulator::new(); specs.len()]
        });
        for ((_, op, field), accumulator) in specs.iter().zip(accumulators.iter_mut()) {
            accumulator.count += 1;
            let Some(field) = field else { continue };
            let value = match row.get(field) {
                None | Some(Value::Null) => continue,
                Some(value) => value,
            };
            accumulator.present += 1;
            if op == "sum" || op == "avg" {
                let Some(amount) = value.as_f64() else {
                    return Err(row_error(
                        position,
                        format!("`{field}` is {value}, not a number; {op} needs numbers"),
                    ));
                };
                accumulator.sum += amount;
                accumulator.numbers += 1;
                accumulator.integer_sum = match (accumulator.integer_sum, value.as_i64()) {
                    (Some(total), Some(item)) => total.checked_add(item),
                    _ => None,
                };
            }
            if accumulator
                .min
                .as_ref()
                .is_none_or(|min| compare_values(value, min).is_lt())
            {
                accumulator.min = Some(value.clone());
            }
            if accumulator
                .max
                .as_ref()
                .is_none_or(|max| compare_values(value, max).is_gt())
            {
                accumulator.max = Some(value.clone());
            }
        }
    }
    let mut output = Vec::with_capacity(order.len());
    for key in order {
        let Some(accumulators) = groups.remove(&key_text(&key)) else {
            continue;
        };
        let mut row = Row::new();
        for (field, value) in group_by.iter().zip(key) {
            row.insert(field.clone(), value);
        }
        for ((name, op, field), accumulator) in specs.iter().zip(accumulators) {
            let value = match op.as_str() {
                "count" if field.is_none() => json!(accumulator.count),
                "count" => json!(accumulator.present),
                "sum" => accumulator
                    .integer_sum
                    .map_or_else(|| number(accumulator.sum), Value::from),
                "avg" if accumulator.numbers == 0 => Value::Null,
                "avg" => number(accumulator.sum / accumulator.numbers as f64),
                "min" => accumulator.min.unwrap_or(Value::Null),
                _ => accumulator.max.unwrap_or(Value::Null),
            };
            row.insert(name.clone(), value);
        }
        output.push(row);
    }
    Ok(output)
}

fn join(run: &Run, config: &Value, left: Vec<Row>, right: Vec<Row>) -> Result<Vec<Row>, NodeError> {
    let (left_keys, right_keys): (Vec<String>, Vec<String>) = config["on"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|key| {
            Some((
                key["left"].as_str()?.to_string(),
                key["right"].as_str()?.to_string(),
            ))
        })
        .unzip();
    let keep_unmatched = config["kind"] == "left";
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (position, row) in right.iter().enumerate() {
        let key = key_of(row, &right_keys);
        if key.iter().any(Value::is_null) {
            continue;
        }
        index.entry(key_text(&key)).or_default().push(position);
    }
    let mut joined = Vec::new();
    for row in left {
        run.tick()?;
        let key = key_of(&row, &left_keys);
        let matches = if key.iter().any(Value::is_null) {
            None
        } else {
            index.get(&key_text(&key))
        };
        match matches {
            Some(matches) => {
                for &matched in matches {
                    run.tick()?;
                    let mut merged = row.clone();
                    for (name, value) in &right[matched] {
                        if right_keys.contains(name) && left_keys.contains(name) {
                            continue;
                        }
                        let name = if merged.contains_key(name) {
                            format!("right_{name}")
                        } else {
                            name.clone()
                        };
                        merged.insert(name, value.clone());
                    }
                    joined.push(merged);
                }
                run.check_size(joined.len())?;
            }
            None if keep_unmatched => joined.push(row),
            None => {}
        }
    }
    Ok(joined)
}

fn validate_rows(config: &Value, rows: Vec<Row>) -> Ports {
    let required = strings(&config["required"]);
    let types = declared_types(config);
    let route = config["invalidRows"] == "route";
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for mut row in rows {
        let mut errors = Vec::new();
        for field in &required {
            if row.get(field).is_none_or(Value::is_null) {
                errors.push(format!("`{field}` is required"));
            }
        }
        for (field, kind) in &types {
            match row.get(field) {
                Some(value) if !value.is_null() && !kind.admits(value) => {
                    errors.push(format!("`{field}` must be {}", kind.as_str()))
                }
                _ => {}
            }
        }
        if errors.is_empty() {
            valid.push(row);
        } else if route {
            row.insert("_errors".into(), json!(errors));
            invalid.push(row);
        }
    }
    BTreeMap::from([
        ("valid".to_string(), valid),
        ("invalid".to_string(), invalid),
    ])
}
