//! The transforms and sinks as operators that take one row at a time. Row-at-a-time components
//! (filter, map, limit, deduplicate, validate, union, the probe side of a join, sinks) emit as
//! they go, so rows stream through them; sort and aggregate must see every row first and emit
//! when their input ends. The scheduler in `execute` decides which row goes where and when.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};

use super::{
    csv,
    expression::Expression,
    graph::Node,
    rows::{compare_values, key_of, key_text, FieldType, Row},
    validate::{declared_types, delimiter_of, strings},
};

/// Rows an operator emits, each on a named output port.
pub(super) type Emitted = Vec<(&'static str, Row)>;

const OUT: &str = "out";

pub(super) enum Operator {
    Filter(Expression),
    Map(Projection),
    Limit {
        skip: usize,
        remaining: usize,
    },
    Deduplicate {
        keys: Vec<String>,
        seen: HashSet<String>,
    },
    Validate(RowCheck),
    Union,
    Sort(Sorting),
    Aggregate(Grouping),
    Join(Join),
    RunOutput(StoredRows),
    CsvExport(CsvExport),
    CreateTasks(TaskRequests),
}

/// A task the `createTasks` sink asks the caller to create.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskToCreate {
    pub node_id: String,
    pub title: String,
    pub description: String,
}

/// What a sink holds when its input ends.
pub(super) enum SinkResult {
    Rows(StoredRows),
    Tasks(Vec<TaskToCreate>),
}

impl Operator {
    /// The operator for a transform or sink; sources are not operators. Fails when the config
    /// cannot be used (an expression that does not compile).
    pub(super) fn new(node: &Node, max_stored_rows: usize) -> Result<Operator, String> {
        let config = &node.config;
        Ok(match node.component.as_str() {
            "filter" => Operator::Filter(Expression::compile(
                config["expression"].as_str().unwrap_or_default(),
            )?),
            "map" => Operator::Map(Projection::new(config)?),
            "limit" => Operator::Limit {
                skip: config["offset"].as_u64().unwrap_or(0) as usize,
                remaining: config["count"].as_u64().unwrap_or(0) as usize,
            },
            "deduplicate" => Operator::Deduplicate {
                keys: strings(&config["keys"]),
                seen: HashSet::new(),
            },
            "validate" => Operator::Validate(RowCheck::new(config)),
            "union" => Operator::Union,
            "sort" => Operator::Sort(Sorting::new(config)),
            "aggregate" => Operator::Aggregate(Grouping::new(config)),
            "join" => Operator::Join(Join::new(config)),
            "runOutput" => Operator::RunOutput(StoredRows::new(max_stored_rows)),
            "csvExport" => Operator::CsvExport(CsvExport::new(node)),
            "createTasks" => Operator::CreateTasks(TaskRequests::new(node)),
            other => return Err(format!("`{other}` is not a component")),
        })
    }

