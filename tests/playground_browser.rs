//! /playground in a real browser: Debian's Chromium, headless, driven by playwright-core
//! (tests/browser/playground.mjs) against a real server started here. The script checks the
//! docs explorer, autocomplete, a query, the sign-in helper, a live subscription fed from
//! outside the page, that the page logs no console error and asks no other host for anything;
//! it leaves a screenshot at `$CARGO_TARGET_DIR/playground.png` (or `target/playground.png`).
//!
//! Chromium and Node are requirements, not options: without them this test fails, it does not
//! skip (`.ci/run` installs Chromium; tests/browser/README.md says how to run it by hand).

mod common;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use common::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("playground.png")
}

/// `npm ci` when the locked packages are not there yet (a fresh clone), so `cargo test` alone
/// is enough; `.ci/run` runs it up front as well.
fn install_browser_driver() {
    if browser_dir().join("node_modules/playwright-core").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(browser_dir())
        .status()
        .expect("npm runs (Node 20 is required for the browser test)");
    assert!(status.success(), "npm ci in tests/browser failed");
}

#[tokio::test]
async fn the_playground_works_in_a_real_browser() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: `apt-get install -y chromium` (what .ci/run does)"
    );
    install_browser_driver();
    let app = TestApp::spawn().await;
    let screenshot = screenshot_path();
    if let Some(parent) = screenshot.parent() {
        std::fs::create_dir_all(parent).expect("the target directory can be created");
    }
    let _ = std::fs::remove_file(&screenshot);

    let started = Instant::now();
    // The script waits on the server, so it runs off the runtime's threads.
    let output = tokio::task::spawn_blocking({
        let origin = app.address.clone();
        let screenshot = screenshot.clone();
        move || {
            Command::new("node")
                .arg("playground.mjs")
                .current_dir(browser_dir())
                .env("PLAYGROUND_ORIGIN", origin)
                .env("CHROMIUM", CHROMIUM)
                .env("SCREENSHOT", &screenshot)
                .env(
                    "INTROSPECTION_FIXTURE",
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("tests/fixtures/introspection/graphiql.graphql"),
                )
                .output()
                .expect("node runs (Node 20 is required for the browser test)")
        }
    })
    .await
    .expect("the browser script's thread finishes");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed after {elapsed:.1?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );
    println!(
        "{stdout}browser test: {elapsed:.1?}; screenshot: {}",
        screenshot.display()
    );
}
