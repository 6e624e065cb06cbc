#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone:
#   creates .venv and installs vitalstat, generates a synthetic registry (every source
#   kind, ~100k people; PEOPLE=N to change), ingests it into ./vitalstat.db (SQLite),
#   prints a summary with one sample record and its supporting reports, then makes a
#   signing key (first run), builds a signed release, verifies it (with minisign too,
#   when installed), adds a subscriber and delivers to it.
# Re-running it is safe: files already ingested are recognised and change nothing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv ""
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

log "delivering to a subscriber (open tier)"
if ! "$vs" subscriber list | grep -q "demo-open"; then
  "$vs" subscriber add demo-open --tier open
fi
"$vs" deliver demo-open --out "$ROOT/deliveries/demo-open"
