#!/usr/bin/env bash
# Rollouts on six plain testbed hosts: canary + batches of 2, health checks
# (command, http against python3 -m http.server on each host, tcp) run on the
# hosts after apply.
#  - a good commit reaches every host in the declared order: canary, then
#    batch after batch (the apply times of a managed file on the hosts);
#  - a commit whose health check fails on the canary changes only the canary
#    and stops, saying what was changed, what failed and why, what was left;
#  - max_failures: 1 tolerates one failing host and stops at the second;
#    --max-failures overrides it for one run;
#  - --dry-run shows the stages and the checks; bad flags exit 1.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../engine/lib.sh"

mapfile -t hosts < <(host_names)
[ "${#hosts[@]}" = 6 ] || { echo "this test needs 6 testbed hosts, got ${#hosts[@]}" >&2; exit 1; }

# A web server on each host for the http and tcp checks, serving /srv/www.
for h in "${hosts[@]}"; do
  # Only the server goes to the background, with every descriptor away from
  # the SSH channel: ssh returns when nothing holds the channel open.
  on "$h" 'mkdir -p /srv/www && echo ok > /srv/www/ok.txt &&
    { setsid python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv/www </dev/null >/dev/null 2>&1 & }'
done

cat >"$REPO/reconcile.yaml" <<YAML
rollout:
  canary: [${hosts[0]}]
  batch: 2
YAML

