#!/usr/bin/env bash
# Abuse-limits benchmark (see BENCHMARKS.md): the latency the query limits and the cost-based
# rate limiter add to each request. The same release binary serves the same database three
# ways, one after the other on the same port: limits and rate limiting off
# (QUERY_LIMITS_ENABLED=false RATE_LIMIT_ENABLED=false), on with in-process counters, and on
# with Redis counters. Each is loaded with wrk for `{ me { id email } }` (a signed-in user,
# one SQL statement) and `{ __typename }` (anonymous, no database), ROUNDS times in turn, and
# the median of the rounds' p50/p99 is reported. Budgets are set high so nothing is refused:
# what is measured is the cost of checking and counting, not of refusing. Then the
# `abuse_limits` bench client (benches/abuse_limits.rs) times the same three configurations
# in one process, interleaved, without HTTP.
# Needs wrk, a local PostgreSQL and Redis; run from anywhere: bash benches/abuse_limits.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18081}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${REDIS:-redis://127.0.0.1:6379}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catalyst-target}"

cargo build --release --quiet --bin catalyst
BIN="$CARGO_TARGET_DIR/release/catalyst"
BENCH_DB=catalyst_bench_limits
URL="http://127.0.0.1:$PORT/graphql"
PREFIX="bench-limits-$$:"
RESULTS=$(mktemp)
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null

SERVER=
stop_server() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=; fi; }
trap 'stop_server; rm -f "$RESULTS"' EXIT

start_server() { # mode: off | memory | redis
  local extra=()
  case "$1" in
    off) extra=(QUERY_LIMITS_ENABLED=false RATE_LIMIT_ENABLED=false) ;;
    memory) extra=() ;;
    redis) extra=(REDIS_URL="$REDIS") ;;
  esac
  env DATABASE_URL="$PG/$BENCH_DB" BIND_ADDR="127.0.0.1:$PORT" \
    JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" \
    DATABASE_POOL_SIZE="$CONNECTIONS" LOG_FORMAT=json RUST_LOG=warn \
    RATE_LIMIT_USER_POINTS=1000000000000 RATE_LIMIT_ANONYMOUS_POINTS=1000000000000 \
    RATE_LIMIT_REGISTER_PER_MINUTE=1000 REDIS_KEY_PREFIX="$PREFIX" "${extra[@]}" \
    "$BIN" serve > "/tmp/catalyst-bench-limits-$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 1
}

# wrk prints latencies as 1.23ms / 456.00us / 1.02s: normalize to milliseconds.
to_ms() { python3 -c "import re,sys; v,u=re.match(r'([\d.]+)(\w+)', sys.argv[1]).groups(); print(round(float(v)*{'us':0.001,'ms':1,'s':1000}[u],3))" "$1"; }

run_wrk() { # mode workload body token
  local output rps p50 p99 errors
  output=$(BODY="$3" TOKEN="$4" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s benches/graphql.lua "$URL")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
  p50=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$output")")
  p99=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$output")")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$output"); errors=${errors:-0}
  printf '%-7s %-9s %10s req/s   p50 %7s ms   p99 %7s ms   non-2xx %s\n' "$1" "$2" "$rps" "$p50" "$p99" "$errors"
  echo "$1 $2 $rps $p50 $p99 $errors" >> "$RESULTS"
}

echo "== catalyst abuse-limits benchmark: $CONNECTIONS connections, ${DURATION}s per run, $ROUNDS rounds, $(nproc) cores"
start_server memory
TOKEN=$(curl -fs "$URL" -H 'content-type: application/json' -d '{"query":"mutation { register(input: {email: \"bench@example.com\", password: \"load testing passphrase 42\", displayName: \"Bench\"}) { accessToken } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["register"]["accessToken"])')
ME_BODY='{"query":"{ me { id email } }"}'
curl -fsi "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -d "$ME_BODY" | grep -qi '^x-ratelimit-remaining'
stop_server

for round in $(seq 1 "$ROUNDS"); do
  for mode in off memory redis; do
    start_server "$mode"
    run_wrk "$mode" me "$ME_BODY" "$TOKEN"
    run_wrk "$mode" typename '{"query":"{ __typename }"}' ""
    stop_server
  done
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def median(mode, workload, column):
    return statistics.median(float(r[column]) for r in rows if r[0] == mode and r[1] == workload)
print()
print("median over rounds      req/s     p50 ms   p99 ms   p50 added vs off")
for workload in ("me", "typename"):
    base = median("off", workload, 3)
    for mode in ("off", "memory", "redis"):
        p50 = median(mode, workload, 3)
        added = f"{100 * (p50 - base) / base:+6.1f} %" if mode != "off" else ""
        print(f"{workload:9} {mode:7} {median(mode, workload, 2):10.0f} {p50:9.3f} {median(mode, workload, 4):8.3f}   {added}")
PY

# The same comparison inside one process, without HTTP and the load generator's noise.
echo
BENCH_DATABASE_URL="$PG/$BENCH_DB" BENCH_REDIS_URL="$REDIS" cargo bench --quiet --bench abuse_limits
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null
