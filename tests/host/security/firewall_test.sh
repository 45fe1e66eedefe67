#!/usr/bin/env bash
# The firewall module on real hosts (testbed, plain hosts: each host is a
# network namespace of its own, so nft inside it never touches the
# machine's firewall): a drop policy with 443 and a per-source rule
# converges; a table owned by other software is untouched; the second dry
# run is empty; traffic to an allowed port passes while another port is
# dropped; a hand-edited live table is drift and is repaired; the ruleset is
# persisted and included from /etc/nftables.conf (created when missing); a
# reload of that file (as at boot) is not drift. The SSH port stays open
# throughout (keep_ssh_open), so the controller is never cut off.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../engine/lib.sh"

first=$(host_names | sed -n 1p)
second=$(host_names | sed -n 2p)
address=$(awk -v h="$first" '$1 == h { print $2 }' "$TB/inventory.tsv")
controller=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["controller_address"])' "$TB/inventory.json")

# connects PORT: a TCP connection from the machine to the first host's PORT
# succeeds within 3 seconds (a dropped SYN times out).
connects() {
  timeout 3 python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()' "$address" "$1" 2>/dev/null
}

# Listeners inside the first host, for the traffic checks.
# shellcheck disable=SC2016 # expanded on the host
on "$first" 'for port in 443 5432 5433 8081; do
  setsid python3 -c "
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"0.0.0.0\", int(sys.argv[1]))); s.listen(16)
while True: s.accept()[0].close()
" "$port" >/dev/null 2>&1 </dev/null &
done'
sleep 1
check "before the firewall, 8081 is reachable" connects 8081

# A table that other software owns, with a rule, made before the first run.
on "$first" 'nft add table inet other &&
  nft add chain inet other input "{ type filter hook input priority 10; policy accept; }" &&
  nft add rule inet other input ip saddr 192.0.2.1 drop'
other_before=$(on "$first" nft list table inet other)

cat >"$REPO/roles/fw.yaml" <<YAML
security:
  firewall:
    policy: drop
    allow_tcp: [443]
    allow:
      - { port: 5432, from: [$controller, 2001:db8::/32] }
      - { port: 5433, from: [192.0.2.0/24] }
YAML
add_host "$first" "roles: [fw]"
# The second host: no /etc/nftables.conf yet, and no ICMP.
add_host "$second" "$(printf 'security:\n  firewall:\n    allow_icmp: false\n')"
on "$second" rm -f /etc/nftables.conf

run_reconcile --dry-run
expect_rc 2 "fresh hosts: the dry run plans the firewall"
output_has "+ firewall (table inet reconcile)" "the plan creates the table"
output_has "table inet reconcile does not exist" "the plan says why"
check_fails "a dry run loads nothing" on "$first" nft list table inet reconcile
run_reconcile
expect_rc 0 "first converge"
run_reconcile --dry-run
expect_rc 0 "the second dry run is empty"

check "the live table exists" on "$first" nft list table inet reconcile
check "the live table has the drop policy" on "$first" 'nft list chain inet reconcile input | grep -q "policy drop"'
check "the other table is untouched by the converge" test "$(on "$first" nft list table inet other)" = "$other_before"
check "the ruleset is persisted" on "$first" 'grep -q "tcp dport 443 accept" /etc/nftables.d/reconcile.nft'
check "the main config includes it" on "$first" 'grep -qx "include \"/etc/nftables.d/reconcile.nft\"" /etc/nftables.conf'
check "the main config keeps its own lines" on "$first" 'grep -qx "flush ruleset" /etc/nftables.conf'
check "the state file records two digests" on "$first" 'grep -Eqx "[0-9a-f]{64} [0-9a-f]{64}" /var/lib/reconcile/firewall.state'
check "a missing /etc/nftables.conf is created with the include" \
  test "$(on "$second" cat /etc/nftables.conf)" = "$(printf '#!/usr/sbin/nft -f\ninclude "/etc/nftables.d/reconcile.nft"')"
check "the second host accepts neighbour discovery only" on "$second" \
  'nft list table inet reconcile | grep -q nd-neighbor-solicit && ! nft list table inet reconcile | grep -q "ip protocol icmp"'
check "the persisted file passes nft -c" on "$first" nft -c -f /etc/nftables.d/reconcile.nft

check "443 (allow_tcp) passes the firewall" connects 443
check "5432 from the controller's address (per-source rule) passes" connects 5432
check_fails "5433 (allowed from another network only) is dropped" connects 5433
check_fails "8081 (not allowed) is dropped" connects 8081
check "SSH still works (keep_ssh_open)" on "$first" true

