# shellcheck shell=bash
# Shared by the daemon's host tests (tests/host/daemon/*_test.sh): a bare
# desired-state repository with the testbed's hosts, a clone to push from,
# a `reconcile watch` daemon on them, and waits with deadlines. Everything
# lives in one temporary directory; the daemon is stopped and the directory
# removed on exit, pass or fail. Sourced, never run.

set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
readonly TEST_NAME
failures=0

if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: $TEST_NAME needs root (the testbed's hosts)" >&2
  exit 77
fi

readonly SOURCE_DIR=${RECONCILE_SOURCE_DIR:?RECONCILE_SOURCE_DIR is not set: run through ctest}
readonly BED=${RECONCILE_TESTBED:?RECONCILE_TESTBED is not set: run through ctest}
readonly TESTBED=${RECONCILE_TESTBED_TOOL:-$SOURCE_DIR/tools/testbed}
readonly RECONCILE=${RECONCILE_BINARY:?RECONCILE_BINARY is not set: run through ctest}
export RECONCILE  # for the post-receive hook

WORK=$(mktemp -d "/tmp/reconcile-$TEST_NAME-XXXXXX")
readonly WORK
readonly BARE=$WORK/infra.git CLONE=$WORK/clone STATE=$WORK/state LOG=$WORK/daemon.log
DAEMON_PID=

cleanup() {
  local status=$?
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  if [ "$status" != 0 ] || [ "$failures" != 0 ]; then
    echo "--- daemon log ($LOG) ---" >&2
    tail -n 60 "$LOG" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
check() {
  local description=$1
  shift
  if "$@"; then pass "$description"; else fail "$description (command: $*)"; fi
}
finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$TEST_NAME: $failures check(s) failed" >&2
    exit 1
  fi
  echo "$TEST_NAME: all checks passed"
}

# The testbed's hosts, in inventory order.
mapfile -t HOSTS < <(cut -f1 "$BED/inventory.tsv")
readonly HOSTS

git_in() { git -C "$CLONE" -c user.name=test -c user.email=test@example.org "$@"; }

# make_repo FILE CONTENT: a bare repository whose first commit manages FILE
# (mode 0644) with CONTENT on every testbed host, and a clone of it.
make_repo() {
  local file=$1 content=$2
  git init -q --bare -b main "$BARE"
  git init -q -b main "$CLONE"
  git_in remote add origin "$BARE"
  mkdir -p "$CLONE/hosts" "$CLONE/files"
  : >"$CLONE/reconcile.yaml"
  for host in "${HOSTS[@]}"; do cp "$BED/hosts/$host.yaml" "$CLONE/hosts/"; done
  set_file "$file" "$content"
}

# set_file FILE CONTENT: the desired content of FILE on every host (in the
# clone, not committed).
set_file() {
  local file=$1 content=$2
  printf '%s\n' "$content" >"$CLONE/files/managed"
  cat >"$CLONE/roles.tmp" <<YAML
files:
  $file: { source: files/managed, mode: "0644" }
YAML
  for host in "${HOSTS[@]}"; do
    { cat "$BED/hosts/$host.yaml"; cat "$CLONE/roles.tmp"; } >"$CLONE/hosts/$host.yaml"
  done
  rm "$CLONE/roles.tmp"
}

# commit MESSAGE [SIGNING_KEY]: commits everything; signed with the key when given.
commit() {
  local message=$1 key=${2:-}
  git_in add -A
  if [ -n "$key" ]; then
    git_in -c gpg.format=ssh -c user.signingkey="$key.pub" commit -q -S -m "$message"
  else
    git_in -c commit.gpgsign=false commit -q -m "$message"
  fi
  git_in rev-parse HEAD
}

push() { git_in push -q --force origin main 2>&1; }

# start_daemon FLAGS...: `reconcile watch` on the bare repository, in the
# background; LOG_LEVEL overrides its log level (info).
start_daemon() {
  "$RECONCILE" --log-level "${LOG_LEVEL:-info}" watch --repo "$BARE" --state "$STATE" --ssh-key "$BED/client_key" \
    --known-hosts "$BED/known_hosts" --retry-initial 2s --retry-max 10s "$@" >>"$LOG" 2>&1 &
  DAEMON_PID=$!
}

stop_daemon() {
  kill -TERM "$DAEMON_PID"
  wait "$DAEMON_PID" || return 1
}

status_json() { "$RECONCILE" status --state "$STATE" --json --runs 50; }

# jq-free JSON queries: python3 is part of the machine's base.
json_query() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.1 s.
wait_for() {
  local seconds=$1 description=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$@" >/dev/null 2>&1; then
      pass "$description"
      return 0
    fi
    sleep 0.1
  done
  fail "$description (not within ${seconds}s)"
  return 1
}

# host_file HOST FILE: the file's content on the host.
host_file() { "$TESTBED" exec --dir "$BED" "$1" cat "$2" 2>/dev/null; }

# every_host_has FILE CONTENT
every_host_has() {
  local host
  for host in "${HOSTS[@]}"; do
    [ "$(host_file "$host" "$1")" = "$2" ] || return 1
  done
}

# every_host_converged_at COMMIT: the state store says so.
every_host_converged_at() {
  status_json | json_query "all(h['status'] == 'converged' and h['applied_commit'] == '$1' for h in d['hosts']) and len(d['hosts']) == ${#HOSTS[@]}" | grep -qx True
}

daemon_listen() { status_json | json_query "d['daemon'].get('listen', '')"; }

# remove_file FILE: takes the test's file off every host (tests share hosts).
remove_file() {
  local host
  for host in "${HOSTS[@]}"; do "$TESTBED" exec --dir "$BED" "$host" rm -f "$1" || true; done
}
