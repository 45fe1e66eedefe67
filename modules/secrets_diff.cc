// The secrets module's plan (see secrets.cc for the probe): the tmpfs on
// /run/secrets, each declared secret written, re-owned or left alone, and
// every undeclared entry removed.
//
// Order inside the host's plan: secrets with needed_for_users go in the
// early-secrets phase (before groups and users, owned by root), the others
// in the secrets phase (after users, so that their owners exist). The
// tmpfs comes first, in the early phase. When /run/secrets is not yet a
// tmpfs of its own, whatever it holds is removed before the tmpfs is
// mounted over it, so that no plaintext stays hidden underneath.

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "secrets/store.h"

namespace reconcile::modules {

namespace {

constexpr const char* kDirectory = "/run/secrets";
constexpr uint32_t kDirectoryMode = 0751;
constexpr const char* kMountKey = "secrets:tmpfs";

// Fails the script unless /run/secrets is a tmpfs mount of its own.
const char* kRequireTmpfs =
    "d=/run/secrets\n"
    "[ -d \"$d\" ] && [ ! -L \"$d\" ] && [ \"$(stat -f -c %T -- \"$d\")\" = tmpfs ] &&\n"
    "  [ \"$(stat -c %d -- \"$d\")\" != \"$(stat -c %d -- \"$d/..\")\" ] ||\n"
    "  { echo \"$d is not a tmpfs of its own; refusing to write a secret there\" >&2; exit 1; }\n";

const char* kMountScript =
    "d=/run/secrets\n"
    "if [ -L \"$d\" ] || { [ -e \"$d\" ] && [ ! -d \"$d\" ]; }; then\n"
    "  echo \"$d exists and is not a directory\" >&2; exit 1\n"
    "fi\n"
    "mkdir -p -- \"$d\"\n"
    "if [ \"$(stat -f -c %T -- \"$d\")\" != tmpfs ] ||\n"
    "   [ \"$(stat -c %d -- \"$d\")\" = \"$(stat -c %d -- \"$d/..\")\" ]; then\n"
    "  mount -t tmpfs -o mode=0751,nosuid,nodev,noexec tmpfs \"$d\"\n"
    "fi\n"
    "chown root:root \"$d\"\n"
    "chmod 0751 \"$d\"\n";

std::string path_of(const std::string& name) {
  return std::string(kDirectory) + "/" + name;
}

bool is_mounted(const SecretsFacts& facts) {
  return facts.directory == "directory" && facts.fstype == "tmpfs" && facts.mount_point;
}

Change secret_change(const std::string& name, Phase phase, std::string key) {
  Change change;
  change.module = "secrets";
  change.resource = "secret " + name;
  change.key = std::move(key);
  change.phase = phase;
  change.sensitive = true;
  return change;
}

Phase phase_of(const state::SecretDelivery& secret) {
  return secret.needed_for_users ? Phase::kEarlySecrets : Phase::kSecrets;
}

void add_requirements(const state::SecretDelivery& secret, Change& change) {
  change.requires_keys.push_back(kMountKey);
  if (secret.owner != "root") change.requires_keys.push_back("user:" + secret.owner);
  if (secret.group != "root") change.requires_keys.push_back("group:" + secret.group);
}

Change write_secret(const state::SecretDelivery& secret,
                    const std::shared_ptr<const secrets::SecureBuffer>& plaintext,
                    const SecretFileFacts* fact) {
  Change change = secret_change(secret.name, phase_of(secret), "secret:" + secret.name);
  std::string owner = secret.owner + ":" + secret.group;
  std::string mode = mode_text(secret.mode);
  change.script = kRequireTmpfs;
  if (fact == nullptr) {
    change.action = Action::kCreate;
    change.reason = "secret is not delivered";
    change.fields.push_back(FieldChange{"content", "(none)", "(sensitive)", true});
    change.fields.push_back(field("owner", "", owner));
    change.fields.push_back(field("mode", "", mode));
  } else {
    change.action = Action::kUpdate;
    if (fact->type != "file") {
      change.reason = "is a " + fact->type + ", want a file";
      change.fields.push_back(field("type", fact->type, "file"));
      change.script += "rm -rf -- " + shell_quote(path_of(secret.name)) + "\n";
    } else {
      change.reason = "content differs";
      change.fields.push_back(FieldChange{"content", "(sensitive)", "(sensitive)", true});
    }
    std::string before_owner = fact->owner + ":" + fact->group;
    if (before_owner != owner) change.fields.push_back(field("owner", before_owner, owner));
    if (fact->mode != secret.mode) {
      change.fields.push_back(field("mode", mode_text(fact->mode), mode));
    }
  }
  change.script += atomic_write_script(shell_quote(path_of(secret.name)), shell_quote(secret.owner),
                                       shell_quote(secret.group), mode);
  change.secret_input = plaintext;
  add_requirements(secret, change);
  return change;
}

// Owner, group and mode of a file whose content is right; nullopt if none differ.
std::optional<Change> attribute_change(const state::SecretDelivery& secret,
                                       const SecretFileFacts& fact) {
  Change change = secret_change(secret.name, phase_of(secret), "secret:" + secret.name);
  change.action = Action::kUpdate;
  std::vector<std::string> reasons;
  std::string path = shell_quote(path_of(secret.name));
  std::string before = fact.owner + ":" + fact.group;
  std::string after = secret.owner + ":" + secret.group;
  if (before != after) {
    change.fields.push_back(field("owner", before, after));
    reasons.push_back("owner is " + before + ", want " + after);
    change.script += "chown -- " + shell_quote(after) + " " + path + "\n";
  }
  if (fact.mode != secret.mode) {
    change.fields.push_back(field("mode", mode_text(fact.mode), mode_text(secret.mode)));
    reasons.push_back("mode is " + mode_text(fact.mode) + ", want " + mode_text(secret.mode));
    change.script += "chmod -- " + mode_text(secret.mode) + " " + path + "\n";
  }
  if (reasons.empty()) return std::nullopt;
  change.reason = join(reasons, "; ");
  add_requirements(secret, change);
  return change;
}

Change remove_entry(const std::string& name, const SecretFileFacts& fact, Phase phase,
                    const std::string& reason) {
  Change change = secret_change(name, phase, "secret-file:" + name);
  change.action = Action::kRemove;
  change.reason = reason;
  change.fields.push_back(field("type", fact.type, ""));
  if (fact.type == "file") change.fields.push_back(FieldChange{"content", "", "", true});
  change.script = "rm -rf -- " + shell_quote(path_of(name)) + "\n";
  return change;
}

std::optional<Change> directory_change(const SecretsFacts& facts) {
  Change change;
  change.module = "secrets";
  change.resource = "tmpfs " + std::string(kDirectory);
  change.key = kMountKey;
  change.phase = Phase::kEarlySecrets;
  change.script = kMountScript;
  if (!is_mounted(facts)) {
    change.action = facts.directory == "missing" ? Action::kCreate : Action::kUpdate;
    change.reason = facts.directory == "missing"
                        ? std::string(kDirectory) + " does not exist"
                        : std::string(kDirectory) + " is not a tmpfs of its own (it is " +
                              (facts.mount_point ? "a " : "a folder on ") + facts.fstype + ")";
    change.fields.push_back(field("mount", facts.mount_point ? facts.fstype : "", "tmpfs"));
    change.fields.push_back(field("mode", "", mode_text(kDirectoryMode)));
    return change;
  }
  std::vector<std::string> reasons;
  change.action = Action::kUpdate;
  if (facts.owner != "root" || facts.group != "root") {
    change.fields.push_back(field("owner", facts.owner + ":" + facts.group, "root:root"));
    reasons.push_back("owner is " + facts.owner + ":" + facts.group + ", want root:root");
  }
  if (facts.mode != kDirectoryMode) {
    change.fields.push_back(field("mode", mode_text(facts.mode), mode_text(kDirectoryMode)));
    reasons.push_back("mode is " + mode_text(facts.mode) + ", want " + mode_text(kDirectoryMode));
  }
  if (reasons.empty()) return std::nullopt;
  change.reason = join(reasons, "; ");
  return change;
}

// Refuses (and returns false) when the host cannot be planned: a secret that
// was not decrypted, a needed_for_users secret not owned by root, or a
// /run/secrets that is not a directory.
bool can_plan(const DiffContext& context) {
  bool ok = true;
  for (const auto& secret : context.host.secrets) {
    if (secret.needed_for_users && (secret.owner != "root" || secret.group != "root")) {
      context.refuse("secret " + secret.name +
                     ": a needed_for_users secret is delivered before users exist, so it must be "
                     "owned by root:root (it says " +
                     secret.owner + ":" + secret.group + ")");
      ok = false;
    }
    const secrets::SecretStore::Entry* entry =
        context.secrets != nullptr ? context.secrets->find(secret.source) : nullptr;
    if (entry == nullptr) {
      context.refuse("secret " + secret.name + ": " + secret.source +
                     " was not decrypted (no controller identity)");
      ok = false;
    } else if (!entry->plaintext) {
      context.refuse("secret " + secret.name + ": cannot decrypt " + secret.source +
                     " with the controller's identity: " + entry->error);
      ok = false;
    }
  }
  if (context.facts.secrets.directory == "other") {
    context.refuse(std::string(kDirectory) + " exists and is not a directory; remove it by hand");
    ok = false;
  }
  return ok;
}

}  // namespace

void diff_secrets(const DiffContext& context, std::vector<Change>& changes) {
  const state::Host& host = context.host;
  if (!manages_secrets(host) || !can_plan(context)) return;
  const SecretsFacts& facts = context.facts.secrets;
  bool mounted = is_mounted(facts);
  std::map<std::string, const state::SecretDelivery*> declared;
  for (const auto& secret : host.secrets)
    declared[secret.name] = &secret;

  if (!mounted && !declared.empty()) {
    // Nothing may stay hidden under the tmpfs: clear the folder first.
    for (const auto& [name, fact] : facts.files) {
      changes.push_back(remove_entry(
          name, fact, Phase::kEarlySecrets,
          std::string(kDirectory) + " is not a tmpfs of its own; cleared before mounting one"));
    }
  }
  if (!declared.empty() || mounted) {
    if (auto change = directory_change(facts)) changes.push_back(std::move(*change));
  }
  for (const auto& secret : host.secrets) {
    const auto& plaintext = context.secrets->find(secret.source)->plaintext;
    auto fact = facts.files.find(secret.name);
    if (!mounted || fact == facts.files.end()) {
      changes.push_back(write_secret(secret, plaintext, nullptr));
    } else if (fact->second.type != "file" ||
               fact->second.digest != secret_digest(host.name, *plaintext)) {
      changes.push_back(write_secret(secret, plaintext, &fact->second));
    } else if (auto change = attribute_change(secret, fact->second)) {
      changes.push_back(std::move(*change));
    }
  }
  if (mounted || declared.empty()) {
    for (const auto& [name, fact] : facts.files) {
      if (declared.count(name) == 0) {
        changes.push_back(remove_entry(name, fact, Phase::kSecrets, "not declared for this host"));
      }
    }
  }
}

}  // namespace reconcile::modules
