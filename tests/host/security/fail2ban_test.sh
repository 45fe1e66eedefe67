#!/usr/bin/env bash
# security.fail2ban and security.auto_updates on a systemd testbed host:
# converge (jail file, service enabled and running, bans in nftables, apt
# settings and timers), an empty second plan, drift in the jail file, a
# timer and an overriding apt file, a jail fail2ban rejects (the previous
# file stays, fail2ban keeps running), and the sshd jail following a second
# port in security.ssh (bans cover it; earlier bans stay). fail2ban, nftables, python3-systemd and
# unattended-upgrades are installed on this machine (tools/install-deps), so
# they are installed on its overlay hosts; the install path is a unit test.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../engine/lib.sh"

h=$(host_names | head -n 1)
jail_file=/etc/fail2ban/jail.d/reconcile.local

# output_or_err_has TEXT DESCRIPTION: the last run's stdout or stderr has TEXT.
output_or_err_has() {
  if grep -qF -- "$1" "$WORK/out" "$WORK/err"; then
    pass "$2"
  else
    fail "$2: no '$1' in the output"
    sed 's/^/  out: /' "$WORK/out" >&2
    sed 's/^/  err: /' "$WORK/err" >&2
  fi
}

# equals DESCRIPTION ACTUAL WANT
equals() {
  if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: '$2', want '$3'"; fi
}

# security: with the sshd jail and the jail lines given (indented as jails).
security() {
  printf 'security:\n  auto_updates: { schedule: daily, reboot: true, reboot_time: "03:30" }\n'
  printf '  fail2ban:\n    sshd: { maxretry: 3, findtime: 10m, bantime: 1h, bantime_increment: true }\n'
  printf '%s' "${1-}"
}
add_host "$h" "$(security)"

# The testbed disables the machine's services and timers in its hosts.
equals "fail2ban starts out disabled" "$(on "$h" systemctl is-enabled fail2ban || true)" disabled

run_reconcile --dry-run
expect_rc 2 "plan: jail file, service, reload, apt settings, timers"
output_has "+ fail2ban jails $jail_file" "the jail file is created"
output_has "~ service fail2ban" "fail2ban is enabled and started"
output_has "~ reload fail2ban" "and reloaded after the jail file is written"
output_has "+ auto-updates settings /etc/apt/apt.conf.d/52reconcile-auto-updates" \
  "the apt settings file is created"
output_has "~ apt timers" "the apt timers are enabled"
check_fails "installed packages are not installed again" grep -qF "package" "$WORK/out"

run_reconcile
expect_rc 0 "converged"
check "fail2ban-client status sshd works" on "$h" fail2ban-client status sshd
equals "fail2ban is enabled" "$(on "$h" systemctl is-enabled fail2ban)" enabled
equals "fail2ban is active" "$(on "$h" systemctl is-active fail2ban)" active
equals "sshd jail: maxretry" "$(on "$h" fail2ban-client get sshd maxretry)" 3
equals "sshd jail: findtime" "$(on "$h" fail2ban-client get sshd findtime)" 600
equals "sshd jail: bantime" "$(on "$h" fail2ban-client get sshd bantime)" 3600
check "sshd jail: reads the journal (backend systemd)" \
  sh -c "ssh -F '$TB/ssh_config' '$h' fail2ban-client get sshd journalmatch </dev/null | grep -q _SYSTEMD_UNIT=sshd.service"
check "sshd jail: incremental bans" on "$h" "grep -qx 'bantime.increment = true' $jail_file"
check "sshd jail: the port sshd listens on" on "$h" "grep -qx 'port = 22' $jail_file"
on "$h" fail2ban-client set sshd banip 192.0.2.7 >/dev/null
check "a ban lands in fail2ban's nftables table" \
  sh -c "ssh -F '$TB/ssh_config' '$h' nft list table inet f2b-table </dev/null | grep -q 192.0.2.7"
on "$h" fail2ban-client set sshd unbanip 192.0.2.7 >/dev/null

settings=$(on "$h" "apt-config dump | grep -i -E 'Periodic|Automatic-Reboot'")
for line in 'APT::Periodic::Update-Package-Lists "1";' 'APT::Periodic::Unattended-Upgrade "1";' \
  'Unattended-Upgrade::Automatic-Reboot "true";' 'Unattended-Upgrade::Automatic-Reboot-Time "03:30";'; do
  check "apt-config: $line" grep -qxF -- "$line" <<<"$settings"
done
for timer in apt-daily.timer apt-daily-upgrade.timer; do
  equals "$timer is enabled" "$(on "$h" systemctl is-enabled "$timer")" enabled
