#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone:
#   creates .venv and installs vitalstat, generates a synthetic registry (every source
#   kind, ~100k people; PEOPLE=N to change), ingests it into ./vitalstat.db (SQLite),
#   prints a summary with one sample record and its supporting reports, then makes a
#   signing key (first run), builds a signed release, verifies it (with minisign too,
#   when installed), adds a subscriber and delivers to it, and finally matches the
#   synthetic subscriber file against the release and summarises the decisions.
#   Last, it opens a correction case, creates an API token for each role (printed and
#   kept in demo-data/tokens.tsv) and serves the HTTP API and the web interface (/ui/)
#   in the foreground, printing their URLs and two synthetic people to try the public
#   pages with (NO_SERVE=1 stops before serving; HOST/PORT to change).
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

log "the web interface: two people from the open file to try it with, and an open correction case"
# two records of the open tier's delivered file: one to find with "Am I listed?", one
# whose correction case a caseworker and an approver can decide
people_file="$data/try-these.tsv"
"$VENV/bin/python" - "$ROOT/deliveries/demo-open" "$people_file" <<'PY'
import sys
from pathlib import Path
from vitalstat.config import db_url
from vitalstat.formats.dmf import parse_line
from vitalstat.services.registry import show_record
from vitalstat.store import Store
store = Store.open(db_url())
full = sorted(Path(sys.argv[1]).rglob("full.dmf"))[0]
picked = []
with full.open() as fh:
    for line in fh:
        rec = show_record(store, parse_line(line.rstrip("\n")).ssn).record
        dob = rec.date_of_birth if rec is not None else None
        if rec is not None and rec.name.first and dob is not None and dob.day:
            picked.append(f"{rec.ssn}\t{rec.name.first}\t{rec.name.last}\t{dob.iso()}")
        if len(picked) == 2:
            break
Path(sys.argv[2]).write_text("ssn\tfirst\tlast\tdob\n" + "\n".join(picked) + "\n")
PY
IFS=$'\t' read -r listed_ssn listed_first listed_last listed_dob < <(sed -n 2p "$people_file")
IFS=$'\t' read -r case_ssn _ < <(sed -n 3p "$people_file")
if ! "$vs" case list --ssn "$case_ssn" | grep -q "C-"; then
  "$vs" case open --ssn "$case_ssn" --kind erroneous-death --by person \
    --contact "demo: write to the address on file" --as demo-public
fi

tokens="$data/tokens.tsv"
log "a token for each role (kept in $tokens, readable by you only)"
stamp="$(date +%s)"
(
  umask 077
  printf 'role\tname\ttoken\n' >"$tokens"
  for spec in admin caseworker approver approver:2 auditor registrar privacy-officer subscriber; do
    role="${spec%%:*}"; name="demo-${spec/:/-}-$stamp"
    extra=(); [ "$role" = subscriber ] && extra=(--subscriber demo-open)
    printf '%s\t%s\t%s\n' "${spec/:/ }" "$name" \
      "$("$vs" token create "$name" --role "$role" "${extra[@]}" | tail -n 1)" >>"$tokens"
  done
)
column -t -s $'\t' "$tokens"

host="${HOST:-127.0.0.1}"; port="${PORT:-8000}"
cat <<TXT

Web interface: http://$host:$port/ui/      API: http://$host:$port/   (docs: /docs)
  Public, no sign-in: "Am I listed?" with SSN $listed_ssn, $listed_first $listed_last,
    born $listed_dob (synthetic); "Ask for a correction"; "Check a case".
  Staff and subscribers sign in at /ui/sign-in with a token above:
    caseworker: Holds, Cases (SSN $case_ssn's case waits for a decision);
    approver, approver 2: the second person of every two-person decision;
    subscriber (demo-open): Match a file ($data/subscriber.csv), My deliveries;
    auditor: Dashboard, with the audit log check.
TXT
if [ "${NO_SERVE:-}" = 1 ]; then
  log "NO_SERVE=1: not starting the server"
  exit 0
fi
admin="$(awk -F'\t' '$1=="admin"{print $3}' "$tokens")"
echo "try:   curl -s -H 'Authorization: Bearer $admin' http://$host:$port/stats"
log "starting the server (Ctrl-C stops it)"
exec "$vs" serve --host "$host" --port "$port"
