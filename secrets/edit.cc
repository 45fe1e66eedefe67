// `secrets edit` and `secrets rekey`. Every step of edit checks the signal
// guard, and the scratch directory is a local whose destructor wipes the
// plaintext, so every way out (return, error, signal) cleans up.

#include "secrets/edit.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "reconciler/base/strings.h"
#include "secrets/io.h"
#include "secrets/output_file.h"
#include "secrets/scratch.h"
#include "secrets/secret_file.h"

namespace reconcile::secrets {

namespace {

void say(const CommandStreams& streams, const std::string& line) {
  FdWriter out(streams.err, "standard error");
  (void)out.write(line + "\n");
}

int fail(const CommandStreams& streams, const std::string& message) {
  say(streams, "error: " + message);
  return 1;
}

std::string recipient_names(const std::vector<ResolvedRecipient>& recipients) {
  std::vector<std::string> names;
  for (const auto& recipient : recipients)
    names.push_back(recipient.name);
  return std::to_string(recipients.size()) + " recipient" + (recipients.size() == 1 ? "" : "s") +
         " (" + join(names, ", ") + ")";
}

bool file_exists(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

// mkdir -p for the folders of a new secret under the repository.
Status make_parents(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
      return system_error("creating " + parent, errno);
    }
  }
  return ok();
}

std::string interrupted(int signal, const std::string& path) {
  return std::string("interrupted by ") + sigabbrev_np(signal) + ": " + path +
         " was not changed; the plaintext was removed";
}

// A secret file's plaintext, and whether the file is armored.
struct OpenedSecret {
  SecureBuffer plaintext;
  bool armor = true;
};

Result<OpenedSecret> open_secret(const std::string& path, const IdentityList& identities) {
  // Armor makes a file about 4/3 of its binary size.
  SecureBuffer ciphertext = TRY(read_small_file(path, kMaxSecretSize * 2));
  OpenedSecret opened;
  opened.armor = looks_armored(ciphertext.view());
  opened.plaintext = TRY_CONTEXT(path, decrypt_to_buffer(ciphertext.view(), identities));
  return opened;
}

std::string base_name(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

// The edit itself, once the guard is in place.
int edit(const EditOptions& options, const CommandStreams& streams, SignalGuard& guard) {
  std::string relative = source_of_secret(options.name);
  std::string path = options.repo + "/" + relative;
  if (options.recipients.empty()) {
    return fail(streams, "no recipients for secret " + options.name +
                             ": declare secrets.recipients in reconcile.yaml");
  }
  auto recipients = parse_resolved(options.recipients);
  if (!recipients) return fail(streams, recipients.error().message());

  bool exists = file_exists(path);
  SecureBuffer before;
  bool armor = true;
  if (exists) {
    if (options.identity_files.empty()) {
      return fail(streams, "no identity to decrypt " + relative +
                               ": give -i FILE (or set RECONCILE_IDENTITY)");
    }
    auto identities = read_identity_files(options.identity_files);
    if (!identities) return fail(streams, identities.error().message());
    auto opened = open_secret(path, *identities);
    if (!opened) return fail(streams, "cannot decrypt: " + opened.error().message());
    before = std::move(opened->plaintext);
    armor = opened->armor;
  } else {
    say(streams, relative + " does not exist yet; it is created when you save");
  }

  auto scratch = ScratchDirectory::create(options.scratch_candidates);
  if (!scratch) return fail(streams, scratch.error().message());
  auto file = scratch->write_file(base_name(options.name), before);
  if (!file) return fail(streams, file.error().message());
  if (guard.caught() != 0) return fail(streams, interrupted(guard.caught(), relative));

  auto status = guard.run_editor(options.editor, *file);
  if (!status) return fail(streams, status.error().message());
  if (guard.caught() != 0) return fail(streams, interrupted(guard.caught(), relative));
  if (*status != 0) {
    return fail(streams, "the editor exited with status " + std::to_string(*status) + ": " +
                             relative + " was not changed");
  }
  auto after = read_small_file(*file, kMaxSecretSize);
  if (!after) return fail(streams, after.error().message());
  if (!exists && after->empty()) {
    return fail(streams, "the secret is empty: " + relative + " was not created");
  }
  if (exists && after->equals(before)) {
    say(streams, relative + ": unchanged");
    return 0;
  }
  if (auto made = make_parents(path); !made) return fail(streams, made.error().message());
  if (guard.caught() != 0) return fail(streams, interrupted(guard.caught(), relative));
  if (auto written = write_secret_file(path, *after, *recipients, armor); !written) {
    return fail(streams, written.error().message());
  }
  say(streams, relative + ": " + (exists ? "updated" : "created") + ", encrypted to " +
                   recipient_names(options.recipients));
  return 0;
}

Status list_into(const std::string& root, const std::string& prefix,
                 std::vector<std::string>& names) {
  DIR* dir = opendir(root.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT && prefix.empty()) return ok();
    return system_error("reading " + root, errno);
  }
  std::vector<std::pair<std::string, bool>> entries;
  while (const dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name.empty() || name[0] == '.') continue;
    struct stat info;
    if (stat((root + "/" + name).c_str(), &info) != 0) continue;
    entries.emplace_back(name, S_ISDIR(info.st_mode));
  }
  closedir(dir);
  for (const auto& [name, is_directory] : entries) {
    if (is_directory) {
      TRY(list_into(root + "/" + name, prefix + name + "/", names));
    } else if (name.size() > 4 && name.ends_with(".age")) {
      std::string secret = prefix + name.substr(0, name.size() - 4);
      if (check_secret_name(secret).empty()) names.push_back(secret);
    }
  }
  return ok();
}

}  // namespace

