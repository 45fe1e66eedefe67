# shellcheck shell=bash
# Shared by the secrets host tests: the engine tests' repo and helpers, a
# controller identity, and secrets made through reconcile's own commands.
# Secret values live only in shell variables and pipes here: no heredoc,
# no temporary file holds them (the plaintext test greps the disk).
# Sourced, never run. Usage in a test: . lib.sh RECONCILE_BINARY

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/../engine/lib.sh"

IDENTITY=$WORK/controller-identity.txt
CONTROLLER=$("$RECONCILE" secrets keygen -o "$IDENTITY")
printf 'secrets:\n  recipients:\n    controller: %s\n  controller: controller\n' "$CONTROLLER" \
  >"$REPO/reconcile.yaml"
mkdir -p "$REPO/secrets"

# random_value: a fresh value that cannot appear anywhere by chance.
random_value() { printf 'secret-%s' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }

# set_secret NAME VALUE: secrets/NAME.age holds VALUE (no newline added),
# written by `reconcile secrets edit` with an editor that prints $VALUE.
set_secret() {
  SECRET_VALUE=$2 EDITOR='sh -c '\''printf %s "$SECRET_VALUE" > "$1"'\'' sh' \
    "$RECONCILE" secrets edit -C "$REPO" -i "$IDENTITY" "$1" 2>>"$WORK/edit.log"
}

# run_reconcile_secrets ARGS...: run_reconcile with the controller identity.
run_reconcile_secrets() { run_reconcile --identity "$IDENTITY" "$@"; }

# sha_of VALUE: the sha256 of VALUE, to compare with a host's file.
sha_of() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
