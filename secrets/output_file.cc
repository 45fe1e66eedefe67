#include "secrets/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace reconcile::secrets {
namespace {

std::string temporary_template(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return directory + "." + name + ".tmp-XXXXXX";
}

// rename(2) that fails with EEXIST instead of replacing `to`.
int rename_no_replace(const char* from, const char* to) {
  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // Filesystems without RENAME_NOREPLACE: link(2) never replaces either.
  if (link(from, to) != 0) return -1;
  unlink(from);
  return 0;
}

}  // namespace

Result<SecureBuffer> read_small_file(const std::string& path, size_t max_size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return system_error("opening " + path, errno);
  FdReader reader(fd, path);
  SecureBuffer content(max_size + 1);
  auto size = read_full(reader, content.data(), content.size());
  close(fd);
  if (!size) return std::move(size).error();
  if (*size > max_size) return invalid_argument(path + ": file too large");
  content.resize(*size);
  return content;
}

AtomicOutputFile::AtomicOutputFile(std::string path, std::string temporary_path, int fd)
    : m_path(std::move(path)),
      m_temporary_path(std::move(temporary_path)),
      m_fd(fd),
      m_writer(std::make_unique<FdWriter>(fd, m_path)) {}

AtomicOutputFile::AtomicOutputFile(AtomicOutputFile&& other) noexcept
    : m_path(std::move(other.m_path)),
      m_temporary_path(std::move(other.m_temporary_path)),
      m_fd(std::exchange(other.m_fd, -1)),
      m_writer(std::move(other.m_writer)) {
  other.m_temporary_path.clear();
}

AtomicOutputFile::~AtomicOutputFile() {
  if (m_fd >= 0) close(m_fd);
  if (!m_temporary_path.empty()) unlink(m_temporary_path.c_str());
}

Result<AtomicOutputFile> AtomicOutputFile::create(const std::string& path, mode_t mode) {
  std::string temporary = temporary_template(path);
  int fd = mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) return system_error("creating a temporary file for " + path, errno);
  AtomicOutputFile file(path, temporary, fd);
  if (fchmod(fd, mode) != 0) return system_error("setting the mode of " + path, errno);
  return file;
}

Status AtomicOutputFile::commit(ReplaceMode mode) {
  if (fsync(m_fd) != 0) return system_error("flushing " + m_path, errno);
  int fd = std::exchange(m_fd, -1);
  if (close(fd) != 0) return system_error("closing " + m_path, errno);
  int result = mode == ReplaceMode::kReplace
                   ? std::rename(m_temporary_path.c_str(), m_path.c_str())
                   : rename_no_replace(m_temporary_path.c_str(), m_path.c_str());
  if (result != 0) {
    if (errno == EEXIST) return Error(ErrorCode::kAlreadyExists, m_path + " already exists");
    return system_error("renaming the output into place at " + m_path, errno);
  }
  m_temporary_path.clear();
  return ok();
}

}  // namespace reconcile::secrets
