#!/usr/bin/env bash
# The firewall module on a systemd testbed host: nftables.service is enabled
# so the table comes back at boot; restarting the service (which loads
# /etc/nftables.conf: Debian's `flush ruleset`, its own table, then the
# include) brings the table back and is not drift; a disabled service is
# drift and is repaired.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../engine/lib.sh"

first=$(host_names | head -n 1)
add_host "$first" "$(printf 'security:\n  firewall:\n    allow_tcp: [443]\n')"

run_reconcile --dry-run
expect_rc 2 "a fresh systemd host plans the firewall"
output_has "nftables.service is disabled, want enabled" "the plan enables nftables.service"
run_reconcile
expect_rc 0 "converged"
check "nftables.service is enabled" test "$(on "$first" systemctl is-enabled nftables.service)" = enabled
run_reconcile --dry-run
expect_rc 0 "the second dry run is empty"

# As at boot: the service loads /etc/nftables.conf, which flushes the
# ruleset and includes the persisted table.
on "$first" 'nft flush ruleset && systemctl restart nftables.service'
check "the service brought the table back" on "$first" 'nft list table inet reconcile | grep -q "tcp dport 443 accept"'
run_reconcile --dry-run
expect_rc 0 "the table loaded by nftables.service is not drift"

on "$first" systemctl disable --quiet nftables.service
run_reconcile --dry-run
expect_rc 2 "a disabled nftables.service is drift"
run_reconcile
expect_rc 0 "repaired"
check "nftables.service is enabled again" test "$(on "$first" systemctl is-enabled nftables.service)" = enabled
finish
