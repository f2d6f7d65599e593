//! Bookmarks benchmark client (run by `benches/bookmarks.sh`, which starts the server): imports
//! a 10,000-bookmark browser file end to end over the multipart API, grows one user's collection
//! to 100,000 bookmarks the same way, then measures search latency over it. Prints figures;
//! asserts nothing.

use std::time::{Duration, Instant};

use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::{json, Value};

const PASSWORD: &str = "load testing passphrase 42";
const IMPORT: &str = "mutation($file: Upload!) { importBookmarks(file: $file, format: NETSCAPE_HTML) { id status imported } }";
const REPORT: &str =
    "query($id: ID!) { bookmarkImport(id: $id) { status total imported duplicates error } }";
const SEARCH: &str = "query($q: String, $tags: [String!], $favorite: Boolean) {
  bookmarks(query: $q, tags: $tags, favorite: $favorite, first: 20) { edges { node { id title score snippet } } }
}";

/// Words frequent in real bookmark titles; each appears in about 1 % of the generated ones.
const COMMON: [&str; 12] = [
    "guide",
    "docs",
    "blog",
    "tutorial",
    "news",
    "api",
    "review",
    "how",
    "best",
    "introduction",
    "reference",
    "release",
];
const TECH: [&str; 24] = [
    "kubernetes",
    "postgresql",
    "rust",
    "python",
    "javascript",
    "docker",
    "linux",
    "react",
    "graphql",
    "tokio",
    "redis",
    "nginx",
    "terraform",
    "ansible",
    "golang",
    "typescript",
    "kafka",
    "elasticsearch",
    "webassembly",
    "prometheus",
    "grafana",
    "django",
    "flask",
    "spring",
];

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Pronounceable made-up words: a vocabulary large enough that most words are rare.
fn vocabulary(rng: &mut StdRng, size: usize) -> Vec<String> {
    const ONSETS: [&str; 16] = [
        "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "st",
    ];
    const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ou"];
    let mut words = std::collections::BTreeSet::new();
    while words.len() < size {
        let syllables = rng.gen_range(2..=4);
        let word: String = (0..syllables)
            .map(|_| {
                format!(
                    "{}{}",
                    ONSETS.choose(rng).unwrap_or(&"b"),
                    VOWELS.choose(rng).unwrap_or(&"a")
                )
            })
            .collect();
        words.insert(word);
    }
    words.into_iter().collect()
}

struct Corpus {
    words: Vec<String>,
    tags: Vec<String>,
}

impl Corpus {
    fn new(rng: &mut StdRng) -> Self {
        Corpus {
            words: vocabulary(rng, 20_000),
            tags: (0..300).map(|n| format!("tag{n}")).collect(),
        }
    }

    fn title(&self, rng: &mut StdRng) -> String {
        let mut words: Vec<&str> = (0..rng.gen_range(3..=7))
            .map(|_| self.words[rng.gen_range(0..self.words.len())].as_str())
            .collect();
        if rng.gen_bool(0.12) {
            words.push(COMMON[rng.gen_range(0..COMMON.len())]);
        }
        if rng.gen_bool(0.05) {
            words.insert(0, TECH[rng.gen_range(0..TECH.len())]);
        }
        words.join(" ")
    }

    /// A Netscape file of `count` bookmarks numbered from `first`, 100 to a folder.
    fn netscape_file(&self, rng: &mut StdRng, first: usize, count: usize) -> String {
        let mut file = String::from(
            "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n",
        );
        for (index, n) in (first..first + count).enumerate() {
            if index % 100 == 0 {
                if index > 0 {
                    file.push_str("    </DL><p>\n");
                }
                file.push_str(&format!(
                    "    <DT><H3>Folder {}</H3>\n    <DL><p>\n",
                    n / 100
                ));
            }
            let tags: Vec<&str> = (0..rng.gen_range(0..=3))
                .map(|_| self.tags[rng.gen_range(0..self.tags.len())].as_str())
                .collect();
            file.push_str(&format!(
                "        <DT><A HREF=\"https://site{}.example/{}/{n}\" ADD_DATE=\"{}\" TAGS=\"{}\">{}</A>\n",
                n % 5_000,
                self.words[n % self.words.len()],
                1_500_000_000 + n as i64 * 60,
                tags.join(","),
                self.title(rng)
            ));
            if rng.gen_bool(0.2) {
                file.push_str(&format!("        <DD>{}\n", self.title(rng)));
            }
        }
        file.push_str("    </DL><p>\n</DL><p>\n");
        file
    }
}

struct Bench {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Bench {
    async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let response: Value = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(
            response.get("errors").is_none(),
            "GraphQL errors: {response}"
        );
        Ok(response)
    }

