#pragma once

// A cpio archive in the "newc" format, the one the Linux kernel unpacks as an
// initramfs. The controller appends one to the installer's initrd before
// kexec: the kernel unpacks every archive of a concatenated initrd in turn,
// so the installer gets its per-host settings (network, authorized keys, the
// host key it must present) without being rebuilt. Pure code; the archive is
// built in a SecureBuffer because it carries a private host key.

#include <cstdint>
#include <string>
#include <string_view>

#include "secrets/secure_buffer.h"

namespace reconcile::bootstrap {

class CpioWriter {
 public:
  // `path` is relative ("etc/reconcile-installer/network"), without "./",
  // and every parent must have been added (or exist in an earlier archive).
  void add_directory(std::string_view path, uint32_t mode);
  void add_file(std::string_view path, uint32_t mode, std::string_view content);

  // Adds the trailer and returns the archive; the writer is empty afterwards.
  secrets::SecureBuffer finish();

 private:
  void add_entry(std::string_view path, uint32_t mode, std::string_view content);
  void pad4();

  secrets::SecureBuffer m_out;
  uint32_t m_inode = 1;
};

// Zero bytes that bring `size` to a multiple of 4: archives in an initrd
// start on a 4-byte boundary, and the kernel skips zeros between them.
size_t cpio_padding(size_t size);

}  // namespace reconcile::bootstrap
