#!/usr/bin/env bash
# The lockout guard when the new settings cut the controller off, on a plain
# testbed host (the guard's timer is a detached `sleep`).
# 1. sshd moves to 2222, but a firewall table owned by other software drops
#    2222 (as a provider's firewall would): no fresh connection gets through,
#    the host rolls itself back after lockout_timeout, sshd answers on 22
#    again with its old files, the run exits 3 and says why, and the other
#    table is untouched.
# 2. (with the firewall module) a ruleset that forgets the SSH port, with the
#    safety explicitly off: the same, and the live table is restored.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../engine/lib.sh"

TOOL=${RECONCILE_TESTBED_TOOL:?RECONCILE_TESTBED_TOOL is not set}
h=$(host_names | head -n 1)
inside() { "$TOOL" exec --dir "$TB" "$h" sh -c "$1" </dev/null; }
config_digest() { inside 'cat /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf 2>/dev/null | sha256sum'; }
listening() { inside "ss -Hltn | awk '{print \$4}' | sed 's/.*://' | sort -un | tr '\n' ' '"; }

inside 'nft -f - <<NFT
table inet other {
  chain input {
    type filter hook input priority -10; policy accept;
    tcp dport 2222 drop
  }
}
NFT'
other_before=$(inside 'nft list table inet other')
config_before=$(config_digest)

add_host "$h" "$(printf 'security:\n  ssh: {port: 2222}\n  lockout_timeout: 10s\n')"
start=$(date +%s.%N)
run_reconcile --connect-timeout 3
end=$(date +%s.%N)
expect_rc 3 "a change that cuts the controller off fails the run"
output_has "rolled back: could not reconnect on port 2222 after applying sshd settings" "and says it rolled back"
output_has "answers on port 22 again (sshd and the firewall are as before the run)" "and that the host is as before"
seconds=$(echo "$end - $start" | bc)
echo "figure: the run with the rollback took $seconds s (lockout_timeout 10 s); $(grep -o 'rolled back [0-9.]* s after the change' "$WORK/out")"
check "the run took about the lockout timeout, not much more" test "$(echo "$seconds < 40" | bc)" = 1
check "sshd listens on 22 again, not on 2222" test "$(listening)" = "22 "
check "sshd's files are as before" test "$(config_digest)" = "$config_before"
check "the guard is no longer armed and recorded its rollback" inside 'test ! -e /var/lib/reconcile/guard/armed && test -s /var/lib/reconcile/guard/rolled-back'
check "the other software's table is untouched" test "$(inside 'nft list table inet other')" = "$other_before"
run_reconcile --dry-run --connect-timeout 3
expect_rc 2 "the host is reachable with the old settings and the change is still planned"

# 2. A firewall that forgets the SSH port, with the safety explicitly off.
add_host "$h" "$(printf 'security:\n  firewall: {policy: drop, allow_tcp: [443], keep_ssh_open: false}\n  lockout_timeout: 10s\n')"
run_reconcile --dry-run --connect-timeout 3
expect_rc 2 "the plan loads a ruleset without the SSH port"
output_has "[lockout guard]" "under the lockout guard"
start=$(date +%s.%N)
run_reconcile --connect-timeout 3
end=$(date +%s.%N)
expect_rc 3 "the run fails"
output_has "rolled back: could not reconnect on port 22 after applying firewall" "and says the firewall change was rolled back"
output_has "answers on port 22 again (sshd and the firewall are as before the run)" "and that the host is as before"
echo "figure: the run with the firewall rollback took $(echo "$end - $start" | bc) s (lockout_timeout 10 s); $(grep -o 'rolled back [0-9.]* s after the change' "$WORK/out")"
check "the reconcile table is gone again (there was none before)" inside '! nft list table inet reconcile >/dev/null 2>&1'
check "the persisted ruleset is gone again" inside 'test ! -e /etc/nftables.d/reconcile.nft'
check "the other software's table is still untouched" test "$(inside 'nft list table inet other')" = "$other_before"
run_reconcile --dry-run --connect-timeout 3
expect_rc 2 "the host answers on 22 and the ruleset is still planned"

finish
