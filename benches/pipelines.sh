#!/usr/bin/env bash
# Pipelines benchmark (see BENCHMARKS.md): starts two release servers with pipeline workers on
# one fresh database, sharing events through Redis, then runs the `pipelines` bench client
# (benches/pipelines.rs). Run from anywhere: bash benches/pipelines.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT_A=${PORT_A:-18091}
PORT_B=${PORT_B:-18092}
WORKERS=${WORKERS:-2}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${REDIS:-redis://127.0.0.1:6379}
DB=catalyst_bench_pipelines
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catalyst-target}"

cargo build --release --quiet --bin catalyst
cargo bench --quiet --no-run --bench pipelines 2>/dev/null
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
start() {
  DATABASE_URL="$PG/$DB" BIND_ADDR="127.0.0.1:$1" REDIS_URL="$REDIS" \
    JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" \
    DATABASE_POOL_SIZE=16 LOG_FORMAT=json RUST_LOG=warn WORKER_CONCURRENCY="$WORKERS" \
    PIPELINE_RUN_LIMIT_PER_HOUR=100000 PIPELINE_CREATE_LIMIT_PER_HOUR=1000 \
    "$CARGO_TARGET_DIR/release/catalyst" serve > "/tmp/catalyst-bench-pipelines-$1.log" 2>&1 &
  echo $!
}
SERVER_A=$(start "$PORT_A")
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT_A/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
SERVER_B=$(start "$PORT_B")
trap 'kill $SERVER_A $SERVER_B 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT_B/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== catalyst pipelines benchmark: $(nproc) cores, 2 instances x $WORKERS workers"
BENCH_URL_A="http://127.0.0.1:$PORT_A" BENCH_URL_B="http://127.0.0.1:$PORT_B" \
  BENCH_DATABASE_URL="$PG/$DB" BENCH_WORKERS="$WORKERS" \
  cargo bench --quiet --bench pipelines
