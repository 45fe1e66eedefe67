// The installer overlay archive, unpacked by GNU cpio as the kernel would.

#include "reconciler/bootstrap/cpio.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::bootstrap;
using reconcile::transport::testing::must_shell;
using reconcile::transport::testing::read_file;
using reconcile::transport::testing::TempDir;
using reconcile::transport::testing::write_file;

TEST_CASE("a newc archive unpacks to the same files and modes") {
  CpioWriter writer;
  writer.add_directory("etc", 0755);
  writer.add_directory("etc/reconcile-installer", 0700);
  writer.add_file("etc/reconcile-installer/network", 0644, "RI_MAC='52:54:00:12:34:56'\n");
  writer.add_file("etc/reconcile-installer/key", 0600, std::string("a\0b\n\xff", 5));
  writer.add_file("etc/reconcile-installer/empty", 0644, "");
  secrets::SecureBuffer archive = writer.finish();
  CHECK(archive.size() % 4 == 0);
  CHECK(std::string(archive.view().substr(0, 6)) == "070701");
  CHECK(archive.view().find("TRAILER!!!") != std::string_view::npos);

  TempDir dir;
  write_file(dir.file("a.cpio"), std::string(archive.view()));
  must_shell("mkdir " + dir.file("out") + " && cd " + dir.file("out") +
             " && cpio -id --quiet < ../a.cpio");
  CHECK(read_file(dir.file("out/etc/reconcile-installer/network")) ==
        "RI_MAC='52:54:00:12:34:56'\n");
  CHECK(read_file(dir.file("out/etc/reconcile-installer/key")) == std::string("a\0b\n\xff", 5));
  CHECK(read_file(dir.file("out/etc/reconcile-installer/empty")).empty());
  struct stat info {};
  REQUIRE(stat(dir.file("out/etc/reconcile-installer").c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0700);
  REQUIRE(stat(dir.file("out/etc/reconcile-installer/key").c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0600);
  // The listing is exactly what was added, in order.
  CHECK(must_shell("cpio -it --quiet < " + dir.file("a.cpio")) ==
        "etc\netc/reconcile-installer\netc/reconcile-installer/network\n"
        "etc/reconcile-installer/key\netc/reconcile-installer/empty\n");
}

TEST_CASE("archives in an initrd are padded to four bytes") {
  CHECK(cpio_padding(0) == 0);
  CHECK(cpio_padding(1) == 3);
  CHECK(cpio_padding(4) == 0);
  CHECK(cpio_padding(69866193) == 3);
}
