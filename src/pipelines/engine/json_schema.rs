//! The subset of JSON Schema that component configs are described in (type, properties,
//! required, additionalProperties, items, enum, minimum/maximum, minLength/maxLength,
//! minItems/maxItems), and a validator reporting each violation at its JSON pointer.

use serde_json::Value;

/// One violation: where (a JSON pointer into the config) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaViolation {
    pub path: String,
    pub message: String,
}

/// Every violation of `schema` by `value`, in document order.
pub fn check(schema: &Value, value: &Value) -> Vec<SchemaViolation> {
    let mut violations = Vec::new();
    check_at(schema, value, "", &mut violations);
    violations
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn check_at(schema: &Value, value: &Value, path: &str, violations: &mut Vec<SchemaViolation>) {
    let mut fail = |message: String| {
        violations.push(SchemaViolation {
            path: path.to_string(),
            message,
        })
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|name| type_matches(name, value)) {
        fail(format!("must be {}", types.join(" or ")));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
            fail(format!("must be one of {}", names.join(", ")));
        }
    }
    if let Some(number) = value.as_f64() {
        if let Some(minimum) = schema["minimum"]
            .as_f64()
            .filter(|minimum| number < *minimum)
        {
            fail(format!("must be at least {minimum}"));
        }
        if let Some(maximum) = schema["maximum"]
            .as_f64()
            .filter(|maximum| number > *maximum)
        {
            fail(format!("must be at most {maximum}"));
        }
    }
    if let Some(text) = value.as_str() {
        let length = text.chars().count() as u64;
        if let Some(minimum) = schema["minLength"]
            .as_u64()
            .filter(|minimum| length < *minimum)
        {
            fail(format!("must be at least {minimum} characters"));
        }
        if let Some(maximum) = schema["maxLength"]
            .as_u64()
            .filter(|maximum| length > *maximum)
        {
            fail(format!("must be at most {maximum} characters"));
        }
    }
    if let Some(items) = value.as_array() {
        let count = items.len() as u64;
        if let Some(minimum) = schema["minItems"]
            .as_u64()
            .filter(|minimum| count < *minimum)
        {
            fail(format!("must have at least {minimum} items"));
        }
        if let Some(maximum) = schema["maxItems"]
            .as_u64()
            .filter(|maximum| count > *maximum)
        {
            fail(format!("must have at most {maximum} items"));
        }
        if schema.get("items").is_some() {
            for (position, item) in items.iter().enumerate() {
                check_at(
                    &schema["items"],
                    item,
                    &format!("{path}/{position}"),
                    violations,
                );
            }
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            if let Some(name) = required.as_str().filter(|name| !object.contains_key(*name)) {
                violations.push(SchemaViolation {
                    path: format!("{path}/{}", escape_pointer(name)),
                    message: "is required".into(),
                });
            }
        }
        for (name, member) in object {
            let member_path = format!("{path}/{}", escape_pointer(name));
            match properties.and_then(|properties| properties.get(name)) {
                Some(member_schema) => check_at(member_schema, member, &member_path, violations),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => violations.push(SchemaViolation {
                        path: member_path,
                        message: "is not a known setting".into(),
                    }),
                    additional @ Value::Object(_) => {
                        check_at(additional, member, &member_path, violations)
                    }
                    _ => {}
                },
            }
        }
    }
}
