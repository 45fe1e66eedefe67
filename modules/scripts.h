#pragma once

// Script snippets shared by modules. Every argument that comes from the
// desired state must already be passed through shell_quote; `target`,
// `owner` and `mode` here are shell words (quoted values or "$variables").

#include <string>

namespace reconcile::modules {

// Writes the script's stdin input to `target` atomically: a temporary file
// in the same directory (created with the parent directories if missing),
// owner and mode set before any byte is written, fsync, then rename. A reader
// sees the old file or the new one, never half of either. The temporary file
// is removed if anything fails.
std::string atomic_write_script(const std::string& target, const std::string& owner,
                                const std::string& group, const std::string& mode);

// Shell functions for probe fragments that run one exec for many items and
// hand its output lines out in order: `take_line VAR` moves the first line
// of $VAR into $line. VAR must be a fixed variable name, never a value.
std::string take_line_function();

// A probe line "LABEL SHA256" with the digest of the regular file `path` (a
// shell word), or nothing when there is no such file: one exec.
std::string file_digest_probe(const std::string& path, const std::string& label);

// The common preamble of every remote script: errexit, nounset, a sane PATH
// and C locale, and a private umask.
std::string script_preamble();

}  // namespace reconcile::modules
