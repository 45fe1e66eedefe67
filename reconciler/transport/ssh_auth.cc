// libssh2 1.10 can only sign RSA with SHA-1, so every signature is made by
// our own Identity objects through libssh2_userauth_publickey's sign
// callback. Two details make that work without blocking:
//
// - The callback cannot wait for the agent. When it is called with data it
//   has no signature for, it records the data and returns EAGAIN; libssh2
//   keeps its state, we await the signature, call again, and this time the
//   callback returns it.
// - libssh2 takes the algorithm name of the request from the first field of
//   the key blob we pass. For RSA we pass the blob with "rsa-sha2-512" there;
//   OpenSSH reads that name as an RSA key (its key type table maps
//   signature-only names to KEY_RSA), so the key, the request's algorithm and
//   the signature all agree.

#include "reconciler/transport/ssh_auth.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "reconciler/base/strings.h"
#include "reconciler/transport/ssh_agent.h"
#include "reconciler/transport/ssh_key_file.h"
#include "reconciler/transport/ssh_wire.h"

namespace reconcile::transport {

namespace {

struct SignState {
  Identity* identity = nullptr;
  bool needs_signature = false;
  std::string pending_data;
  std::string signed_data;
  std::optional<Result<std::string>> signature;
};

int sign_callback(LIBSSH2_SESSION*, unsigned char** signature, size_t* signature_length,
                  const unsigned char* data, size_t data_length, void** abstract) {
  auto* state = static_cast<SignState*>(*abstract);
  std::string_view request(reinterpret_cast<const char*>(data), data_length);
  if (state->signature.has_value() && state->signed_data == request) {
    if (!state->signature->has_value()) return -1;
    const std::string& bytes = state->signature->value();
    // libssh2 frees the signature with its allocator, which is malloc.
    *signature = static_cast<unsigned char*>(std::malloc(bytes.size()));
    if (*signature == nullptr) return -1;
    std::memcpy(*signature, bytes.data(), bytes.size());
    *signature_length = bytes.size();
    return 0;
  }
  state->pending_data = std::string(request);
  state->needs_signature = true;
  return LIBSSH2_ERROR_EAGAIN;
}

// The key blob with the signature algorithm as its first field.
std::string request_blob(const PublicKey& key) {
  std::string algorithm = signature_algorithm(key);
  if (algorithm == key.type) return key.blob;
  WireWriter writer;
  writer.string(algorithm);
  writer.raw(std::string_view(key.blob).substr(4 + key.type.size()));
  return writer.release();
}

// Tries one identity. Returns true when the server accepted it.
asio::awaitable<Result<bool>> try_identity(SshSession& session, const std::string& user,
                                           Identity& identity, std::string& failure,
                                           Clock::time_point deadline) {
  SignState state;
  state.identity = &identity;
  void* abstract = &state;
  std::string blob = request_blob(identity.public_key());
  while (true) {
    int rc = libssh2_userauth_publickey(session.get(), user.c_str(),
                                        reinterpret_cast<const unsigned char*>(blob.data()),
                                        blob.size(), sign_callback, &abstract);
    if (rc == 0) co_return true;
    if (rc != LIBSSH2_ERROR_EAGAIN) {
      if (state.signature.has_value() && !state.signature->has_value()) {
        failure = state.signature->error().message();
      }
      if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
        co_return false;
      }
      co_return unavailable("authentication: " + session.last_error());
    }
    if (state.needs_signature) {
      state.needs_signature = false;
      state.signature = co_await identity.sign(state.pending_data, deadline);
      state.signed_data = std::move(state.pending_data);
      if (!state.signature->has_value() &&
          state.signature->error().code() == ErrorCode::kDeadlineExceeded) {
        co_return state.signature->error();
      }
      continue;
    }
    CO_TRY_STATUS(co_await session.wait_socket(deadline));
  }
}

// Asks for the allowed methods; true when "none" already authenticated us.
asio::awaitable<Result<bool>> check_methods(SshSession& session, const std::string& user,
                                            Clock::time_point deadline) {
  char* methods = nullptr;
  CO_TRY_ASSIGN(rc, co_await session.drive(
                        [&] {
                          methods = libssh2_userauth_list(session.get(), user.c_str(),
                                                          static_cast<unsigned>(user.size()));
                          if (methods != nullptr) return 0;
                          if (libssh2_userauth_authenticated(session.get())) return 0;
                          return libssh2_session_last_errno(session.get());
                        },
                        deadline));
  if (methods == nullptr && rc == 0) co_return true;
  if (methods == nullptr) co_return unavailable("authentication: " + session.last_error());
  std::string allowed = methods;
  for (const std::string& method : split(allowed, ',')) {
    if (method == "publickey") co_return false;
  }
  co_return unauthenticated("the server does not accept public keys for " + user +
                            " (it allows: " + allowed + ")");
}

bool holds(const std::vector<std::unique_ptr<Identity>>& identities, const PublicKey& key) {
  for (const auto& identity : identities) {
    if (identity->public_key().blob == key.blob) return true;
  }
  return false;
}

struct Identities {
  std::vector<std::unique_ptr<Identity>> list;
  std::vector<std::string> notes;  // why keys were skipped
};

asio::awaitable<Result<Identities>> gather_identities(const AuthOptions& options,
                                                      Clock::time_point deadline) {
  Identities result;
  std::vector<std::unique_ptr<Identity>> agent_keys;
  if (!options.agent_socket.empty()) {
    auto listed = co_await agent_identities(options.agent_socket, deadline);
    if (listed.has_value()) {
      agent_keys = listed.release_value();
    } else {
      result.notes.push_back(listed.error().message());
    }
  }
  std::vector<std::unique_ptr<Identity>> file_keys;
  for (const std::string& path : options.key_files) {
    auto file = load_key_file(path);
    if (!file.has_value()) {
      if (options.key_files_explicit) co_return std::move(file).error();
      result.notes.push_back(file.error().message());
      continue;
    }
    if (file->encrypted) {
      if (holds(agent_keys, file->public_key)) continue;  // the agent signs for it
      std::string message = "key " + path +
                            " is protected by a passphrase; load it into ssh-agent (ssh-add " +
                            path + ")";
      if (options.key_files_explicit) co_return unauthenticated(message);
      result.notes.push_back(message);
      continue;
    }
    if (!holds(agent_keys, file->public_key)) file_keys.push_back(std::move(file->identity));
  }
  // Keys the user named come first; with default files, the agent's do.
  auto& first = options.key_files_explicit ? file_keys : agent_keys;
  auto& second = options.key_files_explicit ? agent_keys : file_keys;
  for (auto& identity : first)
    result.list.push_back(std::move(identity));
  for (auto& identity : second)
    result.list.push_back(std::move(identity));
  co_return result;
}

}  // namespace

asio::awaitable<Status> authenticate(SshSession& session, const std::string& user,
                                     const AuthOptions& options, Clock::time_point deadline) {
  CO_TRY_ASSIGN(identities, co_await gather_identities(options, deadline));
  CO_TRY_ASSIGN(already, co_await check_methods(session, user, deadline));
  if (already) co_return ok();
  std::vector<std::string> tried;
  for (const auto& identity : identities.list) {
    std::string failure;
    CO_TRY_ASSIGN(accepted, co_await try_identity(session, user, *identity, failure, deadline));
    if (accepted) co_return ok();
    tried.push_back(identity->describe() + (failure.empty() ? "" : " [" + failure + "]"));
  }
  std::string message = "authentication failed for user " + user + ": ";
  if (tried.empty()) {
    message += "no usable key (give --ssh-key FILE, or put a key in ~/.ssh or ssh-agent)";
  } else {
    message += "the server accepted none of: " + join(tried, ", ");
  }
  if (!identities.notes.empty()) message += "; " + join(identities.notes, "; ");
  co_return unauthenticated(message);
}

}  // namespace reconcile::transport
