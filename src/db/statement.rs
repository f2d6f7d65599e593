//! Hand-written SQL that the connection keeps as a prepared statement. `diesel::sql_query` marks
//! its text unsafe to cache, so every run parses and plans it again and costs an extra round
//! trip (prepare, then execute); a `Statement` is cached by its text like any query diesel
//! builds, so a statement whose text varies only with a few options (a page's order, its
//! filters) is prepared once per variant and connection.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::{
        Array, BigInt, Json, Nullable, SmallInt, Text, Timestamptz, Untyped, Uuid as SqlUuid,
    },
    QueryResult, QueryableByName,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
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

/// SQL text with its binds in place. Rows are read by name (`QueryableByName`) unless `Row`
/// names the SQL types of its columns (`with_row_types`), when they are read by position
/// (`Queryable`): by name, every field searches the row's column names, which on a wide row of
/// a long result costs more than decoding the values.
pub struct Statement<Row = Untyped> {
    parts: Vec<Part>,
    row: PhantomData<fn() -> Row>,
}

impl Default for Statement {
    fn default() -> Self {
        Statement {
            parts: Vec::new(),
            row: PhantomData,
        }
    }
}

impl Statement {
    pub fn new() -> Self {
        Self::default()
    }

    /// The same statement, its rows read by position as columns of these SQL types; the
    /// select list must name them in this order.
    pub fn with_row_types<Row>(self) -> Statement<Row> {
        Statement {
            parts: self.parts,
            row: PhantomData,
        }
    }
}

impl<Row> Statement<Row> {
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

    /// `EXPLAIN (ANALYZE, FORMAT JSON)` of this very statement: how tests (and an operator
    /// chasing a slow page) see the plan the database runs it with.
    pub async fn explain_analyze(
        &self,
        connection: &mut AsyncPgConnection,
    ) -> QueryResult<serde_json::Value> {
        #[derive(QueryableByName)]
        struct Plan {
            #[diesel(sql_type = Json, column_name = "QUERY PLAN")]
            plan: serde_json::Value,
        }
        let mut explain = Statement::new();
        explain.sql("EXPLAIN (ANALYZE, FORMAT JSON) ");
        explain.parts.extend(self.parts.iter().cloned());
        let plan: Plan = explain.get_result(connection).await?;
        Ok(plan.plan)
    }
}

impl<Row> QueryFragment<Pg> for Statement<Row> {
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
impl<Row> QueryId for Statement<Row> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Row: 'static> Query for Statement<Row> {
    type SqlType = Row;
}
