#pragma once

// The standalone age-compatible commands, as plain functions that the CLI
// calls after parsing its flags:
//
//   reconcile secrets keygen [-o FILE]
//   reconcile secrets encrypt (-r RECIPIENT | -R FILE)... [-a] [-o OUT] [IN]
//   reconcile secrets decrypt -i IDENTITY... [-o OUT] [IN]
//
// Each returns the process exit code: 0 on success, 1 on invalid input
// (flags, keys, a file that does not decrypt) or a failed read or write;
// the reason goes to the error stream as "error: ...". An IN of "" or "-"
// is standard input; an OUT of "" or "-" is standard output. An -o file is
// written under a temporary name and renamed into place when complete, so
// a failure never leaves partial output behind. These functions touch the
// local filesystem and the given descriptors, nothing else.

#include <string>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::secrets {

// The descriptors a command reads and writes (not owned).
struct CommandStreams {
  int in = 0;
  int out = 1;
  int err = 2;
};

struct KeygenOptions {
  std::string output;  // -o: the identity file; empty writes it to `out`
};

// Generates an X25519 identity. Without -o the identity file goes to
// `out`, like age-keygen. With -o it is written to that file (mode 0600;
// an existing file is never overwritten) and the public key ("age1…")
// alone goes to `out`, ready for -r.
int run_keygen(const KeygenOptions& options, const CommandStreams& streams);

struct EncryptOptions {
  std::vector<std::string> recipients;       // -r, repeatable
  std::vector<std::string> recipient_files;  // -R, repeatable
  bool armor = false;                        // -a
  std::string output;                        // -o
  std::string input;                         // IN
};

// The checks run_encrypt starts with; kInvalidArgument with the message.
Status validate_encrypt_options(const EncryptOptions& options);

// Encrypts IN to every recipient. The output file, if any, gets mode 0644.
// Refuses to write binary ciphertext to a terminal (use -a or -o).
int run_encrypt(const EncryptOptions& options, const CommandStreams& streams);

struct DecryptOptions {
  std::vector<std::string> identity_files;  // -i, repeatable
  std::string output;                       // -o
  std::string input;                        // IN
};

// The checks run_decrypt starts with; kInvalidArgument with the message.
Status validate_decrypt_options(const DecryptOptions& options);

// Decrypts IN (binary or armored) with the identities in the -i files.
// The output file, if any, gets mode 0600 and appears only when the whole
// file decrypted and verified. On standard output, plaintext is written
// chunk by chunk as each chunk verifies, as age does.
int run_decrypt(const DecryptOptions& options, const CommandStreams& streams);

}  // namespace reconcile::secrets
