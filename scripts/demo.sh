#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone:
#   creates .venv and installs vitalstat, generates a synthetic registry (every source
#   kind, ~100k people; PEOPLE=N to change), ingests it into ./vitalstat.db (SQLite),
#   and prints a summary with one sample record and its supporting reports.
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
