#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/testbed --systemd: ten hosts boot systemd (systemd-nspawn -b) with
# sshd as a service. On every host systemd reports running (or degraded),
# sshd is ssh.service, a unit written by the test can be enabled and started
# for real (and survives a restart of itself), and the deploy user can do the
# same through sudo. The units and files never reach the machine; `down`
# leaves no namespace, link, cgroup, mount or process.
. "$(dirname "$0")/lib.sh"

dir=$(test_dir bed)
trap '"$TESTBED" down --dir "$dir" >/dev/null 2>&1 || true' EXIT

before=$(machine_fingerprint)
check "up 10 --systemd" "$TESTBED" up 10 --systemd --dir "$dir" --prefix sd
slot=$(slot_of "$dir")
check "the inventory says systemd" grep -q '"mode": "systemd"' "$dir/inventory.json"

unit=testbed-probe-$$
# Runs on each host as root: prints one line per fact, checked below.
probe_script="
set -u
echo state=\$(systemctl is-system-running)
echo pid1=\$(cat /proc/1/comm)
echo sshd=\$(systemctl is-active ssh.service)
echo hostname=\$(hostname)
printf '[Unit]\nDescription=testbed probe\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' >/etc/systemd/system/$unit.service
systemctl daemon-reload
systemctl enable --now $unit.service >/dev/null 2>&1
echo enabled=\$(systemctl is-enabled $unit.service)
echo active=\$(systemctl is-active $unit.service)
systemctl restart $unit.service
echo restarted=\$(systemctl is-active $unit.service)
echo transient=\$(systemd-run --quiet --wait --collect -p Type=oneshot /bin/true && echo ok)
"

mapfile -t lines <"$dir/inventory.tsv"
for line in "${lines[@]}"; do
  IFS=$'\t' read -r name address _ _ key client_key <<<"$line"
  echo "$address $key" >"$dir/test_known_hosts"
  facts=$(ssh_to "$dir/test_known_hosts" "$client_key" root "$address" "$probe_script" 2>&1 || true)
  state=$(sed -n 's/^state=//p' <<<"$facts")
  check "$name: systemd is running or degraded (is: ${state:-nothing})" \
    grep -qxE 'state=(running|degraded)' <<<"$facts"
  check "$name: PID 1 is systemd" grep -qx 'pid1=systemd' <<<"$facts"
  check "$name: sshd runs as ssh.service" grep -qx 'sshd=active' <<<"$facts"
  check "$name: hostname" grep -qx "hostname=$name" <<<"$facts"
  check "$name: a unit is enabled" grep -qx 'enabled=enabled' <<<"$facts"
  check "$name: a unit is started" grep -qx 'active=active' <<<"$facts"
  check "$name: a unit is restarted" grep -qx 'restarted=active' <<<"$facts"
  check "$name: a transient unit runs" grep -qx 'transient=ok' <<<"$facts"
  if [ "$failures" -gt 0 ]; then
    echo "$name said: $facts" >&2
  fi
done

IFS=$'\t' read -r name address _ _ key client_key <<<"${lines[0]}"
echo "$address $key" >"$dir/test_known_hosts"
check "deploy manages units through sudo" ssh_to "$dir/test_known_hosts" "$client_key" deploy \
  "$address" "sudo -n systemctl stop $unit.service && ! systemctl is-active --quiet $unit.service"
check "the unit is not on the machine" test ! -e "/etc/systemd/system/$unit.service"
# shellcheck disable=SC2016 # expanded by the inner shell
check "the host's cgroup exists while it runs" \
  bash -c 'ls -d /sys/fs/cgroup/*/reconcile-testbed/"$0"-* /sys/fs/cgroup/reconcile-testbed/"$0"-* 2>/dev/null | grep -q .' \
  "rtb$slot"

snapshot=$(testbed_snapshot "$dir")
check "down" "$TESTBED" down --dir "$dir"
check_no_traces "$snapshot"
after=$(machine_fingerprint)
check "the machine's accounts, ssh, sudoers, units, routes and firewall are unchanged" \
  test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") >&2 || true

finish
