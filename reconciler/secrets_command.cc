// `reconcile secrets …`: the age-compatible keygen / encrypt / decrypt, and
// the commands that work on a repository's secrets: edit, rekey and
// recipients. Those read the repository's working directory (-C PATH),
// not a commit: they are how secrets are changed before committing.
// The work is done by secrets/commands.h and secrets/edit.h; this file
// parses flags, loads the repository and resolves recipients.

#include <unistd.h>

#include <iostream>

#include "desired-state/loader.h"
#include "reconciler/base/strings.h"
#include "reconciler/commands.h"
#include "reconciler/exit_codes.h"
#include "reconciler/repo_loading.h"
#include "reconciler/secret_loading.h"
#include "secrets/commands.h"
#include "secrets/edit.h"

namespace reconcile {

namespace {

// The working directory as the loader sees it, plus one secret file that
// does not exist yet (a secret being created by `edit`), so that a host
// that already refers to it loads.
class PendingSecretSource : public state::RepoSource {
 public:
  PendingSecretSource(std::unique_ptr<state::RepoSource> inner, std::string pending)
      : m_inner(std::move(inner)), m_pending(std::move(pending)) {}
  Result<std::string> read(const std::string& path) const override { return m_inner->read(path); }
  Result<std::vector<state::SourceEntry>> list(const std::string& directory) const override {
    return m_inner->list(directory);
  }
  bool is_file(const std::string& path) const override {
    return path == m_pending || m_inner->is_file(path);
  }
  std::string describe() const override { return m_inner->describe(); }
  std::string commit() const override { return m_inner->commit(); }

