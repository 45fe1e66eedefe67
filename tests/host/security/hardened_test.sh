#!/usr/bin/env bash
# A hardened host on a systemd testbed host (the lockout guard's timer is a
# transient systemd timer here): sshd 22 -> 2222 with passwords off, an
# nftables firewall with policy drop that opens 2222 and 443, fail2ban's
# sshd jail following the new port. The controller reconnects on 2222 under
# the guard; a second dry run is empty; from the controller's side port 22
# no longer answers while 443 does; the guard's timer is gone.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../engine/lib.sh"

TOOL=${RECONCILE_TESTBED_TOOL:?RECONCILE_TESTBED_TOOL is not set}
h=$(host_names | head -n 1)
address=$(awk -F'\t' -v h="$h" '$1 == h { print $2 }' "$TB/inventory.tsv")
inside() { "$TOOL" exec --dir "$TB" "$h" sh -c "$1" </dev/null; }
# reachable PORT: a TCP connection from the controller to the host's PORT.
reachable() { timeout 3 bash -c "exec 3<>/dev/tcp/$address/$1" 2>/dev/null; }

# Something listening on 443 and on 8080 (8080 stays closed by the firewall).
inside 'systemd-run --quiet --unit=web443 python3 -m http.server --bind 0.0.0.0 443 && systemd-run --quiet --unit=web8080 python3 -m http.server --bind 0.0.0.0 8080'
for _ in $(seq 50); do reachable 8080 && break; sleep 0.2; done
check "before: 8080 answers (no firewall yet)" reachable 8080

cat >>"$REPO/hosts/$h.yaml.extra" <<'YAML'
security:
  ssh:
    port: 2222
    password_auth: false
    permit_root_login: prohibit-password
    kbd_interactive: false
  firewall:
    policy: drop
    allow_tcp: [443]
  fail2ban:
    sshd: {maxretry: 3, findtime: 10m, bantime: 1h, bantime_increment: true}
YAML
add_host "$h" "$(cat "$REPO/hosts/$h.yaml.extra")"
rm "$REPO/hosts/$h.yaml.extra"

run_reconcile --dry-run --connect-timeout 5
expect_rc 2 "the plan hardens the host"
output_has "[lockout guard]" "sshd and firewall changes run under the lockout guard"
start=$(date +%s.%N)
run_reconcile --connect-timeout 5
end=$(date +%s.%N)
expect_rc 0 "converged"
output_has "lockout guard: a fresh connection on port 2222 worked" "the controller reconnected on 2222"
echo "figure: apply took $(echo "$end - $start" | bc) s; $(grep -o 'worked [0-9.]* s after the change' "$WORK/out")"
run_reconcile --dry-run --connect-timeout 5
expect_rc 0 "the second dry run is empty"
check_fails "port 22 no longer answers from the controller's side" reachable 22
check "port 2222 answers" reachable 2222
check "443 is allowed by the ruleset" reachable 443
check_fails "8080 is dropped by the ruleset" reachable 8080
check "sshd listens on 2222 only" test "$(inside "ss -Hltn | awk '{print \$4}' | grep -E ':(22|2222)\$' | sed 's/.*://' | sort -u | tr '\n' ' '")" = "2222 "
check "fail2ban runs the sshd jail" inside 'fail2ban-client status sshd >/dev/null'
check "the jail watches port 2222" inside 'grep -Eq "^port *= *2222" /etc/fail2ban/jail.d/reconcile.local'
check "fail2ban is enabled" test "$(inside 'systemctl is-enabled fail2ban')" = enabled
check "nftables.service is enabled (the ruleset survives a reboot)" test "$(inside 'systemctl is-enabled nftables')" = enabled
check "the guard's timer is gone" test -z "$(inside 'systemctl list-timers --all --no-legend "reconcile-guard-*"')"
check "the guard is disarmed" inside 'test ! -e /var/lib/reconcile/guard/armed'

finish
