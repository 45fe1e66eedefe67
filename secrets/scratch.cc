// The scratch directory, signal guard and editor process of `secrets edit`.
//
// Signals: while the guard lives, SIGINT/SIGTERM/SIGHUP/SIGQUIT only record
// themselves, so the edit code always reaches its cleanup. While the editor
// runs, a SIGTERM or SIGHUP sent to reconcile is forwarded to the editor
// (which then exits); SIGINT and SIGQUIT from the terminal reach the editor
// directly (same process group) and are up to it, as with git's editor.

#include "secrets/scratch.h"

#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "reconciler/base/strings.h"

namespace reconcile::secrets {

namespace {

constexpr int kSignals[4] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

volatile sig_atomic_t g_caught = 0;
volatile pid_t g_editor = 0;

extern "C" void record_signal(int signal) {
  if (g_caught == 0) g_caught = signal;
  pid_t editor = g_editor;
  if (editor > 0 && (signal == SIGTERM || signal == SIGHUP)) kill(editor, signal);
}

// nftw callback: zero and remove files, remove directories (depth first).
int wipe_entry(const char* path, const struct stat* info, int type, struct FTW*) {
  if (type == FTW_F && S_ISREG(info->st_mode) && info->st_size > 0) {
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      char zeros[4096] = {};
      off_t left = info->st_size;
      while (left > 0) {
        ssize_t written = write(fd, zeros, std::min<off_t>(left, sizeof zeros));
        if (written <= 0) break;
        left -= written;
      }
      close(fd);
    }
  }
  if (type == FTW_DP) {
    rmdir(path);
  } else {
    unlink(path);
  }
  return 0;
}

}  // namespace

bool is_tmpfs(const std::string& path) {
  struct statfs info;
  return statfs(path.c_str(), &info) == 0 && info.f_type == TMPFS_MAGIC;
}

Result<ScratchDirectory> ScratchDirectory::create(const std::vector<std::string>& candidates) {
  for (const auto& candidate : candidates) {
    struct stat info;
    if (candidate.empty() || stat(candidate.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
        !is_tmpfs(candidate)) {
      continue;
    }
    std::string path = candidate + "/reconcile-edit.XXXXXX";
    if (mkdtemp(path.data()) == nullptr) {
      return system_error("creating a scratch directory in " + candidate, errno);
    }
    return ScratchDirectory(path);
  }
  return failed_precondition("no tmpfs to hold the plaintext (tried " + join(candidates, ", ") +
                             "); refusing to write it where it could reach a disk");
}

ScratchDirectory::ScratchDirectory(ScratchDirectory&& other) noexcept
    : m_path(std::exchange(other.m_path, std::string())) {}

ScratchDirectory::~ScratchDirectory() {
  if (m_path.empty()) return;
  nftw(m_path.c_str(), wipe_entry, 16, FTW_DEPTH | FTW_PHYS);
  rmdir(m_path.c_str());
}

Result<std::string> ScratchDirectory::write_file(const std::string& name,
                                                 const SecureBuffer& content) const {
  std::string path = m_path + "/" + name;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return system_error("creating " + path, errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t written = write(fd, content.data() + done, content.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      int error = errno;
      close(fd);
      return system_error("writing " + path, error);
    }
    done += static_cast<size_t>(written);
  }
  if (close(fd) != 0) return system_error("closing " + path, errno);
  return path;
}

SignalGuard::SignalGuard() {
  g_caught = 0;
  g_editor = 0;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < 4; ++i)
    sigaction(kSignals[i], &action, &m_saved[i]);
}

SignalGuard::~SignalGuard() {
  for (size_t i = 0; i < 4; ++i)
    sigaction(kSignals[i], &m_saved[i], nullptr);
}

int SignalGuard::caught() const {
  return g_caught;
}

Result<int> SignalGuard::run_editor(const std::string& command, const std::string& file) {
  // The terminal's SIGINT and SIGQUIT go to the editor too; whether they end
  // the edit is the editor's business, so reconcile ignores them meanwhile.
  struct sigaction ignore, saved_int, saved_quit;
  std::memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, &saved_int);
  sigaction(SIGQUIT, &ignore, &saved_quit);
  Result<int> status = wait_for_editor(command, file);
  sigaction(SIGINT, &saved_int, nullptr);
  sigaction(SIGQUIT, &saved_quit, nullptr);
  return status;
}

Result<int> SignalGuard::wait_for_editor(const std::string& command, const std::string& file) {
  pid_t child = fork();
  if (child < 0) return system_error("starting the editor", errno);
  if (child == 0) {
    // The editor gets the default dispositions back (a caught signal is
    // reset by exec anyway; this also undoes an inherited SIG_IGN).
    for (int signal : kSignals)
      ::signal(signal, SIG_DFL);
    // exec, so that a forwarded SIGTERM reaches the editor itself.
    std::string script = "exec " + command + " \"$1\"";
    execl("/bin/sh", "sh", "-c", script.c_str(), "sh", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  g_editor = child;
  // A signal that came before the editor existed could not be forwarded.
  if (g_caught == SIGTERM || g_caught == SIGHUP) kill(child, g_caught);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      g_editor = 0;
      return system_error("waiting for the editor", errno);
    }
  }
  g_editor = 0;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace reconcile::secrets
