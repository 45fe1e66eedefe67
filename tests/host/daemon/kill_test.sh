#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The daemon killed with SIGKILL in the middle of a run: the state store
# stays consistent (integrity check, the run left "running"), and a new
# daemon on the same state directory marks that run interrupted and
# converges every host on its next run.
. "$(dirname "$0")/lib.sh"

prefix=/etc/reconcile-daemon-kill
make_repo "$prefix-0.conf" "start"
first=$(commit "start")
push >/dev/null
start_daemon --interval 1h --listen off
wait_for 120 "the first commit converges" every_host_converged_at "$first"

# A commit with many changes makes a run long enough to be caught in.
set_file "$prefix-0.conf" "many"
for host in "${HOSTS[@]}"; do
  for n in $(seq 1 40); do
    echo "  $prefix-$n.conf: { content: \"file $n\", mode: \"0644\" }"
  done >>"$CLONE/hosts/$host.yaml"
done
second=$(commit "forty files")
push >/dev/null
"$RECONCILE" trigger --state "$STATE" --quiet
running() { test "$(status_json | json_query "d['runs'][0]['result']")" = running; }
wait_for 60 "a run is in progress" running
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
check "the run was left running" running
check "the state store passes SQLite's integrity check" \
  test "$(sqlite3 "$STATE/state.db" 'PRAGMA integrity_check')" = ok
check "and its foreign key check" test -z "$(sqlite3 "$STATE/state.db" 'PRAGMA foreign_key_check')"
check "status reads it while no daemon runs" \
  test "$(status_json | json_query "d['daemon']['running']")" = False

start_daemon --interval 1h --listen off
wait_for 120 "the restarted daemon converges every host at the new commit" \
  every_host_converged_at "$second"
check "the killed run is marked interrupted" \
  test "$(status_json | json_query "[r['result'] for r in d['runs'] if r['trigger'] == 'push'][0]")" = interrupted
check "no run is left running" \
  test "$(status_json | json_query "sum(1 for r in d['runs'] if r['result'] == 'running')")" = 0
check "every file is on every host" every_host_has "$prefix-40.conf" "file 40"
check "the log says a run was interrupted" grep -q "run(s) were interrupted" "$LOG"
check "the state store is still consistent" \
  test "$(sqlite3 "$STATE/state.db" 'PRAGMA integrity_check')" = ok

check "the daemon stops cleanly" stop_daemon
for host in "${HOSTS[@]}"; do
  "$TESTBED" exec --dir "$BED" "$host" sh -c "rm -f $prefix-*.conf" || true
done
finish
