#!/usr/bin/env bash
# Real-time transports benchmark (see BENCHMARKS.md): for each phase starts a fresh release
# server on a fresh database and runs the `realtime` bench client (benches/realtime.rs):
# WebSocket and SSE side by side with SUBSCRIBERS (default 10000) idle subscriptions each
# (memory per subscription, then one event to all of them, ROUNDS times), then IDLE (default
# 50000) idle subscriptions held on one instance over each transport. Run from anywhere: bash benches/realtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18091}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=catalyst_bench_realtime
SUBSCRIBERS=${SUBSCRIBERS:-10000}
ROUNDS=${ROUNDS:-20}
IDLE=${IDLE:-50000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# PROFILE=dev measures a debug build (same type sizes, so the same memory per subscription;
# slower fan-out) where a release build does not fit the time or the disk.
PROFILE=${PROFILE:-release}
BIN_DIR=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
# A socket on each side of loopback per subscription, and then some.
ulimit -Hn 200000 2>/dev/null || true
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "== open-file limit $(ulimit -n)"

cargo build --profile "$PROFILE" --quiet --bin catalyst
cargo bench --profile "$PROFILE" --quiet --no-run --bench realtime 2>/dev/null

phase() { # transport subscribers rounds [subscriptions per connection] [1: SSE over HTTP/2]
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
  DATABASE_URL="$PG/$DB" BIND_ADDR="127.0.0.1:$PORT" \
    JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" ACCESS_TOKEN_TTL_SECONDS=86400 \
    RATE_LIMIT_USER_POINTS=1000000000000 RATE_LIMIT_ANONYMOUS_POINTS=1000000000000 \
    SUBSCRIPTION_MAX_PER_USER=10000000 \
    DATABASE_POOL_SIZE=32 WORKER_CONCURRENCY=0 WS_MAX_SUBSCRIPTIONS=1000 LOG_FORMAT=json RUST_LOG=warn \
    "$CARGO_TARGET_DIR/$BIN_DIR/catalyst" serve > "/tmp/catalyst-bench-realtime-$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  BENCH_URL="http://127.0.0.1:$PORT" BENCH_SERVER_PID=$SERVER BENCH_TRANSPORT=$1 \
    BENCH_SUBSCRIBERS=$2 BENCH_ROUNDS=$3 BENCH_PER_CONNECTION=${4:-1} BENCH_HTTP2=${5:-0} cargo bench --profile "$PROFILE" --quiet --bench realtime || true
  kill $SERVER 2>/dev/null || true
  wait $SERVER 2>/dev/null || true
}

echo "== catalyst real-time benchmark: $(nproc) cores, $PROFILE build"
# PHASES picks some of: ws sse sse-single sse-h2 idle-ws idle-sse idle-sse-h2 (all by default).
PHASES=${PHASES:-ws sse sse-single sse-h2 idle-ws idle-sse idle-sse-h2}
for name in $PHASES; do
  case $name in
    ws) phase ws "$SUBSCRIBERS" "$ROUNDS" ;;
    # Distinct mode over HTTP/1.1, one connection per subscription: outside what graphql-sse
    # meant the mode for (HTTP/2; browsers allow 6 HTTP/1.1 connections per origin), measured
    # as the worst case.
    sse) phase sse "$SUBSCRIBERS" "$ROUNDS" ;;
    # Single connection mode, the protocol's answer for HTTP/1.1: 100 operations per stream.
    sse-single) phase sse "$SUBSCRIBERS" "$ROUNDS" 100 ;;
    # Distinct mode as browsers run it over HTTP/2: each subscription its own request and
    # stream, 100 streams per cleartext (prior knowledge) connection.
    sse-h2) phase sse "$SUBSCRIBERS" "$ROUNDS" 100 1 ;;
    # The open-file limit allows about 19,000 connections per process here (it cannot be
    # raised without CAP_SYS_RESOURCE), so 50,000 subscriptions share connections: 100 per
    # WebSocket, 100 per single-connection SSE stream.
    idle-ws) phase ws "$IDLE" 0 100 ;;
    idle-sse) phase sse "$IDLE" 0 100 ;;
    idle-sse-h2) phase sse "$IDLE" 0 100 1 ;;
  esac
done
