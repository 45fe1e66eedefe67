#pragma once

// Output files that appear under their final name only when complete: the
// bytes go to a temporary file in the same directory, which commit()
// renames into place. A file that is never committed (an error, a crash
// of the writer's caller) is removed by the destructor, so no partial
// output is ever left under the final name. Touches the local filesystem.

#include <sys/types.h>

#include <memory>
#include <string>

#include "reconciler/base/result.h"
#include "secrets/io.h"

namespace reconcile::secrets {

enum class ReplaceMode { kReplace, kNoReplace };

// Reads a whole (small) file into a SecureBuffer: identity and recipient
// files. Fails with the system error, or kInvalidArgument when the file is
// larger than `max_size`.
Result<SecureBuffer> read_small_file(const std::string& path, size_t max_size);

class AtomicOutputFile {
 public:
  // Creates the temporary file next to `path` with permissions `mode`
  // (exactly, whatever the umask). Fails with the system error.
  static Result<AtomicOutputFile> create(const std::string& path, mode_t mode);

  AtomicOutputFile(AtomicOutputFile&& other) noexcept;
  AtomicOutputFile& operator=(AtomicOutputFile&&) = delete;
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  ~AtomicOutputFile();

  Writer& writer() { return *m_writer; }

  // Flushes to disk, closes and renames the file onto its final name. With
  // kNoReplace an existing file is never overwritten: that fails with
  // kAlreadyExists (checked atomically by the rename itself).
  Status commit(ReplaceMode mode);

 private:
  AtomicOutputFile(std::string path, std::string temporary_path, int fd);

  std::string m_path;
  std::string m_temporary_path;
  int m_fd = -1;
  std::unique_ptr<FdWriter> m_writer;
};

}  // namespace reconcile::secrets
