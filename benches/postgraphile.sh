#!/usr/bin/env bash
# Side by side (see BENCHMARKS.md): Catalyst (release), PostGraphile v5 and one hand-written
# json_agg statement (through pgbench -f) answering the same three nested shapes over the same
# database, in alternating rounds, at two data sizes. For each shape and contender: req/s, the
# ratios Catalyst/PostGraphile and Catalyst/SQL, SQL statements per request and PostgreSQL
# time per request (pg_stat_database deltas). Checks first that the three return the same
# objects. Needs wrk, pgbench, psql, python3 and npm (PostGraphile and the Node 22 it needs are
# installed from npm into benches/postgraphile/node_modules). Run from anywhere:
#   bash benches/postgraphile.sh
# CONNECTIONS (32), DURATION (10 s a round), ROUNDS (2), SIZES ("small large"), PORT (18200)
# and PGL_PORT (18201) override the defaults; CATALYST_BIN runs a given catalyst binary instead
# of building the release one (to compare two builds, or to keep building while it runs).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
SIZES=${SIZES:-small large}
PORT=${PORT:-18200}
PGL_PORT=${PGL_PORT:-18201}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${BENCH_DB:-catalyst_bench_side_by_side}
SHAPES="20x50 100x20 20x50-people"
# Backends publish their statistics at most once a second, and an idle one 10 s after its last
# report: each measurement waits that long before reading pg_stat_database.
STATS_SETTLE=${STATS_SETTLE:-11}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catalyst-target}"
HERE=benches/postgraphile
WORK=$(mktemp -d /tmp/catalyst-side-by-side.XXXXXX)

if [ -z "${CATALYST_BIN:-}" ]; then
  cargo build --release --quiet --bin catalyst
  CATALYST_BIN="$CARGO_TARGET_DIR/release/catalyst"
fi
[ -x "$HERE/node_modules/.bin/node" ] || (cd "$HERE" && npm ci --no-audit --no-fund --silent)
NODE="$PWD/$HERE/node_modules/.bin/node"

CATALYST=""
POSTGRAPHILE=""
stop_servers() {
  for pid in $CATALYST $POSTGRAPHILE; do kill "$pid" 2>/dev/null || true; done
  for pid in $CATALYST $POSTGRAPHILE; do wait "$pid" 2>/dev/null || true; done
  CATALYST="" POSTGRAPHILE=""
}
trap 'stop_servers; rm -rf "$WORK"' EXIT

wait_for() { # url
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "$1" -H 'content-type: application/json' -d '{"query":"{ __typename }"}' && return 0
    sleep 0.2
  done
  echo "no answer from $1" >&2
  return 1
}

start_catalyst() {
  DATABASE_URL="$PG/$DB" BIND_ADDR="127.0.0.1:$PORT" \
    JWT_SECRET="benchmark-secret-that-is-at-least-32-bytes" \
    RATE_LIMIT_USER_POINTS=1000000000000 RATE_LIMIT_ANONYMOUS_POINTS=1000000000000 \
    DATABASE_POOL_SIZE="$CONNECTIONS" WORKER_CONCURRENCY=0 LOG_FORMAT=json RUST_LOG=warn \
    "$CATALYST_BIN" serve > "$WORK/catalyst.log" 2>&1 &
  CATALYST=$!
  wait_for "http://127.0.0.1:$PORT/graphql"
}