int run_edit(const EditOptions& options, const CommandStreams& streams) {
  if (std::string problem = check_secret_name(options.name); !problem.empty()) {
    return fail(streams, "secret name '" + options.name + "': expected " + problem);
  }
  SignalGuard guard;
  return edit(options, streams, guard);
}

int run_rekey(const std::string& repo, const std::vector<RekeyItem>& items,
              const std::vector<std::string>& identity_files, const CommandStreams& streams) {
  if (identity_files.empty()) {
    return fail(streams, "no identity to decrypt the secrets: give -i FILE");
  }
  auto identities = read_identity_files(identity_files);
  if (!identities) return fail(streams, identities.error().message());
  std::vector<std::string> failed;
  for (const auto& item : items) {
    std::string relative = source_of_secret(item.name);
    std::string path = repo + "/" + relative;
    auto problem = [&](const std::string& why) {
      say(streams, "error: " + relative + ": " + why + "; left untouched");
      failed.push_back(relative);
    };
    if (item.recipients.empty()) {
      problem("no recipients declared");
      continue;
    }
    auto recipients = parse_resolved(item.recipients);
    if (!recipients) {
      problem(recipients.error().message());
      continue;
    }
    auto opened = open_secret(path, *identities);
    if (!opened) {
      problem("cannot decrypt: " + opened.error().message());
      continue;
    }
    if (auto written = write_secret_file(path, opened->plaintext, *recipients, opened->armor);
        !written) {
      problem(written.error().message());
      continue;
    }
    say(streams, relative + ": re-encrypted to " + recipient_names(item.recipients));
  }
  if (!failed.empty()) {
    say(streams, std::to_string(items.size() - failed.size()) + " of " +
                     std::to_string(items.size()) +
                     " secret(s) re-encrypted; not re-encrypted: " + join(failed, ", "));
    return 1;
  }
  return 0;
}

Result<std::vector<std::string>> list_secret_files(const std::string& repo) {
  std::vector<std::string> names;
  TRY(list_into(repo + "/secrets", "", names));
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> default_user_identity_files() {
  if (const char* explicit_file = std::getenv("RECONCILE_IDENTITY");
      explicit_file != nullptr && explicit_file[0] != '\0') {
    return {explicit_file};
  }
  std::vector<std::string> found;
  const char* home = std::getenv("HOME");
  const char* config = std::getenv("XDG_CONFIG_HOME");
  std::string config_dir = config != nullptr && config[0] != '\0' ? std::string(config)
                           : home != nullptr                      ? std::string(home) + "/.config"
                                                                  : std::string();
  std::vector<std::string> candidates;
  if (!config_dir.empty()) candidates.push_back(config_dir + "/reconcile/identity.txt");
  if (home != nullptr) candidates.push_back(std::string(home) + "/.ssh/id_ed25519");
  for (const auto& candidate : candidates) {
    if (file_exists(candidate)) found.push_back(candidate);
  }
  return found;
}

std::string default_editor() {
  for (const char* variable : {"VISUAL", "EDITOR"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return "vi";
}

std::vector<std::string> default_scratch_candidates() {
  std::vector<std::string> candidates;
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && runtime[0] != '\0') candidates.push_back(runtime);
  candidates.push_back("/dev/shm");
  return candidates;
}

}  // namespace reconcile::secrets
