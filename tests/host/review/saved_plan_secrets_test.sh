#!/usr/bin/env bash
# Saved plans with a delivered secret (one testbed host). The probe reports
# a secret file's content as an HMAC under a key of one controller process,
# so the run that applies a plan sees other digests than the run that made
# it; the plan must still apply exactly, and must still go stale when the
# file is changed on the host. The plan never holds the secret value.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

h1=$(host_names | head -n 1)
IDENTITY=$WORK/controller-identity.txt
controller=$("$RECONCILE" secrets keygen -o "$IDENTITY")
printf 'secrets:\n  recipients:\n    controller: %s\n  controller: controller\n' "$controller" \
  >"$REPO/reconcile.yaml"
mkdir -p "$REPO/secrets"

# set_secret NAME VALUE: secrets/NAME.age holds VALUE, through `secrets edit`.
set_secret() {
  SECRET_VALUE=$2 EDITOR='sh -c '\''printf %s "$SECRET_VALUE" > "$1"'\'' sh' \
    "$RECONCILE" secrets edit -C "$REPO" -i "$IDENTITY" "$1" 2>>"$WORK/edit.log"
}
random_value() { printf 'secret-%s' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }
sha_of() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
secret_sha() { on "$h1" "sha256sum /run/secrets/token" | cut -d' ' -f1; }

first=$(random_value)
set_secret token "$first"
add_host "$h1" "$(printf 'secrets:\n  token: { mode: "0400" }')"
commit "a secret"
run_reconcile --identity "$IDENTITY"
expect_rc 0 "the secret is delivered"

# --- exact: a new value, planned in one process, applied in another --------
second=$(random_value)
set_secret token "$second"
commit "the secret changes"
plan=$WORK/plan-secret.json
run_reconcile --dry-run --out "$plan" --state "$STATE" --identity "$IDENTITY"
expect_rc 2 "the dry run finds the secret to write"
check "the plan holds neither value" test "$(grep -cF -e "$first" -e "$second" "$plan")" = 0
check "the plan names the secret by reference" \
  test "$(jq -r '.hosts[0].changes[] | select(.secret_input != null) | .secret_input.source' "$plan")" = secrets/token.age
run_plan_apply "$plan" --identity "$IDENTITY"
expect_rc 0 "the plan applies in another controller process"
check "the host has the new value" test "$(secret_sha)" = "$(sha_of "$second")"
run_reconcile --dry-run --identity "$IDENTITY"
expect_rc 0 "a second dry run is empty"

# --- stale: the secret file changed on the host after planning --------------
third=$(random_value)
set_secret token "$third"
commit "the secret changes again"
plan=$WORK/plan-secret-stale.json
run_reconcile --dry-run --out "$plan" --state "$STATE" --identity "$IDENTITY"
expect_rc 2 "another plan"
on "$h1" "printf %s '$third' > /run/secrets/token"
run_plan_apply "$plan" --identity "$IDENTITY"
expect_rc 3 "a secret written by hand since the plan makes the host stale"
output_has "since then: secret token changed" "the reason names the secret"
check "no value is printed" test "$(cat "$WORK/out" "$WORK/err" | grep -cF -e "$second" -e "$third")" = 0

# --- without the identity nothing is delivered ------------------------------
on "$h1" "printf x > /run/secrets/token"
run_reconcile --dry-run --out "$plan" --state "$STATE" --identity "$IDENTITY"
expect_rc 2 "a plan to repair the secret"
run_plan_apply "$plan" --identity "$WORK/missing-identity.txt"
expect_rc 3 "applying without the controller's identity refuses the host"
check "the host's file was left alone" test "$(on "$h1" cat /run/secrets/token)" = x
run_plan_apply "$plan" --identity "$IDENTITY"
expect_rc 0 "with the identity the same plan applies"
check "the host has the declared value" test "$(secret_sha)" = "$(sha_of "$third")"
finish
