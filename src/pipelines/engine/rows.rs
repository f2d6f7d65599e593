//! Rows are JSON objects. This module owns the total order on values used by sort and grouping,
//! and the field types named by row schemas, CSV columns and the validate component.

use std::cmp::Ordering;

use serde_json::Value;

pub type Row = serde_json::Map<String, Value>;

/// The type of a field as a row schema or a config names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Any,
}

impl FieldType {
    pub fn parse(name: &str) -> Option<FieldType> {
        Some(match name {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "number" => FieldType::Number,
            "boolean" => FieldType::Boolean,
            "any" => FieldType::Any,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Any => "any",
        }
    }

    /// Does `value` have this type? Null has none: required-ness is checked separately.
    pub fn admits(self, value: &Value) -> bool {
        match self {
            FieldType::Any => true,
            FieldType::String => value.is_string(),
            FieldType::Integer => value.is_i64() || value.is_u64(),
            FieldType::Number => value.is_number(),
            FieldType::Boolean => value.is_boolean(),
        }
    }

    /// Can a field of type `self` flow into a port expecting `expected`?
    pub fn fits(self, expected: FieldType) -> bool {
        self == expected
            || expected == FieldType::Any
            || self == FieldType::Any
            || (self == FieldType::Integer && expected == FieldType::Number)
    }
}

fn type_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// A total order over JSON values: null < booleans < numbers < strings < arrays < objects.
pub fn compare_values(left: &Value, right: &Value) -> Ordering {
    match (left, right) {
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => {
                let a = a.as_f64().unwrap_or(f64::NAN);
                let b = b.as_f64().unwrap_or(f64::NAN);
                a.total_cmp(&b)
            }
        },
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b)
            .map(|(a, b)| compare_values(a, b))
            .find(|ordering| ordering.is_ne())
            .unwrap_or_else(|| a.len().cmp(&b.len())),
        (Value::Object(_), Value::Object(_)) => left.to_string().cmp(&right.to_string()),
        _ => type_rank(left).cmp(&type_rank(right)),
    }
}

/// The values of `keys` in `row` (missing fields are null), as one comparable key.
pub fn key_of(row: &Row, keys: &[String]) -> Vec<Value> {
    keys.iter()
        .map(|key| row.get(key).cloned().unwrap_or(Value::Null))
        .collect()
}

/// A hashable form of a key: JSON text is canonical for the values rows hold (maps are ordered).
pub fn key_text(key: &[Value]) -> String {
    serde_json::to_string(key).unwrap_or_default()
}
