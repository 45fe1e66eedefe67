#include "reconciler/lockout_guard.h"

#include "modules/security.h"
#include "reconciler/base/shell.h"
#include "reconciler/facts_hash.h"

namespace reconcile {

namespace {

// What the guard saves and puts back. The live table is saved separately.
const char* kGuardedPaths =
    "/etc/ssh/sshd_config /etc/ssh/sshd_config.d /etc/nftables.conf "
    "/etc/nftables.d/reconcile.nft /var/lib/reconcile/firewall.state";

std::string header(const std::string& token) {
  return "g=/var/lib/reconcile/guard\ntoken=" + shell_quote(token) + "\n";
}

}  // namespace

std::string guard_arm_script(const std::string& token, int timeout_seconds) {
  std::string script = header(token);
  script += "timeout=" + std::to_string(timeout_seconds) + "\n";
  script += "guarded_paths='" + std::string(kGuardedPaths) + "'\n";
  script += R"SH(mkdir -p "$g"
chmod 700 "$g"
if [ -f "$g/armed" ] || [ -f "$g/firing" ]; then
  echo "the lockout guard of an earlier run is still armed (token $(cat "$g/armed" "$g/firing" 2>/dev/null | head -n 1)): its rollback runs within the lockout timeout; run again after it" >&2
  exit 1
fi
rm -rf "$g/saved" "$g/rolled-back" "$g/cancelled" "$g/pid"
mkdir "$g/saved"
: > "$g/saved/absent"
for path in $guarded_paths; do
  if [ -e "$path" ] || [ -L "$path" ]; then
    mkdir -p "$g/saved$(dirname "$path")"
    cp -a "$path" "$g/saved$path"
  else
    echo "$path" >> "$g/saved/absent"
  fi
done
if command -v nft >/dev/null 2>&1 && nft list table inet reconcile > "$g/saved/table.nft" 2>/dev/null; then
  :
else
  rm -f "$g/saved/table.nft"
fi
{
  echo '#!/bin/sh'
  echo '# Written by the lockout guard of reconcile: puts sshd and the firewall back'
  echo '# as they were before the run, unless the run cancelled it in time.'
  echo 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  echo 'g=/var/lib/reconcile/guard'
  echo "guarded_paths='$guarded_paths'"
  cat <<'RESTORE'
mv "$g/armed" "$g/firing" 2>/dev/null || exit 0
token=$(cat "$g/firing")
for path in $guarded_paths; do
  if [ -e "$g/saved$path" ] || [ -L "$g/saved$path" ]; then
    rm -rf "$path"
    mkdir -p "$(dirname "$path")"
    cp -a "$g/saved$path" "$path"
  elif grep -qxF "$path" "$g/saved/absent"; then
    rm -rf "$path"
  fi
done
if command -v nft >/dev/null 2>&1; then
  {
    echo 'table inet reconcile {}'
    echo 'delete table inet reconcile'
    if [ -f "$g/saved/table.nft" ]; then cat "$g/saved/table.nft"; fi
  } > "$g/restore.nft"
  nft -f "$g/restore.nft" || echo "nft could not restore table inet reconcile" >&2
fi
RESTORE
)SH";
  script += "  cat <<'RELOAD'\n" + modules::sshd_reload_script() + "RELOAD\n";
  script += R"SH(  cat <<'RESTORE'
{ echo "$token"; date +%s; } > "$g/rolled-back"
rm -f "$g/firing" "$g/pid"
RESTORE
} > "$g/restore"
chmod 700 "$g/restore"
printf '%s\n' "$token" > "$g/armed"
if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then
  if ! systemd-run --quiet --collect --unit="reconcile-guard-$token" --on-active="${timeout}s" \
      --timer-property=AccuracySec=1s /bin/sh "$g/restore" </dev/null; then
    rm -f "$g/armed"
    echo "systemd-run could not start the rollback timer" >&2
    exit 1
  fi
else
  setsid /bin/sh -c "sleep $timeout; exec /bin/sh $g/restore" </dev/null >/dev/null 2>&1 &
  echo $! > "$g/pid"
fi
)SH";
  return script;
}

std::string guard_cancel_script(const std::string& token) {
  return header(token) + R"SH(if ! mv "$g/armed" "$g/cancelled" 2>/dev/null; then
  echo "the lockout guard's rollback already ran or is running" >&2
  exit 3
fi
if [ "$(cat "$g/cancelled")" != "$token" ]; then
  mv "$g/cancelled" "$g/armed"
  echo "the armed lockout guard belongs to another run" >&2
  exit 3
fi
if [ -d /run/systemd/system ]; then
  systemctl stop "reconcile-guard-$token.timer" "reconcile-guard-$token.service" </dev/null 2>/dev/null || true
fi
if [ -s "$g/pid" ]; then
  kill -- "-$(cat "$g/pid")" 2>/dev/null || true
  rm -f "$g/pid"
fi
rm -rf "$g/saved" "$g/restore" "$g/restore.nft"
)SH";
}

std::string guard_status_script(const std::string& token) {
  return header(token) + R"SH(first() { head -n 1 "$1" 2>/dev/null || true; }
if [ "$(first "$g/rolled-back")" = "$token" ]; then echo rolled-back
elif [ "$(first "$g/armed")" = "$token" ]; then echo armed
elif [ "$(first "$g/firing")" = "$token" ]; then echo firing
elif [ "$(first "$g/cancelled")" = "$token" ]; then echo cancelled
else echo unknown
fi
)SH";
}

std::map<std::string, std::string> guarded_facts(const state::Host& host,
                                                 const modules::HostFacts& facts) {
  RelevantFacts out;
  for (const auto& row : relevant_facts_table()) {
    std::string module = row.module;
    if (module == "ssh" || module == "firewall") row.collect(host, facts, nullptr, out);
  }
  return out;
}

}  // namespace reconcile
