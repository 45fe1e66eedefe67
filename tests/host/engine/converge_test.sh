#!/usr/bin/env bash
# The main job on real hosts (testbed, plain hosts): converge users, groups,
# files and sysctl from fresh hosts; a second dry run is empty; a file whose
# content is every byte value arrives identical; changes made by hand show up
# as drift and are repaired; a destructive change is refused without
# --allow-destructive and done with it; the machine itself is untouched.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$REPO/files/all-bytes.bin"
cat >"$REPO/roles/base.yaml" <<'YAML'
groups:
  ops: { gid: 2000 }
users:
  alice:
    uid: 2001
    group: ops
    groups: [sudo]
    shell: /bin/bash
    authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRUIok6nlT3Ru0WFAvyBO0HgTyBI4cKM0k8/zEKce+L alice@example"]
files:
  /etc/motd: { content: "{{ host.name }} is managed by reconcile\n", template: true }
  /srv/app: { type: directory, owner: alice, group: ops, mode: "0750" }
  /srv/app/all-bytes.bin: { source: files/all-bytes.bin, owner: alice, mode: "0640" }
sysctl:
  net.ipv4.ip_forward: 1
  net.ipv4.conf.all.rp_filter: 1
YAML
for h in $(host_names); do add_host "$h" "roles: [base]"; done
first=$(host_names | head -n 1)
passwd_before=$(sha256sum /etc/passwd /etc/group)

run_reconcile --dry-run
expect_rc 2 "fresh hosts: the dry run finds changes"
output_has "+ user alice" "the plan creates alice"
run_reconcile
expect_rc 0 "first converge"
run_reconcile --dry-run
expect_rc 0 "second dry run is empty"
output_has "0 to create, 0 to update, 0 to remove" "the summary says nothing to do"

want=$(sha256sum <"$REPO/files/all-bytes.bin" | cut -d' ' -f1)
got=$(on "$first" sha256sum /srv/app/all-bytes.bin | cut -d' ' -f1)
check "every byte value 0x00-0xFF arrives identical" test "$want" = "$got"
check "owner and mode as declared" test "$(on "$first" "stat -c '%U:%G %a' /srv/app/all-bytes.bin")" = "alice:root 640"
check "alice is in ops and sudo" test "$(on "$first" id -Gn alice)" = "ops sudo"
check "authorized_keys is 0600 in a 0700 .ssh" \
  test "$(on "$first" "stat -c %a /home/alice/.ssh/authorized_keys /home/alice/.ssh" | tr '\n' ' ')" = "600 700 "
check "the template rendered the host name" test "$(on "$first" cat /etc/motd)" = "$first is managed by reconcile"
check "sysctl applied live in the host's namespace" test "$(on "$first" cat /proc/sys/net/ipv4/ip_forward)" = 1

# Drift made by hand is found and repaired.
on "$first" 'echo tampered >> /etc/motd; usermod -s /bin/sh alice; chmod 0777 /srv/app'
run_reconcile --dry-run --host "$first"
expect_rc 2 "hand-made changes show up as drift"
output_has "~ file /etc/motd" "edited file in the plan"
output_has "shell is /bin/sh, want /bin/bash" "changed shell in the plan, with its reason"
output_has "mode is 777, want 750" "changed mode in the plan"
run_reconcile --host "$first"
expect_rc 0 "drift repaired"
run_reconcile --dry-run
expect_rc 0 "no drift left"

# A destructive change waits for --allow-destructive.
on "$first" 'useradd -m olduser'
add_host "$first" "$(printf 'roles: [base]\nusers:\n  olduser: { state: absent }')"
run_reconcile --host "$first"
expect_rc 3 "a destructive change without the flag is refused"
output_has "run with --allow-destructive" "the refusal says how to proceed"
check "olduser still exists" on "$first" id olduser
run_reconcile --host "$first" --allow-destructive
expect_rc 0 "with --allow-destructive the user is removed"
check_fails "olduser is gone" on "$first" id olduser

# A change that fails reports the host's error and exit 3; others continue.
add_host "$first" "$(printf 'roles: [base]\nsysctl:\n  net.ipv4.no_such_key: 1')"
run_reconcile
expect_rc 3 "a failing change exits 3"
output_has "net.ipv4.no_such_key" "the failure names the key"
check "the bad key never reached the drop-in" test -z "$(on "$first" "grep no_such_key /etc/sysctl.d/60-reconcile.conf || true")"
add_host "$first" "roles: [base]"
run_reconcile --dry-run
expect_rc 0 "the failed change left the host as it was, and the other hosts converged"

check "the machine's own accounts are untouched" test "$(sha256sum /etc/passwd /etc/group)" = "$passwd_before"
finish
