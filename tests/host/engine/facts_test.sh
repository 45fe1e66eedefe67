#!/usr/bin/env bash
# `reconcile facts` on 50 testbed hosts at once: every host answers in one
# SSH channel; a host at an address nobody answers times out on its own
# connect timeout while the others succeed (exit 4); a non-root user reaches
# root through sudo -n.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

for h in $(host_names); do add_host "$h"; done
count=$(host_names | wc -l)
first=$(host_names | head -n 1)

start=$(date +%s.%N)
run_reconcile facts -C "$REPO" --json
baseline=$(echo "$(date +%s.%N) - $start" | bc -l)
expect_rc 0 "facts of $count hosts"
check "every host reported, converged, in exactly one SSH channel, with a kernel" python3 - "$WORK/out" "$count" <<'PY'
import json, sys
hosts = json.load(open(sys.argv[1]))
assert len(hosts) == int(sys.argv[2]), len(hosts)
for h in hosts:
    assert h["status"] == "converged", h
    assert h["ssh_channels"] == 1, h
    assert h["facts"]["kernel"], h
    assert h["facts"]["uid"] == 0, h
    assert h["facts"]["hostname"] == h["name"], h
    # `reconcile facts` also asks for what a plan does not need: block
    # devices, addresses and routes, from the host's own lsblk and ip.
    names = [i["ifname"] for i in h["facts"]["interfaces"]]
    assert "eth0" in names, names
    assert isinstance(h["facts"]["routes"], list), h["facts"]["routes"]
    assert "blockdevices" in h["facts"]["block_devices"], h["facts"]["block_devices"]
    assert h["facts"]["os"]["id"] == "debian", h["facts"]["os"]
    assert any(m["target"] == "/" for m in h["facts"]["mounts"]), h["facts"]["mounts"]
PY
echo "facts of $count hosts: ${baseline}s"

# An address in the testbed's subnet that no host holds: nothing answers.
subnet_prefix=$(cut -f2 "$TB/inventory.tsv" | head -n 1 | cut -d. -f1-3)
printf 'address: %s.250\nssh: { host_key: "%s" }\n' "$subnet_prefix" \
  "$(cut -f5 "$TB/inventory.tsv" | head -n 1)" >"$REPO/hosts/zz-nobody.yaml"
start=$(date +%s.%N)
run_reconcile facts -C "$REPO" --json --connect-timeout 3
took=$(echo "$(date +%s.%N) - $start" | bc -l)
expect_rc 4 "an unreachable host makes the run exit 4"
check "the unreachable host is reported with its reason, the others converged" python3 - "$WORK/out" "$count" <<'PY'
import json, sys
hosts = {h["name"]: h for h in json.load(open(sys.argv[1]))}
assert hosts["zz-nobody"]["status"] == "unreachable", hosts["zz-nobody"]
assert hosts["zz-nobody"]["error"], hosts["zz-nobody"]
assert sum(h["status"] == "converged" for h in hosts.values()) == int(sys.argv[2])
PY
# The others take what they took before; the silent host adds at most its
# own 3 s timeout (plus slack for a loaded machine), never one per host.
check "the unreachable host cost its own timeout, not more (took ${took}s; alone ${baseline}s; timeout 3s)" \
  test "$(echo "$took < $baseline + 3 + 5" | bc)" = 1
rm "$REPO/hosts/zz-nobody.yaml"

# A non-root user: scripts run through sudo -n.
sed -i 's/user: root/user: deploy/' "$REPO/hosts/$first.yaml"
run_reconcile facts -C "$REPO" --json --host "$first"
expect_rc 0 "facts as deploy"
check "deploy's scripts run as root through sudo" python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))[0]
assert h["facts"]["uid"] == 0, h' "$WORK/out"
finish
