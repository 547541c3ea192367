#!/usr/bin/env bash
# What `npm test` runs: typecheck, start a throwaway PostgreSQL cluster, run node's test runner.
#   bash test/run.sh                      -> unit + contract + integration suites
#   bash test/run.sh path/to/x.test.ts    -> only the given files (globs are passed to node as-is)
#   TEST_FILES='a.test.ts b.test.ts' bash test/run.sh   -> same, from the environment
# Env: POSTROOM_SKIP_TYPECHECK=1 skips `tsc --noEmit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

if ! have_postgres; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "test/run.sh: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)." >&2
    echo "Install it (e.g. 'sudo apt-get install -y postgresql') or run as root to install it automatically." >&2
    exit 1
  fi
  echo "test/run.sh: installing PostgreSQL (apt-get)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  # The package may start its own 'main' cluster: stop it, we run our own.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r ver name _; do
      pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
    done
  fi
  service postgresql stop >/dev/null 2>&1 || true
  update-rc.d postgresql disable >/dev/null 2>&1 || true
  have_postgres || { echo "test/run.sh: PostgreSQL install failed" >&2; exit 1; }
fi

# install_missing BINARY NAME WHAT-IS-SKIPPED PACKAGE…: installs the packages with apt-get (as root)
# when BINARY is missing; succeeds only when it installed them. Not root: says what is skipped.
install_missing() {
  local binary="$1" name="$2" skipped="$3"
  shift 3
  [[ -x "$binary" ]] && return 1
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "test/run.sh: $name is not installed (no $binary): $skipped" >&2
    echo "Install it (e.g. 'sudo apt-get install -y $*') or run as root." >&2
    return 1
  fi
  echo "test/run.sh: installing $name (apt-get)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  [[ -x "$binary" ]] || { echo "test/run.sh: $name install failed" >&2; exit 1; }
}

# Dovecot for the POP3/IMAP tests (test/support/dovecot.ts runs its own instances on high ports).
if install_missing /usr/sbin/dovecot Dovecot 'the POP3/IMAP tests will be skipped.' dovecot-core dovecot-pop3d dovecot-imapd; then
  # The package may start the system's own dovecot on ports 110/143: stop and disable it.
  service dovecot stop >/dev/null 2>&1 || true
  update-rc.d dovecot disable >/dev/null 2>&1 || true
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
  fi
fi

# Debian's Chromium for the web UI tests (test/integration/web-ui.test.ts drives it with playwright-core).
install_missing /usr/bin/chromium Chromium 'the web UI tests will be skipped.' chromium || true

if [[ -z "${POSTROOM_SKIP_TYPECHECK:-}" ]]; then
  echo "test/run.sh: typecheck (tsc --noEmit -p .)"
  npx --no-install tsc --noEmit -p .
fi

PG_DIR=""
stop_pg() {
  if [[ -n "$PG_DIR" ]]; then
    node test/support/pg-cluster.ts stop "$PG_DIR" || echo "test/run.sh: failed to stop PostgreSQL in $PG_DIR" >&2
    PG_DIR=""
  fi
}
TEST_PID=""
on_signal() {
  if [[ -n "$TEST_PID" ]]; then
    kill -TERM "$TEST_PID" 2>/dev/null || true
    wait "$TEST_PID" 2>/dev/null || true
  fi
  exit "$1"
}
trap stop_pg EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

cluster_env="$(node test/support/pg-cluster.ts start)"
while IFS='=' read -r key value; do
  case "$key" in
    POSTROOM_TEST_PG_URL) export POSTROOM_TEST_PG_URL="$value" ;;
    POSTROOM_TEST_PG_DIR) PG_DIR="$value" ;;
    POSTROOM_TEST_PG_PID) PG_PID="$value" ;;
  esac
done <<<"$cluster_env"
if [[ -z "${POSTROOM_TEST_PG_URL:-}" || -z "$PG_DIR" ]]; then
  echo "test/run.sh: could not start PostgreSQL; got: $cluster_env" >&2
  exit 1
fi
echo "test/run.sh: PostgreSQL at $POSTROOM_TEST_PG_URL (pid ${PG_PID:-?}, dir $PG_DIR)"

PHASES=()
if [[ $# -gt 0 ]]; then
  PHASES=("$*")
elif [[ -n "${TEST_FILES:-}" ]]; then
  PHASES=("$TEST_FILES") # whitespace-separated; globs are left for node to expand
else
  # Unit and contract tests first, then the integration suites that start servers and processes:
  # a failure in the fast phase shows within a minute or two.
  PHASES=("test/unit/**/*.test.ts test/contract/**/*.test.ts" "test/integration/**/*.test.ts")
fi

# Each phase runs in the background and is waited for, so an INT/TERM to this script is handled at
# once: it is passed on to the test runner, and the EXIT trap then stops PostgreSQL.
status=0
for phase in "${PHASES[@]}"; do
  read -r -a files <<<"$phase"
  node --test --test-concurrency=2 --test-timeout=600000 "${files[@]}" &
  TEST_PID=$!
  wait "$TEST_PID" || status=$?
  TEST_PID=""
done
exit "$status"
