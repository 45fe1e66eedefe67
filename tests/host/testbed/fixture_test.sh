#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The shared `testbed` ctest fixture, used as every host test uses it: the
# testbed directory comes in RECONCILE_TESTBED; every host of the inventory
# answers through the generated known_hosts and ssh_config, as root and as
# deploy, and through `tools/testbed ssh`; the host files are ready to copy
# into a desired-state repo.
. "$(dirname "$0")/lib.sh"

dir=${RECONCILE_TESTBED:?RECONCILE_TESTBED is not set: run this test through ctest (fixture testbed)}
check "the fixture's testbed answers (status)" "$TESTBED" status --dir "$dir"
hosts=$(wc -l <"$dir/inventory.tsv")
check "the fixture has 10 hosts" test "$hosts" = 10

while IFS=$'\t' read -r name address port user key client_key; do
  check "$name: hosts/$name.yaml" test -s "$dir/hosts/$name.yaml"
  check "$name: root through known_hosts" \
    ssh_to "$dir/known_hosts" "$client_key" "$user" "$address" -p "$port" true </dev/null
  check "$name: deploy through ssh_config, sudo" \
    ssh -F "$dir/ssh_config" -l deploy "$name" sudo -n true </dev/null
done <"$dir/inventory.tsv"

first=$(cut -f1 "$dir/inventory.tsv" | head -n 1)
check "tools/testbed ssh reaches $first" \
  test "$("$TESTBED" ssh --dir "$dir" "$first" hostname </dev/null)" = "$first"
check "tools/testbed ssh --user deploy" \
  test "$("$TESTBED" ssh --dir "$dir" --user deploy "$first" id -un </dev/null)" = deploy

finish
