# shellcheck shell=bash
# Shared by the tests of tools/testbed (tests/host/testbed/*_test.sh): checks
# that fail loudly, the testbed's own directory, and the "no trace left"
# inspection of the machine. Sourced, never run.

set -euo pipefail

readonly TESTBED=${RECONCILE_TESTBED_TOOL:-$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../../../tools/testbed")}
TEST_NAME=$(basename "$0" .sh)
readonly TEST_NAME
failures=0

if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: $TEST_NAME needs root (namespaces, mounts, links)" >&2
  exit 77
fi

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

pass() { echo "ok: $*"; }

# check DESCRIPTION COMMAND...: COMMAND must succeed.
check() {
  local description=$1
  shift
  if "$@"; then pass "$description"; else fail "$description (command: $*)"; fi
}

# check_fails DESCRIPTION COMMAND...: COMMAND must fail.
check_fails() {
  local description=$1
  shift
  if "$@"; then fail "$description (succeeded: $*)"; else pass "$description"; fi
}

# finish: the test's exit status; a test with a failed check never passes.
finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$TEST_NAME: $failures check(s) failed" >&2
    exit 1
  fi
  echo "$TEST_NAME: all checks passed"
}

# test_dir: a fresh directory path for this test's own testbed(s); any testbed
# a previous, interrupted run left there is removed first.
test_dir() {
  local dir=${RECONCILE_TEST_WORK_DIR:-/tmp/reconcile-testbed-test-$TEST_NAME}/${1:-bed}
  "$TESTBED" down --dir "$dir" >/dev/null 2>&1 || true
  echo "$dir"
}

# slot_of DIR: the slot of the running testbed in DIR.
slot_of() { sed -n 's/^slot=//p' "$1/state"; }

# ssh_to KNOWN_HOSTS KEY USER ADDRESS COMMAND...: plain OpenSSH with strict
# host key checking against KNOWN_HOSTS only.
ssh_to() {
  local known_hosts=$1 key=$2 user=$3 address=$4
  shift 4
  ssh -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o ConnectTimeout=10 -o LogLevel=ERROR "$user@$address" "$@"
}

# machine_fingerprint: hashes of what a test host must never change on the
# machine: accounts, SSH configuration and keys, sudoers, hostname, units,
# systemd's runtime directory (nspawn's locks), routing and forwarding, the
# firewall.
machine_fingerprint() {
  {
    sha256sum /etc/passwd /etc/shadow /etc/group /etc/gshadow /etc/hostname /etc/hosts \
      /etc/machine-id /etc/sudoers 2>&1
    find /etc/ssh /etc/sudoers.d /root/.ssh /home /etc/systemd/system /run/systemd -xdev \
      -printf '%p %m %u %s %T@\n' 2>&1 | sort
    find /etc/ssh /etc/sudoers.d /root/.ssh -xdev -type f -exec sha256sum {} + 2>&1 | sort
    hostname
    cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/forwarding
    ip -4 route show table main | grep -v '^10\.213\.'
    nft list ruleset 2>&1
  }
}

# running_pids PID...: those of PID... still running (zombies do not count:
# they hold no namespace, mount or file, and wait for the machine's init).
running_pids() {
  local pid stat
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    [ "${stat%% *}" = Z ] || printf '%s ' "$pid"
  done
}

# testbed_process_pids DIR: every process of the testbed in DIR right now.
testbed_process_pids() {
  local dir=$1 slot netns
  slot=$(slot_of "$dir")
  for netns in $(ip netns list | awk -v p="rtb$slot-" 'index($1, p) == 1 { print $1 }'); do
    ip netns pids "$netns"
  done
  pgrep -f -- "$dir/machines/" || true
}

# check_no_traces DIR SLOT [PIDS...]: after `down`: DIR gone, and no namespace,
# link, bridge, mount, cgroup or process of the testbed in SLOT left. PIDS are
# the testbed's processes seen before `down`. Only this testbed's objects are
# checked: other testbeds (parallel ctest) come and go meanwhile.
check_no_traces() {
  local dir=$1 slot=$2 left
  shift 2
  check "$dir is gone" test ! -e "$dir"
  left=$(ip netns list | awk -v p="rtb$slot-" 'index($1, p) == 1')
  check "no network namespace rtb$slot-* left${left:+: $left}" test -z "$left"
  left=$(ip -o link show | awk -F': ' -v p="rtb$slot" '$2 == p || index($2, p "v") == 1 { print $2 }')
  check "no bridge or veth of slot $slot left${left:+: $left}" test -z "$left"
  left=$(ip -o link show | grep -F "reconcile-testbed:$dir" || true)
  check "no link with the testbed's alias left" test -z "$left"
  left=$(grep -F -- "$dir" /proc/mounts || true)
  check "no mount under $dir left${left:+: $left}" test -z "$left"
  left=$(find /sys/fs/cgroup -maxdepth 3 -path "*/reconcile-testbed/rtb$slot-*" 2>/dev/null || true)
  check "no cgroup of the testbed left${left:+: $left}" test -z "$left"
  # shellcheck disable=SC2046 # PIDs, split on purpose
  left=$(running_pids $(pgrep -f -- "$dir/" || true))
  check "no process naming $dir left${left:+: $left}" test -z "$left"
  if [ $# -gt 0 ]; then
    left=$(running_pids "$@")
    check "none of the testbed's $# processes left${left:+: $left}" test -z "$left"
  fi
}
