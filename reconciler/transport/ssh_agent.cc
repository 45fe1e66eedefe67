#include "reconciler/transport/ssh_agent.h"

#include "reconciler/transport/ssh_wire.h"

namespace reconcile::transport {

namespace {

using LocalSocket = asio::local::stream_protocol::socket;

constexpr uint8_t kFailure = 5;
constexpr uint8_t kRequestIdentities = 11;
constexpr uint8_t kIdentitiesAnswer = 12;
constexpr uint8_t kSignRequest = 13;
constexpr uint8_t kSignResponse = 14;
constexpr uint32_t kRsaSha2_512 = 4;
constexpr size_t kMaxReply = 256 * 1024;

class AgentConnection {
 public:
  AgentConnection(LocalSocket socket, std::string path)
      : m_socket(std::move(socket)), m_path(std::move(path)) {}

  const std::string& path() const { return m_path; }

  // Sends one request and returns the reply's payload (type byte first).
  asio::awaitable<Result<std::string>> transact(std::string request, Clock::time_point deadline) {
    WireWriter framed;
    framed.string(request);
    CO_TRY_STATUS(co_await write_all(framed.data(), deadline));
    CO_TRY_ASSIGN(header, co_await read_exact(4, deadline));
    uint32_t length = *WireReader(header).u32();
    if (length == 0 || length > kMaxReply) co_return unavailable("ssh-agent sent a bad reply");
    co_return co_await read_exact(length, deadline);
  }

 private:
  asio::awaitable<Status> write_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      boost::system::error_code error;
      size_t count = m_socket.write_some(asio::buffer(data.data(), data.size()), error);
      if (error == asio::error::would_block) {
        if (co_await wait_one(wait_writable(m_socket), deadline) == WaitOutcome::kDeadline) {
          co_return deadline_exceeded("ssh-agent did not answer in time");
        }
        continue;
      }
      if (error) co_return unavailable("writing to ssh-agent: " + error.message());
      data.remove_prefix(count);
    }
    co_return ok();
  }

  asio::awaitable<Result<std::string>> read_exact(size_t length, Clock::time_point deadline) {
    std::string out(length, '\0');
    size_t have = 0;
    while (have < length) {
      boost::system::error_code error;
      size_t count = m_socket.read_some(asio::buffer(out.data() + have, length - have), error);
      if (error == asio::error::would_block) {
        if (co_await wait_one(wait_readable(m_socket), deadline) == WaitOutcome::kDeadline) {
          co_return deadline_exceeded("ssh-agent did not answer in time");
        }
        continue;
      }
      if (error) co_return unavailable("reading from ssh-agent: " + error.message());
      have += count;
    }
    co_return out;
  }

  LocalSocket m_socket;
  std::string m_path;
};

class AgentIdentity : public Identity {
 public:
  AgentIdentity(std::shared_ptr<AgentConnection> agent, PublicKey key, std::string comment)
      : m_agent(std::move(agent)), m_key(std::move(key)), m_comment(std::move(comment)) {}

  const PublicKey& public_key() const override { return m_key; }
  std::string describe() const override {
    return key_type_label(m_key.type) + " " + fingerprint_sha256(m_key.blob) +
           " (agent: " + m_comment + ")";
  }

  asio::awaitable<Result<std::string>> sign(std::string data, Clock::time_point deadline) override {
    WireWriter request;
    request.u8(kSignRequest);
    request.string(m_key.blob);
    request.string(data);
    request.u32(m_key.type == "ssh-rsa" ? kRsaSha2_512 : 0);
    CO_TRY_ASSIGN(reply, co_await m_agent->transact(request.release(), deadline));
    WireReader reader(reply);
    auto type = reader.u8();
    if (type && *type == kFailure) {
      co_return unauthenticated("ssh-agent refused to sign with " + describe());
    }
    auto blob = reader.string();
    if (!type || *type != kSignResponse || !blob) co_return unavailable("bad ssh-agent reply");
    // The agent returns a whole signature blob: algorithm name, signature.
    WireReader signature(*blob);
    auto algorithm = signature.string();
    auto bare = signature.string();
    if (!algorithm || !bare) co_return unavailable("bad ssh-agent signature");
    if (*algorithm != signature_algorithm(m_key)) {
      co_return unauthenticated("ssh-agent signed with " + std::string(*algorithm) + ", not " +
                                signature_algorithm(m_key) + " (agent too old?)");
    }
    co_return std::string(*bare);
  }

 private:
  std::shared_ptr<AgentConnection> m_agent;
  PublicKey m_key;
  std::string m_comment;
};

}  // namespace

asio::awaitable<Result<std::vector<std::unique_ptr<Identity>>>> agent_identities(
    std::string socket_path, Clock::time_point deadline) {
  LocalSocket socket(co_await asio::this_coro::executor);
  boost::system::error_code error;
  socket.open(asio::local::stream_protocol(), error);
  if (!error) socket.non_blocking(true, error);
  // Connecting to a Unix socket completes at once or fails (a full backlog
  // is treated as unavailable rather than waited for).
  if (!error) socket.connect(asio::local::stream_protocol::endpoint(socket_path), error);
  if (error) {
    co_return unavailable("cannot connect to ssh-agent at " + socket_path + ": " + error.message());
  }
  auto agent = std::make_shared<AgentConnection>(std::move(socket), socket_path);
  CO_TRY_ASSIGN(reply,
                co_await agent->transact(std::string(1, char(kRequestIdentities)), deadline));
  WireReader reader(reply);
  auto type = reader.u8();
  auto count = reader.u32();
  if (!type || *type != kIdentitiesAnswer || !count) co_return unavailable("bad ssh-agent reply");
  std::vector<std::unique_ptr<Identity>> identities;
  for (uint32_t i = 0; i < *count; ++i) {
    auto blob = reader.string();
    auto comment = reader.string();
    if (!blob || !comment) co_return unavailable("truncated ssh-agent key list");
    auto key = public_key_from_blob(*blob);
    if (!key.has_value()) continue;  // a key type we cannot even name: skip it
    identities.push_back(
        std::make_unique<AgentIdentity>(agent, key.release_value(), std::string(*comment)));
  }
  co_return identities;
}

}  // namespace reconcile::transport
