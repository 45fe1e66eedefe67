#include "reconciler/transport/fake_transport.h"

#include <doctest/doctest.h>

#include "reconciler/transport/framing.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::transport;
using namespace reconcile::transport::testing;

TEST_CASE("fake: records scripts and inputs, answers from the queue, then the responder") {
  asio::io_context io;
  FakeTransport fake("web1");
  fake.push_output(Output{0, "", "first", "", false});
  fake.push_output(unavailable("connection reset"));
  fake.set_responder([](const FakeTransport::Call& call) -> Result<Output> {
    return Output{3, "", "echo:" + call.script, "", false};
  });
  auto first = run_sync(io, fake.run("a\n", "in", {}));
  auto second = run_sync(io, fake.run("b\n", "", {}));
  StringInput streamed("streamed bytes");
  auto third = run_sync(io, fake.run_streamed("c\n", streamed, {}));
  REQUIRE(first.has_value());
  CHECK(first->out == "first");
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code() == ErrorCode::kUnavailable);
  REQUIRE(third.has_value());
  CHECK(third->exit_code == 3);
  CHECK(third->out == "echo:c\n");
  REQUIRE(fake.calls().size() == 3);
  CHECK(fake.calls()[0].script == "a\n");
  CHECK(fake.calls()[0].input == "in");
  CHECK(fake.calls()[2].input == "streamed bytes");
  CHECK(fake.calls()[2].streamed);
  CHECK(fake.stats().connections == 1);
  CHECK(fake.stats().channels == 3);
  CHECK(fake.describe() == "web1");
}

TEST_CASE("fake: connect failures reach every run and are retryable when unavailable") {
  asio::io_context io;
  FakeTransport fake;
  fake.fail_connect(unavailable("no route to host"));
  auto output = run_sync(io, fake.run("true\n", "", {}));
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().is_retryable());
  CHECK(fake.calls().empty());
  fake.fail_connect(std::nullopt);
  CHECK(run_sync(io, fake.run("true\n", "", {})).has_value());
}

TEST_CASE("fake: a delay longer than the timeout fails after the timeout") {
  asio::io_context io;
  FakeTransport fake;
  fake.set_delay(std::chrono::seconds(60));
  RunOptions options;
  options.timeout = std::chrono::milliseconds(50);
  auto start = std::chrono::steady_clock::now();
  auto output = run_sync(io, fake.run("true\n", "", options));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kDeadlineExceeded);
  fake.set_delay(std::chrono::milliseconds(10));
  CHECK(run_sync(io, fake.run("true\n", "", options)).has_value());
}
