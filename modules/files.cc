// files: regular files and directories. Drift is found by sha256 computed on
// the host, so only hashes cross the wire; content is streamed only when it
// must be written, atomically. Owner, group and mode are managed when
// declared (and default to root:root 0644 / 0755 on create).

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

// probe_file INDEX PATH: one file, two execs (stat, sha256sum). The slow
// path; probe_files below does all files with one stat and one sha256sum.
const char* kProbeFunction = R"SH(probe_file() {
  if [ -e "$2" ] || [ -L "$2" ]; then
    printf 'file %s stat %s\n' "$1" "$(stat -c '%U %G %a %F' -- "$2")"
    if [ -f "$2" ] && [ ! -L "$2" ]; then
      digest=$(sha256sum < "$2" || true)
      printf 'file %s sha256 %s\n' "$1" "${digest%% *}"
    fi
  else
    printf 'file %s missing\n' "$1"
  fi
}
)SH";

std::string owner_of(const state::ManagedFile& file) {
  return file.owner.value_or("root");
}
std::string group_of(const state::ManagedFile& file) {
  return file.group.value_or("root");
}
uint32_t mode_of(const state::ManagedFile& file) {
  return file.mode.value_or(file.type == state::FileType::kDirectory ? 0755 : 0644);
}

void add_requirements(const state::ManagedFile& file, Change& change) {
  if (file.owner) change.requires_keys.push_back("user:" + *file.owner);
  if (file.group) change.requires_keys.push_back("group:" + *file.group);
  // A file inside a managed directory waits for the directory.
  std::string parent = file.path.substr(0, file.path.rfind('/'));
  while (!parent.empty()) {
    change.requires_keys.push_back("file:" + parent);
    parent = parent.substr(0, parent.rfind('/'));
  }
}

Change write_file(const state::ManagedFile& file, const FileFacts& fact) {
  Change change;
  std::string sha = sha256_hex(*file.content);
  if (!fact.exists) {
    change.action = Action::kCreate;
    change.reason = "file does not exist";
    change.fields.push_back(field("sha256", "", sha.substr(0, 12)));
    change.fields.push_back(field("owner", "", owner_of(file) + ":" + group_of(file)));
    change.fields.push_back(field("mode", "", mode_text(mode_of(file))));
  } else {
    change.action = Action::kUpdate;
    change.reason = "content differs";
    change.fields.push_back(field("sha256", fact.sha256.substr(0, 12), sha.substr(0, 12)));
  }
  // An existing file keeps its owner and mode unless they are declared.
  std::string owner =
      file.owner || !fact.exists ? shell_quote(owner_of(file)) : shell_quote(fact.owner);
  std::string group =
      file.group || !fact.exists ? shell_quote(group_of(file)) : shell_quote(fact.group);
  uint32_t mode = file.mode || !fact.exists ? mode_of(file) : fact.mode;
  change.script = atomic_write_script(shell_quote(file.path), owner, group, mode_text(mode));
  change.input = *file.content;
  return change;
}

// Owner, group and mode differences of an existing path, when declared.
void attribute_changes(const state::ManagedFile& file, const FileFacts& fact, Change& change,
                       std::vector<std::string>& reasons) {
  std::string path = shell_quote(file.path);
  if ((file.owner && *file.owner != fact.owner) || (file.group && *file.group != fact.group)) {
    std::string before = fact.owner + ":" + fact.group;
    std::string after = file.owner.value_or(fact.owner) + ":" + file.group.value_or(fact.group);
    change.fields.push_back(field("owner", before, after));
    reasons.push_back("owner is " + before + ", want " + after);
    change.script += "chown -h -- " + shell_quote(after) + " " + path + "\n";
  }
  if (file.mode && *file.mode != fact.mode) {
    change.fields.push_back(field("mode", mode_text(fact.mode), mode_text(*file.mode)));
    reasons.push_back("mode is " + mode_text(fact.mode) + ", want " + mode_text(*file.mode));
    change.script += "chmod -- " + mode_text(*file.mode) + " " + path + "\n";
  }
}

std::optional<Change> diff_file(const state::ManagedFile& file, const FileFacts& fact) {
  bool want_directory = file.type == state::FileType::kDirectory;
  std::string kind = want_directory ? "directory" : "regular file";
  if (file.state == state::Presence::kAbsent) {
    if (!fact.exists) return std::nullopt;
    Change change;
    change.action = Action::kRemove;
    change.destructive = true;
    change.reason = "declared absent";
    change.fields.push_back(field("type", fact.type, ""));
    change.script = fact.type == "directory" ? "rm -rf -- " + shell_quote(file.path) + "\n"
                                             : "rm -f -- " + shell_quote(file.path) + "\n";
    return change;
  }
  if (fact.exists && fact.type != kind) {
    Change change;
    change.action = Action::kUpdate;
    change.destructive = true;
    change.reason =
        "is a " + fact.type + ", want a " + kind + "; the " + fact.type + " would be deleted";
    change.fields.push_back(field("type", fact.type, kind));
    change.script = "rm -rf -- " + shell_quote(file.path) + "\n";
    FileFacts missing;
    if (want_directory) {
      change.script += "mkdir -p -- " + shell_quote(file.path) + "\n";
    } else {
      Change write = write_file(file, missing);
      change.script += write.script;
      change.input = write.input;
    }
    return change;
  }
  if (want_directory) {
    Change change;
    if (!fact.exists) {
      change.action = Action::kCreate;
      change.reason = "directory does not exist";
      change.fields.push_back(field("owner", "", owner_of(file) + ":" + group_of(file)));
      change.fields.push_back(field("mode", "", mode_text(mode_of(file))));
      std::string path = shell_quote(file.path);
      change.script = "mkdir -p -- " + path + "\nchown -- " +
                      shell_quote(owner_of(file) + ":" + group_of(file)) + " " + path +
                      "\nchmod -- " + mode_text(mode_of(file)) + " " + path + "\n";
      return change;
    }
    std::vector<std::string> reasons;
    change.action = Action::kUpdate;
    attribute_changes(file, fact, change, reasons);
    if (reasons.empty()) return std::nullopt;
    change.reason = join(reasons, "; ");
    return change;
  }
  if (!fact.exists || fact.sha256 != sha256_hex(*file.content)) return write_file(file, fact);
  Change change;
  change.action = Action::kUpdate;
  std::vector<std::string> reasons;
  attribute_changes(file, fact, change, reasons);
  if (reasons.empty()) return std::nullopt;
  change.reason = join(reasons, "; ");
  return change;
}

}  // namespace