# commit RELEASE HEALTHY [HOST=HEALTHY...]: every host gets /etc/app/release
# with RELEASE and /etc/app/healthy with HEALTHY, unless named after.
commit() {
  local release=$1 healthy=$2
  shift 2
  cat >"$REPO/roles/app.yaml" <<YAML
files:
  /etc/app: { type: directory }
  /etc/app/release: { content: "$release\n" }
health:
  - command: grep -qx yes /etc/app/healthy
  - { http: "http://127.0.0.1:8080/ok.txt", expect: 200 }
  - { tcp: 8080 }
  - { timeout: 5s, retries: 1, interval: 1s }
YAML
  for h in "${hosts[@]}"; do
    local value=$healthy
    for override in "$@"; do
      [ "${override%%=*}" = "$h" ] && value=${override#*=}
    done
    add_host "$h" "$(printf 'roles: [app]\nfiles:\n  /etc/app/healthy: { content: "%s\\n" }' "$value")"
  done
}

# release_of HOST: the content of /etc/app/release on HOST.
release_of() { on "$1" 'cat /etc/app/release 2>/dev/null || echo none'; }

# applied_at HOST: when /etc/app/release was written (nanoseconds).
applied_at() { on "$1" "stat -c %.9Y /etc/app/release" | tr -d .; }

# --- a good commit reaches every host, stage by stage -------------------------
commit v1 yes
run_reconcile --dry-run
expect_rc 2 "dry run of the first commit"
output_has "Rollout: 6 hosts in 4 stages; batches of 2; stops when any host fails" "the plan states the policy"
output_has "  canary   ${hosts[0]}" "the canary stage"
output_has "  batch 1  ${hosts[1]}, ${hosts[2]}" "the first batch"
output_has "  batch 3  ${hosts[5]}" "the last batch"
output_has "command: grep -qx yes /etc/app/healthy (sh; timeout 5s, 2 attempts 1s apart)" "the checks with their timing"
output_has "http: http://127.0.0.1:8080/ok.txt (expect 200) (curl;" "the http check runs with curl"
output_has "tcp: 127.0.0.1:8080 (bash;" "the tcp check runs with bash"
for h in "${hosts[@]}"; do
  check "dry run changed nothing on $h" test "$(release_of "$h")" = none
done

run_reconcile
expect_rc 0 "the good commit rolls out everywhere"
output_has "health: passed  http: http://127.0.0.1:8080/ok.txt (expect 200) (curl, 1 attempt)" "the http check passed"
output_has "Rollout done: 0 hosts failed" "the rollout finished"
for h in "${hosts[@]}"; do
  check "$h has v1" test "$(release_of "$h")" = v1
done
declare -a at
for i in "${!hosts[@]}"; do at[i]=$(applied_at "${hosts[i]}"); done
stages=("0" "1 2" "3 4" "5")
for s in 0 1 2; do
  for a in ${stages[s]}; do
    for b in ${stages[s + 1]}; do
      check "stage $s (${hosts[a]}) was applied before stage $((s + 1)) (${hosts[b]})" \
        test "${at[a]}" -lt "${at[b]}"
    done
  done
done

# --- a commit that fails its health check on the canary ----------------------
commit v2 no
run_reconcile
expect_rc 3 "a failing canary exits 3"
output_has "Rollout stopped: 1 of 1 canary failed in canary" "the run says why it stopped"
output_has "Changed: ${hosts[0]}" "the run says what was changed"
output_has "${hosts[0]}: health check failed: command: grep -qx yes /etc/app/healthy: 2 attempts failed" "the run says what failed and why"
output_has "Left untouched: ${hosts[1]}, ${hosts[2]}, ${hosts[3]}, ${hosts[4]}, ${hosts[5]}" "the run says what was left"
check "the canary has v2" test "$(release_of "${hosts[0]}")" = v2
for h in "${hosts[@]:1}"; do
  check "$h was left at v1" test "$(release_of "$h")" = v1
done
run_reconcile --json
expect_rc 3 "the same, as JSON"
check "JSON: stopped, one changed, five left" python3 - "$WORK/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
r = doc["rollout"]
assert r["stopped"] is True, r
assert len(r["left"]) == 5, r["left"]
assert [f["status"] for f in r["failed"]] == ["failed"], r["failed"]
assert [s["started"] for s in r["stages"]] == [True, False, False, False], r["stages"]
host = doc["hosts"][0]
assert host["health"][0]["passed"] is False and host["health"][0]["attempts"] == 2, host["health"]
PY

# --- max_failures: 1 tolerates one failed host and stops at the second --------
cat >>"$REPO/reconcile.yaml" <<'YAML'
  max_failures: 1
YAML
commit v3 yes "${hosts[2]}=no" "${hosts[4]}=no"
run_reconcile
expect_rc 3 "two failures with max_failures 1 exit 3"
output_has "Rollout stopped: 2 hosts failed, more than max_failures (1) in batch 2" "stopped at the second failure"
output_has "Left untouched: ${hosts[5]}" "only the last batch was left"
for i in 0 1 2 3 4; do
  check "${hosts[i]} reached v3" test "$(release_of "${hosts[i]}")" = v3
done
check "${hosts[5]} was left at v1" test "$(release_of "${hosts[5]}")" = v1

run_reconcile --max-failures 2
expect_rc 3 "--max-failures 2: the rollout completes, the failed hosts still exit 3"
output_has "Rollout done: 2 hosts failed" "the rollout went through"
check "${hosts[5]} reached v3" test "$(release_of "${hosts[5]}")" = v3

# --- flags ---------------------------------------------------------------------
run_reconcile --dry-run --no-canary --batch 50%
output_has "Rollout: 6 hosts in 2 stages; batches of 3 (50%)" "--no-canary --batch 50% in the plan"
run_reconcile --dry-run --canary "${hosts[5]}" --batch 5
output_has "  canary   ${hosts[5]}" "--canary replaces the policy's canary"
run_reconcile --batch 0
expect_rc 1 "a bad --batch is invalid input"
check "it says which flag" grep -qF -- "--batch '0'" "$WORK/err"
run_reconcile --canary nosuchhost
expect_rc 1 "an unknown --canary is invalid input"

# An unknown canary in reconcile.yaml is reported at its line and column.
sed -i "s/canary: \[${hosts[0]}\]/canary: [${hosts[0]}, role:nosuch]/" "$REPO/reconcile.yaml"
run_reconcile --dry-run
expect_rc 1 "an unknown canary role is invalid input"
check "it points at the entry" grep -qF "reconcile.yaml:2:" "$WORK/err"

finish
