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

# testbed_snapshot DIR: what the testbed in DIR holds now, one item a line
# ("dir D", "netns NAME", "link IFINDEX NAME", "pid PID"), for
# check_no_traces after `down`. Links are identified by interface index, which
# the kernel does not hand out again soon, because another testbed may take
# the freed slot (and its names) at once (parallel ctest).
testbed_snapshot() {
  local dir=$1 slot pid
  echo "dir $dir"
  [ -f "$dir/state" ] || return 0
  slot=$(slot_of "$dir")
  [ -n "$slot" ] || return 0
  ip netns list | awk -v p="rtb$slot-" 'index($1, p) == 1 { print "netns " $1 }'
  ip -o link show | awk -F': ' -v b="rtb$slot" \
    '$2 == b || index($2, b "v") == 1 { sub(/@.*/, "", $2); print "link " $1 " " $2 }'
  for pid in $(testbed_process_pids "$dir"); do
    echo "pid $pid"
  done
}

# check_no_traces SNAPSHOT: after `down`: the directory gone; none of the
# snapshot's namespaces, links and processes left; no mount under the
# directory, no link with its alias, no cgroup of its hosts, no process
# naming the directory.
check_no_traces() {
  local snapshot=$1 dir left="" kind first second
  dir=$(sed -n 's/^dir //p' <<<"$snapshot")
  check "$dir is gone" test ! -e "$dir"
  while read -r kind first second; do
    case $kind in
      netns)
        [ ! -e "/run/netns/$first" ] || left+=" netns:$first"
        if ls -d /sys/fs/cgroup/*/reconcile-testbed/"$first" \
          /sys/fs/cgroup/reconcile-testbed/"$first" >/dev/null 2>&1; then
          left+=" cgroup:$first"
        fi
        ;;
      link)
        ip -o link show | awk -F': ' -v i="$first" '$1 == i { found = 1 } END { exit !found }' &&
          left+=" link:$second"
        ;;
      pid)
        [ -z "$(running_pids "$first")" ] || left+=" pid:$first($(cat "/proc/$first/comm" 2>/dev/null))"
        ;;
    esac
  done <<<"$snapshot"
  check "none of the testbed's $(grep -cE '^(netns|link|pid) ' <<<"$snapshot" || true) namespaces, links, cgroups and processes left${left:+:$left}" \
    test -z "$left"
  left=$(ip -o link show | grep -F "reconcile-testbed:$dir" || true)
  check "no link with the testbed's alias left" test -z "$left"
  left=$(grep -F -- "$dir" /proc/mounts || true)
  check "no mount under $dir left${left:+: $left}" test -z "$left"
  # shellcheck disable=SC2046 # PIDs, split on purpose
  left=$(running_pids $(pgrep -f -- "$dir/" || true))
  check "no process naming $dir left${left:+: $left}" test -z "$left"
}
