#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The daemon rolls out like `reconcile`: with the first host as canary, a
# commit whose health check fails on the canary changes the canary only, is
# marked failed (status, API, metrics) and is not re-applied at the next
# intervals, while the other host keeps getting drift repair at the last
# good commit; the next good commit rolls out to every host.
. "$(dirname "$0")/lib.sh"

file=/etc/reconcile-daemon-rollout.conf
healthy=/etc/reconcile-daemon-rollout.healthy
canary=${HOSTS[0]}
other=${HOSTS[1]}
make_repo "$file" "release 1"
printf 'rollout: { canary: [%s] }\n' "$canary" >"$CLONE/reconcile.yaml"

# release CONTENT CANARY_HEALTH: every host gets FILE with CONTENT and a
# health check that passes where the health file says yes.
release() {
  local content=$1 canary_health=$2 host value
  printf '%s\n' "$content" >"$CLONE/files/managed"
  for host in "${HOSTS[@]}"; do
    value=yes
    [ "$host" = "$canary" ] && value=$canary_health
    cat "$BED/hosts/$host.yaml" >"$CLONE/hosts/$host.yaml"
    cat >>"$CLONE/hosts/$host.yaml" <<YAML
files:
  $file: { source: files/managed, mode: "0644" }
  $healthy: { content: "$value\n" }
health:
  - command: grep -qx yes $healthy
  - { timeout: 5s, retries: 1, interval: 1s }
YAML
  done
}

failed_commit() { status_json | json_query "d['daemon'].get('failed_commit', '')"; }
failed_is() { test "$(failed_commit)" = "$1"; }
file_is() { test "$(host_file "$1" "$file")" = "$2"; }
runs_at() { status_json | json_query "sum(1 for r in d['runs'] if r['commit'] == '$1')"; }

release "release 1" yes
good=$(commit "release 1")
push >/dev/null
start_daemon --interval 3s --listen 127.0.0.1:0
wait_for 120 "the first commit converges on every host" every_host_converged_at "$good"

release "release 2" no
bad=$(commit "release 2, unhealthy on the canary")
push >/dev/null
"$RECONCILE" trigger --state "$STATE" -q
wait_for 60 "the commit is marked failed" failed_is "$bad"
check "the canary got the bad commit" test "$(host_file "$canary" "$file")" = "release 2"
check "the other host was left untouched" test "$(host_file "$other" "$file")" = "release 1"
check "the run says why and who was left" bash -c "'$RECONCILE' status --state '$STATE' --json | python3 -c \"import json,sys; d=json.load(sys.stdin); r=[r for r in d['runs'] if r['commit']=='$bad'][0]; assert r['result']=='failed', r; assert 'canary' in r['error'] and '$other' in r['error'], r\""
check "status text shows the stuck commit" \
  bash -c "'$RECONCILE' status --state '$STATE' | grep -q '^FAILED      ${bad:0:12}'"
check "metrics show the stuck commit" \
  bash -c "curl -s http://$(daemon_listen)/metrics | grep -qx 'reconcile_commit_rollout_failed 1'"

# Two intervals later: not re-applied; the other host is repaired at the
# good commit (drift made by hand on it is undone).
"$TESTBED" exec --dir "$BED" "$other" sh -c "echo 'edited by hand' >$file"
before=$(runs_at "$bad")
wait_for 30 "drift repair at the good commit still runs for the other host" \
  file_is "$other" "release 1"
sleep 7
check "the failed commit was not re-applied at the next intervals" test "$(runs_at "$bad")" = "$before"
check "the canary keeps the state it reached" test "$(host_file "$canary" "$file")" = "release 2"
check "it is still marked failed" test "$(failed_commit)" = "$bad"

release "release 3" yes
fixed=$(commit "release 3, healthy")
push >/dev/null
"$RECONCILE" trigger --state "$STATE" -q
wait_for 120 "the next good commit rolls out to every host" every_host_converged_at "$fixed"
check "every host has it" every_host_has "$file" "release 3"
check "the failed mark is gone" test -z "$(failed_commit)"
check "metrics agree" \
  bash -c "curl -s http://$(daemon_listen)/metrics | grep -qx 'reconcile_commit_rollout_failed 0'"

check "the daemon stops cleanly" stop_daemon
remove_file "$file"
remove_file "$healthy"
finish
