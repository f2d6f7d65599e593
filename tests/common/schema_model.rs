//! The served schema as a client tool sees it: read once by introspection, then used to write
//! operations for every root field (the NUL sweep of `tests/unstorable_text.rs`, the random
//! operations of `tests/fuzz.rs`).

use std::collections::HashMap;

use serde_json::{json, Value};

use super::TestApp;

/// A type reference: `[String!]!` is `NonNull(List(NonNull(Named("String"))))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn from_introspection(value: &Value) -> TypeRef {
        match value["kind"].as_str() {
            Some("NON_NULL") => {
                TypeRef::NonNull(Box::new(Self::from_introspection(&value["ofType"])))
            }
            Some("LIST") => TypeRef::List(Box::new(Self::from_introspection(&value["ofType"]))),
            _ => TypeRef::Named(value["name"].as_str().unwrap_or_default().to_string()),
        }
    }

    /// The type as written in a variable definition.
    pub fn render(&self) -> String {
        match self {
            TypeRef::Named(name) => name.clone(),
            TypeRef::List(inner) => format!("[{}]", inner.render()),
            TypeRef::NonNull(inner) => format!("{}!", inner.render()),
        }
    }

    pub fn named(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.named(),
        }
    }

    pub fn is_non_null(&self) -> bool {
        matches!(self, TypeRef::NonNull(_))
    }
}

#[derive(Debug, Clone)]
pub struct InputValue {
    pub name: String,
    pub ty: TypeRef,
    pub has_default: bool,
}

impl InputValue {
    /// Must be given: non-null without a default.
    pub fn required(&self) -> bool {
        self.ty.is_non_null() && !self.has_default
    }
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub args: Vec<InputValue>,
    pub ty: TypeRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub kind: Kind,
    pub fields: Vec<FieldDef>,
    pub input_fields: Vec<InputValue>,
    pub enum_values: Vec<String>,
    pub possible_types: Vec<String>,
}

/// The root operation types and every named type.
#[derive(Debug, Clone)]
pub struct SchemaModel {
    pub types: HashMap<String, TypeDef>,
    pub query: String,
    pub mutation: String,
    pub subscription: String,
}

const INTROSPECTION: &str = "query SchemaModel {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      enumValues { name }
      possibleTypes { name }
      fields { name args { ...Input } type { ...Ref } }
      inputFields { ...Input }
    }
  }
}
fragment Input on __InputValue { name defaultValue type { ...Ref } }
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

fn input_values(values: &Value) -> Vec<InputValue> {
    values
        .as_array()
        .into_iter()
        .flatten()
        .map(|value| InputValue {
            name: value["name"].as_str().unwrap_or_default().to_string(),
            ty: TypeRef::from_introspection(&value["type"]),
            has_default: !value["defaultValue"].is_null(),
        })
        .collect()
}

