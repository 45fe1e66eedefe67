#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The daemon fetches over SSH with a deploy key: the repository lives on a
# testbed host (sshd, git), the daemon's --ssh-key is the deploy key and the
# server's host key is checked against --known-hosts. An unknown host key
# fails the fetch with a clear reason and applies nothing.
. "$(dirname "$0")/lib.sh"

server=${HOSTS[1]}
address=$(awk -v h="$server" '$1 == h {print $2}' "$BED/inventory.tsv")
remote=/srv/reconcile-ssh-fetch.git
file=/etc/reconcile-daemon-ssh-fetch.conf
"$TESTBED" exec --dir "$BED" "$server" sh -c "rm -rf $remote && git init -q --bare -b main $remote"
make_repo "$file" "over ssh"
export GIT_SSH_COMMAND="ssh -F $BED/ssh_config"
first=$(commit "over ssh")
git_in push -q "$server:$remote" main
check "the repository is on the server" \
  test "$("$TESTBED" exec --dir "$BED" "$server" git -C "$remote" rev-parse main)" = "$first"

# No known_hosts entry for the server: refused, nothing applied.
: >"$WORK/empty_known_hosts"
"$RECONCILE" watch --repo "ssh://root@$address$remote" --state "$WORK/refused" --listen off \
  --ssh-key "$BED/client_key" --known-hosts "$WORK/empty_known_hosts" >"$WORK/refused.log" 2>&1 &
DAEMON_PID=$!
fetch_error() { "$RECONCILE" status --state "$WORK/refused" --json | json_query "d['daemon'].get('last_fetch_error', '')" | grep -q "is not in $WORK/empty_known_hosts"; }
wait_for 60 "an unknown server host key fails the fetch" fetch_error
check "nothing was accepted" \
  test "$("$RECONCILE" status --state "$WORK/refused" --json | json_query "d['daemon'].get('desired_commit', '')")" = ""
stop_daemon

"$RECONCILE" watch --repo "ssh://root@$address$remote" --state "$STATE" --listen off \
  --ssh-key "$BED/client_key" --known-hosts "$BED/known_hosts" --interval 1h >>"$LOG" 2>&1 &
DAEMON_PID=$!
wait_for 120 "the commit fetched over SSH converges" every_host_converged_at "$first"
check "hosts have the file" every_host_has "$file" "over ssh"

set_file "$file" "over ssh, again"
second=$(commit "again")
git_in push -q "$server:$remote" main
"$RECONCILE" trigger --state "$STATE" --quiet
wait_for 60 "a second push over SSH is applied" every_host_has "$file" "over ssh, again"
wait_for 30 "and recorded" every_host_converged_at "$second"

check "the daemon stops cleanly" stop_daemon
"$TESTBED" exec --dir "$BED" "$server" rm -rf "$remote"
remove_file "$file"
finish
