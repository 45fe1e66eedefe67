#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Secrets through the daemon: a pushed age-encrypted secret is decrypted in
# memory with the controller's identity (--identity) and delivered into
# /run/secrets on every host; a pushed new value replaces it. Without the
# identity the hosts refuse to plan, are recorded failed with the reason,
# and nothing else changes. No secret value ever reaches the state
# directory (store, WAL, mirror aside: it holds only ciphertext), the log,
# or `reconcile status`.
. "$(dirname "$0")/lib.sh"

file=/etc/reconcile-daemon-secrets.conf
IDENTITY=$WORK/controller-identity.txt
CONTROLLER=$("$RECONCILE" secrets keygen -o "$IDENTITY")

# random_value: a fresh value that cannot appear anywhere by chance.
random_value() { printf 'secret-%s' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }
# set_secret NAME VALUE: secrets/NAME.age in the clone holds VALUE, written by
# `reconcile secrets edit` (the value lives only in the environment).
set_secret() {
  SECRET_VALUE=$2 EDITOR='sh -c '\''printf %s "$SECRET_VALUE" > "$1"'\'' sh' \
    "$RECONCILE" secrets edit -C "$CLONE" -i "$IDENTITY" "$1" 2>>"$WORK/edit.log"
}
sha_of() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
# every_host_secret NAME VALUE: /run/secrets/NAME has VALUE on every host.
every_host_secret() {
  local host want
  want=$(sha_of "$2")
  for host in "${HOSTS[@]}"; do
    [ "$("$TESTBED" exec --dir "$BED" "$host" sha256sum "/run/secrets/$1" 2>/dev/null | cut -d' ' -f1)" = "$want" ] || return 1
  done
}
# nothing_holds VALUE: no file of the state directory, no log line, no status.
nothing_holds() {
  ! grep -rqaF "$1" "$STATE" "$LOG" && ! status_json | grep -qF "$1" &&
    ! "$RECONCILE" status --state "$STATE" | grep -qF "$1"
}

make_repo "$file" "with secrets"
printf 'secrets:\n  recipients:\n    controller: %s\n  controller: controller\n' "$CONTROLLER" \
  >"$CLONE/reconcile.yaml"
mkdir -p "$CLONE/secrets"
for host in "${HOSTS[@]}"; do
  printf 'secrets:\n  token: { mode: "0400" }\n' >>"$CLONE/hosts/$host.yaml"
done
first_value=$(random_value)
set_secret token "$first_value"
check "secrets edit wrote the ciphertext" test -s "$CLONE/secrets/token.age"
first=$(commit "a secret")
push >/dev/null

# Without the controller's identity: every host refuses to plan.
start_daemon --interval 1h --listen off --identity "$WORK/missing-identity.txt"
refused() {
  status_json | json_query "all(h['status'] == 'failed' and 'token' in h['last_error'] for h in d['hosts']) and len(d['hosts']) == ${#HOSTS[@]}" | grep -qx True
}
wait_for 120 "no identity: every host is recorded failed, naming the secret" refused
check "and nothing was delivered" bash -c "! '$TESTBED' exec --dir '$BED' '${HOSTS[0]}' test -e /run/secrets/token"
check "the daemon stops cleanly" stop_daemon

start_daemon --interval 1h --listen off --identity "$IDENTITY"
wait_for 120 "with the identity: the secret is on every host" every_host_secret token "$first_value"
wait_for 60 "and every host converged at the commit" every_host_converged_at "$first"

second_value=$(random_value)
set_secret token "$second_value"
second=$(commit "a new secret value")
push >/dev/null
"$RECONCILE" trigger --state "$STATE" --quiet
wait_for 120 "a pushed new value replaces it" every_host_secret token "$second_value"
wait_for 60 "and is recorded" every_host_converged_at "$second"
check "the daemon stops cleanly" stop_daemon

check "no value is in the state directory, the log or status" nothing_holds "$first_value"
check "nor the second one" nothing_holds "$second_value"

for host in "${HOSTS[@]}"; do
  "$TESTBED" exec --dir "$BED" "$host" sh -c 'umount /run/secrets 2>/dev/null; rm -rf /run/secrets' || true
done
remove_file "$file"
finish
