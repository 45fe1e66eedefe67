#pragma once

// What `secrets edit` needs to hand plaintext to an editor without it
// reaching a disk or outliving the command: a private directory on a
// tmpfs that wipes itself, a guard that turns termination signals into a
// flag so that cleanup always runs, and the editor run as a child process.
// Touches the local filesystem and process state (signal dispositions).

#include <csignal>
#include <string>
#include <vector>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

// True when `path` is on a tmpfs (statfs), never written to a disk.
bool is_tmpfs(const std::string& path);

// A fresh directory (mode 0700) on the first candidate that is a tmpfs.
// The destructor overwrites every regular file in it with zeros, removes
// everything and the directory itself.
class ScratchDirectory {
 public:
  // Fails with kFailedPrecondition when no candidate is a tmpfs (the
  // message lists what was tried), or the system error.
  static Result<ScratchDirectory> create(const std::vector<std::string>& candidates);

  ScratchDirectory(ScratchDirectory&& other) noexcept;
  ScratchDirectory& operator=(ScratchDirectory&&) = delete;
  ~ScratchDirectory();

  const std::string& path() const { return m_path; }

  // Writes `content` to a new file `name` (mode 0600) in the directory and
  // returns its path.
  Result<std::string> write_file(const std::string& name, const SecureBuffer& content) const;

 private:
  explicit ScratchDirectory(std::string path) : m_path(std::move(path)) {}
  std::string m_path;
};

// Catches SIGINT, SIGTERM, SIGHUP and SIGQUIT for its lifetime: a signal
// sets a flag (and is passed on to the running editor, if any) instead of
// ending the process. The previous dispositions come back on destruction.
// One guard at a time per process.
class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  // The first signal caught, or 0.
  int caught() const;

  // Runs `command` through /bin/sh with `file` as its last argument, with
  // the terminal's SIGINT and SIGQUIT left to the editor (ignored here
  // meanwhile, as git does), and waits for it. Returns the exit status, or 128 + the signal that
  // ended it. Fails with the system error when it cannot start.
  Result<int> run_editor(const std::string& command, const std::string& file);

 private:
  Result<int> wait_for_editor(const std::string& command, const std::string& file);

  struct sigaction m_saved[4];
};

}  // namespace reconcile::secrets
