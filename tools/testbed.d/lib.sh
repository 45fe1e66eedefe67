# shellcheck shell=bash
# Shared by tools/testbed and its helpers: naming, the state file, lookups of
# a testbed's kernel objects. Sourced, never run.
#
# Naming (S = the testbed's slot, 0..63, unique on the machine while it is up):
#   bridge        rtbS                 alias "reconcile-testbed:DIR"
#   subnet        10.213.(4*S).0/22    bridge .1, hosts from .2 on
#   netns         rtbS-NAME            (ip netns list)
#   veth          rtbSvI (root side)   eth0 inside the host
#   cgroup        reconcile-testbed/rtbS-NAME (--systemd hosts only)
# The bridge's alias ties a slot to its directory, so `down` finds everything
# of a testbed even when its state file was never written.

# shellcheck disable=SC2034 # used by the scripts that source this file
readonly TESTBED_MARKER=.reconcile-testbed
readonly TESTBED_ALIAS_PREFIX=reconcile-testbed:
readonly TESTBED_MAX_SLOTS=64 TESTBED_MAX_HOSTS=1021 TESTBED_CGROUP_PARENT=reconcile-testbed

die() {
  echo "testbed: error: $*" >&2
  exit 1
}
note() { echo "testbed: $*" >&2; }

# state_get DIR KEY: the value of KEY in DIR/state ("" when absent). The file is
# read as data, never sourced.
state_get() {
  local file=$1/state key=$2 line
  [ -f "$file" ] || return 0
  while IFS= read -r line; do
    if [ "${line%%=*}" = "$key" ]; then
      printf '%s\n' "${line#*=}"
      return 0
    fi
  done <"$file"
}

# state_set DIR KEY VALUE: replaces or appends KEY, atomically (rename).
state_set() {
  local dir=$1 key=$2 value=$3 line
  {
    if [ -f "$dir/state" ]; then
      while IFS= read -r line; do
        [ "${line%%=*}" = "$key" ] || printf '%s\n' "$line"
      done <"$dir/state"
    fi
    printf '%s=%s\n' "$key" "$value"
  } >"$dir/state.new"
  mv -f "$dir/state.new" "$dir/state"
}

slot_bridge() { echo "rtb$1"; }
slot_netns() { echo "rtb$1-$2"; }
slot_veth() { echo "rtb$1v$2"; }

# slot_network S: prints the 32-bit network address of slot S's /22.
slot_network() { echo $(((10 << 24) | (213 << 16) | (($1 * 4) << 8))); }

ip_to_text() {
  local n=$1
  echo "$(((n >> 24) & 255)).$(((n >> 16) & 255)).$(((n >> 8) & 255)).$((n & 255))"
}

ip_from_text() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# bridge_alias BRIDGE: the alias of an existing link, "" when it has none;
# fails when the link does not exist.
bridge_alias() {
  local out
  out=$(ip -o link show dev "$1" 2>/dev/null) || return 1
  if [[ $out =~ \ alias\ (.*)$ ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  fi
  return 0
}

# slot_of_dir DIR: the slot whose bridge alias names DIR, or nothing.
slot_of_dir() {
  local dir=$1 line name
  while IFS= read -r line; do
    [[ $line =~ ^[0-9]+:\ (rtb[0-9]+): ]] || continue
    name=${BASH_REMATCH[1]}
    if [[ $line =~ \ alias\ (.*)$ ]] && [ "${BASH_REMATCH[1]}" = "$TESTBED_ALIAS_PREFIX$dir" ]; then
      echo "${name#rtb}"
      return 0
    fi
  done < <(ip -o link show type bridge 2>/dev/null)
}

# netns_init_pid NETNS: the machine-side PID of the init (PID 1 of the host's
# own PID namespace) of the host living in NETNS; nothing when none runs.
netns_init_pid() {
  local pid nspid best="" best_depth=99
  for pid in $(ip netns pids "$1" 2>/dev/null); do
    nspid=$(grep '^NSpid:' "/proc/$pid/status" 2>/dev/null) || continue
    read -r -a fields <<<"${nspid#NSpid:}"
    if [ "${#fields[@]}" -ge 2 ] && [ "${fields[-1]}" = 1 ] && [ "${#fields[@]}" -lt "$best_depth" ]; then
      best=$pid
      best_depth=${#fields[@]}
    fi
  done
  [ -z "$best" ] || echo "$best"
}

# cgroup_hierarchies: the cgroup mount points systemd-nspawn uses on this
# machine: the unified one (v2 only) or, on a hybrid layout, the named systemd
# v1 hierarchy and the unified one.
cgroup_hierarchies() {
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    echo /sys/fs/cgroup
    return
  fi
  local hierarchy
  for hierarchy in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
    if [ -e "$hierarchy/cgroup.procs" ]; then
      echo "$hierarchy"
    fi
  done
}

# ssh_banner ADDRESS: prints the SSH identification line of ADDRESS:22, or
# fails within two seconds.
ssh_banner() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/22" && IFS= read -r -t 2 line <&3 && printf "%s\n" "$line"' \
    "$1" 2>/dev/null
}
