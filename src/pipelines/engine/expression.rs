//! Expressions in filter and map configs: the evalexpr language (arithmetic, comparison, boolean
//! logic, string concatenation, a few pure functions) with a sandbox around it. It has no
//! loops, and we refuse at compile time anything that could reach beyond the row: assignments,
//! and every function outside a pure allowlist (so no regex, no randomness; evalexpr has no
//! file, network or process access at all). Budgets: the expression text and its tree size are
//! bounded when compiled, and the text a row's evaluation can build is bounded before it runs.

use evalexpr::{Context, DefaultNumericTypes, EvalexprError, Node, Value as ExprValue};
use serde_json::Value;

use super::{catalogue::MAX_EXPRESSION_LENGTH, rows::Row};

/// Operators and operands in one expression; a tree this size evaluates in microseconds.
pub const MAX_EXPRESSION_NODES: usize = 400;
/// Text one evaluation may handle: an upper bound on any string it can build.
pub const MAX_EXPRESSION_TEXT_BYTES: usize = 1024 * 1024;

const ALLOWED_FUNCTIONS: &[&str] = &[
    "if",
    "min",
    "max",
    "len",
    "contains",
    "contains_any",
    "typeof",
    "floor",
    "round",
    "ceil",
    "math::abs",
    "math::sqrt",
    "math::pow",
    "math::ln",
    "math::log",
    "math::exp",
    "str::to_lowercase",
    "str::to_uppercase",
    "str::trim",
    "str::from",
    "str::substring",
];

/// Run parameters are visible to expressions under this prefix: `params.threshold`.
const PARAMETER_PREFIX: &str = "params.";

#[derive(Debug, Clone)]
pub struct Expression {
    tree: Node<DefaultNumericTypes>,
    /// Each variable the expression reads, with how many times it appears.
    variables: Vec<(String, usize)>,
    literal_bytes: usize,
}

impl Expression {
    /// Parses and checks `text`; the error is a sentence for the person who wrote it.
    pub fn compile(text: &str) -> Result<Expression, String> {
        if text.len() > MAX_EXPRESSION_LENGTH as usize {
            return Err(format!(
                "the expression is longer than {MAX_EXPRESSION_LENGTH} characters"
            ));
        }
        let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(text)
            .map_err(|error| format!("the expression does not parse: {error}"))?;
        let size = tree.iter().count();
        if size > MAX_EXPRESSION_NODES {
            return Err(format!(
                "the expression has {size} operators and operands; at most {MAX_EXPRESSION_NODES} are allowed"
            ));
        }
        if let Some(variable) = tree.iter_write_variable_identifiers().next() {
            return Err(format!(
                "expressions cannot assign variables (`{variable}`)"
            ));
        }
        if let Some(function) = tree
            .iter_function_identifiers()
            .find(|function| !ALLOWED_FUNCTIONS.contains(function))
        {
            return Err(format!(
                "the function `{function}` is not available; expressions may use {}",
                ALLOWED_FUNCTIONS.join(", ")
            ));
        }
        let mut variables: Vec<(String, usize)> = Vec::new();
        for name in tree.iter_read_variable_identifiers() {
            match variables.iter_mut().find(|(known, _)| known == name) {
                Some((_, count)) => *count += 1,
                None => variables.push((name.to_string(), 1)),
            }
        }
        let literal_bytes = tree
            .iter()
            .filter_map(|node| match node.operator() {
                evalexpr::Operator::Const {
                    value: ExprValue::String(text),
                } => Some(text.len()),
                _ => None,
            })
            .sum();
        Ok(Expression {
            tree,
            variables,
            literal_bytes,
        })
    }

    /// Evaluates against one row; fields by name, missing fields are empty `()`.
    pub fn evaluate(&self, row: &Row, parameters: &Row) -> Result<Value, String> {
        let mut budget = self.literal_bytes;
        let mut values = Vec::with_capacity(self.variables.len());
        for (name, uses) in &self.variables {
            let json = match name.strip_prefix(PARAMETER_PREFIX) {
                Some(parameter) => parameters.get(parameter),
                None => row.get(name),
            };
            let value = json.map_or(ExprValue::Empty, to_expression_value);
            budget = budget.saturating_add(text_size(&value).saturating_mul(*uses));
            values.push((name.clone(), value));
        }
        if budget > MAX_EXPRESSION_TEXT_BYTES {
            return Err(format!(
                "the expression could build {budget} bytes of text from this row; the limit is {MAX_EXPRESSION_TEXT_BYTES}"
            ));
        }
        let context = RowContext { values };
        let value = self.tree.eval_with_context(&context).map_err(describe)?;
        to_json(value)
    }
}

fn describe(error: EvalexprError<DefaultNumericTypes>) -> String {
    format!("the expression failed: {error}")
}

fn text_size(value: &ExprValue) -> usize {
    match value {
        ExprValue::String(text) => text.len(),
        ExprValue::Tuple(items) => items.iter().map(text_size).sum::<usize>() + items.len(),
        _ => 24,
    }
}

fn to_expression_value(value: &Value) -> ExprValue {
    match value {
        Value::Null => ExprValue::Empty,
        Value::Bool(flag) => ExprValue::Boolean(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => ExprValue::Int(integer),
            None => ExprValue::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => ExprValue::String(text.clone()),
        Value::Array(items) => ExprValue::Tuple(items.iter().map(to_expression_value).collect()),
        Value::Object(_) => ExprValue::String(value.to_string()),
    }
}

fn to_json(value: ExprValue) -> Result<Value, String> {
    Ok(match value {
        ExprValue::Empty => Value::Null,
        ExprValue::Boolean(flag) => Value::Bool(flag),
        ExprValue::Int(integer) => Value::from(integer),
        ExprValue::Float(float) => serde_json::Number::from_f64(float)
            .map(Value::Number)
            .ok_or_else(|| format!("the expression gave {float}, which is not a finite number"))?,
        ExprValue::String(text) => Value::String(text),
        ExprValue::Tuple(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
    })
}

/// The variables of one evaluation; read-only, with only the allowlisted builtin functions.
struct RowContext {
    values: Vec<(String, ExprValue)>,
}

impl Context for RowContext {
    type NumericTypes = DefaultNumericTypes;

    fn get_value(&self, identifier: &str) -> Option<&ExprValue> {
        self.values
            .iter()
            .find(|(name, _)| name == identifier)
            .map(|(_, value)| value)
    }

    fn call_function(
        &self,
        identifier: &str,
        _argument: &ExprValue,
    ) -> evalexpr::error::EvalexprResultValue<DefaultNumericTypes> {
        Err(EvalexprError::FunctionIdentifierNotFound(
            identifier.to_string(),
        ))
    }

    fn are_builtin_functions_disabled(&self) -> bool {
        false
    }

    fn set_builtin_functions_disabled(
        &mut self,
        _disabled: bool,
    ) -> evalexpr::EvalexprResult<(), DefaultNumericTypes> {
        Err(EvalexprError::BuiltinFunctionsCannotBeDisabled)
    }
}