impl SchemaModel {
    pub async fn introspect(app: &TestApp) -> SchemaModel {
        let body = app.graphql(INTROSPECTION, json!({})).await;
        let schema = &super::data(&body)["__schema"];
        let mut types = HashMap::new();
        for ty in schema["types"].as_array().expect("types") {
            let kind = match ty["kind"].as_str() {
                Some("OBJECT") => Kind::Object,
                Some("INTERFACE") => Kind::Interface,
                Some("UNION") => Kind::Union,
                Some("ENUM") => Kind::Enum,
                Some("INPUT_OBJECT") => Kind::InputObject,
                _ => Kind::Scalar,
            };
            let name = ty["name"].as_str().unwrap_or_default().to_string();
            let fields = ty["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|field| FieldDef {
                    name: field["name"].as_str().unwrap_or_default().to_string(),
                    args: input_values(&field["args"]),
                    ty: TypeRef::from_introspection(&field["type"]),
                })
                .collect();
            let names = |list: &Value| -> Vec<String> {
                list.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|item| item["name"].as_str().map(str::to_string))
                    .collect()
            };
            types.insert(
                name.clone(),
                TypeDef {
                    name,
                    kind,
                    fields,
                    input_fields: input_values(&ty["inputFields"]),
                    enum_values: names(&ty["enumValues"]),
                    possible_types: names(&ty["possibleTypes"]),
                },
            );
        }
        let root = |key: &str| schema[key]["name"].as_str().unwrap_or_default().to_string();
        SchemaModel {
            types,
            query: root("queryType"),
            mutation: root("mutationType"),
            subscription: root("subscriptionType"),
        }
    }

    pub fn kind_of(&self, name: &str) -> Kind {
        self.types.get(name).map_or(Kind::Scalar, |ty| ty.kind)
    }

    /// The root fields of each operation type, as (keyword, field).
    pub fn root_fields(&self) -> Vec<(&'static str, &FieldDef)> {
        [
            ("query", &self.query),
            ("mutation", &self.mutation),
            ("subscription", &self.subscription),
        ]
        .into_iter()
        .filter_map(|(keyword, name)| Some((keyword, self.types.get(name)?)))
        .flat_map(|(keyword, ty)| ty.fields.iter().map(move |field| (keyword, field)))
        .collect()
    }

    /// `{ __typename }` for a composite type, nothing for a leaf.
    pub fn minimal_selection(&self, ty: &TypeRef) -> &'static str {
        match self.kind_of(ty.named()) {
            Kind::Object | Kind::Interface | Kind::Union => " { __typename }",
            _ => "",
        }
    }

    /// A value of `ty` that is well-formed (though it may name nothing that exists): every
    /// required input field is filled, optional ones left out.
    pub fn filler(&self, ty: &TypeRef) -> Value {
        match ty {
            TypeRef::NonNull(inner) => self.filler(inner),
            TypeRef::List(inner) => json!([self.filler(inner)]),
            TypeRef::Named(name) => match name.as_str() {
                "String" | "ID" => json!("x"),
                "Int" => json!(1),
                "Float" => json!(1.5),
                "Boolean" => json!(false),
                "DateTime" => json!("2030-01-01T00:00:00Z"),
                "JSON" => json!({}),
                "Upload" => Value::Null,
                _ => match self.types.get(name) {
                    Some(TypeDef {
                        kind: Kind::Enum,
                        enum_values,
                        ..
                    }) => json!(enum_values.first().cloned().unwrap_or_default()),
                    Some(TypeDef {
                        kind: Kind::InputObject,
                        input_fields,
                        ..
                    }) => Value::Object(
                        input_fields
                            .iter()
                            .filter(|field| field.required())
                            .map(|field| (field.name.clone(), self.filler(&field.ty)))
                            .collect(),
                    ),
                    _ => json!("x"),
                },
            },
        }
    }
}

/// A JSON value written as a GraphQL literal (object keys bare, strings escaped as JSON does,
/// which GraphQL reads the same). Enum values must be passed through `enum_literal`.
pub fn graphql_literal(value: &Value, ty: &TypeRef, model: &SchemaModel) -> String {
    match (value, ty) {
        (Value::Null, _) => "null".to_string(),
        (_, TypeRef::NonNull(inner)) => graphql_literal(value, inner, model),
        (Value::Array(items), TypeRef::List(inner)) => format!(
            "[{}]",
            items
                .iter()
                .map(|item| graphql_literal(item, inner, model))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (_, TypeRef::List(inner)) => graphql_literal(value, inner, model),
        (value, TypeRef::Named(name)) => match model.types.get(name) {
            Some(TypeDef {
                kind: Kind::Enum, ..
            }) => value.as_str().unwrap_or("UNKNOWN").to_string(),
            Some(TypeDef {
                kind: Kind::InputObject,
                input_fields,
                ..
            }) => match value {
                Value::Object(fields) => format!(
                    "{{ {} }}",
                    fields
                        .iter()
                        .map(|(key, field)| {
                            let ty = input_fields
                                .iter()
                                .find(|input| &input.name == key)
                                .map(|input| input.ty.clone())
                                .unwrap_or(TypeRef::Named("String".into()));
                            format!("{key}: {}", graphql_literal(field, &ty, model))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => json_literal(other),
            },
            _ => json_literal(value),
        },
    }
}

/// Any JSON value as a GraphQL literal (for JSON scalars and built-in scalars).
pub fn json_literal(value: &Value) -> String {
    match value {
        Value::Object(fields) => format!(
            "{{ {} }}",
            fields
                .iter()
                .filter(|(key, _)| is_graphql_name(key))
                .map(|(key, field)| format!("{key}: {}", json_literal(field)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(json_literal)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn is_graphql_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}