    /// Which input ports are read first. A join reads its whole right side before the left
    /// streams past it; a union passes its first input on before its second.
    pub(super) fn input_priority(component: &str) -> &'static [&'static str] {
        match component {
            "join" => &["right", "left"],
            "union" => &["first", "second"],
            _ => &["in"],
        }
    }

    /// True once the operator will take no more rows (a limit that has them all).
    pub(super) fn satisfied(&self) -> bool {
        matches!(self, Operator::Limit { remaining: 0, .. })
    }

    /// Takes the `position`-th row (1-based, across the node's inputs) arriving on `port`.
    pub(super) fn accept(
        &mut self,
        port: &str,
        row: Row,
        position: u64,
        parameters: &Row,
        emitted: &mut Emitted,
    ) -> Result<(), String> {
        let at_row = |message: String| format!("row {position}: {message}");
        match self {
            Operator::Filter(expression) => match expression.evaluate(&row, parameters) {
                Ok(Value::Bool(true)) => emitted.push((OUT, row)),
                Ok(Value::Bool(false)) => {}
                Ok(other) => {
                    return Err(at_row(format!(
                        "the filter gave {other}, not true or false"
                    )))
                }
                Err(message) => return Err(at_row(message)),
            },
            Operator::Map(projection) => {
                emitted.push((OUT, projection.apply(row, parameters).map_err(at_row)?))
            }
            Operator::Limit { skip, remaining } => {
                if *skip > 0 {
                    *skip -= 1;
                } else if *remaining > 0 {
                    *remaining -= 1;
                    emitted.push((OUT, row));
                }
            }
            Operator::Deduplicate { keys, seen } => {
                if seen.insert(key_text(&key_of(&row, keys))) {
                    emitted.push((OUT, row));
                }
            }
            Operator::Validate(check) => check.apply(row, emitted),
            Operator::Union => emitted.push((OUT, row)),
            Operator::Sort(sorting) => sorting.rows.push(row),
            Operator::Aggregate(grouping) => grouping.add(&row).map_err(at_row)?,
            Operator::Join(join) if port == "right" => join.index(row),
            Operator::Join(join) => join.probe(row, emitted),
            Operator::RunOutput(stored) => stored.push(row),
            Operator::CsvExport(export) => export.push(row),
            Operator::CreateTasks(requests) => requests.push(&row).map_err(at_row)?,
        }
        Ok(())
    }

    /// The input has ended: blocking operators emit what they held.
    pub(super) fn finish(&mut self, emitted: &mut Emitted) {
        match self {
            Operator::Sort(sorting) => {
                emitted.extend(sorting.sorted().into_iter().map(|row| (OUT, row)))
            }
            Operator::Aggregate(grouping) => {
                emitted.extend(grouping.results().into_iter().map(|row| (OUT, row)))
            }
            _ => {}
        }
    }

    /// What a sink leaves for the run's result.
    pub(super) fn into_sink_result(self) -> Option<SinkResult> {
        match self {
            Operator::RunOutput(stored) => Some(SinkResult::Rows(stored)),
            Operator::CsvExport(export) => Some(SinkResult::Rows(export.into_stored())),
            Operator::CreateTasks(requests) => Some(SinkResult::Tasks(requests.tasks)),
            _ => None,
        }
    }
}

/// Rows a sink keeps for the stored output: the first `cap`, and a count of them all.
pub(super) struct StoredRows {
    pub rows: Vec<Row>,
    pub total: usize,
    cap: usize,
}

impl StoredRows {
    fn new(cap: usize) -> Self {
        StoredRows {
            rows: Vec::new(),
            total: 0,
            cap,
        }
    }

    fn push(&mut self, row: Row) {
        self.total += 1;
        if self.rows.len() < self.cap {
            self.rows.push(row);
        }
    }
}

pub(super) struct Projection {
    fields: Vec<(String, Expression)>,
    keep_existing: bool,
}

impl Projection {
    fn new(config: &Value) -> Result<Self, String> {
        let mut fields = Vec::new();
        for (name, text) in config["fields"].as_object().into_iter().flatten() {
            fields.push((
                name.clone(),
                Expression::compile(text.as_str().unwrap_or_default())?,
            ));
        }
        Ok(Projection {
            fields,
            keep_existing: config["keepExisting"] == true,
        })
    }

    fn apply(&self, row: Row, parameters: &Row) -> Result<Row, String> {
        let mut next = if self.keep_existing {
            row.clone()
        } else {
            Row::new()
        };
        for (name, expression) in &self.fields {
            let value = expression
                .evaluate(&row, parameters)
                .map_err(|message| format!("field `{name}`: {message}"))?;
            next.insert(name.clone(), value);
        }
        Ok(next)
    }
}

pub(super) struct RowCheck {
    required: Vec<String>,
    types: BTreeMap<String, FieldType>,
    route: bool,
}

impl RowCheck {
    fn new(config: &Value) -> Self {
        RowCheck {
            required: strings(&config["required"]),
            types: declared_types(config),
            route: config["invalidRows"] == "route",
        }
    }

    fn apply(&self, mut row: Row, emitted: &mut Emitted) {
        let mut errors = Vec::new();
        for field in &self.required {
            if row.get(field).is_none_or(Value::is_null) {
                errors.push(format!("`{field}` is required"));
            }
        }
        for (field, kind) in &self.types {
            match row.get(field) {
                Some(value) if !value.is_null() && !kind.admits(value) => {
                    errors.push(format!("`{field}` must be {}", kind.as_str()))
                }
                _ => {}
            }
        }
        if errors.is_empty() {
            emitted.push(("valid", row));
        } else if self.route {
            row.insert("_errors".into(), json!(errors));
            emitted.push(("invalid", row));
        }
    }
}

