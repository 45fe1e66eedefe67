#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/testbed `down` after things went wrong: sshd or a host's init killed
# with SIGKILL, `up` killed with SIGKILL at various points, the state file
# lost, the bridge and a namespace name removed by hand, the hosts' tmpfs
# detached, `down` itself killed half-way. Every time a second `down` must
# leave no trace.
. "$(dirname "$0")/lib.sh"

dirs=()
remove_all() {
  local d
  for d in "${dirs[@]}"; do "$TESTBED" down --dir "$d" >/dev/null 2>&1 || true; done
}
trap remove_all EXIT

# new_bed NAME: sets dir to a fresh testbed directory that the EXIT trap
# removes (no subshell, so that the trap sees it).
new_bed() {
  dir=$(test_dir "$1")
  dirs+=("$dir")
}

# no_named_leftovers PREFIX: nothing named after PREFIX, for testbeds whose
# slot is unknown (up killed before it chose one).
no_named_leftovers() {
  local left
  left=$(ip netns list | awk -v p="-$1-" 'index($1, p)')
  check "no namespace named *-$1-* left${left:+: $left}" test -z "$left"
}

# down_and_check DIR SNAPSHOT: `down` works and leaves nothing of SNAPSHOT
# (taken before things went wrong) behind.
down_and_check() {
  check "down ($(basename "$1"))" "$TESTBED" down --dir "$1"
  check_no_traces "$2"
}

netns_pids_named() {
  local dir=$1 name=$2 netns pid
  for netns in $(ip netns list | awk -v p="rtb$(slot_of "$dir")-" 'index($1, p) == 1 { print $1 }'); do
    for pid in $(ip netns pids "$netns"); do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && echo "$pid"
    done
  done
  return 0
}

# 1. Every sshd of the testbed killed with SIGKILL.
new_bed sshd-killed
check "up 3 (sshd to be killed)" "$TESTBED" up 3 --dir "$dir" --prefix killsshd
snapshot=$(testbed_snapshot "$dir")
sshd_pids=$(netns_pids_named "$dir" sshd | tr '\n' ' ')
check "the hosts run sshd" test -n "${sshd_pids// /}"
# shellcheck disable=SC2086
kill -9 $sshd_pids
check_fails "status reports the dead sshd" "$TESTBED" status --dir "$dir"
down_and_check "$dir" "$snapshot"

# 2. A host's init killed: its PID namespace dies, the rest stays up.
new_bed init-killed
check "up 2 (an init to be killed)" "$TESTBED" up 2 --dir "$dir" --prefix killinit
snapshot=$(testbed_snapshot "$dir")
mapfile -t inits < <(netns_pids_named "$dir" bash)
check "found the host inits" test ${#inits[@]} = 2
kill -9 "${inits[0]}"
check_fails "status reports the dead host" "$TESTBED" status --dir "$dir"
down_and_check "$dir" "$snapshot"

# 3. `up` killed with SIGKILL at different points of its work (choosing the
#    slot, creating links, starting hosts, waiting for them).
for delay in 0.05 0.2 0.4 0.8 1.5; do
  new_bed "up-killed-$delay"
  prefix=half${delay/./}
  "$TESTBED" up 20 --dir "$dir" --prefix "$prefix" >/dev/null 2>&1 &
  up_pid=$!
  sleep "$delay"
  kill -9 "$up_pid" 2>/dev/null || true
  wait "$up_pid" 2>/dev/null || true
  # Whatever the killed `up` had started: its workers may still be running.
  sleep 0.2
  down_and_check "$dir" "$(testbed_snapshot "$dir")"
  no_named_leftovers "$prefix"
done

# 4. The state file lost: the bridge alias still leads `down` to the slot.
new_bed state-lost
check "up 2 (state to be lost)" "$TESTBED" up 2 --dir "$dir" --prefix nostate
snapshot=$(testbed_snapshot "$dir")
rm -f "$dir/state"
down_and_check "$dir" "$snapshot"

# 5. Half of the testbed removed by hand: the bridge, one namespace name (its
#    processes live on in the unnamed namespace), the hosts' tmpfs.
new_bed half-removed
check "up 3 (to be half removed)" "$TESTBED" up 3 --dir "$dir" --prefix halfgone
slot=$(slot_of "$dir")
snapshot=$(testbed_snapshot "$dir")
ip link del "rtb$slot"
ip netns del "rtb$slot-halfgone-02"
umount -l "$dir/machines"
down_and_check "$dir" "$snapshot"

# 6. `down` itself killed half-way, then run again.
new_bed down-killed
check "up 10 (down to be killed)" "$TESTBED" up 10 --dir "$dir" --prefix downkill
snapshot=$(testbed_snapshot "$dir")
"$TESTBED" down --dir "$dir" >/dev/null 2>&1 &
down_pid=$!
sleep 0.1
kill -9 "$down_pid" 2>/dev/null || true
wait "$down_pid" 2>/dev/null || true
down_and_check "$dir" "$snapshot"

finish
