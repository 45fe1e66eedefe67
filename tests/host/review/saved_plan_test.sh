#!/usr/bin/env bash
# Saved plans on real hosts (two testbed hosts):
#  - plan, change a managed file by hand on one host, apply the plan: that
#    host is refused as stale with a reason naming the file, the other host
#    is applied (and drift in an unmanaged file does not make it stale);
#  - plan, no change, apply: exactly the planned changes are applied, and a
#    second --dry-run is empty;
#  - a plan edited by hand, signed with another key, too old, or applied to
#    another repository is refused before any host is touched;
#  - --replan applies a fresh plan to a stale host.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

mapfile -t hosts < <(host_names)
[ "${#hosts[@]}" -ge 2 ] || { echo "FAILED: this test needs two testbed hosts" >&2; exit 1; }
h1=${hosts[0]} h2=${hosts[1]}
conf1=/etc/app/conf1.ini

write_role() {
  cat >"$REPO/roles/app.yaml" <<YAML
files:
  /etc/app: { type: directory }
  $conf1: { content: "$1\n" }
  /etc/app/conf2.ini: { content: "$2\n" }
YAML
}
write_role "version=1" "mode=a"
for h in "${hosts[@]}"; do add_host "$h" "roles: [app]"; done
commit "app config v1"
run_reconcile
expect_rc 0 "both hosts converge on the first commit"

# --- stale: a managed file changed by hand on one host -----------------
write_role "version=2" "mode=a"
commit "app config v2"
plan=$WORK/plan-v2.json
run_reconcile --dry-run --out "$plan" --state "$STATE" --format markdown
expect_rc 2 "the dry run with --out finds changes"
check "the plan file was written" test -s "$plan"
check "the plan key was created 0600" test "$(stat -c %a "$STATE/plan.key")" = 600
output_has "| $h1 | 0 | 1 | 0 |  | changes pending |" "the markdown summary table has a row per host"
output_has "<details>" "the markdown has a collapsible section per host"
check "the plan names the commit" test "$(jq -r .repo.commit "$plan")" = "$(git -C "$REPO" rev-parse HEAD)"
check "the plan carries the change's script" test "$(jq '[.hosts[].changes[].script | select(length > 0)] | length' "$plan")" = 2
check "the plan carries the file content" test "$(jq -r '.hosts[0].changes[0].input' "$plan")" = "version=2"

on "$h1" "echo 'edited by hand' >> $conf1"
on "$h2" "echo unrelated > /etc/app/unmanaged.txt; touch /etc/hostname"
run_plan_apply "$plan"
expect_rc 3 "applying the plan: one host stale"
output_has "$h1 (" "the report lists the stale host"
output_has "since then: file $conf1 changed" "the stale host's reason names the file"
output_has "plan made at $(jq -r .created_at "$plan")" "the reason says when the plan was made"
check "the stale host was not touched" test "$(file_on "$h1" $conf1)" = "$(printf 'version=1\nedited by hand')"
check "the other host was applied despite unrelated drift" test "$(file_on "$h2" $conf1)" = "version=2"
run_plan_apply "$plan" --format json
check "JSON says stale" test "$(jq -r --arg h "$h1" '.hosts[] | select(.name == $h) | .status' "$WORK/out")" = stale
check "the stale host ran nothing but its probe" test "$(jq --arg h "$h1" '.hosts[] | select(.name == $h) | .round_trips' "$WORK/out")" = 1

# --replan: the stale host gets a fresh plan of the same commit.
run_plan_apply "$plan" --replan
expect_rc 0 "--replan applies a fresh plan to the stale host"
error_has "$h1: the saved plan was refused (plan made at" "--replan says which host was planned afresh and why"
check "the stale host converged to the plan's commit" test "$(file_on "$h1" $conf1)" = "version=2"

# --- exact: plan, nothing changes, apply ----------------------------------
write_role "version=3" "mode=b"
add_host "$h2" "$(printf 'roles: [app]\ngroups:\n  review: { gid: 2300 }')"
commit "app config v3, a group on one host"
plan=$WORK/plan-v3.json
run_reconcile --dry-run --out "$plan" --state "$STATE"
expect_rc 2 "a new plan"
run_plan_apply "$plan" --format json
expect_rc 0 "the unchanged plan applies"
planned=$(jq -c '[.hosts[] | {name, changes: [.changes[].resource]}]' "$plan")
applied=$(jq -c '[.hosts[] | {name, changes: [.changes[].resource]}]' "$WORK/out")
check "exactly the planned changes were applied" test "$planned" = "$applied"
check "every change was applied" test "$(jq '[.hosts[].changes[] | select(.outcome != "applied")] | length' "$WORK/out")" = 0
check "the group exists" on "$h2" "getent group review >/dev/null"
run_reconcile --dry-run
expect_rc 0 "a second dry run is empty"

# --- refused plans ------------------------------------------------------------
write_role "version=4" "mode=b"
commit "app config v4"
plan=$WORK/plan-v4.json
run_reconcile --dry-run --out "$plan" --state "$STATE"
expect_rc 2 "a plan to tamper with"

jq '(.hosts[0].changes[0].script) |= sub("mv -f"; "rm -rf /etc/app; mv -f")' "$plan" >"$WORK/edited.json"
check "the edit changed the plan" test "$(cmp -s "$plan" "$WORK/edited.json"; echo $?)" = 1
run_plan_apply "$WORK/edited.json"
expect_rc 1 "a plan edited by hand is refused"
error_has "was modified after it was made" "the refusal says the plan was modified"

sed 's/version=4/version=5/' "$plan" >"$WORK/edited-content.json"
run_plan_apply "$WORK/edited-content.json"
expect_rc 1 "a plan whose file content was edited is refused"

APPLY_STATE=$WORK/other-state run_plan_apply "$plan"
expect_rc 1 "without a plan key no plan is applied"
error_has "no plan key $WORK/other-state/plan.key" "the refusal says the key is missing"
check "apply never creates a key" test ! -e "$WORK/other-state/plan.key"
"$RECONCILE" -C "$REPO" --ssh-key "$TB/client_key" -q --dry-run --out "$WORK/other.json" \
  --state "$WORK/other-state" >/dev/null || true
APPLY_STATE=$WORK/other-state run_plan_apply "$plan"
expect_rc 1 "a plan signed with another key is refused"
error_has "signed with another plan key" "the refusal names the key"

sleep 2
run_plan_apply "$plan" --max-age 1s
expect_rc 1 "a plan older than --max-age is refused"
error_has "older than --max-age" "the refusal says the plan is too old"

other=$WORK/other-repo
mkdir -p "$other"
cp -r "$REPO/hosts" "$REPO/roles" "$REPO/reconcile.yaml" "$other/"
git -C "$other" init -q -b main && git -C "$other" add -A && git -C "$other" -c commit.gpgsign=false commit -q -m unrelated
set +e
"$RECONCILE" apply -C "$other" --ssh-key "$TB/client_key" --state "$STATE" -q "$plan" >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_rc 1 "a plan applied to another repository is refused"
error_has "which is not in $other" "the refusal names the repository"

for h in "${hosts[@]}"; do
  check "$h: no refused plan touched it" test "$(file_on "$h" $conf1)" = "version=3"
done
run_plan_apply "$plan"
expect_rc 0 "the untouched plan still applies"
for h in "${hosts[@]}"; do
  check "$h: the plan was applied" test "$(file_on "$h" $conf1)" = "version=4"
done
finish
