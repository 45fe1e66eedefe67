#!/usr/bin/env bash
# Secrets on real hosts (testbed, plain hosts): delivered onto a tmpfs of
# their own with owner, group and mode; drift (changed, removed, extra
# files, wrong mode) found by keyed hash and repaired; a needed_for_users
# password hash set before the user exists; `check --identity`; refusals
# without the identity. Last, the plaintext test: after all these runs, no
# file the controller wrote, no output and no JSON holds a secret value.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

marker=$WORK/started
touch "$marker"
sleep 1  # find -newer compares at one-second resolution on some filesystems

token=$(random_value)
password=$(random_value)
bob_hash=$(openssl passwd -6 "$password")
set_secret token "$token"
set_secret bob-hash "$bob_hash"
check "secrets edit created the files" test -f "$REPO/secrets/token.age" -a -f "$REPO/secrets/bob-hash.age"

cat >"$REPO/roles/app.yaml" <<'YAML'
groups:
  web: { gid: 2100 }
users:
  app: { system: true, group: web, shell: /usr/sbin/nologin }
  bob: { shell: /bin/bash, password_hash_secret: bob-hash }
secrets:
  token: { owner: app, group: web, mode: "0440" }
  bob-hash: { needed_for_users: true }
YAML
for h in $(host_names); do add_host "$h" "roles: [app]"; done
first=$(host_names | head -n 1)

# check --identity proves the secrets decrypt, and prints nothing of them.
set +e
"$RECONCILE" check -C "$REPO" --identity "$IDENTITY" >"$WORK/check.out" 2>&1
rc=$?
set -e
expect_rc 0 "check --identity: every secret decrypts with the controller's identity"
check "check says so" grep -q "ok: 2 secret files used by hosts decrypt with" "$WORK/check.out"
"$RECONCILE" secrets keygen -o "$WORK/wrong-identity.txt" >/dev/null
set +e
"$RECONCILE" check -C "$REPO" --identity "$WORK/wrong-identity.txt" >"$WORK/check-wrong.out" 2>&1
rc=$?
set -e
expect_rc 1 "check --identity with another identity fails"
check "and names the file" grep -q "secrets/token.age: error: does not decrypt" "$WORK/check-wrong.out"

# Without the controller's identity, hosts with secrets refuse to plan.
run_reconcile --dry-run --identity "$WORK/missing-identity.txt"
expect_rc 3 "no identity: the hosts refuse to plan"
grep -q "cannot decrypt secrets/token.age" "$WORK/out" "$WORK/err" &&
  pass "the refusal names the secret" || fail "the refusal does not name the secret"

run_reconcile_secrets --dry-run
expect_rc 2 "fresh hosts: secrets to deliver"
output_has "+ tmpfs /run/secrets" "the plan mounts the tmpfs"
output_has "+ secret token" "and delivers the token"
output_has "content: (sensitive) -> (sensitive)" "content shows as (sensitive)"
run_reconcile_secrets
expect_rc 0 "first converge"
run_reconcile_secrets --dry-run
expect_rc 0 "second dry run is empty (keyed hashes match)"

check "/run/secrets is a tmpfs" test "$(on "$first" stat -f -c %T /run/secrets)" = tmpfs
check "of its own (a mount point)" on "$first" mountpoint -q /run/secrets
check "mode 0751 root:root" test "$(on "$first" stat -c "'%a %U:%G'" /run/secrets)" = "751 root:root"
check "the token: owner, group, mode" test "$(on "$first" stat -c "'%a %U:%G'" /run/secrets/token)" = "440 app:web"
check "the token's content" test "$(on "$first" sha256sum /run/secrets/token | cut -d' ' -f1)" = "$(sha_of "$token")"
check "the early secret is root's" test "$(on "$first" stat -c "'%a %U:%G'" /run/secrets/bob-hash)" = "400 root:root"
check "bob's password hash came from the secret" test "$(on "$first" getent shadow bob | cut -d: -f2)" = "$bob_hash"
check "no temporary file left in /run/secrets" test "$(on "$first" ls -A /run/secrets | tr '\n' ' ')" = "bob-hash token "

# Drift: a changed file, a removed file, an extra file, a wrong mode.
on "$first" 'echo tampered > /run/secrets/token; rm /run/secrets/bob-hash; echo extra > /run/secrets/extra; chmod 0755 /run/secrets'
run_reconcile_secrets --dry-run --host "$first"
expect_rc 2 "drift in /run/secrets is found"
output_has "~ secret token" "the changed file"
output_has "+ secret bob-hash" "the removed file"
output_has "- secret extra" "the extra file"
output_has "mode is 755, want 751" "the directory's mode"
run_reconcile_secrets --host "$first"
expect_rc 0 "drift repaired"
check "the token is back" test "$(on "$first" sha256sum /run/secrets/token | cut -d' ' -f1)" = "$(sha_of "$token")"
check_fails "the extra file is gone" on "$first" test -e /run/secrets/extra
check "the removed file is back" test "$(on "$first" sha256sum /run/secrets/bob-hash | cut -d' ' -f1)" = "$(sha_of "$bob_hash")"

