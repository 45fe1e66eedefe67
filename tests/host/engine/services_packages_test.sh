#!/usr/bin/env bash
# Packages and services on systemd testbed hosts. The hosts have no network
# beyond the testbed, so packages come from a local apt repository built
# here (a tiny .deb) and placed on each host; the hosts' own Debian sources
# are set aside inside the host so that `apt-get update` works offline.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

# A package of our own and a trusted local repository holding it.
pkg=$WORK/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/reconcile-test-pkg" "$WORK/apt"
printf 'Package: reconcile-test-pkg\nVersion: 1.0\nArchitecture: all\nMaintainer: test <test@example.org>\nDescription: test package\n' >"$pkg/DEBIAN/control"
echo installed >"$pkg/usr/share/reconcile-test-pkg/marker"
dpkg-deb --build --root-owner-group "$pkg" "$WORK/apt/reconcile-test-pkg_1.0_all.deb" >/dev/null
(cd "$WORK/apt" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages)
for h in $(host_names); do
  on "$h" 'mkdir -p /root/apt-sources-aside /srv/apt && mv /etc/apt/sources.list.d/* /root/apt-sources-aside/ 2>/dev/null; : > /etc/apt/sources.list; echo "deb [trusted=yes] file:/srv/apt ./" > /etc/apt/sources.list.d/local.list; rm -rf /var/lib/apt/lists/*'
  scp -q -F "$TB/ssh_config" "$WORK/apt/Packages" "$WORK/apt/reconcile-test-pkg_1.0_all.deb" "$h:/srv/apt/"
done

cat >"$REPO/roles/app.yaml" <<'YAML'
packages: [reconcile-test-pkg]
files:
  /etc/reconcile-test.conf: { content: "version 1\n", restart: [reconcile-test] }
services:
  reconcile-test:
    enabled: true
    running: true
    unit: |
      [Unit]
      Description=reconcile test service
      [Service]
      ExecStart=/bin/sleep infinity
      [Install]
      WantedBy=multi-user.target
YAML
for h in $(host_names); do add_host "$h" "roles: [app]"; done
first=$(host_names | head -n 1)

run_reconcile --dry-run
expect_rc 2 "plan: package, unit file, service, file"
output_has "the package index will be refreshed first" "an unknown package refreshes the index"
run_reconcile
expect_rc 0 "converged: package installed from the local repository, service running"
check "the package's file is there" test "$(on "$first" cat /usr/share/reconcile-test-pkg/marker)" = installed
check "the service is active" test "$(on "$first" systemctl is-active reconcile-test)" = active
check "the service is enabled" test "$(on "$first" systemctl is-enabled reconcile-test)" = enabled
run_reconcile --dry-run
expect_rc 0 "second dry run is empty"

# A stopped service is drift; a changed file restarts its service.
on "$first" systemctl stop reconcile-test
run_reconcile --dry-run --host "$first"
expect_rc 2 "a stopped service shows up as drift"
output_has "service is inactive, want running" "with its reason"
run_reconcile --host "$first"
expect_rc 0 "the service is started again"
pid_before=$(on "$first" systemctl show -p MainPID --value reconcile-test)
add_host "$first" "$(printf 'roles: [app]\nfiles:\n  /etc/reconcile-test.conf: { content: "version 2\\n", restart: [reconcile-test] }')"
run_reconcile --host "$first"
expect_rc 0 "the changed file is written"
output_has "~ restart reconcile-test" "and the service is restarted"
pid_after=$(on "$first" systemctl show -p MainPID --value reconcile-test)
check "the service has a new main process" test "$pid_before" != "$pid_after"

# A service that fails to start is reported with its journal.
cat >>"$REPO/hosts/$first.yaml" <<'YAML'
services:
  reconcile-broken:
    running: true
    unit: |
      [Service]
      Type=oneshot
      ExecStart=/bin/sh -c 'echo boom-from-the-unit; exit 1'
YAML
run_reconcile --host "$first"
expect_rc 3 "a service that fails to start fails the run"
output_has "boom-from-the-unit" "the failure shows the service's journal"

# Removing a package is destructive.
add_host "$first" "$(printf 'roles: [app]\npackages: { reconcile-test-pkg: absent }')"
run_reconcile --host "$first"
expect_rc 3 "package removal needs --allow-destructive"
check "still installed" on "$first" test -f /usr/share/reconcile-test-pkg/marker
run_reconcile --host "$first" --allow-destructive
expect_rc 0 "removed with the flag"
check_fails "the package's file is gone" on "$first" test -f /usr/share/reconcile-test-pkg/marker
finish
