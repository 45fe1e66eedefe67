#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# --require-signed: commits signed with `git commit -S` (gpg.format=ssh) by
# an allowed signer are applied; a push with an unsigned commit in the middle
# is refused, logged with the commit and why, shown in status, and the hosts
# keep the previous state, also through drift repair. Rewriting the branch
# with every commit signed gets it applied.
. "$(dirname "$0")/lib.sh"

file=/etc/reconcile-daemon-signed.conf
ssh-keygen -q -t ed25519 -N '' -C alice@example.org -f "$WORK/alice"
echo "alice@example.org namespaces=\"git\" $(cat "$WORK/alice.pub")" >"$WORK/allowed_signers"
make_repo "$file" "signed 1"
good=$(commit "signed 1" "$WORK/alice")
push >/dev/null
start_daemon --interval 3s --listen off --require-signed --allowed-signers "$WORK/allowed_signers"
wait_for 120 "a signed commit converges" every_host_converged_at "$good"

set_file "$file" "unsigned 2"
bad=$(commit "unsigned in the middle")
set_file "$file" "signed 3"
tip=$(commit "signed on top" "$WORK/alice")
push >/dev/null
"$RECONCILE" trigger --state "$STATE" --quiet
rejected() { test "$(status_json | json_query "d['daemon'].get('rejected_commit', '')")" = "$tip"; }
wait_for 60 "the push is refused" rejected
reason=$(status_json | json_query "d['daemon']['rejected_reason']")
check "the reason names the unsigned commit" grep -q "commit ${bad:0:12}" <<<"$reason"
check "the reason says why" grep -q "commit is not signed" <<<"$reason"
check "the run is recorded as rejected" \
  test "$(status_json | json_query "[r['result'] for r in d['runs'] if r['commit'] == '$tip'][0]")" = rejected
check "the log names the commit" grep -q "commit ${bad:0:12} (\"unsigned in the middle\") is not trusted: commit is not signed" "$LOG"
check "status text says it" bash -c "'$RECONCILE' status --state '$STATE' | grep -q '^REJECTED    ${tip:0:12}'"
check "the desired state stays at the last signed commit" \
  test "$(status_json | json_query "d['daemon']['desired_commit']")" = "$good"
# Two more intervals: drift repair goes on with the old state.
interval_runs() { test "$(status_json | json_query "sum(1 for r in d['runs'] if r['trigger'] == 'interval' and r['commit'] == '$good' and r['result'] == 'converged')")" -ge 2; }
wait_for 30 "interval runs keep applying the last good commit" interval_runs
check "hosts keep the previous state" every_host_has "$file" "signed 1"

git_in reset -q --hard "$good"
set_file "$file" "signed 2"
fixed=$(commit "signed again" "$WORK/alice")
push >/dev/null
"$RECONCILE" trigger --state "$STATE" --quiet
wait_for 60 "the rewritten, fully signed branch is applied" every_host_has "$file" "signed 2"
wait_for 30 "and recorded" every_host_converged_at "$fixed"
check "the refusal is cleared" test "$(status_json | json_query "d['daemon']['rejected_commit']")" = ""

check "the daemon stops cleanly" stop_daemon
remove_file "$file"
finish