// Every exec is a fork on the host, so all files share one `stat` and one
// `sha256sum`, whose output lines come in argument order and are handed out
// to the files in that order. Whether a file exists and is regular is decided
// once (e_I, r_I) and not tested again. If stat or sha256sum fails (a file
// vanished in between), every file takes the one-at-a-time path instead, so
// a line can never be credited to another file; too few lines leave a line
// without a value, which the parser refuses.
std::vector<ProbeFragment> probe_files(const state::Host& host) {
  if (host.files.empty()) return {};
  std::vector<std::string> paths;
  for (const auto& file : host.files)
    paths.push_back(shell_quote(file.path));
  std::string exist = "set --\n", regular = "set --\n", fast, slow;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string index = std::to_string(i);
    const std::string& path = paths[i];
    exist += "if [ -e " + path + " ] || [ -L " + path + " ]; then e" + index +
             "=1; set -- \"$@\" " + path + "; else e" + index + "=0; fi\n";
    regular += "if [ $e" + index + " = 1 ] && [ -f " + path + " ] && [ ! -L " + path +
               " ]; then r" + index + "=1; set -- \"$@\" " + path + "; else r" + index + "=0; fi\n";
    fast += "if [ $e" + index + " = 1 ]; then take_line stats; printf 'file " + index +
            " stat %s\\n' \"$line\"; if [ $r" + index +
            " = 1 ]; then take_line sums; line=${line#\\\\}; printf 'file " + index +
            " sha256 %s\\n' \"${line%% *}\"; fi; else printf 'file " + index + " missing\\n'; fi\n";
    slow += "probe_file " + index + " " + path + "\n";
  }
  std::string script =
      kProbeFunction + take_line_function() + exist +
      "stats= sums= fast=1\n"
      "if [ $# -gt 0 ]; then stats=$(stat -c '%U %G %a %F' -- \"$@\") || fast=0; fi\n" +
      regular +
      "if [ $fast = 1 ] && [ $# -gt 0 ]; then sums=$(sha256sum -- \"$@\") || fast=0; "
      "fi\n"
      "if [ $fast = 1 ]; then\n" +
      fast + "else\n" + slow + "fi\n";
  return {{"files", script}};
}

Status parse_files(const Sections& sections, const state::Host& host, HostFacts& facts) {
  facts.files.assign(host.files.size(), FileFacts{});
  auto it = sections.find("files");
  if (it == sections.end()) return ok();
  for (const auto& line : lines_of(it->second.text)) {
    auto words = words_of(line);
    size_t index = words.size() >= 3 ? std::strtoul(words[1].c_str(), nullptr, 10) : SIZE_MAX;
    if (words.size() < 3 || words[0] != "file" || index >= facts.files.size()) {
      return data_loss("unexpected files probe line '" + line + "'");
    }
    FileFacts& file = facts.files[index];
    if (words[2] == "stat" && words.size() >= 7) {
      file.exists = true;
      file.owner = words[3];
      file.group = words[4];
      file.mode = static_cast<uint32_t>(std::strtoul(words[5].c_str(), nullptr, 8));
      std::vector<std::string> type(words.begin() + 6, words.end());
      file.type = join(type, " ");
      // GNU stat says "regular empty file" for empty files.
      if (file.type == "regular empty file") file.type = "regular file";
    } else if (words[2] == "sha256" && words.size() == 4) {
      file.sha256 = words[3];
    } else if (words[2] != "missing") {
      return data_loss("unexpected files probe line '" + line + "'");
    }
  }
  return ok();
}

void diff_files(const DiffContext& context, std::vector<Change>& changes) {
  for (size_t i = 0; i < context.host.files.size(); ++i) {
    const state::ManagedFile& file = context.host.files[i];
    auto change = diff_file(file, context.facts.files[i]);
    if (!change) continue;
    change->module = "files";
    change->resource =
        (file.type == state::FileType::kDirectory ? "directory " : "file ") + file.path;
    change->key = "file:" + file.path;
    change->phase = Phase::kFiles;
    add_requirements(file, *change);
    changes.push_back(std::move(*change));
  }
}

}  // namespace reconcile::modules
