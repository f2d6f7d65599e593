#!/usr/bin/env bash
# Foundation benchmark (see BENCHMARKS.md): `{ __typename }` and `{ me { id email } }` (with a
# session's JWT, then with an API key) at CONNECTIONS concurrent connections with wrk, `pgbench -S` at the same concurrency in the same
# run as the ceiling, and the server's idle RSS. Needs wrk and pgbench (Debian: wrk,
# postgresql-client) and a local PostgreSQL; run from anywhere: bash benches/foundation.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
PORT=${PORT:-18080}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catalyst-target}"

# CATALYST_BIN runs a given catalyst binary instead of building one.
if [ -z "${CATALYST_BIN:-}" ]; then
  cargo build --release --quiet --bin catalyst
  CATALYST_BIN="$CARGO_TARGET_DIR/release/catalyst"
fi
BIN="$CATALYST_BIN"
BENCH_DB=${BENCH_DB:-catalyst_bench}
PGBENCH_DB=${PGBENCH_DB:-catalyst_pgbench}

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null
DATABASE_URL="$PG/$BENCH_DB" BIND_ADDR="127.0.0.1:$PORT" \
  JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" \
  RATE_LIMIT_USER_POINTS=1000000000000 RATE_LIMIT_ANONYMOUS_POINTS=1000000000000 \
  DATABASE_POOL_SIZE="$CONNECTIONS" LOG_FORMAT=json RUST_LOG=warn \
  "$BIN" serve > /tmp/catalyst-bench.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 2
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
IDLE_RSS_KIB=$(rss_kib)

URL="http://127.0.0.1:$PORT/graphql"
TOKEN=$(curl -fs "$URL" -H 'content-type: application/json' -d '{"query":"mutation { register(input: {email: \"bench@example.com\", password: \"load testing passphrase 42\", displayName: \"Bench\"}) { accessToken } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["register"]["accessToken"])')
ME_BODY='{"query":"{ me { id email } }"}'
curl -fs "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -d "$ME_BODY" | grep -q '"email":"bench@example.com"'

# wrk prints latencies as 1.23ms / 456.00us / 1.02s: normalize to milliseconds.
to_ms() { python3 -c "import re,sys; v,u=re.match(r'([\d.]+)(\w+)', sys.argv[1]).groups(); print(round(float(v)*{'us':0.001,'ms':1,'s':1000}[u],3))" "$1"; }

run_wrk() { # name body token
  local output
  output=$(BODY="$2" TOKEN="$3" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s benches/graphql.lua "$URL")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
  p50=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$output")")
  p99=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$output")")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$output"); errors=${errors:-0}
  printf '%-16s %10s req/s   p50 %7s ms   p99 %7s ms   non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "$errors"
  eval "${1}_RPS=$rps"
}

echo "== catalyst foundation benchmark: $CONNECTIONS connections, ${DURATION}s each, $(nproc) cores"
run_wrk typename '{"query":"{ __typename }"}' ""
run_wrk me "$ME_BODY" "$TOKEN"
API_KEY=$(curl -fs "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -d '{"query":"mutation { createApiKey(name: \"bench\", scopes: [READ]) { secret } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createApiKey"]["secret"])')
run_wrk me_api_key "$ME_BODY" "$API_KEY"
LOADED_RSS_KIB=$(rss_kib)

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $PGBENCH_DB" >/dev/null
psql "$PG/postgres" -qc "CREATE DATABASE $PGBENCH_DB" >/dev/null
pgbench -q -i -s 10 "$PG/$PGBENCH_DB" >/dev/null 2>&1
PGBENCH_TPS=$(pgbench -n -S -c "$CONNECTIONS" -j 2 -T "$DURATION" "$PG/$PGBENCH_DB" 2>/dev/null | awk '/^tps/ {print $3}')
printf '%-16s %10s tps\n' "pgbench -S" "$PGBENCH_TPS"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $PGBENCH_DB" >/dev/null

python3 - "$me_RPS" "$typename_RPS" "$PGBENCH_TPS" "$IDLE_RSS_KIB" "$LOADED_RSS_KIB" "$me_api_key_RPS" <<'PY'
import sys
me, typename, pgbench, idle, loaded, me_api_key = map(float, sys.argv[1:])
print(f"me / pgbench -S        {100 * me / pgbench:6.1f} %   (target >= 40 %; issue 15: >= 60 %)")
print(f"me with API key / pgbench -S {100 * me_api_key / pgbench:.1f} %")
print(f"__typename / pgbench -S {100 * typename / pgbench:5.1f} %")
print(f"idle RSS               {idle / 1024:6.1f} MiB (target <= 30 MiB); after load {loaded / 1024:.1f} MiB")
PY
