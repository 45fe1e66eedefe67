#!/usr/bin/env bash
# The ssh module and the lockout guard on plain testbed hosts (sshd without
# systemd, so the guard's timer is a detached `sleep`):
# - an option that fails `sshd -t` activates nothing: the drop-in is not
#   left behind, sshd_config is unchanged, sshd still answers as before;
# - port 22 -> 2222 and passwords off: sshd_config's own `Port 22` is
#   commented out, the controller reconnects on 2222 under the guard and
#   cancels the rollback, sshd listens on 2222 only, `sshd -T` agrees, the
#   second dry run (on 2222) is empty, and the guard is gone from the host;
# - a hand edit of the drop-in is drift and is repaired.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../engine/lib.sh"

TOOL=${RECONCILE_TESTBED_TOOL:?RECONCILE_TESTBED_TOOL is not set}
h=$(host_names | head -n 1)
# inside HOST COMMAND: a shell command in the host, without SSH (its port moves).
inside() { "$TOOL" exec --dir "$TB" "$h" sh -c "$1" </dev/null; }
digest_of_config() { inside 'cat /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf 2>/dev/null | sha256sum'; }
listening() { inside "ss -Hltn | awk '{print \$4}' | sed 's/.*://' | sort -un | tr '\n' ' '"; }

# 1. An option sshd rejects.
before=$(digest_of_config)
add_host "$h" "$(printf 'security:\n  ssh:\n    port: 2222\n    ciphers: [not-a-cipher]\n')"
run_reconcile --connect-timeout 5
expect_rc 3 "a configuration sshd -t rejects fails the run"
output_has "sshd -t rejected the new configuration; nothing was activated" "with sshd's reason"
output_has "not-a-cipher" "naming the bad value"
check "sshd_config and its drop-ins are as before" test "$(digest_of_config)" = "$before"
check "no drop-in is left behind" inside '! test -e /etc/ssh/sshd_config.d/50-reconcile.conf'
check "sshd still listens on 22 only" test "$(listening)" = "22 "
run_reconcile --dry-run --host "$h" --connect-timeout 5
output_has "sshd settings" "and the next plan still wants the change"

# 2. Port 22 -> 2222, passwords off, under the guard.
add_host "$h" "$(printf 'security:\n  ssh:\n    port: 2222\n    password_auth: false\n    kbd_interactive: false\n  lockout_timeout: 30s\n')"
run_reconcile --dry-run --connect-timeout 5
expect_rc 2 "the plan moves sshd"
output_has "[lockout guard]" "and shows the change runs under the lockout guard"
output_has "the controller connects on port 2222 from now on" "and says the controller follows the port"
output_has "overridden by /etc/ssh/sshd_config" "and names the Port line of sshd_config it disables"
start=$(date +%s.%N)
run_reconcile --connect-timeout 5
end=$(date +%s.%N)
expect_rc 0 "converged on the new port"
output_has "lockout guard: a fresh connection on port 2222 worked" "the guard confirmed a fresh connection"
echo "figure: apply on $h took $(echo "$end - $start" | bc) s; $(grep -o 'worked [0-9.]* s after the change' "$WORK/out")"
check "sshd listens on 2222 only" test "$(listening)" = "2222 "
check "sshd -T agrees" inside '/usr/sbin/sshd -T | grep -qx "passwordauthentication no" && /usr/sbin/sshd -T | grep -qx "port 2222" && ! /usr/sbin/sshd -T | grep -qx "port 22"'
check "sshd_config's own Port line is commented out" inside 'grep -q "^# disabled by reconcile (security.ssh): Port 22" /etc/ssh/sshd_config'
check "the guard is disarmed and its timer gone" inside '! test -e /var/lib/reconcile/guard/armed && ! ps -eo args | grep -qx "sleep 30"'
run_reconcile --dry-run --connect-timeout 5
expect_rc 0 "second dry run (over port 2222) is empty"
run_reconcile --dry-run --connect-timeout 5 --json
check "the controller used one connection, on the new port" python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["hosts"][0]["ssh_connections"] == 1' "$WORK/out"

# 3. Drift.
inside 'echo "PasswordAuthentication yes" >> /etc/ssh/sshd_config.d/50-reconcile.conf'
run_reconcile --dry-run --connect-timeout 5
expect_rc 2 "a hand-edited drop-in is drift"
output_has "50-reconcile.conf differs" "with its reason"
run_reconcile --connect-timeout 5
expect_rc 0 "and is repaired"
check "the drop-in is ours again" inside '! grep -q "PasswordAuthentication yes" /etc/ssh/sshd_config.d/50-reconcile.conf'

# 4. Two ports, and AllowUsers / AllowGroups: root may log in, deploy not.
address=$(awk -F'\t' -v h="$h" '$1 == h { print $2 }' "$TB/inventory.tsv")
login() { ssh -n -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 -i "$TB/client_key" -p "$2" "$1@$address" true; }
check "before: deploy can log in" login deploy 2222
add_host "$h" "$(printf 'security:\n  ssh:\n    port: [2222, 2223]\n    password_auth: false\n    allow_users: [root]\n    allow_groups: [root]\n')"
run_reconcile --connect-timeout 5
expect_rc 0 "two ports and the allow lists converge"
check "sshd listens on 2222 and 2223" test "$(listening)" = "2222 2223 "
check "sshd -T has the allow lists" inside '/usr/sbin/sshd -T | grep -qx "allowusers root" && /usr/sbin/sshd -T | grep -qx "allowgroups root"'
check "root logs in on 2223" login root 2223
check_fails "deploy is refused by AllowUsers" login deploy 2222
run_reconcile --dry-run --connect-timeout 5
expect_rc 0 "and the next dry run is empty"

finish
