//! The component catalogue: every component's kind, ports with their row schema, and the JSON
//! Schema of its config. Behaviour lives in `execute`; this is the description clients render.

use std::sync::LazyLock;

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    Source,
    Transform,
    Sink,
    Validation,
}

impl ComponentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Source => "SOURCE",
            ComponentKind::Transform => "TRANSFORM",
            ComponentKind::Sink => "SINK",
            ComponentKind::Validation => "VALIDATION",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PortSpec {
    pub name: &'static str,
    pub required: bool,
    pub description: &'static str,
    /// JSON Schema of one row on this port (fields the component reads or always writes).
    pub row_schema: Value,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub name: &'static str,
    pub kind: ComponentKind,
    pub description: &'static str,
    pub inputs: Vec<PortSpec>,
    pub outputs: Vec<PortSpec>,
    pub config_schema: Value,
}

impl Component {
    pub fn input(&self, name: &str) -> Option<&PortSpec> {
        self.inputs.iter().find(|port| port.name == name)
    }

    pub fn output(&self, name: &str) -> Option<&PortSpec> {
        self.outputs.iter().find(|port| port.name == name)
    }
}

/// Largest CSV text a node config may hold; the request body limit is the tighter bound today.
pub const MAX_CSV_TEXT: u64 = 8 * 1024 * 1024;
pub const MAX_INLINE_ROWS: u64 = 10_000;
pub const MAX_EXPRESSION_LENGTH: u64 = 2_000;

fn any_rows() -> Value {
    json!({ "type": "object" })
}

fn port(name: &'static str, description: &'static str) -> PortSpec {
    PortSpec {
        name,
        required: true,
        description,
        row_schema: any_rows(),
    }
}

fn rows_in() -> Vec<PortSpec> {
    vec![port("in", "rows to process")]
}

fn rows_out() -> Vec<PortSpec> {
    vec![port("out", "the resulting rows")]
}

fn field_list(min_items: u64) -> Value {
    json!({ "type": "array", "minItems": min_items, "maxItems": 32,
            "items": { "type": "string", "minLength": 1, "maxLength": 200 } })
}

fn expression() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": MAX_EXPRESSION_LENGTH })
}

fn field_types() -> Value {
    json!({ "type": "object",
            "additionalProperties": { "enum": ["string", "integer", "number", "boolean", "any"] } })
}

fn closed(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required,
            "additionalProperties": false })
}

pub const TASK_FIELDS: &[(&str, &str)] = &[
    ("id", "string"),
    ("title", "string"),
    ("description", "string"),
    ("status", "string"),
    ("priority", "string"),
    ("labels", "any"),
    ("assigneeId", "any"),
    ("parentId", "any"),
    ("dueAt", "any"),
    ("createdAt", "string"),
];

pub const BOOKMARK_FIELDS: &[(&str, &str)] = &[
    ("id", "string"),
    ("url", "string"),
    ("title", "string"),
    ("tags", "any"),
    ("createdAt", "string"),
];

fn fixed_rows(fields: &[(&str, &str)]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(name, kind)| {
            let schema = match *kind {
                "any" => json!({}),
                other => json!({ "type": other }),
            };
            (name.to_string(), schema)
        })
        .collect();
    json!({ "type": "object", "properties": properties })
}

fn sources() -> Vec<Component> {
    let source = |name, description, outputs: Vec<PortSpec>, config_schema| Component {
        name,
        kind: ComponentKind::Source,
        description,
        inputs: Vec::new(),
        outputs,
        config_schema,
    };
    let fixed_out = |fields| {
        vec![PortSpec {
            row_schema: fixed_rows(fields),
            ..port("out", "the rows read")
        }]
    };
    vec![
        source(
            "inlineRows",
            "Rows written into the config, as a JSON array of objects.",
            rows_out(),
            closed(
                json!({ "rows": { "type": "array", "maxItems": MAX_INLINE_ROWS, "items": { "type": "object" } } }),
                &["rows"],
            ),
        ),
        source(
            "csvText",
            "CSV text with a header line; RFC 4180 quoting; columns are strings unless `types` says otherwise; an empty field is null.",
            rows_out(),
            closed(
                json!({
                    "text": { "type": "string", "maxLength": MAX_CSV_TEXT },
                    "delimiter": { "type": "string", "minLength": 1, "maxLength": 1 },
                    "types": field_types(),
                }),
                &["text"],
            ),
        ),
        source(
            "projectTasks",
            "The tasks of the pipeline's project, oldest first.",
            fixed_out(TASK_FIELDS),
            closed(json!({}), &[]),
        ),
        source(
            "myBookmarks",
            "The bookmarks of the user who runs the pipeline.",
            fixed_out(BOOKMARK_FIELDS),
            closed(json!({}), &[]),
        ),
        source(
            "previousRunOutput",
            "The stored output of an earlier run of a pipeline in the same project.",
            rows_out(),
            closed(json!({ "runId": { "type": "string", "minLength": 1 } }), &["runId"]),
        ),
    ]
}

