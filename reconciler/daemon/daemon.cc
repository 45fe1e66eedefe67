// The daemon's lifecycle: opening the state directory, the serve loop
// (wait for mail or the next wakeup, start a run when the scheduler says
// so), SIGHUP reloads and the clean stop. What a run does is in
// daemon_run.cc.

#include "reconciler/daemon/daemon.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "reconciler/daemon/auth.h"
#include "reconciler/daemon/git_mirror.h"

namespace reconcile::daemon {

namespace {

Result<int> take_lock(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return system_error(path + ": cannot open the lock file", errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    ssize_t count = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string holder = count > 0 ? std::string(pid, static_cast<size_t>(count)) : "?";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
      holder.pop_back();
    return failed_precondition("another `reconcile watch` (pid " + holder +
                               ") uses this state directory");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    spdlog::warn("{}: cannot record the pid", path);
  }
  return fd;
}

Status make_state_dir(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::filesystem::create_directories(path, ec);
    if (ec)
      return failed_precondition(path + ": cannot create the state directory: " + ec.message());
    ::chmod(path.c_str(), 0700);
  }
  if (!std::filesystem::is_directory(path, ec)) {
    return failed_precondition(path + ": the state directory is not a directory");
  }
  return ok();
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

}  // namespace

Daemon::Paths Daemon::paths_for(const std::string& state_dir) {
  std::string base = state_dir.empty() || state_dir.back() == '/' ? state_dir : state_dir + "/";
  return {base + "state.db", base + "mirror.git", base + "trigger.sock", base + "daemon.lock"};
}

Daemon::Daemon(DaemonSettings settings, DaemonDependencies deps)
    : m_settings(std::move(settings)),
      m_deps(std::move(deps)),
      m_clock(*m_deps.clock),
      m_paths(paths_for(m_settings.state_dir)),
      m_scheduler(m_settings.interval, m_clock.now()),
      m_backoff(m_settings.retry) {}

Daemon::~Daemon() {
  if (m_service) m_service->stop();
  if (m_lock_fd >= 0) ::close(m_lock_fd);
}

Status Daemon::load_trust(const DaemonSettings& settings, std::optional<AllowedSigners>& signers,
                          ApiConfig& api) const {
  if (settings.require_signed) {
    signers = TRY(AllowedSigners::load(settings.allowed_signers));
    if (signers->signers().empty()) {
      return invalid_argument(settings.allowed_signers +
                              ": no signer listed; every commit would be refused");
    }
  }
  if (!settings.webhook_secret_file.empty()) {
    api.webhook_secret = std::make_shared<secrets::SecureBuffer>(
        TRY_CONTEXT("--webhook-secret-file", read_secret_file(settings.webhook_secret_file)));
  }
  if (!settings.api_token_file.empty()) {
    api.api_token = std::make_shared<secrets::SecureBuffer>(
        TRY_CONTEXT("--api-token-file", read_secret_file(settings.api_token_file)));
  }
  api.branch = settings.branch;
  return ok();
}

Result<std::unique_ptr<Daemon>> Daemon::open(DaemonSettings settings, DaemonDependencies deps) {
  TRY(validate_settings(settings));
  if (!deps.runner) return invalid_argument("no host runner");
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(settings), std::move(deps)));
  TRY(make_state_dir(daemon->m_settings.state_dir));
  daemon->m_lock_fd = TRY(take_lock(daemon->m_paths.lock));
  daemon->m_store.emplace(
      TRY(StateStore::open(daemon->m_paths.store, StateStore::Mode::kReadWrite, daemon->m_clock)));
  int interrupted = TRY(daemon->m_store->mark_interrupted_runs());
  if (interrupted > 0) {
    spdlog::warn("{} run(s) were interrupted when the daemon last stopped (crash or kill)",
                 interrupted);
  }
  TRY(daemon->load_trust(daemon->m_settings, daemon->m_signers, daemon->m_api));
  auto values = TRY(daemon->m_store->values());
  if (auto it = values.find("desired_commit"); it != values.end() && !it->second.empty()) {
    auto loaded = load_commit(daemon->m_paths.mirror, it->second);
    if (loaded) {
      daemon->m_desired = std::move(*loaded);
      spdlog::info("desired state: commit {} (from the last run)", it->second.substr(0, 12));
    } else {
      spdlog::warn("cannot load the last desired commit {}: {}", it->second.substr(0, 12),
                   loaded.error().message());
    }
  }
  if (auto it = values.find("rejected_commit"); it != values.end()) {
    daemon->m_rejected_commit = it->second;
  }
  daemon->restore_rollout_state(values);
  double now = unix_seconds(daemon->m_clock.wall_now());
  TRY(daemon->m_store->set_values({{"pid", std::to_string(::getpid())},
                                   {"started_at", seconds_text(now)},
                                   {"stopped_at", ""},
                                   {"version", "0.1.0"}}));
  daemon->record_daemon_settings();
  return daemon;
}

