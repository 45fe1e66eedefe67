#pragma once

// `reconcile secrets edit NAME` and `reconcile secrets rekey [NAME…]` as
// plain functions: the CLI resolves the recipients from the repository's
// declarations (recipients.h) and calls these. They touch the local
// filesystem (the repository's working directory and a tmpfs scratch
// directory), run the editor, and nothing else.
//
// edit: decrypts secrets/NAME.age with the user's identities into a file
// (mode 0600, in a fresh 0700 directory) on a tmpfs, runs the editor on
// it, and encrypts the result to the declared recipients through a
// temporary file renamed into place. The scratch directory (with anything
// the editor left in it: swap and backup files) is overwritten with zeros
// and removed on every path out: success, a failing editor, an error, and
// SIGINT, SIGTERM, SIGHUP or SIGQUIT (the editor is stopped too, and the
// secret is left as it was). Only SIGKILL can leave the plaintext behind,
// and then only on the tmpfs.
//
// Exit codes: 0 written or unchanged, 1 anything else (the reason goes to
// the error stream as "error: ...").

#include <string>
#include <vector>

#include "secrets/commands.h"
#include "secrets/recipients.h"

namespace reconcile::secrets {

struct EditOptions {
  std::string repo = ".";                     // the repository's working directory
  std::string name;                           // secrets/NAME.age
  std::vector<std::string> identity_files;    // decrypt the existing file with these
  std::vector<ResolvedRecipient> recipients;  // encrypt to these
  std::string editor;                         // a shell command; the file is its last argument
  // Where the plaintext may go; the first one that is a tmpfs is used.
  std::vector<std::string> scratch_candidates;
};

int run_edit(const EditOptions& options, const CommandStreams& streams);

struct RekeyItem {
  std::string name;
  std::vector<ResolvedRecipient> recipients;
};

// Re-encrypts each secrets/NAME.age to its recipients, one file at a time
// (atomic per file; armored files stay armored). A file that does not
// decrypt with `identity_files`, or whose recipients are not usable, is
// reported and left untouched; the exit code is then 1.
int run_rekey(const std::string& repo, const std::vector<RekeyItem>& items,
              const std::vector<std::string>& identity_files, const CommandStreams& streams);

// The names of every secrets/**/*.age file of the working directory, sorted.
Result<std::vector<std::string>> list_secret_files(const std::string& repo);

// The user's identity files when -i is not given: $RECONCILE_IDENTITY if
// set, else those of ~/.config/reconcile/identity.txt ($XDG_CONFIG_HOME is
// honoured) and ~/.ssh/id_ed25519 that exist.
std::vector<std::string> default_user_identity_files();

// The editor command: $VISUAL, else $EDITOR, else "vi".
std::string default_editor();

// Where `edit` may put the plaintext: $XDG_RUNTIME_DIR, then /dev/shm.
std::vector<std::string> default_scratch_candidates();

}  // namespace reconcile::secrets
