# shellcheck shell=bash
# Shared by the engine host tests: a desired-state repo built from the
# testbed's host files, and a `reconcile` wrapper that records exit codes.
# Sourced, never run. Usage in a test: . lib.sh RECONCILE_BINARY

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/../testbed/lib.sh"

RECONCILE=${1:?usage: $0 PATH_TO_RECONCILE}
TB=${RECONCILE_TESTBED:?RECONCILE_TESTBED is not set: run this test through ctest}
WORK=$(mktemp -d /tmp/reconcile-engine-test.XXXXXX)
REPO=$WORK/repo
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$REPO/hosts" "$REPO/roles" "$REPO/files"
: >"$REPO/reconcile.yaml"

# host_names: the testbed's host names, one per line.
host_names() { cut -f1 "$TB/inventory.tsv"; }

# add_host NAME [EXTRA_YAML]: hosts/NAME.yaml from the testbed, plus lines.
add_host() {
  { cat "$TB/hosts/$1.yaml"; printf '%s\n' "${2-}"; } >"$REPO/hosts/$1.yaml"
}

# run_reconcile ARGS...: runs reconcile on the repo; output in $WORK/out,
# exit code in $rc. Never fails the script.
run_reconcile() {
  set +e
  "$RECONCILE" -C "$REPO" --ssh-key "$TB/client_key" -q "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  set -e
  return 0
}

# expect_rc CODE DESCRIPTION: the last run exited with CODE.
expect_rc() {
  if [ "$rc" = "$1" ]; then
    pass "$2 (exit $rc)"
  else
    fail "$2: exit $rc, want $1"
    sed 's/^/  out: /' "$WORK/out" >&2
    sed 's/^/  err: /' "$WORK/err" >&2
  fi
}

# output_has TEXT DESCRIPTION: the last run's stdout contains TEXT.
output_has() {
  if grep -qF -- "$1" "$WORK/out"; then pass "$2"; else fail "$2: no '$1' in output"; sed 's/^/  out: /' "$WORK/out" >&2; fi
}

# on HOST COMMAND...: runs COMMAND on a testbed host as root.
on() {
  local host=$1
  shift
  ssh -F "$TB/ssh_config" "$host" "$@" </dev/null
}
