#!/usr/bin/env bash
# tools/review-plan as a CI job would run it on a pull request: a branch
# changes a role; the job writes the model diff and the live plan as
# Markdown plus the signed plan file; after the merge, that plan file is
# applied as is, and the hosts converge to the reviewed commit.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

review_plan=$RECONCILE_SOURCE_DIR/tools/review-plan
mapfile -t hosts < <(host_names)
cat >"$REPO/roles/web.yaml" <<'YAML'
files:
  /etc/motd: { content: "before\n" }
YAML
for h in "${hosts[@]}"; do add_host "$h" "roles: [web]"; done
commit "base"
run_reconcile
expect_rc 0 "the hosts start converged on the base"

git -C "$REPO" checkout -q -b change
cat >"$REPO/roles/web.yaml" <<'YAML'
files:
  /etc/motd: { content: "after\n" }
sysctl:
  net.ipv4.ip_forward: 1
YAML
commit "motd and forwarding"

set +e
"$RECONCILE" diff -C "$REPO" main change >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_rc 2 "reconcile diff exits 2 when the commits differ"
set +e
"$RECONCILE" diff -C "$REPO" main main >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_rc 0 "reconcile diff exits 0 for the same desired state"
output_has "no differences" "and says so"

artifacts=$WORK/artifacts
set +e
RECONCILE=$RECONCILE "$review_plan" -C "$REPO" --out "$artifacts" --state "$STATE" main change \
  -- --ssh-key "$TB/client_key" >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_rc 0 "review-plan runs"
for f in diff.txt diff.md plan.md plan.json comment.md; do
  check "artifact $f" test -s "$artifacts/$f"
done
check "the diff names the changed key per host" \
  grep -qF "~ files./etc/motd.content changed" "$artifacts/diff.txt"
check "the diff shows the new sysctl" grep -qF "+ sysctl.net.ipv4.ip_forward: 1" "$artifacts/diff.txt"
check "the plan table has every host" test "$(grep -c '^| .* | changes pending |$' "$artifacts/plan.md")" = "${#hosts[@]}"
check "the comment holds both" grep -qF "### reconcile plan of" "$artifacts/comment.md"
check "the plan is of the head commit" \
  test "$(jq -r .repo.commit "$artifacts/plan.json")" = "$(git -C "$REPO" rev-parse change)"

# The merge (a merge commit), then the reviewed plan is applied.
git -C "$REPO" checkout -q main
git -C "$REPO" -c commit.gpgsign=false merge -q --no-ff -m "merge change" change
run_plan_apply "$artifacts/plan.json"
expect_rc 0 "the reviewed plan applies after the merge"
for h in "${hosts[@]}"; do
  check "$h: motd from the reviewed commit" test "$(file_on "$h" /etc/motd)" = after
done
run_reconcile --dry-run
expect_rc 0 "the merged main needs nothing more"

# A shallow clone cannot make a plan (its repository identity is unknown).
git clone -q --depth 1 "file://$REPO" "$WORK/shallow"
set +e
RECONCILE=$RECONCILE "$review_plan" -C "$WORK/shallow" --out "$WORK/shallow-artifacts" HEAD HEAD \
  >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_rc 1 "review-plan refuses a shallow clone"
error_has "fetch-depth: 0" "it says how to fix the CI checkout"
finish