void Daemon::record_daemon_settings() {
  auto status =
      m_store->set_values({{"repo", redact_url(m_settings.repo)},
                           {"branch", m_settings.branch},
                           {"interval_seconds", std::to_string(m_settings.interval.count())},
                           {"require_signed", m_settings.require_signed ? "true" : "false"},
                           {"dry_run", m_settings.dry_run ? "true" : "false"}});
  if (!status) spdlog::error("state store: {}", status.error().message());
}

int Daemon::serve() {
  std::signal(SIGPIPE, SIG_IGN);
  ServiceOptions options;
  options.listen = m_settings.listen;
  options.socket_path = m_paths.socket;
  options.store_path = m_paths.store;
  options.handle_signals = m_deps.handle_signals;
  auto service = Service::start(options, m_inbox, m_clock, m_api);
  if (!service) {
    spdlog::error("{}", service.error().message());
    return 1;
  }
  m_service = std::move(*service);
  if (auto listen = parse_listen(m_settings.listen)) {
    // The address actually bound (port 0 picks a free port), for status.
    std::string host =
        listen->first.find(':') != std::string::npos ? "[" + listen->first + "]" : listen->first;
    (void)m_store->set_value("listen", host + ":" + std::to_string(m_service->http_port()));
  }
  spdlog::info("watching {} branch {} every {}s (state in {})", redact_url(m_settings.repo),
               m_settings.branch, m_settings.interval.count(), m_settings.state_dir);
  for (;;) {
    auto request = m_scheduler.start(m_clock.now(), m_backoff.next_retry());
    if (request) {
      cycle(*request);
      m_scheduler.finish(m_clock.now(), !request->retry_only());
    }
    // After a run, take what arrived meanwhile without waiting: it is the
    // coalesced follow-up run.
    Mail mail =
        request
            ? m_inbox.take()
            : m_inbox.wait_until(m_scheduler.next_wakeup(m_clock.now(), m_backoff.next_retry()));
    for (TriggerKind kind : mail.triggers)
      m_scheduler.add(kind);
    if (mail.stop) break;
    if (mail.reload) reload();
  }
  m_service->stop();
  auto status = m_store->set_value("stopped_at", seconds_text(unix_seconds(m_clock.wall_now())));
  if (!status) spdlog::error("state store: {}", status.error().message());
  spdlog::info("stopped");
  return 0;
}

void Daemon::reload() {
  DaemonSettings fresh = m_settings;
  if (m_deps.reload) {
    auto loaded = m_deps.reload();
    if (!loaded) {
      spdlog::error("reload: {}; keeping the current settings", loaded.error().message());
      return;
    }
    fresh = std::move(*loaded);
  }
  if (auto valid = validate_settings(fresh); !valid) {
    spdlog::error("reload: {}; keeping the current settings", valid.error().message());
    return;
  }
  if (fresh.state_dir != m_settings.state_dir || fresh.listen != m_settings.listen) {
    spdlog::warn("reload: --state and --listen change only on restart");
    fresh.state_dir = m_settings.state_dir;
    fresh.listen = m_settings.listen;
  }
  std::optional<AllowedSigners> signers;
  ApiConfig api;
  if (auto trust = load_trust(fresh, signers, api); !trust) {
    spdlog::error("reload: {}; keeping the current settings", trust.error().message());
    return;
  }
  m_settings = std::move(fresh);
  m_signers = std::move(signers);
  m_api = api;
  m_scheduler.set_interval(m_settings.interval, m_clock.now());
  m_backoff.set_policy(m_settings.retry);
  // New signers or a new branch may change the verdict on a refused tip.
  m_rejected_commit.clear();
  if (m_service) m_service->configure(api);
  record_daemon_settings();
  m_scheduler.add(TriggerKind::kReload);
  spdlog::info("reload: settings applied");
}

}  // namespace reconcile::daemon
