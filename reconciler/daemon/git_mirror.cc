// Fetching with libgit2: an anonymous remote (nothing about the URL is kept
// in the mirror's config, so a URL changed on reload simply takes effect)
// and one forced refspec for the watched branch. The callbacks carry their
// state in FetchState: which deploy key to try next, and why a host key or
// credential was refused, so that the error says more than libgit2's
// generic "callback returned an error".

#include "reconciler/daemon/git_mirror.h"

#include <filesystem>
#include <optional>

#include "desired-state/git_handles.h"
#include "reconciler/transport/known_hosts.h"

namespace reconcile::daemon {

using state::git_last_error;
using state::git_oid_string;
using state::GitCommitPtr;
using state::GitLibrary;
using state::GitObjectPtr;
using state::GitRemotePtr;
using state::GitRepositoryPtr;
using state::GitRevwalkPtr;

namespace {

struct FetchState {
  const FetchSettings* settings = nullptr;
  SshEndpoint endpoint;
  size_t next_key = 0;
  bool agent_tried = false;
  bool password_tried = false;
  std::string refusal;  // why a callback refused, for the error message
};

std::string default_known_hosts() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.ssh/known_hosts";
}

// The password in "https://user:password@host/...", if any.
std::optional<std::string> url_password(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  std::string_view rest = url.substr(scheme + 3);
  size_t at = rest.find('@');
  size_t slash = rest.find('/');
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::nullopt;
  }
  std::string_view user_info = rest.substr(0, at);
  size_t colon = user_info.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return std::string(user_info.substr(colon + 1));
}

int acquire_credentials(git_credential** out, const char* /*url*/, const char* username_from_url,
                        unsigned int allowed, void* payload) {
  auto& state = *static_cast<FetchState*>(payload);
  const char* user = username_from_url != nullptr ? username_from_url : "git";
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0) {
    const auto& keys = state.settings->ssh_keys;
    if (keys.empty()) {
      if (state.agent_tried) {
        state.refusal = "ssh-agent offered no key the server accepted";
        return GIT_EAUTH;
      }
      state.agent_tried = true;
      return git_credential_ssh_key_from_agent(out, user);
    }
    if (state.next_key >= keys.size()) {
      state.refusal = "the server accepted none of the deploy keys (--ssh-key)";
      return GIT_EAUTH;
    }
    const std::string& key = keys[state.next_key++];
    std::string public_key = key + ".pub";
    std::error_code ec;
    bool has_public = std::filesystem::exists(public_key, ec);
    return git_credential_ssh_key_new(out, user, has_public ? public_key.c_str() : nullptr,
                                      key.c_str(), nullptr);
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 && !state.password_tried) {
    state.password_tried = true;
    auto password = url_password(state.settings->url);
    if (password && username_from_url != nullptr) {
      return git_credential_userpass_plaintext_new(out, username_from_url, password->c_str());
    }
  }
  if ((allowed & GIT_CREDENTIAL_USERNAME) != 0) return git_credential_username_new(out, user);
  state.refusal = "the server asked for credentials that are not configured";
  return GIT_EAUTH;
}

int check_certificate(git_cert* certificate, int valid, const char* host, void* payload) {
  auto& state = *static_cast<FetchState*>(payload);
  if (certificate->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) {
    if (valid == 0) state.refusal = std::string("TLS certificate of ") + host + " is not valid";
    return valid != 0 ? 0 : GIT_ECERTIFICATE;
  }
  auto* hostkey = reinterpret_cast<git_cert_hostkey*>(certificate);
  if ((hostkey->type & GIT_CERT_SSH_RAW) == 0) {
    state.refusal = "libgit2 did not provide the SSH host key";
    return GIT_ECERTIFICATE;
  }
  auto key =
      transport::public_key_from_blob(std::string_view(hostkey->hostkey, hostkey->hostkey_len));
  if (!key) {
    state.refusal = "unreadable SSH host key: " + key.error().message();
    return GIT_ECERTIFICATE;
  }
  std::string file =
      state.settings->known_hosts.empty() ? default_known_hosts() : state.settings->known_hosts;
  auto known = transport::KnownHosts::load(file);
  if (!known) {
    state.refusal = known.error().message();
    return GIT_ECERTIFICATE;
  }
  std::string name = state.endpoint.host.empty() ? host : state.endpoint.host;
  auto check = known->check(name, state.endpoint.port, *key);
  using Status = transport::HostKeyCheck::Status;
  if (check.status == Status::kMatch) return 0;
  std::string fingerprint = transport::fingerprint_sha256(key->blob);
  if (check.status == Status::kUnknown) {
    state.refusal = "host key " + fingerprint + " of " + name + " is not in " + file;
  } else if (check.status == Status::kRevoked) {
    state.refusal = "host key " + fingerprint + " of " + name + " is revoked in " + file;
  } else {
    state.refusal =
        "host key of " + name + " changed: " + fingerprint + " is not the key in " + file;
  }
  return GIT_ECERTIFICATE;
}

int transfer_progress(const git_indexer_progress* /*stats*/, void* payload) {
  auto& state = *static_cast<FetchState*>(payload);
  return state.settings->cancelled && state.settings->cancelled() ? GIT_EUSER : 0;
}

