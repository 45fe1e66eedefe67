// newc: each entry is a 110-byte ASCII header ("070701", then thirteen
// 8-digit hex fields), the NUL-terminated name padded to 4 bytes, and the
// data padded to 4 bytes; the archive ends with an entry named TRAILER!!!.
// Owner is root, times are 0, so the same input gives the same bytes.

#include "reconciler/bootstrap/cpio.h"

#include <sys/stat.h>

#include <cstdio>

namespace reconcile::bootstrap {

namespace {

void put_hex(secrets::SecureBuffer& out, uint32_t value) {
  char field[9];
  std::snprintf(field, sizeof field, "%08X", value);
  out.append(field, 8);
}

}  // namespace

size_t cpio_padding(size_t size) {
  return (4 - size % 4) % 4;
}

void CpioWriter::pad4() {
  static const char zeros[4] = {0, 0, 0, 0};
  m_out.append(zeros, cpio_padding(m_out.size()));
}

void CpioWriter::add_entry(std::string_view path, uint32_t mode, std::string_view content) {
  m_out.append("070701", 6);
  put_hex(m_out, m_inode++);                              // ino
  put_hex(m_out, mode);                                   // mode (type and permissions)
  put_hex(m_out, 0);                                      // uid
  put_hex(m_out, 0);                                      // gid
  put_hex(m_out, (mode & S_IFMT) == S_IFDIR ? 2 : 1);     // nlink
  put_hex(m_out, 0);                                      // mtime
  put_hex(m_out, static_cast<uint32_t>(content.size()));  // filesize
  for (int i = 0; i < 4; ++i)
    put_hex(m_out, 0);                                     // dev and rdev major/minor
  put_hex(m_out, static_cast<uint32_t>(path.size() + 1));  // namesize, with the NUL
  put_hex(m_out, 0);                                       // check
  m_out.append(path.data(), path.size());
  m_out.append("", 1);
  pad4();
  m_out.append(content.data(), content.size());
  pad4();
}

void CpioWriter::add_directory(std::string_view path, uint32_t mode) {
  add_entry(path, S_IFDIR | (mode & 07777), {});
}

void CpioWriter::add_file(std::string_view path, uint32_t mode, std::string_view content) {
  add_entry(path, S_IFREG | (mode & 07777), content);
}

secrets::SecureBuffer CpioWriter::finish() {
  add_entry("TRAILER!!!", 0, {});
  m_inode = 1;
  return std::move(m_out);
}

}  // namespace reconcile::bootstrap
