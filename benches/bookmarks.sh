#!/usr/bin/env bash
# Bookmarks benchmark (see BENCHMARKS.md): starts a release server on a fresh database, then runs
# the `bookmarks` bench client (benches/bookmarks.rs): three imports of 10,000 bookmarks over the
# multipart API, growth to 100,000 bookmarks for one user, and 700 searches over them.
# Run from anywhere: bash benches/bookmarks.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18091}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=catalyst_bench_bookmarks
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catalyst-target}"

cargo build --release --quiet --bin catalyst
cargo bench --quiet --no-run --bench bookmarks 2>/dev/null
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
DATABASE_URL="$PG/$DB" BIND_ADDR="127.0.0.1:$PORT" \
  JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" \
  DATABASE_POOL_SIZE=16 LOG_FORMAT=json RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/catalyst" serve > /tmp/catalyst-bench-bookmarks.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== catalyst bookmarks benchmark: $(nproc) cores"
BENCH_URL="http://127.0.0.1:$PORT" cargo bench --quiet --bench bookmarks
psql "$PG/$DB" -qAtc "SELECT 'table + indexes: ' || pg_size_pretty(pg_total_relation_size('bookmarks'))"