# A rule added by hand is drift, and a run puts the table back.
on "$first" nft add rule inet reconcile input tcp dport 23 accept
run_reconcile --dry-run --host "$first"
expect_rc 2 "a hand-edited live table is drift"
output_has "changed outside reconcile" "the plan says the live table was changed"
run_reconcile --host "$first"
expect_rc 0 "the drift is repaired"
check_fails "the hand-made rule is gone" on "$first" 'nft list table inet reconcile | grep -q "dport 23"'
run_reconcile --dry-run
expect_rc 0 "no drift left"
check "the other table is still untouched" test "$(on "$first" nft list table inet other)" = "$other_before"

# Persistence drift: the include removed, the file edited.
on "$first" 'sed -i "/reconcile.nft/d" /etc/nftables.conf; echo "# edited" >> /etc/nftables.d/reconcile.nft'
run_reconcile --dry-run --host "$first"
expect_rc 2 "a lost include and an edited persisted file are drift"
output_has "/etc/nftables.conf does not include /etc/nftables.d/reconcile.nft" "the plan names the include"
output_has "/etc/nftables.d/reconcile.nft differs" "the plan names the file"
run_reconcile --host "$first"
expect_rc 0 "persistence repaired"

# Loading the persisted configuration again, as nftables.service does at
# boot, gives the table new handles: that is not drift.
handles_before=$(on "$second" nft -j list table inet reconcile)
on "$second" 'nft -f /etc/nftables.conf'
check "the reload gave the table new handles" test "$(on "$second" nft -j list table inet reconcile)" != "$handles_before"
check "the reload did not duplicate rules" test "$(on "$second" 'nft -j list table inet reconcile | grep -o "\"rule\"" | wc -l')" = \
  "$(printf '%s' "$handles_before" | grep -o '"rule"' | wc -l)"
run_reconcile --dry-run --host "$second"
expect_rc 0 "the ruleset reloaded from /etc/nftables.conf is not drift"

# reconcile facts --json sums up the live table.
run_reconcile facts -C "$REPO" --json "$second"
expect_rc 0 "facts of the second host"
check "facts --json reports the table and its rules" python3 -c '
import json, sys
host = json.load(open(sys.argv[1]))[0]
firewall = host["facts"]["firewall"]
assert firewall["table"] is True and firewall["policy"] == "drop", firewall
assert firewall["rules"] == 5 and firewall["included"] is True, firewall
' "$WORK/out"

# A ruleset that nft -c rejects (here a stand-in nft that rejects every
# check) fails the change with nft's message and changes nothing.
table_before=$(on "$second" nft -j list table inet reconcile)
file_before=$(on "$second" sha256sum /etc/nftables.d/reconcile.nft)
# shellcheck disable=SC2016 # expanded on the host
on "$second" 'printf "#!/bin/sh\ncase \$1 in -c) echo \"Error: simulated rejection\" >&2; exit 1 ;; esac\nexec /usr/sbin/nft \"\$@\"\n" > /usr/local/sbin/nft && chmod 755 /usr/local/sbin/nft'
add_host "$second" "$(printf 'security:\n  firewall:\n    allow_icmp: false\n    allow_udp: [53]\n')"
run_reconcile --host "$second"
expect_rc 3 "a rejected ruleset fails the change"
output_has "nft -c rejected the ruleset; nothing was changed" "the failure says nothing was changed"
output_has "simulated rejection" "the failure carries nft's message"
check "the live table is unchanged" test "$(on "$second" nft -j list table inet reconcile)" = "$table_before"
check "the persisted file is unchanged" test "$(on "$second" sha256sum /etc/nftables.d/reconcile.nft)" = "$file_before"
on "$second" rm /usr/local/sbin/nft
run_reconcile --host "$second"
expect_rc 0 "with the real nft the change applies"

# A change of the desired state is planned with its fields.
add_host "$first" "$(printf 'security:\n  firewall:\n    allow_tcp: [443, 8081]\n')"
run_reconcile --dry-run --host "$first"
expect_rc 2 "a new port is a change"
output_has "the desired ruleset changed since the last apply" "the reason"
run_reconcile --host "$first"
expect_rc 0 "the new port is applied"
check "8081 now passes" connects 8081
check "the other table is untouched at the end" test "$(on "$first" nft list table inet other)" = "$other_before"

finish