    /// Uploads the file as a GraphQL multipart request and waits until the import is done;
    /// returns the seconds from the first byte sent to the COMPLETED report, and the report.
    async fn import(&self, file: &str) -> anyhow::Result<(f64, Value)> {
        let boundary = "catalyst-bench-boundary";
        let operations = json!({ "query": IMPORT, "variables": { "file": null } }).to_string();
        let mut body = Vec::with_capacity(file.len() + 1024);
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n").as_bytes());
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n").as_bytes());
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"bookmarks.html\"\r\nContent-Type: text/html\r\n\r\n").as_bytes());
        body.extend_from_slice(file.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let started = Instant::now();
        let response: Value = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await?
            .json()
            .await?;
        let import = &response["data"]["importBookmarks"];
        anyhow::ensure!(import.is_object(), "import refused: {response}");
        if import["status"] == "COMPLETED" {
            return Ok((started.elapsed().as_secs_f64(), import.clone()));
        }
        loop {
            let report = self.graphql(REPORT, json!({ "id": import["id"] })).await?;
            let report = report["data"]["bookmarkImport"].clone();
            if report["status"] != "RUNNING" {
                return Ok((started.elapsed().as_secs_f64(), report));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A misspelling: one letter dropped or two swapped.
fn typo(rng: &mut StdRng, word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let at = rng.gen_range(1..chars.len() - 1);
    if rng.gen_bool(0.5) {
        chars.remove(at);
    } else {
        chars.swap(at, at + 1);
    }
    chars.into_iter().collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = env_or("BENCH_URL", "http://127.0.0.1:18091");
    let http = reqwest::Client::new();
    let register = json!({ "query": "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
        "variables": { "input": { "email": "bookmarks-bench@example.com", "password": PASSWORD, "displayName": "Bench" } } });
    let registered: Value = http
        .post(format!("{base}/graphql"))
        .json(&register)
        .send()
        .await?
        .json()
        .await?;
    let token = registered["data"]["register"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("register failed: {registered}"))?
        .to_string();
    let bench = Bench { http, base, token };
    let mut rng = StdRng::seed_from_u64(5);
    let corpus = Corpus::new(&mut rng);

    println!("-- import: 10,000 bookmarks, Netscape file, multipart upload → COMPLETED");
    let mut import_seconds = Vec::new();
    let mut next = 0;
    for run in 0..3 {
        let file = corpus.netscape_file(&mut rng, next, 10_000);
        next += 10_000;
        let (seconds, report) = bench.import(&file).await?;
        println!(
            "run {run}: {:.3} s ({} KiB file, imported {}, duplicates {})",
            seconds,
            file.len() / 1024,
            report["imported"],
            report["duplicates"]
        );
        import_seconds.push(seconds);
    }
    println!("-- growing the collection to 100,000 bookmarks (50,000-item files)");
    while next < 100_000 {
        let count = (100_000 - next).min(50_000);
        let file = corpus.netscape_file(&mut rng, next, count);
        next += count;
        let (seconds, report) = bench.import(&file).await?;
        println!(
            "{} bookmarks in {:.2} s (imported {})",
            count, seconds, report["imported"]
        );
    }

    let queries = search_queries(&mut rng, &corpus);
    // Warm-up: the first queries pull index pages into the buffer cache.
    for (query, _) in queries.iter().take(50) {
        bench.graphql(SEARCH, query.clone()).await?;
    }
    let mut by_kind: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut all = Vec::new();
    let mut hits = Vec::new();
    for (query, kind) in &queries {
        let started = Instant::now();
        let response = bench.graphql(SEARCH, query.clone()).await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        hits.push(
            response["data"]["bookmarks"]["edges"]
                .as_array()
                .map_or(0, Vec::len),
        );
        by_kind.entry(kind).or_default().push(ms);
        all.push(ms);
    }
    println!(
        "-- search over 100,000 bookmarks of one user, first: 20 with score and snippet ({} queries, sequential, end to end over HTTP)",
        all.len()
    );
    for (kind, mut times) in by_kind {
        times.sort_by(f64::total_cmp);
        println!(
            "{kind:<28} n={:<4} p50 {:>6.2} ms  p99 {:>6.2} ms",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{:<28} n={:<4} p50 {:>6.2} ms  p99 {:>6.2} ms  (mean hits per page {:.1})",
        "all",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        hits.iter().sum::<usize>() as f64 / hits.len() as f64
    );
    import_seconds.sort_by(f64::total_cmp);
    println!(
        "import of 10,000: best {:.3} s, median {:.3} s",
        import_seconds[0],
        import_seconds[import_seconds.len() / 2]
    );
    Ok(())
}

fn search_queries(rng: &mut StdRng, corpus: &Corpus) -> Vec<(Value, &'static str)> {
    let mut queries = Vec::new();
    for _ in 0..200 {
        let word = &corpus.words[rng.gen_range(0..corpus.words.len())];
        queries.push((json!({ "q": word }), "rare word"));
    }
    for _ in 0..100 {
        let word = COMMON[rng.gen_range(0..COMMON.len())];
        queries.push((json!({ "q": word }), "common word (~1% of rows)"));
    }
    for _ in 0..100 {
        let word = TECH[rng.gen_range(0..TECH.len())];
        queries.push((json!({ "q": typo(rng, word) }), "misspelt tech word"));
    }
    for _ in 0..100 {
        let a = &corpus.words[rng.gen_range(0..corpus.words.len())];
        let b = COMMON[rng.gen_range(0..COMMON.len())];
        queries.push((json!({ "q": format!("{a} {b}") }), "two words"));
    }
    for _ in 0..100 {
        let word = TECH[rng.gen_range(0..TECH.len())];
        let tag = &corpus.tags[rng.gen_range(0..corpus.tags.len())];
        queries.push((json!({ "q": word, "tags": [tag] }), "word + tag filter"));
    }
    for _ in 0..100 {
        queries.push((json!({}), "no query (newest first)"));
    }
    queries.shuffle(rng);
    queries
}