fn transforms() -> Vec<Component> {
    let transform = |name, description, config_schema| Component {
        name,
        kind: ComponentKind::Transform,
        description,
        inputs: rows_in(),
        outputs: rows_out(),
        config_schema,
    };
    let aggregate = json!({ "type": "object", "additionalProperties": false,
        "required": ["name", "op"],
        "properties": {
            "name": { "type": "string", "minLength": 1, "maxLength": 200 },
            "op": { "enum": ["count", "sum", "avg", "min", "max"] },
            "field": { "type": "string", "minLength": 1, "maxLength": 200 },
        } });
    let sort_key = json!({ "type": "object", "additionalProperties": false, "required": ["field"],
        "properties": { "field": { "type": "string", "minLength": 1 }, "descending": { "type": "boolean" } } });
    let join_key = json!({ "type": "object", "additionalProperties": false, "required": ["left", "right"],
        "properties": { "left": { "type": "string", "minLength": 1 }, "right": { "type": "string", "minLength": 1 } } });
    vec![
        transform(
            "filter",
            "Keeps the rows for which `expression` is true (evalexpr syntax; fields by name, run parameters as `params.name`).",
            closed(json!({ "expression": expression() }), &["expression"]),
        ),
        transform(
            "map",
            "Computes each output field from an expression; `keepExisting` keeps the row's other fields.",
            closed(
                json!({
                    "fields": { "type": "object", "additionalProperties": expression() },
                    "keepExisting": { "type": "boolean" },
                }),
                &["fields"],
            ),
        ),
        transform(
            "sort",
            "Stable sort by keys: null < booleans < numbers < strings.",
            closed(
                json!({ "keys": { "type": "array", "minItems": 1, "maxItems": 16, "items": sort_key } }),
                &["keys"],
            ),
        ),
        transform(
            "limit",
            "Keeps `count` rows after skipping `offset`.",
            closed(
                json!({ "count": { "type": "integer", "minimum": 0 }, "offset": { "type": "integer", "minimum": 0 } }),
                &["count"],
            ),
        ),
        transform(
            "deduplicate",
            "Keeps the first row of each combination of `keys`.",
            closed(json!({ "keys": field_list(1) }), &["keys"]),
        ),
        transform(
            "aggregate",
            "Groups by `groupBy` (first appearance order) and computes count/sum/avg/min/max; nulls are skipped; with no groupBy, empty input gives one row (count 0, sum 0, others null).",
            closed(
                json!({
                    "groupBy": field_list(0),
                    "aggregates": { "type": "array", "minItems": 1, "maxItems": 32, "items": aggregate },
                }),
                &["aggregates"],
            ),
        ),
        Component {
            name: "join",
            kind: ComponentKind::Transform,
            description: "Joins `left` and `right` rows on equal keys (inner or left); right fields that clash with left ones are prefixed `right_`; a null key never matches.",
            inputs: vec![port("left", "rows kept by a left join"), port("right", "rows looked up")],
            outputs: rows_out(),
            config_schema: closed(
                json!({
                    "on": { "type": "array", "minItems": 1, "maxItems": 8, "items": join_key },
                    "kind": { "enum": ["inner", "left"] },
                }),
                &["on"],
            ),
        },
        Component {
            name: "union",
            kind: ComponentKind::Transform,
            description: "The rows of `first` followed by those of `second` (optional).",
            inputs: vec![
                port("first", "rows that come first"),
                PortSpec {
                    required: false,
                    ..port("second", "rows that follow")
                },
            ],
            outputs: rows_out(),
            config_schema: closed(json!({}), &[]),
        },
        Component {
            name: "validate",
            kind: ComponentKind::Validation,
            description: "Checks required fields and field types; invalid rows are rejected (dropped and counted) or routed to `invalid` with their `_errors`.",
            inputs: rows_in(),
            outputs: vec![
                port("valid", "rows that pass"),
                PortSpec {
                    required: false,
                    ..port("invalid", "rows that fail, with an `_errors` list (invalidRows: route)")
                },
            ],
            config_schema: closed(
                json!({
                    "required": field_list(0),
                    "types": field_types(),
                    "invalidRows": { "enum": ["reject", "route"] },
                }),
                &[],
            ),
        },
    ]
}

fn sinks() -> Vec<Component> {
    let sink = |name, description, inputs: Vec<PortSpec>, config_schema| Component {
        name,
        kind: ComponentKind::Sink,
        description,
        inputs,
        outputs: Vec::new(),
        config_schema,
    };
    vec![
        sink(
            "runOutput",
            "Stores the rows as the run's output (capped; the cap is reported).",
            rows_in(),
            closed(json!({}), &[]),
        ),
        sink(
            "csvExport",
            "Writes the rows as CSV text into the run's output (one row: `{node, csv}`).",
            rows_in(),
            closed(
                json!({
                    "columns": field_list(1),
                    "delimiter": { "type": "string", "minLength": 1, "maxLength": 1 },
                }),
                &[],
            ),
        ),
        sink(
            "createTasks",
            "Creates one task per row in the pipeline's project, with the runner's permissions, in one transaction.",
            vec![PortSpec {
                row_schema: json!({ "type": "object", "required": ["title"],
                                    "properties": { "title": { "type": "string" } } }),
                ..port("in", "one row per task to create")
            }],
            closed(
                json!({
                    "titleField": { "type": "string", "minLength": 1 },
                    "descriptionField": { "type": "string", "minLength": 1 },
                }),
                &[],
            ),
        ),
    ]
}

static CATALOGUE: LazyLock<Vec<Component>> = LazyLock::new(|| {
    let mut all = sources();
    all.extend(transforms());
    all.extend(sinks());
    all
});

/// Every component, sources first, then transforms, validation and sinks.
pub fn components() -> &'static [Component] {
    &CATALOGUE
}

pub fn component(name: &str) -> Option<&'static Component> {
    CATALOGUE.iter().find(|component| component.name == name)
}
