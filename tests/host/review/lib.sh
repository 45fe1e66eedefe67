# shellcheck shell=bash
# Shared by the plan review host tests: the engine tests' helpers, plus a
# desired-state repository that is a git repository (saved plans name a
# commit), a state directory for the plan key, and `reconcile apply`.
# Sourced, never run. Usage in a test: . lib.sh RECONCILE_BINARY

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/../engine/lib.sh"

STATE=$WORK/state
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.org
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.org
git -C "$REPO" init -q -b main

# commit MESSAGE: commits everything in the repository.
commit() {
  git -C "$REPO" add -A
  git -C "$REPO" -c commit.gpgsign=false commit -q -m "$1"
}

# run_plan_apply ARGS...: `reconcile apply` on the repository with the
# testbed's key and the state directory $APPLY_STATE (default: the test's);
# output in $WORK/out and $WORK/err, exit code in $rc.
run_plan_apply() {
  set +e
  "$RECONCILE" apply -C "$REPO" --ssh-key "$TB/client_key" --state "${APPLY_STATE:-$STATE}" -q "$@" \
    >"$WORK/out" 2>"$WORK/err"
  rc=$?
  set -e
  return 0
}

# error_has TEXT DESCRIPTION: the last run's stderr contains TEXT.
error_has() {
  if grep -qF -- "$1" "$WORK/err"; then pass "$2"; else fail "$2: no '$1' on stderr"; sed 's/^/  err: /' "$WORK/err" >&2; fi
}

# file_on HOST PATH: the file's content on a testbed host.
file_on() { on "$1" cat "$2"; }
