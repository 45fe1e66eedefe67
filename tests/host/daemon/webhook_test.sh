#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# POST /hooks/git with a GitHub-compatible X-Hub-Signature-256: a bad or
# missing signature is 401 and nothing is fetched; a good one makes the
# daemon fetch and apply the pushed commit. Also the other endpoints over
# real HTTP: healthz, metrics, hosts, runs, and the bearer-token API.
. "$(dirname "$0")/lib.sh"

file=/etc/reconcile-daemon-webhook.conf
make_repo "$file" "hook 1"
first=$(commit "hook 1")
push >/dev/null
printf 'webhook-s3cret\n' >"$WORK/webhook_secret"
printf 'api-t0ken\n' >"$WORK/api_token"
chmod 0600 "$WORK/webhook_secret" "$WORK/api_token"
start_daemon --interval 1h --listen 127.0.0.1:0 --webhook-secret-file "$WORK/webhook_secret" \
  --api-token-file "$WORK/api_token"
wait_for 120 "the first commit converges" every_host_converged_at "$first"
base=http://$(daemon_listen)

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac webhook-s3cret | sed 's/^.*= //'; }

set_file "$file" "hook 2"
second=$(commit "hook 2")
push >/dev/null
body='{"ref":"refs/heads/main","after":"'"$second"'"}'
check "no signature: 401" test "$(code -X POST -d "$body" "$base/hooks/git")" = 401
check "bad signature: 401" test "$(code -X POST -H "X-Hub-Signature-256: sha256=$(sign "$body x")" \
  -d "$body" "$base/hooks/git")" = 401
sleep 2
check "nothing was fetched after the refused webhooks" \
  test "$(status_json | json_query "d['daemon']['fetched_commit']")" = "$first"
check "hosts still have the old version" every_host_has "$file" "hook 1"

check "good signature: 202" test "$(code -X POST -H "X-GitHub-Event: push" \
  -H "X-Hub-Signature-256: sha256=$(sign "$body")" -d "$body" "$base/hooks/git")" = 202
wait_for 60 "the pushed commit is applied after the webhook" every_host_has "$file" "hook 2"
wait_for 30 "and recorded" every_host_converged_at "$second"
check "the run was triggered by the webhook" \
  test "$(status_json | json_query "d['runs'][0]['trigger']")" = webhook

check "healthz" test "$(curl -s "$base/healthz")" = ok
metrics=$(curl -s "$base/metrics")
check "metrics count hosts by status" grep -q "^reconcile_hosts{status=\"converged\"} ${#HOSTS[@]}\$" <<<"$metrics"
check "metrics have the applied commit time" \
  grep -q '^reconcile_last_applied_commit_timestamp_seconds [1-9]' <<<"$metrics"
check "GET /api/v1/hosts lists the hosts" \
  test "$(curl -s "$base/api/v1/hosts" | json_query "len(d['hosts'])")" = "${#HOSTS[@]}"
run=$(curl -s "$base/api/v1/runs?limit=1" | json_query "d['runs'][0]['id']")
check "GET /api/v1/runs/ID has per-host output" \
  test "$(curl -s "$base/api/v1/runs/$run" | json_query "len(d['hosts'][0]['output']) > 0")" = True
check "no secret in any response" \
  bash -c "! curl -s $base/api/v1/runs/$run $base/api/v1/hosts $base/metrics | grep -q -e webhook-s3cret -e api-t0ken"
check "POST /api/v1/reconcile without the token: 401" \
  test "$(code -X POST "$base/api/v1/reconcile")" = 401
runs_before=$(status_json | json_query "len(d['runs'])")
check "POST /api/v1/reconcile with the token: 202" \
  test "$(code -X POST -H 'Authorization: Bearer api-t0ken' "$base/api/v1/reconcile")" = 202
more_runs() { test "$(status_json | json_query "len(d['runs'])")" -gt "$runs_before"; }
wait_for 60 "the API trigger ran" more_runs

check "the daemon stops cleanly" stop_daemon
remove_file "$file"
finish
