#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh machine:
#   creates .venv, installs vitalstat[dev,spark,server], starts a throwaway PostgreSQL 15 cluster
#   (installing it with apt if missing), runs ruff and pytest (SQLite + PostgreSQL), then
#   the Spark-marked tests in their own step (Java 17 installed with apt if missing).
#   Browser tests drive Debian's chromium (installed with apt if missing) via Playwright;
#   their screenshots land in test-artifacts/screenshots/.
# Extra arguments go to pytest, e.g. scripts/test.sh -k dmf
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv "dev,spark,server"
if ! command -v java >/dev/null 2>&1; then
  log "java not found; installing openjdk-17-jre-headless with apt (Spark tests)"
  apt_install openjdk-17-jre-headless
fi

if ! command -v minisign >/dev/null 2>&1; then
  log "installing minisign (releases are checked with it too)"
  apt_install minisign
fi
if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium (the web interface's browser tests)"
  apt_install chromium
fi
export VITALSTAT_REQUIRE_TOOLS=1   # a missing minisign fails the run instead of skipping

log "ruff"
"$VENV/bin/ruff" check src tests bench

pgdir="$(mktemp -d /tmp/vitalstat-pg.XXXXXX)"
trap 'scripts/pg-test-cluster.sh stop "$pgdir"' EXIT
log "starting a throwaway PostgreSQL 15 cluster"
VITALSTAT_TEST_PG_URL="$(scripts/pg-test-cluster.sh start "$pgdir")"
export VITALSTAT_TEST_PG_URL
export VITALSTAT_REQUIRE_PG=1   # a missing PostgreSQL fails the run instead of skipping

mkdir -p test-artifacts
log "pytest (everything but Spark)"
set +e
"$VENV/bin/pytest" -n 2 --dist loadgroup -p no:cacheprovider -m "not spark" \
  --junitxml=test-artifacts/junit.xml "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  log "pytest collected no tests: that is a failure here"
  exit 1
fi
[ "$status" = 0 ] || exit "$status"

log "pytest -m spark (Spark local mode; ~30 s to start)"
set +e
"$VENV/bin/pytest" -p no:cacheprovider -m spark --junitxml=test-artifacts/junit-spark.xml "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  if [ "$#" -gt 0 ]; then
    log "no Spark test selected by the arguments ($*)"; exit 0
  fi
  log "pytest collected no Spark tests: that is a failure here"
  exit 1
fi
exit "$status"
