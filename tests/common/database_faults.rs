//! Faults injected into one test's own database, never the shared server: its connections
//! terminated (`pg_terminate_backend`, what a restart does to clients) and new ones refused
//! (`ALLOW_CONNECTIONS false`, what a server that is starting up answers).

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

async fn maintenance() -> AsyncPgConnection {
    AsyncPgConnection::establish(&format!("{}/postgres", super::postgres_base_url()))
        .await
        .expect("tests need PostgreSQL at TEST_DATABASE_SERVER")
}

/// Ends every connection to `database` (not this helper's own); returns how many there were.
pub async fn terminate_connections(database: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Terminated {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        terminated: i64,
    }
    let mut connection = maintenance().await;
    diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind::<diesel::sql_types::Text, _>(database)
    .get_result::<Terminated>(&mut connection)
    .await
    .expect("pg_stat_activity is readable")
    .terminated
}

/// Refuses (`false`) or allows again (`true`) new connections to `database`.
pub async fn allow_connections(database: &str, allow: bool) {
    let mut connection = maintenance().await;
    diesel::sql_query(format!(
        "ALTER DATABASE {database} WITH ALLOW_CONNECTIONS {allow}"
    ))
    .execute(&mut connection)
    .await
    .expect("the test database can be altered");
}

/// Takes `database` away from its servers: every connection ended, new ones refused, until
/// `restore`. Returns how many connections were ended.
pub async fn take_down(database: &str) -> i64 {
    allow_connections(database, false).await;
    terminate_connections(database).await
}

pub async fn restore(database: &str) {
    allow_connections(database, true).await;
}
