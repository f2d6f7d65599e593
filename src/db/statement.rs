//! Hand-written SQL that the connection keeps as a prepared statement. `diesel::sql_query` marks
//! its text unsafe to cache, so every run parses and plans it again and costs an extra round
//! trip (prepare, then execute); a `Statement` is cached by its text like any query diesel
//! builds, so a statement whose text varies only with a few options (a page's order, its
//! filters) is prepared once per variant and connection.

use chrono::{DateTime, Utc};
use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::{Array, BigInt, Nullable, SmallInt, Text, Timestamptz, Untyped, Uuid as SqlUuid},
    QueryResult,
};
use uuid::Uuid;

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    Uuids(Vec<Uuid>),
    Uuid(Uuid),
    Text(String),
    /// A stored enum's name (`stored_name()`).
    Name(&'static str),
    SmallInt(i16),
    BigInt(i64),
    Time(DateTime<Utc>),
    MaybeTime(Option<DateTime<Utc>>),
}

#[derive(Debug, Clone)]
enum Part {
    Sql(String),
    Bind(Bind),
}

/// SQL text with its binds in place; rows are read by name (`QueryableByName`).
#[derive(Debug, Clone, Default)]
pub struct Statement {
    parts: Vec<Part>,
}

impl Statement {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sql(&mut self, sql: &str) -> &mut Self {
        match self.parts.last_mut() {
            Some(Part::Sql(text)) => text.push_str(sql),
            _ => self.parts.push(Part::Sql(sql.to_string())),
        }
        self
    }

    /// A placeholder (`$n`, numbered when the statement is written) bound to `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.parts.push(Part::Bind(value));
        self
    }
}

impl QueryFragment<Pg> for Statement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(sql) => out.push_sql(sql),
                Part::Bind(Bind::Uuids(value)) => {
                    out.push_bind_param::<Array<SqlUuid>, _>(value)?
                }
                Part::Bind(Bind::Uuid(value)) => out.push_bind_param::<SqlUuid, _>(value)?,
                Part::Bind(Bind::Text(value)) => out.push_bind_param::<Text, _>(value)?,
                Part::Bind(Bind::Name(value)) => out.push_bind_param::<Text, _>(value)?,
                Part::Bind(Bind::SmallInt(value)) => out.push_bind_param::<SmallInt, _>(value)?,
                Part::Bind(Bind::BigInt(value)) => out.push_bind_param::<BigInt, _>(value)?,
                Part::Bind(Bind::Time(value)) => out.push_bind_param::<Timestamptz, _>(value)?,
                Part::Bind(Bind::MaybeTime(value)) => {
                    out.push_bind_param::<Nullable<Timestamptz>, _>(value)?
                }
            }
        }
        Ok(())
    }
}

/// No static id: the cache keys the statement by its text and bind types.
impl QueryId for Statement {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement {
    type SqlType = Untyped;
}
