#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The daemon killed with SIGKILL in the middle of a run: the state store
# stays consistent (integrity check, the run left "running"), and a new
# daemon on the same state directory marks that run interrupted and
# converges every host on its next run. Then SIGTERM in the middle of a run:
# the hosts in flight finish their steps, the run is recorded, exit 0.
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

LOG_LEVEL=debug start_daemon --interval 1h --listen off
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

# SIGTERM mid-run: both hosts are in flight (the default --jobs is 32), so both finish.
for host in "${HOSTS[@]}"; do sed -i 's/content: "file \([0-9]*\)"/content: "term \1"/' "$CLONE/hosts/$host.yaml"; done
third=$(commit "forty files, again")
push >/dev/null
log_lines=$(wc -l <"$LOG")
"$RECONCILE" trigger --state "$STATE" --quiet
in_flight() {
  local host
  for host in "${HOSTS[@]}"; do
    tail -n +"$log_lines" "$LOG" | grep -q "^debug: $host: applying" || return 1
  done
}
wait_for 60 "both hosts are applying" in_flight
check "SIGTERM: the daemon finishes the host steps in flight and exits 0" stop_daemon
check "the hosts in flight finished their changes" every_host_has "$prefix-40.conf" "term 40"
check "the run is recorded as finished" \
  test "$(status_json | json_query "[r['result'] for r in d['runs'] if r['commit'] == '$third'][0]")" = converged
check "every host is recorded at the new commit" every_host_converged_at "$third"
check "status says the daemon stopped" \
  test "$(status_json | json_query "d['daemon']['running']")" = False
for host in "${HOSTS[@]}"; do
  "$TESTBED" exec --dir "$BED" "$host" sh -c "rm -f $prefix-*.conf" || true
done
finish
