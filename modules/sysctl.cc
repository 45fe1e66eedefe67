// sysctl: all keys in one drop-in (/etc/sysctl.d/60-reconcile.conf) and
// applied live. Drift is checked against the live value; whitespace inside
// values (port ranges are tab-separated) is normalised before comparing.

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

const char* kDropIn = "/etc/sysctl.d/60-reconcile.conf";

std::string normalise(const std::string& value) {
  return join(words_of(value), " ");
}

std::string proc_path(const std::string& key) {
  std::string path = "/proc/sys/";
  for (char c : key)
    path += c == '.' ? '/' : c;
  return path;
}

std::string render_dropin(const std::map<std::string, std::string>& keys) {
  std::string text = "# Managed by reconcile; local changes are reverted.\n";
  for (const auto& [key, value] : keys)
    text += key + " = " + normalise(value) + "\n";
  return text;
}

}  // namespace

std::vector<ProbeFragment> probe_sysctl(const state::Host& host) {
  if (host.sysctl.empty()) return {};
  // One `grep -H` for all keys prints each live value as "PATH:VALUE" (one
  // line per line of the file). Not the shell's `read`: it reads a byte at a
  // time, and a /proc/sys integer read from an offset other than 0 is at its
  // end ("8192" reads as "8").
  std::string script = "set --\n";
  size_t index = 0;
  for (const auto& [key, value] : host.sysctl) {
    std::string path = shell_quote(proc_path(key));
    script += "if [ -r " + path + " ]; then set -- \"$@\" " + path + "; else echo 'missing " +
              std::to_string(index) + "'; fi\n";
    ++index;
  }
  script += "if [ $# -gt 0 ]; then grep -aH '' -- \"$@\" 2>/dev/null || true; fi\n";
  script += file_digest_probe(kDropIn, "dropin");
  return {{"sysctl", script}};
}

Status parse_sysctl(const Sections& sections, const state::Host& host, HostFacts& facts) {
  std::vector<std::string> keys;
  std::vector<std::string> paths;
  for (const auto& [key, value] : host.sysctl) {
    keys.push_back(key);
    paths.push_back(proc_path(key));
    facts.sysctl.live[key] = std::nullopt;
  }
  auto it = sections.find("sysctl");
  if (it == sections.end()) return ok();
  std::vector<bool> missing(keys.size(), false);
  std::vector<std::string> values(keys.size());  // a value's lines, joined by spaces
  for (const auto& line : lines_of(it->second.text)) {
    if (line.starts_with("/")) {
      // "PATH:VALUE": the longest path of a key that the line starts with.
      std::optional<size_t> owner;
      for (size_t i = 0; i < paths.size(); ++i) {
        const std::string& path = paths[i];
        if (line.size() > path.size() && line.compare(0, path.size(), path) == 0 &&
            line[path.size()] == ':' && (!owner || path.size() > paths[*owner].size())) {
          owner = i;
        }
      }
      if (!owner) return data_loss("unexpected sysctl probe line '" + line + "'");
      values[*owner] += line.substr(paths[*owner].size() + 1) + " ";
      continue;
    }
    auto [kind, rest] = split_first(line);
    if (kind == "dropin") {
      facts.sysctl.dropin_digest = rest;
      continue;
    }
    size_t index = std::strtoul(rest.c_str(), nullptr, 10);
    if (kind != "missing" || index >= keys.size() || rest != std::to_string(index)) {
      return data_loss("unexpected sysctl probe line '" + line + "'");
    }
    missing[index] = true;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!missing[i]) facts.sysctl.live[keys[i]] = normalise(values[i]);
  }
  return ok();
}

void diff_sysctl(const DiffContext& context, std::vector<Change>& changes) {
  if (context.host.sysctl.empty()) return;
  std::string dropin = render_dropin(context.host.sysctl);
  Change change;
  std::vector<std::string> reasons;
  for (const auto& [key, value] : context.host.sysctl) {
    const auto& live = context.facts.sysctl.live.at(key);
    std::string want = normalise(value);
    if (!live) {
      change.fields.push_back(field(key, "(no such key)", want));
      reasons.push_back(key + " does not exist on this host");
    } else if (*live != want) {
      change.fields.push_back(field(key, *live, want));
      reasons.push_back(key + " is " + *live + ", want " + want);
    }
  }
  if (context.facts.sysctl.dropin_digest != sha256_hex(dropin)) {
    change.fields.push_back(
        field(kDropIn, context.facts.sysctl.dropin_digest ? "differs" : "", "managed"));
    reasons.push_back(std::string(kDropIn) +
                      (context.facts.sysctl.dropin_digest ? " differs" : " is missing"));
  }
  if (reasons.empty()) return;
  change.module = "sysctl";
  change.resource = "sysctl";
  change.key = "sysctl";
  change.phase = Phase::kSysctl;
  change.action = Action::kUpdate;
  change.reason = join(reasons, "; ");
  // Live values first: a key the kernel refuses fails the change before the
  // drop-in is written, so a bad key never persists into the next boot.
  for (const auto& [key, value] : context.host.sysctl) {
    change.script += "sysctl -q -w " + shell_quote(key + "=" + normalise(value)) + "\n";
  }
  change.script += atomic_write_script(shell_quote(kDropIn), "root", "root", "644");
  change.input = dropin;
  changes.push_back(std::move(change));
}

}  // namespace reconcile::modules
