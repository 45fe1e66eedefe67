// -o never replaces something that is not a regular file: the output is
// renamed into place, which over a device node (/dev/null) or a FIFO would
// replace the node itself. A FIFO stands in for the device here.

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "secrets/commands.h"

using namespace reconcile::secrets;

TEST_CASE("commands: -o refuses an existing path that is not a regular file") {
  namespace fs = std::filesystem;
  std::string dir = (fs::temp_directory_path() / "secrets-output-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  std::string fifo = dir + "/fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);

  DecryptOptions decrypt;
  decrypt.identity_files = {dir + "/identity"};
  decrypt.output = fifo;
  auto decrypt_status = validate_decrypt_options(decrypt);
  REQUIRE_FALSE(decrypt_status);
  CHECK(decrypt_status.error().message() ==
        "-o " + fifo + " is not a regular file; write to standard output instead");

  EncryptOptions encrypt;
  encrypt.recipients = {"age1x"};
  encrypt.output = dir;  // a directory
  CHECK_FALSE(validate_encrypt_options(encrypt));

  encrypt.output = dir + "/new.age";  // a new file is fine
  CHECK(validate_encrypt_options(encrypt));

  struct stat info;
  REQUIRE(stat(fifo.c_str(), &info) == 0);
  CHECK(S_ISFIFO(info.st_mode));
  fs::remove_all(dir);
}
