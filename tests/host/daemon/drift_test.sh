#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A change made by hand on a host is repaired at the next interval, and
# recorded as a drift event (state store, status, metrics).
. "$(dirname "$0")/lib.sh"

file=/etc/reconcile-daemon-drift.conf
make_repo "$file" "as committed"
first=$(commit "managed file")
push >/dev/null
start_daemon --interval 3s --listen 127.0.0.1:0
wait_for 120 "the commit converges" every_host_converged_at "$first"

host=${HOSTS[0]}
"$TESTBED" exec --dir "$BED" "$host" sh -c "echo 'edited by hand' >$file; chmod 0600 $file"
check "the host was changed by hand" test "$(host_file "$host" "$file")" = "edited by hand"
wait_for 30 "the next interval repairs it" every_host_has "$file" "as committed"
check "the mode is repaired too" \
  test "$("$TESTBED" exec --dir "$BED" "$host" stat -c %a "$file")" = 644
drift() { test "$(status_json | json_query "[e['host'] for e in d['drift'] if e['repaired']][0]")" = "$host"; }
wait_for 10 "a repaired drift event is recorded for $host" drift
check "the other host had no drift" \
  test "$(status_json | json_query "sum(1 for e in d['drift'] if e['host'] != '$host')")" = 0
check "metrics count the drift" \
  bash -c "curl -s http://$(daemon_listen)/metrics | grep -qx 'reconcile_drift_events_total 1'"
check "status text shows it" bash -c "'$RECONCILE' status --state '$STATE' | grep -q '$host: .*(repaired)'"

check "the daemon stops cleanly" stop_daemon
remove_file "$file"
finish
