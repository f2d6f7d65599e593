//! The real `catalyst` binary as a child process, for what an in-process server cannot show:
//! signals, `kill -9`, exit codes, several processes racing at start-up.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{wait::eventually, TEST_JWT_SECRET};

/// A running `catalyst` process; its log lines (JSON) are collected as it writes them.
pub struct ServerProcess {
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    /// The port from BIND_ADDR when the caller fixed one; otherwise read from the logs.
    fixed_port: Option<u16>,
}

impl ServerProcess {
    /// Starts `catalyst <command>` on a free loopback port against `database_url`, outside
    /// the repository so no `.env` leaks in.
    pub fn start(command: &str, database_url: &str, vars: &[(&str, &str)]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_catalyst"))
            .arg(command)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("JWT_SECRET", TEST_JWT_SECRET)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("WORKER_CONCURRENCY", "0")
            .envs(vars.iter().copied())
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the catalyst binary starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        for output in [
            Box::new(child.stdout.take().expect("stdout is piped"))
                as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr is piped")),
        ] {
            let logs = logs.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines().map_while(Result::ok) {
                    logs.lock().expect("log lock").push(line);
                }
            });
        }
        let fixed_port = vars
            .iter()
            .rev()
            .find(|(name, _)| *name == "BIND_ADDR")
            .and_then(|(_, address)| address.rsplit_once(':')?.1.parse().ok())
            .filter(|port| *port != 0);
        ServerProcess {
            child,
            logs,
            fixed_port,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("log lock").clone()
    }

    /// The port the process listens on: the one it was given, or the one it reports.
    pub async fn port(&self) -> u16 {
        if let Some(port) = self.fixed_port {
            return port;
        }
        eventually(
            "the server to report its address",
            Duration::from_secs(60),
            || async {
                self.logs()
                    .iter()
                    .find_map(|line| {
                        let (_, rest) = line.split_once("GraphQL API:  http://")?;
                        let address = rest.split('/').next()?;
                        address.rsplit_once(':')?.1.parse::<u16>().ok()
                    })
                    .ok_or_else(|| self.logs().join("\n"))
            },
        )
        .await
    }

    pub async fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port().await)
    }

    /// Waits until `/health/ready` answers 200.
    pub async fn wait_ready(&self) {
        let ready = self.url("/health/ready").await;
        eventually(
            "the server to be ready",
            Duration::from_secs(60),
            || async {
                match reqwest::get(&ready).await {
                    Ok(response) if response.status() == 200 => Ok(()),
                    Ok(response) => Err(format!("{}", response.status())),
                    Err(error) => Err(error.to_string()),
                }
            },
        )
        .await
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {}", self.pid());
    }

    /// Waits for the process to exit, failing the test after `within`.
    pub async fn exit_status(&mut self, within: Duration) -> ExitStatus {
        eventually("the process to exit", within, || {
            let exited = self.child.try_wait().expect("the child can be waited on");
            async move { exited.ok_or_else(|| "still running".to_string()) }
        })
        .await
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One `catalyst serve` on a fixed port, sharing a database and Redis with others, so that
/// when it is killed and started again it comes back where its clients look for it.
pub struct Instance {
    port: u16,
    database_url: String,
    vars: Vec<(String, String)>,
    process: Option<ServerProcess>,
}

impl Instance {
    pub fn new(database_url: &str, redis_url: &str, key_prefix: &str) -> Instance {
        let port = free_port();
        let vars = [
            ("BIND_ADDR", format!("127.0.0.1:{port}")),
            ("REDIS_URL", redis_url.to_string()),
            ("REDIS_KEY_PREFIX", key_prefix.to_string()),
            ("DATABASE_POOL_SIZE", "6".to_string()),
            ("SHUTDOWN_GRACE_SECONDS", "1".to_string()),
            ("RATE_LIMIT_USER_POINTS", "100000000".to_string()),
            ("RATE_LIMIT_ANONYMOUS_POINTS", "100000000".to_string()),
            ("RATE_LIMIT_REGISTER_PER_MINUTE", "100000".to_string()),
            ("RATE_LIMIT_LOGIN_PER_MINUTE", "100000".to_string()),
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
            database_url: database_url.to_string(),
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
        let vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let process = ServerProcess::start("serve", &self.database_url, &vars);
        process.wait_ready().await;
        self.process = Some(process);
    }

    /// SIGKILL: no graceful shutdown, no goodbye to anyone.
    pub fn kill(&mut self) {
        // Dropping the process kills it and waits for it.
        self.process = None;
    }
}