pub(super) struct Sorting {
    keys: Vec<(String, bool)>,
    rows: Vec<Row>,
}

impl Sorting {
    fn new(config: &Value) -> Self {
        let keys = config["keys"]
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
        Sorting {
            keys,
            rows: Vec::new(),
        }
    }

    fn sorted(&mut self) -> Vec<Row> {
        let mut rows = std::mem::take(&mut self.rows);
        let null = Value::Null;
        rows.sort_by(|a, b| {
            self.keys
                .iter()
                .map(|(field, descending)| {
                    let ordering = compare_values(
                        a.get(field).unwrap_or(&null),
                        b.get(field).unwrap_or(&null),
                    );
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

    fn add(&mut self, op: &str, field: Option<&String>, row: &Row) -> Result<(), String> {
        self.count += 1;
        let Some(field) = field else { return Ok(()) };
        let value = match row.get(field) {
            None | Some(Value::Null) => return Ok(()),
            Some(value) => value,
        };
        self.present += 1;
        if op == "sum" || op == "avg" {
            let Some(amount) = value.as_f64() else {
                return Err(format!(
                    "`{field}` is {value}, not a number; {op} needs numbers"
                ));
            };
            self.sum += amount;
            self.numbers += 1;
            self.integer_sum = match (self.integer_sum, value.as_i64()) {
                (Some(total), Some(item)) => total.checked_add(item),
                _ => None,
            };
        }
        if self
            .min
            .as_ref()
            .is_none_or(|min| compare_values(value, min).is_lt())
        {
            self.min = Some(value.clone());
        }
        if self
            .max
            .as_ref()
            .is_none_or(|max| compare_values(value, max).is_gt())
        {
            self.max = Some(value.clone());
        }
        Ok(())
    }

    fn result(self, op: &str, field: Option<&String>) -> Value {
        match op {
            "count" if field.is_none() => json!(self.count),
            "count" => json!(self.present),
            "sum" => self
                .integer_sum
                .map_or_else(|| number(self.sum), Value::from),
            "avg" if self.numbers == 0 => Value::Null,
            "avg" => number(self.sum / self.numbers as f64),
            "min" => self.min.unwrap_or(Value::Null),
            _ => self.max.unwrap_or(Value::Null),
        }
    }
}

fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// Group-by state: one accumulator per aggregate per group, groups in order of first sight.
pub(super) struct Grouping {
    group_by: Vec<String>,
    /// Output name, operation and field of each aggregate.
    specs: Vec<(String, String, Option<String>)>,
    order: Vec<Vec<Value>>,
    groups: HashMap<String, Vec<Accumulator>>,
}

impl Grouping {
    fn new(config: &Value) -> Self {
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
        let mut grouping = Grouping {
            group_by,
            specs,
            order: Vec::new(),
            groups: HashMap::new(),
        };
        // Without a group-by there is exactly one group, even over no rows.
        if grouping.group_by.is_empty() {
            grouping.order.push(Vec::new());
            grouping.groups.insert(
                key_text(&[]),
                vec![Accumulator::new(); grouping.specs.len()],
            );
        }
        grouping
    }

    fn add(&mut self, row: &Row) -> Result<(), String> {
        let key = key_of(row, &self.group_by);
        let text = key_text(&key);
        let specs = self.specs.len();
        let order = &mut self.order;
        let accumulators = self.groups.entry(text).or_insert_with(|| {
            order.push(key);
            vec![Accumulator::new(); specs]
        });
        for ((_, op, field), accumulator) in self.specs.iter().zip(accumulators.iter_mut()) {
            accumulator.add(op, field.as_ref(), row)?;
        }
        Ok(())
    }

    fn results(&mut self) -> Vec<Row> {
        let mut output = Vec::with_capacity(self.order.len());
        for key in std::mem::take(&mut self.order) {
            let Some(accumulators) = self.groups.remove(&key_text(&key)) else {
                continue;
            };
            let mut row = Row::new();
            for (field, value) in self.group_by.iter().zip(key) {
                row.insert(field.clone(), value);
            }
            for ((name, op, field), accumulator) in self.specs.iter().zip(accumulators) {
                row.insert(name.clone(), accumulator.result(op, field.as_ref()));
            }
            output.push(row);
        }
        output
    }
}

/// A hash join: the right side is indexed as it arrives, then each left row is probed.
pub(super) struct Join {
    left_keys: Vec<String>,
    right_keys: Vec<String>,
    keep_unmatched: bool,
    right: Vec<Row>,
    index: HashMap<String, Vec<usize>>,
}

impl Join {
    fn new(config: &Value) -> Self {
        let (left_keys, right_keys) = config["on"]
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
        Join {
            left_keys,
            right_keys,
            keep_unmatched: config["kind"] == "left",
            right: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn index(&mut self, row: Row) {
        let key = key_of(&row, &self.right_keys);
        // A null key matches nothing, as in SQL.
        if key.iter().any(Value::is_null) {
            return;
        }
        self.index
            .entry(key_text(&key))
            .or_default()
            .push(self.right.len());
        self.right.push(row);
    }

    fn probe(&self, row: Row, emitted: &mut Emitted) {
        let key = key_of(&row, &self.left_keys);
        let matches = if key.iter().any(Value::is_null) {
            None
        } else {
            self.index.get(&key_text(&key))
        };
        let Some(matches) = matches else {
            if self.keep_unmatched {
                emitted.push((OUT, row));
            }
            return;
        };
        for &matched in matches {
            let mut merged = row.clone();
            for (name, value) in &self.right[matched] {
                if self.right_keys.contains(name) && self.left_keys.contains(name) {
                    continue;
                }
                let name = if merged.contains_key(name) {
                    format!("right_{name}")
                } else {
                    name.clone()
                };
                merged.insert(name, value.clone());
            }
            emitted.push((OUT, merged));
        }
    }
}

/// CSV export: with its columns configured the text is written as rows pass; otherwise the
/// columns are every field seen, in order of first sight, so the rows wait for the end.
pub(super) struct CsvExport {
    node_id: String,
    delimiter: char,
    columns: Option<Vec<String>>,
    text: String,
    waiting: Vec<Row>,
}

impl CsvExport {
    fn new(node: &Node) -> Self {
        let delimiter = delimiter_of(&node.config);
        let columns = node.config.get("columns").map(strings);
        let text = match &columns {
            Some(columns) => csv::write(&[], columns, delimiter),
            None => String::new(),
        };
        CsvExport {
            node_id: node.id.clone(),
            delimiter,
            columns,
            text,
            waiting: Vec::new(),
        }
    }

    fn push(&mut self, row: Row) {
        match &self.columns {
            Some(columns) => csv::write_row(&mut self.text, &row, columns, self.delimiter),
            None => self.waiting.push(row),
        }
    }

    fn into_stored(self) -> StoredRows {
        let text = match self.columns {
            Some(_) => self.text,
            None => {
                let columns = columns_in_order(&self.waiting);
                csv::write(&self.waiting, &columns, self.delimiter)
            }
        };
        let mut row = Row::new();
        row.insert("node".into(), json!(self.node_id));
        row.insert("csv".into(), Value::String(text));
        StoredRows {
            rows: vec![row],
            total: 1,
            cap: 1,
        }
    }
}

fn columns_in_order(rows: &[Row]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for key in row.keys() {
            if seen.insert(key.as_str()) {
                columns.push(key.clone());
            }
        }
    }
    columns
}

/// The `createTasks` sink: one task request per row; the caller creates them in one
/// transaction after the run.
pub(super) struct TaskRequests {
    node_id: String,
    title_field: String,
    description_field: Option<String>,
    tasks: Vec<TaskToCreate>,
}

impl TaskRequests {
    fn new(node: &Node) -> Self {
        TaskRequests {
            node_id: node.id.clone(),
            title_field: node.config["titleField"]
                .as_str()
                .unwrap_or("title")
                .to_string(),
            description_field: node.config["descriptionField"].as_str().map(str::to_string),
            tasks: Vec::new(),
        }
    }

    fn push(&mut self, row: &Row) -> Result<(), String> {
        let title = row
            .get(&self.title_field)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{}` is not a string", self.title_field))?;
        let description = self
            .description_field
            .as_ref()
            .and_then(|field| row.get(field))
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.tasks.push(TaskToCreate {
            node_id: self.node_id.clone(),
            title: title.to_string(),
            description: description.to_string(),
        });
        Ok(())
    }
}