# A new value in the repository is delivered; the JSON plan has no value.
token=$(random_value)
set_secret token "$token"
run_reconcile_secrets --dry-run --json
expect_rc 2 "a new secret value shows in the JSON plan"
cp "$WORK/out" "$WORK/plan.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/plan.json" &&
  pass "the JSON plan parses" || fail "the JSON plan does not parse"
run_reconcile_secrets --json
expect_rc 0 "the new value is delivered"
cp "$WORK/out" "$WORK/apply.json"
check "every host has the new value" test "$(on "$first" sha256sum /run/secrets/token | cut -d' ' -f1)" = "$(sha_of "$token")"

# An undeclared secret is removed; a host left without secrets keeps an
# empty tmpfs.
cat >"$REPO/hosts/$first.yaml" <<YAML
$(cat "$TB/hosts/$first.yaml")
groups:
  web: { gid: 2100 }
users:
  app: { system: true, group: web, shell: /usr/sbin/nologin }
secrets: {}
YAML
run_reconcile_secrets --host "$first"
expect_rc 0 "secrets no longer declared are removed"
check "/run/secrets is empty" test -z "$(on "$first" ls -A /run/secrets)"

# The repository commands on the working directory: who can read a secret,
# rekey after adding an admin, a file rekey cannot decrypt, and a secret
# that a host refers to before it exists.
alice=$("$RECONCILE" secrets keygen -o "$WORK/alice.txt")
printf 'secrets:\n  recipients:\n    controller: %s\n    alice: %s\n  controller: controller\n' \
  "$CONTROLLER" "$alice" >"$REPO/reconcile.yaml"
"$RECONCILE" secrets recipients -C "$REPO" bob-hash >"$WORK/recipients.out"
check "recipients lists alice" grep -q "^  alice  *$alice  (all recipients)" "$WORK/recipients.out"
check "and the controller" grep -q "controller  *$CONTROLLER  (all recipients, controller)" "$WORK/recipients.out"
check_fails "before rekey alice cannot read it" \
  "$RECONCILE" secrets decrypt -i "$WORK/alice.txt" "$REPO/secrets/bob-hash.age" >/dev/null 2>&1
printf %s "$token" | "$RECONCILE" secrets encrypt -r "$alice" -a -o "$REPO/secrets/alice-only.age"
alice_only=$(sha256sum <"$REPO/secrets/alice-only.age")
set +e
"$RECONCILE" secrets rekey -C "$REPO" -i "$IDENTITY" >"$WORK/rekey.out" 2>&1
rc=$?
set -e
expect_rc 1 "rekey: one file does not decrypt with the controller's identity"
check "it is reported" grep -q "secrets/alice-only.age: cannot decrypt" "$WORK/rekey.out"
check "and left untouched" test "$(sha256sum <"$REPO/secrets/alice-only.age")" = "$alice_only"
check "after rekey alice reads the others" \
  test "$("$RECONCILE" secrets decrypt -i "$WORK/alice.txt" "$REPO/secrets/bob-hash.age" | sha256sum | cut -d' ' -f1)" = "$(sha_of "$bob_hash")"
rm "$REPO/secrets/alice-only.age"
add_host "$(host_names | tail -n 1)" "$(printf 'roles: [app]\nsecrets:\n  fresh: {}\n')"
set_secret fresh "$(random_value)"
check "edit creates a secret that a host already refers to" test -f "$REPO/secrets/fresh.age"
check "encrypted to the controller and alice" \
  sh -c '"$1" secrets decrypt -i "$2" "$3" >/dev/null' sh "$RECONCILE" "$WORK/alice.txt" "$REPO/secrets/fresh.age"
run_reconcile_secrets
expect_rc 0 "the new secret is delivered"

# The plaintext test: no value in anything the controller wrote or printed.
values=(-e "$token" -e "$bob_hash" -e "$password")
leaks=0
for output in "$WORK"/out "$WORK"/err "$WORK"/plan.json "$WORK"/apply.json "$WORK"/check.out "$WORK"/edit.log "$WORK"/rekey.out "$WORK"/recipients.out; do
  if grep -qF "${values[@]}" "$output"; then fail "a secret value is in $output"; leaks=$((leaks + 1)); fi
done
# Every file on the controller's disks written since the test started (the
# repository, /tmp, /var with any state store or log, root's home...). The
# search is first shown to find a planted value.
written_files() { find / /tmp /var /root -xdev -type f -newer "$marker" -print0 2>/dev/null | sort -zu; }
canary=$(random_value)
printf 'x%sx\n' "$canary" >"$WORK/canary"
written_files >"$WORK/written"
check "the search finds a value planted on the disk" \
  test "$(xargs -0 -r grep -lF -e "$canary" <"$WORK/written" 2>/dev/null)" = "$WORK/canary"
while IFS= read -r -d '' file; do
  fail "a secret value is in $file"
  leaks=$((leaks + 1))
done < <(xargs -0 -r grep -lZF "${values[@]}" <"$WORK/written" 2>/dev/null || true)
count=$(tr -cd '\0' <"$WORK/written" | wc -c)
if [ "$leaks" = 0 ]; then
  pass "no secret value in the outputs, the JSON, or the $count files written on the controller's disks during the test"
fi
finish