Result<GitRepositoryPtr> open_or_create(const std::string& path) {
  namespace fs = std::filesystem;
  git_repository* raw = nullptr;
  std::error_code ec;
  if (fs::exists(path, ec)) {
    if (git_repository_open_bare(&raw, path.c_str()) != 0) {
      return failed_precondition(path +
                                 ": exists and is not a bare git repository: " + git_last_error());
    }
    return GitRepositoryPtr(raw);
  }
  if (git_repository_init(&raw, path.c_str(), 1) != 0) {
    return failed_precondition(path + ": cannot create the mirror: " + git_last_error());
  }
  return GitRepositoryPtr(raw);
}

Error fetch_error(int code, const FetchState& state, const FetchSettings& settings) {
  std::string where = "fetch " + redact_url(settings.url) + " " + settings.branch + ": ";
  if (code == GIT_EUSER) return Error(ErrorCode::kCancelled, where + "cancelled");
  std::string reason = state.refusal.empty() ? git_last_error() : state.refusal;
  if (code == GIT_ECERTIFICATE || code == GIT_EAUTH || !state.refusal.empty()) {
    return unauthenticated(where + reason);
  }
  return unavailable(where + reason);
}

}  // namespace

Result<std::string> fetch_mirror(const std::string& mirror, const FetchSettings& settings) {
  GitLibrary library;
  // The CA setting is libgit2-global and lives until the last GitLibrary
  // goes away; the daemon fetches from one thread, so setting it before
  // each fetch is enough.
  if (!settings.ca_file.empty() &&
      git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, settings.ca_file.c_str(), nullptr) != 0) {
    return failed_precondition("--ca-file " + settings.ca_file +
                               ": cannot load the CA certificates: " + git_last_error());
  }
  GitRepositoryPtr repository = TRY(open_or_create(mirror));
  std::string url = settings.url;
  std::error_code ec;
  if (url.find("://") == std::string::npos && url.find(':') == std::string::npos) {
    url = std::filesystem::absolute(url, ec).string();  // a local path
  }
  git_remote* raw_remote = nullptr;
  if (git_remote_create_anonymous(&raw_remote, repository.get(), url.c_str()) != 0) {
    return invalid_argument("bad repository URL " + redact_url(settings.url) + ": " +
                            git_last_error());
  }
  GitRemotePtr remote(raw_remote);
  FetchState state;
  state.settings = &settings;
  state.endpoint = ssh_endpoint(settings.url);
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks.credentials = acquire_credentials;
  options.callbacks.certificate_check = check_certificate;
  options.callbacks.transfer_progress = transfer_progress;
  options.callbacks.payload = &state;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  std::string ref = "refs/heads/" + settings.branch;
  std::string refspec = "+" + ref + ":" + ref;
  char* refspecs[] = {refspec.data()};
  git_strarray specs = {refspecs, 1};
  int code = git_remote_fetch(remote.get(), &specs, &options, "reconcile watch: fetch");
  if (code != 0) return fetch_error(code, state, settings);
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (git_remote_ls(&heads, &count, remote.get()) != 0) {
    return unavailable("fetch " + redact_url(settings.url) + ": " + git_last_error());
  }
  for (size_t i = 0; i < count; ++i) {
    if (ref == heads[i]->name) return git_oid_string(&heads[i]->oid);
  }
  return not_found("branch '" + settings.branch + "' does not exist in " +
                   redact_url(settings.url));
}

int64_t commit_time(const std::string& path, const std::string& commit) {
  GitLibrary library;
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, path.c_str()) != 0) return 0;
  GitRepositoryPtr repository(raw);
  git_oid id;
  if (git_oid_fromstr(&id, commit.c_str()) != 0) return 0;
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repository.get(), &id) != 0) return 0;
  GitCommitPtr owned(raw_commit);
  return git_commit_time(owned.get());
}

std::string redact_url(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t start = scheme + 3;
  size_t at = url.find('@', start);
  size_t slash = url.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(url);
  }
  size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon)) + ":***" + std::string(url.substr(at));
}

SshEndpoint ssh_endpoint(std::string_view url) {
  SshEndpoint endpoint;
  if (url.rfind("ssh://", 0) == 0 || url.rfind("git+ssh://", 0) == 0) {
    std::string_view rest = url.substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find('/'));
    if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest.front() == '[') {  // [v6::address]:port
      size_t close = rest.find(']');
      endpoint.host = std::string(rest.substr(1, close - 1));
      rest = close == std::string_view::npos ? "" : rest.substr(close + 1);
    } else {
      size_t colon = rest.find(':');
      endpoint.host = std::string(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? "" : rest.substr(colon);
    }
    if (rest.size() > 1 && rest.front() == ':') {
      int port = 0;
      for (char c : rest.substr(1)) {
        if (c < '0' || c > '9' || port > 65535) return endpoint;
        port = port * 10 + (c - '0');
      }
      if (port > 0 && port <= 65535) endpoint.port = static_cast<uint16_t>(port);
    }
    return endpoint;
  }
  // scp style: [user@]host:path (no scheme, a colon before any slash).
  if (url.find("://") != std::string_view::npos) return endpoint;
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon)) {
    return endpoint;
  }
  std::string_view host = url.substr(0, colon);
  if (size_t at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
  endpoint.host = std::string(host);
  return endpoint;
}

}  // namespace reconcile::daemon
