#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone:
#   creates .venv and installs vitalstat, generates a synthetic registry (every source
#   kind, ~100k people; PEOPLE=N to change), ingests it into ./vitalstat.db (SQLite),
#   prints a summary with one sample record and its supporting reports, then makes a
#   signing key (first run), builds a signed release, verifies it (with minisign too,
#   when installed), adds a subscriber and delivers to it, and finally matches the
#   synthetic subscriber file against the release and summarises the decisions.
#   Last, it creates an admin API token and serves the HTTP API in the foreground,
#   printing its URL and the token (NO_SERVE=1 skips that step; HOST/PORT to change).
# Re-running it is safe: files already ingested are recognised and change nothing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv "server"
vs="$VENV/bin/vitalstat"
export VITALSTAT_DB="${VITALSTAT_DB:-$ROOT/vitalstat.db}"
people="${PEOPLE:-100000}"
data="$ROOT/demo-data"

log "registry: $VITALSTAT_DB"
"$vs" init

if [ ! -f "$data/manifest.tsv" ] || [ "$(cat "$data/.people" 2>/dev/null)" != "$people" ]; then
  log "generating synthetic death reports for $people people into $data"
  rm -rf "$data"
  "$vs" synth --out "$data" --people "$people" --seed 0
  echo "$people" >"$data/.people"
fi

# The synthetic files bring each source's reports of years at once; a daily feed that
# size would rightly trip the surge and batch-flag rules and hold whole batches, so the
# demo registers its sources with a high daily ceiling and raises the batch-flag limit
# (the other integrity rules apply as they are).
export VITALSTAT_BATCH_FLAG_LIMIT="${VITALSTAT_BATCH_FLAG_LIMIT:-10000}"
log "registering the sources (only registered sources may report deaths)"
registered="$("$vs" source list)"
tail -n +2 "$data/manifest.tsv" | cut -f 3,4 | sort -u | while IFS=$'\t' read -r kind sid; do
  if ! grep -qF "$kind/$sid " <<<"$registered"; then
    "$vs" source register "$kind" "$sid" --surge-ceiling 100000 --note "demo source"
  fi
done
log "ingesting every source's file"
tail -n +2 "$data/manifest.tsv" | while IFS=$'\t' read -r file fmt kind sid; do
  "$vs" ingest "$data/$file" --format "$fmt" --source-kind "$kind" --source-id "$sid"
done

log "summary"
"$vs" stats --sample

export VITALSTAT_RELEASES="${VITALSTAT_RELEASES:-$ROOT/releases}"
export VITALSTAT_KEYS="${VITALSTAT_KEYS:-$ROOT/keys}"
if [ ! -f "$VITALSTAT_KEYS/release.key" ]; then
  log "creating the release signing key in $VITALSTAT_KEYS"
  "$vs" release keygen
fi

log "building a release"
"$vs" release build
release="$(ls -d "$VITALSTAT_RELEASES"/release-* | sort | tail -n 1)"

log "verifying $release"
"$vs" release verify "$release"
if command -v minisign >/dev/null 2>&1; then
  minisign -Vm "$release/manifest.json" -p "$VITALSTAT_KEYS/release.pub"
fi

log "checking the audit log (every event a leaf of a signed Merkle tree; the release carries its checkpoint)"
"$vs" audit verify --checkpoint "$release/checkpoint.json"

log "delivering to a subscriber (open tier)"
if ! "$vs" subscriber list | grep -q "demo-open"; then
  "$vs" subscriber add demo-open --tier open
fi
"$vs" deliver demo-open --out "$ROOT/deliveries/demo-open"

log "matching the synthetic subscriber file against the latest release (ground truth beside it)"
"$vs" match "$data/subscriber.csv" --out "$data/decisions.csv"
"$VENV/bin/python" - "$data/decisions.csv" "$data/subscriber-truth.csv" <<'PY'
import csv, sys
from collections import Counter
decided = {r["id"]: r for r in csv.DictReader(open(sys.argv[1]))}
truth = {r["id"]: r for r in csv.DictReader(open(sys.argv[2]))}
c = Counter()
for i, t in truth.items():
    d = decided[i]
    dead = bool(t["dmf_ssn"])
    c["dead" if dead else "living"] += 1
    if d["decision"] == "match":
        c["right match" if d["dmf_ssn"] == t["dmf_ssn"] else
          ("match on a living person" if not dead else "wrong record")] += 1
    elif d["decision"] == "review":
        c["review"] += 1
print(f"rows: {len(truth)} ({c['dead']} dead, {c['living']} living); "
      f"right matches: {c['right match']}; review: {c['review']}; "
      f"matches on living people: {c['match on a living person']}; wrong record: {c['wrong record']}")
for row in list(decided.values())[:3]:
    print(f"  {row['id']}: {row['decision']} {row['dmf_ssn'] or '-'} p={row['match_probability'] or '-'}"
          f"  {row['reasons'][:110]}")
PY
first_match="$(awk -F, '$2=="\"match\""{gsub(/"/, "", $1); print $1; exit}' "$data/decisions.csv")"
if [ -n "$first_match" ]; then
  log "why row $first_match matched"
  "$vs" match-explain "$first_match"
fi

if [ "${NO_SERVE:-}" = 1 ]; then
  log "NO_SERVE=1: not starting the API server"
  exit 0
fi
log "creating an admin API token and starting the API (Ctrl-C stops it)"
token="$("$vs" token create "demo-admin-$(date +%s)" --role admin | tail -n 1)"
host="${HOST:-127.0.0.1}"; port="${PORT:-8000}"
echo "API:   http://$host:$port/   (docs: http://$host:$port/docs)"
echo "token: $token"
echo "try:   curl -s -H 'Authorization: Bearer $token' http://$host:$port/stats"
exec "$vs" serve --host "$host" --port "$port"
