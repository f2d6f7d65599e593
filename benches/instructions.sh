#!/usr/bin/env bash
# Server CPU per request, independent of the host's load (see BENCHMARKS.md): the instructions a
# catalyst binary executes (valgrind callgrind) to answer REQUESTS identical requests of one
# shape of benches/postgraphile.sh, after WARMUP requests that are not counted. Compares builds:
#   bash benches/instructions.sh BINARY [BINARY ...]
# SHAPE (20x50, 100x20 or 20x50-people), REQUESTS (20), WARMUP (5), SEED ("100 100 20":
# projects, tasks per project, members — the small data set of benches/postgraphile.sh) and PORT
# (18210) override the defaults. Seeds its own database once (benches/seed_boards.sql); needs
# valgrind, curl, psql and python3. Prints the instructions per request of each binary.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 BINARY [BINARY ...]" >&2; exit 2; }

SHAPE=${SHAPE:-20x50}
REQUESTS=${REQUESTS:-20}
WARMUP=${WARMUP:-5}
read -r SEED_PROJECTS SEED_TASKS SEED_MEMBERS <<<"${SEED:-100 100 20}"
PORT=${PORT:-18210}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${BENCH_DB:-catalyst_bench_instructions}
WORK=$(mktemp -d /tmp/catalyst-instructions.XXXXXX)
SERVER=""
stop_server() {
  [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  SERVER=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

start() { # binary [valgrind args...]
  local binary=$1
  shift
  DATABASE_URL="$PG/$DB" BIND_ADDR="127.0.0.1:$PORT" \
    JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" \
    RATE_LIMIT_USER_POINTS=1000000000000 RATE_LIMIT_ANONYMOUS_POINTS=1000000000000 \
    DATABASE_POOL_SIZE=4 WORKER_CONCURRENCY=0 LOG_FORMAT=json RUST_LOG=warn \
    "$@" "$binary" serve > "$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -d '{"query":"{ __typename }"}' && return 0
    sleep 0.2
  done
  echo "no answer from $binary" >&2
  cat "$WORK/server.log" >&2
  return 1
}

ask() { # count
  for _ in $(seq 1 "$1"); do
    curl -fs -o "$WORK/answer.json" "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -H "authorization: Bearer $TOKEN" -d @"$WORK/body.json"
  done
}

# Seed once, with the first binary.
psql -Xq "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
start "$1"
TOKEN=$(curl -fs "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
  -d '{"query":"mutation { register(input: {email: \"bench@example.com\", password: \"load testing passphrase 42\", displayName: \"Bench\"}) { accessToken } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["register"]["accessToken"])')
owner=$(psql -XAtq "$PG/$DB" -c "SELECT id FROM users WHERE email = 'bench@example.com'")
psql -Xq "$PG/$DB" -v projects="$SEED_PROJECTS" -v tasks="$SEED_TASKS" -v members="$SEED_MEMBERS" -v owner="$owner" \
  -f benches/seed_boards.sql >/dev/null
psql -Xq "$PG/$DB" -c "VACUUM ANALYZE" >/dev/null
python3 benches/postgraphile/shapes.py body catalyst "$SHAPE" > "$WORK/body.json"
stop_server

for binary in "$@"; do
  # Instrumentation starts off (start-up and warm-up are not counted) and is on only around
  # the counted requests.
  start "$binary" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$WORK/callgrind.%p" --dump-instr=no
  ask "$WARMUP"
  callgrind_control --instr=on "$SERVER" >/dev/null 2>&1
  ask "$REQUESTS"
  callgrind_control --dump=requests "$SERVER" >/dev/null 2>&1
  callgrind_control --instr=off "$SERVER" >/dev/null 2>&1
  tasks=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]["projects"]["edges"]; print(sum(len(e["node"]["tasks"]["edges"]) for e in d))' "$WORK/answer.json")
  stop_server
  total=$(cat "$WORK"/callgrind.*.* 2>/dev/null | awk '/^summary:/ {sum += $2} END {print sum + 0}')
  rm -f "$WORK"/callgrind.*
  echo "$binary: $SHAPE ($tasks tasks), $REQUESTS requests: $((total / REQUESTS)) instructions per request"
done
