//! The real `catalyst` binary as a child process, for what an in-process server cannot show:
//! signals, exit codes, several processes racing at start-up.

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
        ServerProcess { child, logs }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("log lock").clone()
    }

    /// The port the process reports listening on, once it does.
    pub async fn port(&self) -> u16 {
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
