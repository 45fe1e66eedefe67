#!/usr/bin/env bash
# A service named in a secret's restart: list restarts when the secret's
# value changes, and only then (systemd testbed host).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

set_secret api-key "$(random_value)"
cat >"$REPO/roles/app.yaml" <<'YAML'
services:
  reconcile-secret-test:
    enabled: true
    running: true
    unit: |
      [Unit]
      Description=reconcile secrets restart test
      [Service]
      ExecStart=/bin/sleep infinity
      [Install]
      WantedBy=multi-user.target
secrets:
  api-key: { mode: "0400", restart: [reconcile-secret-test] }
YAML
for h in $(host_names); do add_host "$h" "roles: [app]"; done
first=$(host_names | head -n 1)

run_reconcile_secrets
expect_rc 0 "converged: secret delivered, service running"
main_pid() { on "$first" systemctl show -p MainPID --value reconcile-secret-test; }
pid_before=$(main_pid)
check "the service runs" test "$pid_before" -gt 0

run_reconcile_secrets
expect_rc 0 "nothing changed"
check "an unchanged secret restarts nothing" test "$(main_pid)" = "$pid_before"

value=$(random_value)
set_secret api-key "$value"
run_reconcile_secrets --dry-run
expect_rc 2 "a new value is a change"
output_has "~ secret api-key" "the secret is updated"
output_has "~ restart reconcile-secret-test" "and the service restarts"
output_has "restart because api-key changes" "because of the secret"
run_reconcile_secrets
expect_rc 0 "applied"
pid_after=$(main_pid)
check "the service has a new main process" test "$pid_after" != "$pid_before" -a "$pid_after" -gt 0
check "with the new value in place" \
  test "$(on "$first" sha256sum /run/secrets/api-key | cut -d' ' -f1)" = "$(sha_of "$value")"
check "/run/secrets is a tmpfs mount on the systemd host too" on "$first" mountpoint -q /run/secrets
finish
