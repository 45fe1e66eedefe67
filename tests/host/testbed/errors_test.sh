#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/testbed refuses clearly, and touches nothing, when: not run as root, a
# tool is missing, DIR is in use or not empty, `down` is pointed at a
# directory that is not a testbed's, arguments are wrong. A failed `up`
# removes what it created, or leaves it for inspection with
# --keep-on-failure.
. "$(dirname "$0")/lib.sh"

base=$(test_dir errors)
rm -rf "$base"
mkdir -p "$base"
remove_all() {
  local d
  for d in "$base"/bed-*; do "$TESTBED" down --dir "$d" >/dev/null 2>&1 || true; done
  rm -rf "$base"
}
trap remove_all EXIT

# expect_error DESCRIPTION PATTERN COMMAND...: COMMAND exits 1 and its
# standard error matches PATTERN.
expect_error() {
  local description=$1 pattern=$2 status=0 output
  shift 2
  output=$("$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" = 1 ] && grep -qE -- "$pattern" <<<"$output"; then
    pass "$description"
  else
    fail "$description: exit $status, stderr: $output"
  fi
}

chmod 0755 "$base"
# nobody runs a copy of the tool from a folder it can read: the checkout
# itself may sit in a private folder (a clone in a `mktemp -d` directory).
nobody_tools=$(mktemp -d /tmp/reconcile-testbed-nobody.XXXXXX)
cp -r "$(dirname "$TESTBED")/testbed" "$(dirname "$TESTBED")/testbed.d" "$nobody_tools/"
chmod -R a+rX "$nobody_tools"
expect_error "not root: clear error" "must run as root" \
  setpriv --reuid=65534 --regid=65534 --clear-groups "$nobody_tools/testbed" up 1 --dir "$base/bed-nobody"
rm -rf "$nobody_tools"
check "not root: nothing created" test ! -e "$base/bed-nobody"

# A PATH with everything but ssh-keygen.
mkdir "$base/bin"
for tool in bash env dirname readlink realpath id ip nsenter unshare setsid mount pivot_root sshd \
  useradd timeout ps tr ls mkdir cat; do
  ln -s "$(command -v "$tool")" "$base/bin/$tool"
done
expect_error "missing tool named" "missing tools: ssh-keygen" \
  env PATH="$base/bin" "$TESTBED" up 1 --dir "$base/bed-notools"
check "missing tool: nothing created" test ! -e "$base/bed-notools"

expect_error "no host count" "give the number of hosts" "$TESTBED" up --dir "$base/bed-x"
expect_error "zero hosts" "host count must be" "$TESTBED" up 0 --dir "$base/bed-x"
expect_error "too many hosts" "host count must be" "$TESTBED" up 5000 --dir "$base/bed-x"
expect_error "not a number" "give the number of hosts" "$TESTBED" up three --dir "$base/bed-x"
expect_error "bad prefix" "--prefix must be" "$TESTBED" up 1 --prefix 'Bad_Name' --dir "$base/bed-x"
expect_error "unknown option" "unknown option --frobnicate" "$TESTBED" up 1 --frobnicate
expect_error "unknown command" "unknown command 'launch'" "$TESTBED" launch
expect_error "a --dir with spaces" "use a path of" "$TESTBED" up 1 --dir "$base/bed with space"
expect_error "exec without a host" "exec: which host" "$TESTBED" exec --dir "$base/bed-x"
expect_error "status without a testbed" "no testbed in" "$TESTBED" status --dir "$base/bed-x"
check "nothing was created by the refused commands" test ! -e "$base/bed-x"
# shellcheck disable=SC2016 # expanded by the inner shell
check "--help prints the usage" bash -c '"$0" --help | grep -q "^Usage:"' "$TESTBED"

# DIR in use by a running testbed.
check "up 1" "$TESTBED" up 1 --dir "$base/bed-used" --prefix used
expect_error "a DIR in use is refused" "already in use" "$TESTBED" up 1 --dir "$base/bed-used"
check "the running testbed is intact" "$TESTBED" status --dir "$base/bed-used"
check "down" "$TESTBED" down --dir "$base/bed-used"

# DIR with someone's files.
mkdir "$base/bed-full"
echo precious >"$base/bed-full/file"
expect_error "a non-empty DIR is refused" "exists and is not empty" "$TESTBED" up 1 --dir "$base/bed-full"
expect_error "down refuses a directory that is not a testbed's" "not a testbed directory" \
  "$TESTBED" down --dir "$base/bed-full"
check "the files in it are untouched" test "$(cat "$base/bed-full/file")" = precious

# A failed `up` (no time to start) removes what it created...
dir=$base/bed-timeout
expect_error "up fails when the hosts are not ready in time" "not ready after 0s" \
  "$TESTBED" up 5 --timeout 0 --dir "$dir" --prefix timeout
check "the failed up removed its directory" test ! -e "$dir"
left=$(ip netns list | grep -F -- '-timeout-' || true)
check "the failed up removed its namespaces${left:+: $left}" test -z "$left"
# shellcheck disable=SC2046 # PIDs, split on purpose
left=$(running_pids $(pgrep -f -- "$dir/" || true))
check "the failed up left no process${left:+: $left}" test -z "$left"

# ... unless asked to keep it, and then `down` removes it.
expect_error "up fails again, kept" "left in place" \
  "$TESTBED" up 5 --timeout 0 --keep-on-failure --dir "$dir" --prefix timeout
check "the failed up kept its directory" test -e "$dir/state"
snapshot=$(testbed_snapshot "$dir")
check "down after a failed, kept up" "$TESTBED" down --dir "$dir"
check_no_traces "$snapshot"

finish
