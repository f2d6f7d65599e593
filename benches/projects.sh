#!/usr/bin/env bash
# Projects benchmark (see BENCHMARKS.md): starts a release server on a fresh database, then runs
# the `projects` bench client (benches/projects.rs), which seeds 100 projects x 100 tasks x 20
# members, loads the nested board query and measures event fan-out to 1,000 and 10,000
# WebSocket subscribers. Run from anywhere: bash benches/projects.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18090}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=catalyst_bench_projects
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catalyst-target}"
# 10,000 sockets on each side of loopback.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cargo build --release --quiet --bin catalyst
cargo bench --quiet --no-run --bench projects 2>/dev/null
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
DATABASE_URL="$PG/$DB" BIND_ADDR="127.0.0.1:$PORT" \
  JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" \
  RATE_LIMIT_USER_POINTS=1000000000000 RATE_LIMIT_ANONYMOUS_POINTS=1000000000000 \
  SUBSCRIPTION_MAX_PER_USER=1000000 \
  DATABASE_POOL_SIZE=32 LOG_FORMAT=json RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/catalyst" serve > /tmp/catalyst-bench-projects.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== catalyst projects benchmark: $(nproc) cores"
BENCH_URL="http://127.0.0.1:$PORT" BENCH_DATABASE_URL="$PG/$DB" BENCH_SERVER_PID=$SERVER \
  cargo bench --quiet --bench projects
