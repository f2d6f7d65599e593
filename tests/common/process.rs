//! A real `catalyst serve` process (the binary this package builds) on a fixed port, for tests
//! that kill an instance the way an operator's `kill -9` would and start it again where its
//! clients look for it.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use super::{wait::eventually, TEST_JWT_SECRET};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One `catalyst serve` process on a fixed port, so it comes back where clients look for it.
pub struct Instance {
    port: u16,
    vars: Vec<(String, String)>,
    process: Option<Child>,
}

impl Instance {
    pub fn new(database_url: &str, redis_url: &str, key_prefix: &str) -> Instance {
        let port = free_port();
        let vars = [
            ("BIND_ADDR", format!("127.0.0.1:{port}")),
            ("DATABASE_URL", database_url.to_string()),
            ("REDIS_URL", redis_url.to_string()),
            ("REDIS_KEY_PREFIX", key_prefix.to_string()),
            ("JWT_SECRET", TEST_JWT_SECRET.to_string()),
            ("DATABASE_POOL_SIZE", "6".to_string()),
            ("WORKER_CONCURRENCY", "0".to_string()),
            ("SHUTDOWN_GRACE_SECONDS", "1".to_string()),
            ("RATE_LIMIT_USER_POINTS", "100000000".to_string()),
            ("RATE_LIMIT_ANONYMOUS_POINTS", "100000000".to_string()),
            ("RATE_LIMIT_REGISTER_PER_MINUTE", "100000".to_string()),
            ("RATE_LIMIT_LOGIN_PER_MINUTE", "100000".to_string()),
            ("LOG_FORMAT", "pretty".to_string()),
            (
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_string()),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
        Instance {
            port,
            vars,
            process: None,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql", self.port)
    }

    pub async fn start(&mut self) {
        let output = || {
            if std::env::var("TEST_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            }
        };
        let process = Command::new(env!("CARGO_BIN_EXE_catalyst"))
            .arg("serve")
            .env_clear()
            .envs(self.vars.iter().map(|(name, value)| (name, value)))
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            // No `.env` of the checkout may leak into the instance.
            .current_dir(std::env::temp_dir())
            .stdout(output())
            .stderr(output())
            .spawn()
            .expect("the catalyst binary starts");
        self.process = Some(process);
        let client = reqwest::Client::new();
        let url = format!("{}/health/ready", self.url());
        eventually(
            "the instance to be ready",
            Duration::from_secs(30),
            || async {
                let response = client.get(&url).send().await.ok()?;
                response.status().is_success().then_some(())
            },
        )
        .await;
    }

    /// SIGKILL: no graceful shutdown, no goodbye to anyone.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}
