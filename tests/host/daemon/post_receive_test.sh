#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `git push` to a bare repository with tools/post-receive installed is
# applied to every testbed host through `reconcile trigger`, long before the
# interval (1 h here) would have; the run is recorded with trigger "push";
# a push while no daemon runs still succeeds.
. "$(dirname "$0")/lib.sh"

file=/etc/reconcile-daemon-post-receive.conf
make_repo "$file" "version 1"
install -m 0755 "$SOURCE_DIR/tools/post-receive" "$BARE/hooks/post-receive"
export RECONCILE_STATE=$STATE
first=$(commit "version 1")
push >/dev/null
check "a push with no daemon running succeeds (the hook never fails it)" test -n "$first"

start_daemon --interval 1h --listen off
wait_for 120 "the first commit converges on every host" every_host_converged_at "$first"
check "hosts have version 1" every_host_has "$file" "version 1"

set_file "$file" "version 2"
second=$(commit "version 2")
output=$(push)
check "the hook tells the pusher the run is queued" grep -q "reconcile: run queued" <<<"$output"
wait_for 60 "version 2 is on every host after the push" every_host_has "$file" "version 2"
wait_for 30 "the state store has every host converged at the pushed commit" \
  every_host_converged_at "$second"
check "the run was triggered by the push" \
  test "$(status_json | json_query "[r['trigger'] for r in d['runs'] if r['commit'] == '$second'][0]")" = push

# Three pushes in a row coalesce: never more runs than pushes, one at a time.
for n in 3 4 5; do
  set_file "$file" "version $n"
  commit "version $n" >/dev/null
  push >/dev/null
done
last=$(git_in rev-parse HEAD)
wait_for 60 "the last of three quick pushes is applied" every_host_has "$file" "version 5"
wait_for 30 "and recorded" every_host_converged_at "$last"
check "no run overlapped another" test "$(status_json | json_query "sum(1 for r in d['runs'] if r['result'] == 'running')")" = 0

check "the daemon stops cleanly on SIGTERM" stop_daemon
check "status says it is not running" test "$(status_json | json_query "d['daemon']['running']")" = False
check "the trigger socket is gone" test ! -e "$STATE/trigger.sock"
remove_file "$file"
finish