 private:
  std::unique_ptr<state::RepoSource> m_inner;
  std::string m_pending;
};

// The working directory comes from the shared -C (CommandContext::repo), so
// that `reconcile -C infra secrets edit x` works too; --rev does not apply.
struct RepoFlags {
  std::string path = ".";
  std::vector<std::string> identities;  // -i
};

std::optional<RepoFlags> flags_of(const CommandContext& context,
                                  const std::vector<std::string>& identities) {
  if (context.repo.revision_given()) {
    std::cerr << "error: --rev does not apply: the secrets commands edit the working directory "
                 "of the repository, not a commit\n";
    return std::nullopt;
  }
  return RepoFlags{context.repo.path, identities};
}

// Loads the working directory; prints the problems and returns nullopt when
// it does not load. `pending` names a secret file that may be missing.
std::optional<state::Repo> load_working_tree(const std::string& path, const std::string& pending) {
  auto directory = state::open_directory_source(path);
  if (!directory) {
    std::cerr << "error: " << directory.error().message() << "\n";
    return std::nullopt;
  }
  PendingSecretSource source(std::move(*directory), pending);
  state::LoadResult loaded = state::load_repo(source);
  if (!loaded.ok()) {
    RepoOptions options;
    options.path = path;
    print_diagnostics(loaded.diagnostics, diagnostic_prefix(options));
    std::cerr << loaded.diagnostics.size() << " error(s) in " << loaded.repo.origin
              << "; fix them first (the recipients come from the repository)\n";
    return std::nullopt;
  }
  return std::move(loaded.repo);
}

bool valid_name(const std::string& name) {
  std::string problem = secrets::check_secret_name(name);
  if (problem.empty()) return true;
  std::cerr << "error: secret name '" << name << "': expected " << problem << "\n";
  return false;
}

std::vector<std::string> identities_or_default(const std::vector<std::string>& given) {
  return given.empty() ? secrets::default_user_identity_files() : given;
}

int run_edit_command(const RepoFlags& flags, const std::string& name) {
  if (!valid_name(name)) return kExitInvalidInput;
  auto repo = load_working_tree(flags.path, secrets::source_of_secret(name));
  if (!repo) return kExitInvalidInput;
  secrets::EditOptions options;
  options.repo = flags.path;
  options.name = name;
  options.identity_files = identities_or_default(flags.identities);
  options.recipients = secrets::resolve_recipients(recipient_policy(*repo), name);
  options.editor = secrets::default_editor();
  options.scratch_candidates = secrets::default_scratch_candidates();
  return secrets::run_edit(options, {});
}

int run_rekey_command(const RepoFlags& flags, std::vector<std::string> names) {
  for (const auto& name : names) {
    if (!valid_name(name)) return kExitInvalidInput;
  }
  auto repo = load_working_tree(flags.path, "");
  if (!repo) return kExitInvalidInput;
  if (names.empty()) {
    auto found = secrets::list_secret_files(flags.path);
    if (!found) {
      std::cerr << "error: " << found.error().message() << "\n";
      return kExitInvalidInput;
    }
    names = std::move(*found);
    if (names.empty()) std::cerr << "no secrets under " << flags.path << "/secrets\n";
  }
  secrets::RecipientPolicy policy = recipient_policy(*repo);
  std::vector<secrets::RekeyItem> items;
  for (const auto& name : names)
    items.push_back({name, secrets::resolve_recipients(policy, name)});
  return secrets::run_rekey(flags.path, items, identities_or_default(flags.identities), {});
}

int run_recipients_command(const RepoFlags& flags, const std::string& name) {
  if (!valid_name(name)) return kExitInvalidInput;
  auto repo = load_working_tree(flags.path, "");
  if (!repo) return kExitInvalidInput;
  secrets::RecipientPolicy policy = recipient_policy(*repo);
  auto recipients = secrets::resolve_recipients(policy, name);
  auto hosts = secrets::hosts_using(policy, name);
  std::string source = secrets::source_of_secret(name);
  bool exists = access((flags.path + "/" + source).c_str(), F_OK) == 0;
  std::cout << "secret " << name << " (" << source << (exists ? "" : ", does not exist yet")
            << "), used by " << (hosts.empty() ? "no host" : join(hosts, ", ")) << "\n";
  size_t width = 0;
  for (const auto& recipient : recipients)
    width = std::max(width, recipient.name.size());
  for (const auto& recipient : recipients) {
    std::cout << "  " << recipient.name << std::string(width - recipient.name.size() + 2, ' ')
              << recipient.key << "  (" << join(recipient.reasons, ", ") << ")\n";
  }
  if (recipients.empty()) {
    std::cout << "  nobody: declare secrets.recipients in reconcile.yaml\n";
    return kExitInvalidInput;
  }
  if (!hosts.empty() && !policy.controller) {
    std::cout << "note: hosts use it but reconcile.yaml names no secrets.controller, so the "
                 "controller may not be able to decrypt it\n";
  }
  return kExitOk;
}

void add_standalone_commands(CLI::App& secrets_app, CommandContext& context) {
  auto keygen = std::make_shared<secrets::KeygenOptions>();
  CLI::App* command = secrets_app.add_subcommand(
      "keygen", "Make an age X25519 identity (like age-keygen); the public key goes to stdout");
  command->add_option("-o,--output", keygen->output,
                      "Write the identity to FILE (mode 0600, never overwritten) instead of "
                      "stdout");
  command->callback([keygen, &context] { context.exit_code = secrets::run_keygen(*keygen, {}); });

  auto encrypt = std::make_shared<secrets::EncryptOptions>();
  command = secrets_app.add_subcommand("encrypt", "Encrypt to age recipients (age-compatible)");
  command
      ->add_option("-r,--recipient", encrypt->recipients,
                   "A recipient: age1… or an ssh-ed25519 public key (repeatable)")
      ->allow_extra_args(false);
  command
      ->add_option("-R,--recipients-file", encrypt->recipient_files,
                   "A file of recipients, one per line (repeatable)")
      ->allow_extra_args(false);
  command->add_flag("-a,--armor", encrypt->armor, "ASCII-armored (PEM) output");
  command->add_option("-o,--output", encrypt->output, "Write to OUT instead of stdout");
  command->add_option("input", encrypt->input, "The file to encrypt (default stdin)");
  command->callback(
      [encrypt, &context] { context.exit_code = secrets::run_encrypt(*encrypt, {}); });

  auto decrypt = std::make_shared<secrets::DecryptOptions>();
  command = secrets_app.add_subcommand("decrypt", "Decrypt an age file (binary or armored)");
  command
      ->add_option("-i,--identity", decrypt->identity_files,
                   "An identity file: age X25519 keys or an ssh-ed25519 private key "
                   "(repeatable, required)")
      ->allow_extra_args(false);
  command->add_option("-o,--output", decrypt->output,
                      "Write to OUT (mode 0600, only once everything verified) instead of stdout");
  command->add_option("input", decrypt->input, "The file to decrypt (default stdin)");
  command->callback(
      [decrypt, &context] { context.exit_code = secrets::run_decrypt(*decrypt, {}); });
}

void add_repo_flags(CLI::App& command, CommandContext& context,
                    std::vector<std::string>* identities) {
  command
      .add_option("-C,--repo", context.repo.path,
                  "The repository's working directory (these commands edit files there, not a "
                  "commit)")
      ->capture_default_str();
  if (identities != nullptr) {
    command
        .add_option("-i,--identity", *identities,
                    "Your identity file, to decrypt (repeatable; default $RECONCILE_IDENTITY, "
                    "else ~/.config/reconcile/identity.txt and ~/.ssh/id_ed25519 if they exist)")
        ->allow_extra_args(false);
  }
}

void add_repo_commands(CLI::App& secrets_app, CommandContext& context) {
  auto identities = std::make_shared<std::vector<std::string>>();
  auto name = std::make_shared<std::string>();
  CLI::App* command = secrets_app.add_subcommand(
      "edit",
      "Decrypt secrets/NAME.age into a 0600 file on a tmpfs, run $VISUAL/$EDITOR on it, "
      "re-encrypt to the recipients the repository declares, and wipe the plaintext (also "
      "when the editor fails or on a signal); a new NAME creates the secret");
  add_repo_flags(*command, context, identities.get());
  command->add_option("name", *name, "The secret: secrets/NAME.age")->required();
  command->callback([identities, name, &context] {
    auto flags = flags_of(context, *identities);
    context.exit_code = flags ? run_edit_command(*flags, *name) : kExitInvalidInput;
  });

  auto rekey_identities = std::make_shared<std::vector<std::string>>();
  auto names = std::make_shared<std::vector<std::string>>();
  command = secrets_app.add_subcommand(
      "rekey",
      "Re-encrypt secrets to the recipients currently declared (all of secrets/ by default); "
      "atomic per file; files that do not decrypt are reported and left untouched");
  add_repo_flags(*command, context, rekey_identities.get());
  command->add_option("names", *names, "Secrets to re-encrypt (default: every secrets/*.age)");
  command->callback([rekey_identities, names, &context] {
    auto flags = flags_of(context, *rekey_identities);
    context.exit_code = flags ? run_rekey_command(*flags, *names) : kExitInvalidInput;
  });

  auto recipients_name = std::make_shared<std::string>();
  command = secrets_app.add_subcommand(
      "recipients", "Who can read secret NAME: the recipients the repository declares for it");
  add_repo_flags(*command, context, nullptr);
  command->add_option("name", *recipients_name, "The secret: secrets/NAME.age")->required();
  command->callback([recipients_name, &context] {
    auto flags = flags_of(context, {});
    context.exit_code =
        flags ? run_recipients_command(*flags, *recipients_name) : kExitInvalidInput;
  });
}

}  // namespace

void add_secrets_command(CLI::App& app, CommandContext& context) {
  CLI::App* secrets_app = app.add_subcommand(
      "secrets", "age-encrypted secrets: keys, encryption, and the repository's secrets/");
  secrets_app->require_subcommand(1);
  add_standalone_commands(*secrets_app, context);
  add_repo_commands(*secrets_app, context);
}

}  // namespace reconcile
