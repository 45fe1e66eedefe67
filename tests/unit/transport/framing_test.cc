// The run framing shared by every transport, the SSH wire helpers and
// base64.

#include "reconciler/transport/framing.h"

#include <doctest/doctest.h>

#include "reconciler/transport/ssh_wire.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::transport;
using namespace reconcile::transport::testing;

TEST_CASE("framing: the command line is constant but for the script length") {
  CHECK(remote_command(123, false, false) == "exec /bin/sh -s");
  CHECK(remote_command(123, true, false) == "exec /bin/sh -c 'eval \"$(head -c 123)\"'");
  CHECK(remote_command(7, false, true) == "exec sudo -n /bin/sh -s");
  CHECK(remote_command(7, true, true) == "exec sudo -n /bin/sh -c 'eval \"$(head -c 7)\"'");
}

TEST_CASE("framing: sh reads exactly the script, the script reads exactly the input") {
  TempDir dir;
  std::string script = "printf 'script:'; cat; printf ':end'\n";
  std::string input = "line1\nno newline at the end, and 'quotes' $(x) \\";
  write_file(dir.file("stdin"), script + input);
  std::string out =
      must_shell(remote_command(script.size(), true, false) + " < " + dir.file("stdin"));
  CHECK(out == "script:" + input + ":end");
}

TEST_CASE("framing: BoundedBuffer keeps the first bytes up to its limit") {
  BoundedBuffer buffer(5);
  buffer.append("abc");
  CHECK_FALSE(buffer.truncated());
  buffer.append("defg");
  buffer.append("h");
  CHECK(buffer.truncated());
  CHECK(buffer.release() == "abcde");
}

TEST_CASE("framing: StdinFeed yields the script, then the input, then nothing") {
  std::string big(600 * 1024, 'i');
  StringInput input(big);
  StdinFeed feed("SCRIPT", &input);
  std::string all;
  while (true) {
    auto pending = feed.pending();
    REQUIRE(pending.has_value());
    if (pending->empty()) break;
    size_t take = std::min<size_t>(pending->size(), 100000);  // partial writes
    all.append(pending->substr(0, take));
    feed.consume(take);
  }
  CHECK(feed.done());
  CHECK(all == "SCRIPT" + big);
}

TEST_CASE("framing: an input source error stops the feed with context") {
  class Broken : public InputSource {
   public:
    Result<size_t> read(char*, size_t) override { return data_loss("disk on fire"); }
  } broken;
  StdinFeed feed("", &broken);
  auto pending = feed.pending();
  REQUIRE_FALSE(pending.has_value());
  CHECK(pending.error().message() == "reading the input: disk on fire");
}

TEST_CASE("framing: signal names") {
  CHECK(signal_name(9) == "KILL");
  CHECK(signal_name(15) == "TERM");
  CHECK(signal_name(1000) == "signal 1000");
}

TEST_CASE("wire: base64 round trip and strict decoding") {
  for (std::string value : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    CHECK(base64_decode(base64_encode(value)) == value);
    CHECK(base64_decode(base64_encode(value, false)) == value);
  }
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("fo", false) == "Zm8");
  CHECK_FALSE(base64_decode("Zm9v!mFy").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
}

TEST_CASE("wire: reader never reads past the end") {
  WireWriter writer;
  writer.string("ssh-ed25519");
  writer.u32(7);
  writer.mpint(std::string("\x00\x00\x80\x01", 4));
  WireReader reader(writer.data());
  CHECK(reader.string() == "ssh-ed25519");
  CHECK(reader.u32() == 7u);
  CHECK(reader.string() == std::string("\x00\x80\x01", 3));  // sign byte kept, zeros stripped
  CHECK(reader.at_end());
  CHECK_FALSE(reader.u8().has_value());
  // A length that claims more than there is.
  std::string lie(
      "\x00\x00\x10\x00"
      "abc",
      7);
  WireReader lying(lie);
  CHECK_FALSE(lying.string().has_value());
  CHECK_FALSE(lying.u32().has_value());
}