start_postgraphile() {
  (cd "$HERE" && DATABASE_URL="$PG/$DB" PORT="$PGL_PORT" POOL_SIZE="$CONNECTIONS" \
    exec "$NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) \
    > "$WORK/postgraphile.log" 2>&1 &
  POSTGRAPHILE=$!
  wait_for "http://127.0.0.1:$PGL_PORT/graphql"
}

# Transactions (each statement outside a transaction is one) and milliseconds spent executing.
db_stats() { psql -XAtq "$PG/postgres" -F' ' -c "SELECT xact_commit + xact_rollback, active_time FROM pg_stat_database WHERE datname = '$DB'"; }
catalyst_statements() { curl -fs "http://127.0.0.1:$PORT/metrics" | awk '$1 == "db_statements_total" {print $2}'; }

seed() { # projects tasks members
  stop_servers
  psql -Xq "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  start_catalyst # creates and migrates the database
  TOKEN=$(curl -fs "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
    -d '{"query":"mutation { register(input: {email: \"bench@example.com\", password: \"load testing passphrase 42\", displayName: \"Bench\"}) { accessToken } }"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["register"]["accessToken"])')
  local owner
  owner=$(psql -XAtq "$PG/$DB" -c "SELECT id FROM users WHERE email = 'bench@example.com'")
  local started=$SECONDS
  psql -Xq "$PG/$DB" -v projects="$1" -v tasks="$2" -v members="$3" -v owner="$owner" \
    -f benches/seed_boards.sql >/dev/null
  psql -Xq "$PG/$DB" -c "VACUUM ANALYZE" >/dev/null
  echo "seeded $1 projects x $2 tasks x $3 members in $((SECONDS - started)) s"
  start_postgraphile # after seeding, so it introspects the final schema
}

check_same() {
  for shape in $SHAPES; do
    python3 "$HERE/shapes.py" body catalyst "$shape" > "$WORK/catalyst-$shape.body"
    python3 "$HERE/shapes.py" body postgraphile "$shape" > "$WORK/postgraphile-$shape.body"
    python3 "$HERE/shapes.py" sql "$shape" > "$WORK/sql-$shape.sql"
    curl -fs "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -H "authorization: Bearer $TOKEN" -d @"$WORK/catalyst-$shape.body" > "$WORK/catalyst-$shape.json"
    curl -fs "http://127.0.0.1:$PGL_PORT/graphql" -H 'content-type: application/json' \
      -d @"$WORK/postgraphile-$shape.body" > "$WORK/postgraphile-$shape.json"
    psql -XAtq "$PG/$DB" -f "$WORK/sql-$shape.sql" > "$WORK/sql-$shape.json"
    python3 "$HERE/shapes.py" same "$shape" "$WORK/catalyst-$shape.json" \
      "$WORK/postgraphile-$shape.json" "$WORK/sql-$shape.json"
  done
}

# One round of one contender on one shape; appends "size shape contender rps statements pg_ms".
measure() { # size shape contender
  local size=$1 shape=$2 who=$3 requests rps before after counted_before="" counted_after=""
  before=$(db_stats)
  case $who in
    catalyst|postgraphile)
      local url="http://127.0.0.1:$PORT/graphql" token=$TOKEN
      [ "$who" = postgraphile ] && url="http://127.0.0.1:$PGL_PORT/graphql" token=""
      [ "$who" = catalyst ] && counted_before=$(catalyst_statements)
      local output
      output=$(BODY="$(cat "$WORK/$who-$shape.body")" TOKEN="$token" \
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 30s -s benches/graphql.lua "$url")
      grep -q "Non-2xx" <<<"$output" && { echo "$who $shape: non-2xx answers" >&2; exit 1; }
      requests=$(awk '/requests in/ {print $1}' <<<"$output")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
      [ "$who" = catalyst ] && counted_after=$(catalyst_statements)
      ;;
    sql)
      local output
      output=$(pgbench -n -f "$WORK/sql-$shape.sql" -c "$CONNECTIONS" -j 2 -T "$DURATION" "$PG/$DB" 2>&1)
      requests=$(awk '/number of transactions actually processed/ {print $NF}' <<<"$output")
      rps=$(awk '/^tps/ {print $3}' <<<"$output")
      ;;
  esac
  sleep "$STATS_SETTLE"
  after=$(db_stats)
  python3 - "$size" "$shape" "$who" "$requests" "$rps" "$before" "$after" "$counted_before" "$counted_after" >> "$WORK/results" <<'PY'
import sys
size, shape, who, requests, rps, before, after, counted_before, counted_after = sys.argv[1:]
requests = max(int(requests.split("/")[0]), 1)
(xacts_before, ms_before), (xacts_after, ms_after) = (map(float, s.split()) for s in (before, after))
statements = (xacts_after - xacts_before) / requests
if counted_before:  # Catalyst counts its own statements; pg_stat_database counts transactions.
    statements = (float(counted_after) - float(counted_before)) / requests
print(size, shape, who, rps, f"{statements:.2f}", f"{(ms_after - ms_before) / requests:.3f}")
PY
  tail -1 "$WORK/results"
}

echo "== catalyst vs postgraphile vs json_agg SQL: $CONNECTIONS connections, ${DURATION}s rounds, $ROUNDS rounds, $(nproc) cores"
for size in $SIZES; do
  case $size in
    small) seed 100 100 20 ;;
    large) seed 1000 1000 20 ;;
  esac
  check_same
  for round in $(seq 1 "$ROUNDS"); do
    for shape in $SHAPES; do
      # Alternate who goes first, so that neither always meets a warmer (or busier) machine.
      if [ $((round % 2)) = 1 ]; then order="catalyst postgraphile sql"; else order="sql postgraphile catalyst"; fi
      for who in $order; do measure "$size" "$shape" "$who"; done
    done
  done
done

python3 - "$WORK/results" <<'PY'
import statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    size, shape, who, rps, statements, pg_ms = line.split()
    runs[size, shape, who].append((float(rps), float(statements), float(pg_ms)))
def median(size, shape, who, field):
    return statistics.median(run[field] for run in runs[size, shape, who])
print()
print(f"{'size':6} {'shape':13} {'catalyst':>9} {'postgraphile':>12} {'sql':>8} {'C/PG':>6} {'C/SQL':>6}"
      f"   statements/request C PG SQL   PostgreSQL ms/request C PG SQL")
sizes = sorted({key[0] for key in runs}, key=["small", "large"].index)
shapes = ["20x50", "100x20", "20x50-people"]
for size in sizes:
    for shape in shapes:
        c, p, s = (median(size, shape, who, 0) for who in ("catalyst", "postgraphile", "sql"))
        st = [median(size, shape, who, 1) for who in ("catalyst", "postgraphile", "sql")]
        ms = [median(size, shape, who, 2) for who in ("catalyst", "postgraphile", "sql")]
        print(f"{size:6} {shape:13} {c:9.1f} {p:12.1f} {s:8.1f} {c / p:6.2f} {c / s:6.2f}"
              f"   {st[0]:6.2f} {st[1]:5.2f} {st[2]:5.2f}        {ms[0]:7.3f} {ms[1]:7.3f} {ms[2]:7.3f}")
if len(sizes) == 2:
    print()
    for shape in shapes:
        small, large = (median(size, shape, "catalyst", 2) for size in sizes)
        print(f"catalyst PostgreSQL time per request, large / small, {shape}: {large / small:.2f}x (target <= 1.5x)")
PY