done

run_reconcile --dry-run
expect_rc 0 "second dry run is empty"

run_reconcile facts -C "$REPO" --json
expect_rc 0 "reconcile facts --json"
check "the facts show fail2ban and auto_updates as converged" python3 -c '
import json, sys
facts = json.load(open(sys.argv[1]))[0]["facts"]
f, a = facts["fail2ban"], facts["auto_updates"]
assert f["packages"]["fail2ban"] == "installed" and f["enabled"] == "enabled", f
assert f["active"] == "active" and len(f["jail_file_sha256"]) == 64, f
assert a["packages"]["unattended-upgrades"] == "installed", a
assert a["settings"]["Unattended-Upgrade::Automatic-Reboot-Time"] == "03:30", a
assert a["timers"] == {"apt-daily.timer": "enabled", "apt-daily-upgrade.timer": "enabled"}, a
' "$WORK/out"

# A hand edit of the jail file is drift: rewritten, and fail2ban reloaded.
on "$h" "printf '[sshd]\nmaxretry = 99\n' >> $jail_file"
run_reconcile --dry-run
expect_rc 2 "a hand-edited jail file is drift"
output_has "$jail_file differs" "with its reason"
output_has "~ reload fail2ban" "and a reload"
run_reconcile
expect_rc 0 "the jail file is repaired"
check_fails "the hand edit is gone" on "$h" "grep -q 'maxretry = 99' $jail_file"
equals "fail2ban runs with the declared maxretry again" "$(on "$h" fail2ban-client get sshd maxretry)" 3
run_reconcile --dry-run
expect_rc 0 "empty again"

# A disabled timer and an apt file that overrides ours are drift too.
on "$h" systemctl disable --quiet apt-daily.timer
on "$h" "echo 'APT::Periodic::Unattended-Upgrade \"0\";' > /etc/apt/apt.conf.d/99override"
run_reconcile --dry-run
expect_rc 2 "a disabled timer and an overridden setting are drift"
output_has "apt-daily.timer is disabled, want enabled" "the timer, with its reason"
output_has 'APT::Periodic::Unattended-Upgrade is "0", want "1"' "the overridden setting, named"
run_reconcile
expect_rc 3 "an overridden setting fails the run instead of passing silently"
output_or_err_has "a file read later in /etc/apt/apt.conf.d overrides it" "and says why"
equals "the timer is enabled again" "$(on "$h" systemctl is-enabled apt-daily.timer)" enabled
on "$h" rm /etc/apt/apt.conf.d/99override
run_reconcile --dry-run
expect_rc 0 "without the overriding file the host has converged"

# A jail fail2ban does not know: rejected by fail2ban-client -t, the previous
# file stays and fail2ban keeps running with it.
digest_before=$(on "$h" sha256sum "$jail_file")
add_host "$h" "$(security '    reconcile-no-such-jail: { maxretry: 2 }')"
run_reconcile
expect_rc 3 "a jail fail2ban rejects fails the run"
output_or_err_has "fail2ban rejected the configuration" "with fail2ban's verdict"
equals "the previous jail file is back" "$(on "$h" sha256sum "$jail_file")" "$digest_before"
equals "fail2ban still runs" "$(on "$h" systemctl is-active fail2ban)" active
check "and still has its sshd jail" on "$h" fail2ban-client status sshd
add_host "$h" "$(security)"
run_reconcile --dry-run
expect_rc 0 "back to the valid jails, nothing to do"

# The sshd jail follows the ssh module: a second sshd port is banned too,
# and a ban from before the change stays.
on "$h" fail2ban-client set sshd banip 192.0.2.8 >/dev/null
add_host "$h" "$(security)
  ssh: { port: [22, 2222] }"
run_reconcile --dry-run
expect_rc 2 "an sshd port added in security.ssh changes the jail file"
output_has "~ fail2ban jails $jail_file" "the jail file is rewritten"
run_reconcile
expect_rc 0 "sshd and the jail converge"
check "the sshd jail names both ports" on "$h" "grep -qx 'port = 22,2222' $jail_file"
nft_table=$(on "$h" nft list table inet f2b-table)
check "bans cover both ports" grep -qF 'dport { 22, 2222 }' <<<"$nft_table"
check "the ban from before the change is still in place" grep -qF 192.0.2.8 <<<"$nft_table"
on "$h" fail2ban-client set sshd unbanip 192.0.2.8 >/dev/null
run_reconcile --dry-run
expect_rc 0 "nothing left to do"
finish
