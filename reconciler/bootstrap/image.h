#pragma once

// The `--install image` route: a Debian root tree (debootstrap, kernel,
// GRUB) built once on the controller and cached as a zstd-compressed tar by
// release and architecture, then streamed into /mnt over the SSH session.
// Building runs install_debian.sh (embedded at build time) as root on the
// controller through a Transport (the local one in production); its SHA-256
// is part of the cache key, so a changed script never reuses an old image.

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/transport/transport.h"

namespace reconcile::bootstrap {

struct ImageSpec {
  std::string release = "bookworm";
  std::string arch = "amd64";
  std::string mirror = "http://deb.debian.org/debian";
};

// install_debian.sh as compiled in.
std::string_view install_debian_script();

// The packages install_debian.sh installs for `arch`, read from the script
// itself (its `base=` lines and its `ARCH) extra="..."` case), so the plan
// shows what the script does: debootstrap's --include list (on top of
// Debian's minbase), then what apt installs in the chroot. Empty lists when
// the script has no entry for `arch` (it refuses such an architecture).
struct InstallPackages {
  std::vector<std::string> base;
  std::vector<std::string> kernel;
};
InstallPackages install_packages(std::string_view script, const std::string& arch);

// Shell lines that run install_debian.sh into the directory `target_word`
// (a shell word: quoted, or "$variable") with DEV=`dev` ("bind" or "none")
// and PHASE=`phase` ("all", "base" or "kernel").
std::string install_debian_command(const std::string& target_word, const ImageSpec& spec,
                                   const std::string& dev, const std::string& phase = "all");

// "debian-bookworm-amd64-1a2b3c4d5e6f": release, architecture and the first
// 12 hex digits of the script's SHA-256.
std::string image_name(const ImageSpec& spec);
// CACHE/NAME.tar.zst
std::string image_path(const std::string& cache_dir, const ImageSpec& spec);

// The controller-side script that builds the image unless it exists: under
// an flock on CACHE/.lock, install_debian.sh into a temporary tree below
// CACHE, tar (numeric owners, xattrs) | zstd into a temporary file, rename,
// remove the tree. Prints "cached" or "built" as its last line. Values are
// shell-quoted. Touches only CACHE and the chroot's proc/sys mounts.
std::string image_build_script(const std::string& cache_dir, const ImageSpec& spec);

// The target-side script that unpacks the streamed image into `mount_root`,
// leaving alone the directories in `keep` (mountpoints of file systems that
// cannot hold Unix owners, such as the vfat ESP), and records `install_id`
// in <mount_root>/var/lib/reconcile/bootstrap-install.
std::string image_unpack_script(const std::string& mount_root, const std::vector<std::string>& keep,
                                const std::string& install_id);

// A file streamed after a script (the image). Counts what was read.
class FileInput : public transport::InputSource {
 public:
  static Result<std::unique_ptr<FileInput>> open(const std::string& path);
  Result<size_t> read(char* buffer, size_t capacity) override;
  uint64_t size() const { return m_size; }
  uint64_t done() const { return m_done; }

 private:
  std::ifstream m_in;
  std::string m_path;
  uint64_t m_size = 0;
  uint64_t m_done = 0;
};

}  // namespace reconcile::bootstrap
