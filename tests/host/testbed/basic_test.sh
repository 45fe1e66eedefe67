#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/testbed, plain hosts: `up 3`, then for every host, with nothing but
# the inventory: root logs in with the client key and strict checking against
# the pinned host keys; a wrong host key or a wrong client key is refused;
# `deploy` has passwordless sudo; the host has its own name, address, routes
# and mounts; what a host writes (files, a new user) never reaches the
# machine. Then `down` leaves no trace, and a second `down` is a no-op.
. "$(dirname "$0")/lib.sh"

dir=$(test_dir bed)
work=$(mktemp -d)
trap '"$TESTBED" down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

before=$(machine_fingerprint)
check "up 3" "$TESTBED" up 3 --dir "$dir" --prefix basic

# The inventory: three lines, six tab-separated fields each.
check "inventory.tsv has 3 hosts" test "$(wc -l <"$dir/inventory.tsv")" = 3
check "inventory.json is JSON with 3 hosts" \
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["hosts"]) == 3' \
  "$dir/inventory.json"

# Known hosts built by the test from the inventory alone, so the inventory is
# what is tested. Each line: address, key type, key.
while IFS=$'\t' read -r name address port user key client_key; do
  echo "$address $key" >>"$work/known_hosts"
done <"$dir/inventory.tsv"

mapfile -t lines <"$dir/inventory.tsv"
for line in "${lines[@]}"; do
  IFS=$'\t' read -r name address port user key client_key <<<"$line"
  check "$name: port 22, user root" test "$port/$user" = 22/root
  check "$name: host file has its address and pinned key" \
    grep -qxF "address: $address" "$dir/hosts/$name.yaml"
  check "$name: host file pins the key" \
    grep -qF "ssh: { user: root, port: 22, host_key: \"$key\" }" "$dir/hosts/$name.yaml"
  check "$name: root logs in (pinned key, StrictHostKeyChecking=yes)" \
    ssh_to "$work/known_hosts" "$client_key" root "$address" true
  check "$name: hostname is $name" \
    test "$(ssh_to "$work/known_hosts" "$client_key" root "$address" hostname)" = "$name"
  check "$name: deploy can sudo -n" \
    ssh_to "$work/known_hosts" "$client_key" deploy "$address" sudo -n true
  check "$name: deploy is not root without sudo" \
    test "$(ssh_to "$work/known_hosts" "$client_key" deploy "$address" id -u)" != 0
  check "$name: has its address and no default route" \
    ssh_to "$work/known_hosts" "$client_key" root "$address" \
    "ip -4 -o addr show dev eth0 | grep -qF ' $address/' && test -z \"\$(ip route show default)\""
  check "$name: sees its own mounts only (/work and /dev/vda absent)" \
    ssh_to "$work/known_hosts" "$client_key" root "$address" \
    "! grep -qE ' /work|^/dev/vd' /proc/mounts && test ! -e /dev/vda"
  check "$name: runs sshd as a process of its own PID namespace" \
    ssh_to "$work/known_hosts" "$client_key" root "$address" "test -e /proc/1 && pgrep -x sshd >/dev/null"
done

# A wrong host key: the first host's address with the second host's key.
read -r _ address1 _ <<<"${lines[0]}"
IFS=$'\t' read -r _ _ _ _ key2 client_key <<<"${lines[1]}"
echo "$address1 $key2" >"$work/wrong_known_hosts"
check_fails "a host key other than the pinned one is refused" \
  ssh_to "$work/wrong_known_hosts" "$client_key" root "$address1" true
ssh-keygen -q -t ed25519 -N '' -f "$work/other_key"
check_fails "a client key other than the testbed's is refused" \
  ssh_to "$work/known_hosts" "$work/other_key" root "$address1" true

# Writes inside a host stay inside it.
marker=testbed-basic-$$
check "a host writes files and creates a user" \
  ssh_to "$work/known_hosts" "$client_key" root "$address1" \
  "echo inside >/etc/$marker && echo inside >/root/$marker && useradd -m $marker && \
   echo '$marker ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/$marker && \
   echo 'PermitRootLogin no' >/etc/ssh/sshd_config.d/$marker.conf && grep -q ^$marker: /etc/passwd"
check "the host sees its writes" \
  ssh_to "$work/known_hosts" "$client_key" root "$address1" "test -f /etc/$marker"
check "the file is not on the machine" test ! -e "/etc/$marker" -a ! -e "/root/$marker"
check "the user is not on the machine" test -z "$(grep "^$marker:" /etc/passwd /etc/shadow /etc/group || true)"
check "the other hosts do not see it either" \
  ssh_to "$work/known_hosts" "$client_key" root "$(cut -f2 <<<"${lines[1]}")" "test ! -e /etc/$marker"
check "exec runs a command inside a host" \
  test "$("$TESTBED" exec --dir "$dir" "$(cut -f1 <<<"${lines[0]}")" cat "/etc/$marker")" = inside

snapshot=$(testbed_snapshot "$dir")
check "the testbed has processes, namespaces and links to remove" \
  test "$(grep -cE '^(pid|netns|link) ' <<<"$snapshot")" -ge 10
check "down" "$TESTBED" down --dir "$dir"
check_no_traces "$snapshot"
after=$(machine_fingerprint)
check "the machine's accounts, ssh, sudoers, units, routes and firewall are unchanged" \
  test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") >&2 || true
check "a second down is a no-op" "$TESTBED" down --dir "$dir"

finish
