#pragma once

// `reconcile bootstrap HOST`: a machine booted into some Linux with root SSH
// (a provider's rescue system, its stock image, our installer) becomes a
// Debian host converged to its desired state. The steps, in order:
//
//   preflight  facts in one round trip; every decision checked (plan.h)
//   kexec      optional: boot the in-memory installer (host key pinned)
//   prepare    unmount what an earlier attempt left below /mnt
//   disk       the host's layout under /mnt (the disk planner's steps)
//   install    Debian: debootstrap on the machine, or the cached image streamed
//   configure  fstab, hostname, network, host key, authorized keys, GRUB
//   identity   the host's age identity from the secrets store (identity.h)
//   reboot     into the new system
//   wait       SSH with the host key placed before the reboot
//   converge   the normal engine run until the plan is empty
//
// Every step prints progress and its duration; a failed step says which,
// why, and how to resume. With dry_run only the preflight runs and the plan
// is printed. Talks to hosts only through the transports it is given.

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "desired-state/source.h"
#include "reconciler/bootstrap/plan.h"
#include "reconciler/transport/asio.h"
#include "reconciler/transport/transport.h"
#include "secrets/keys.h"

namespace reconcile::bootstrap {

struct BootstrapOptions {
  BootstrapSettings settings;
  bool dry_run = false;
  std::string address;  // where the machine is reached (the host's address)
  int port = 22;        // its SSH port, before and after the reboot
  // The pinned key of the system the bootstrap starts from (a rescue
  // system); empty: the known_hosts policy of the flags decides.
  std::string rescue_host_key;
  // --host-key-file: the new system's host key; generated when unset.
  std::optional<std::string> host_key_file;
  std::chrono::seconds boot_timeout{600};      // each wait for SSH (installer, new system)
  std::chrono::seconds script_timeout{600};    // each ordinary script
  std::chrono::seconds install_timeout{3600};  // debootstrap, image streaming, image build
  std::chrono::milliseconds retry_interval{1000};
  int converge_rounds = 3;
  // The command that resumes after the new system is up ("reconcile -C repo --host web1").
  std::string reconcile_command;
};

struct BootstrapEnvironment {
  asio::io_context& io;
  // A transport to the machine that verifies `pinned_key` (an OpenSSH public
  // key line) or, when it is empty, the known_hosts policy of the flags.
  std::function<std::unique_ptr<transport::Transport>(const std::string& pinned_key)> connect;
  // Runs scripts on the controller itself (building the image).
  transport::Transport* controller = nullptr;
  // One normal engine run for `host`; ok when it converged (empty plan).
  std::function<asio::awaitable<Status>(const state::Host& host)> converge;
  // The repository, for the host's age identity; may be null.
  const state::RepoSource* source = nullptr;
  // The controller's age identities (--identity), which decrypt it.
  const secrets::IdentityList* identities = nullptr;
  std::ostream& out;  // the plan and the closing summary
  std::ostream& log;  // progress
};

struct StepTiming {
  std::string step;
  double seconds = 0;
};

struct BootstrapResult {
  int exit_code = 0;        // reconciler/exit_codes.h
  std::string failed_step;  // empty on success
  std::string error;
  std::string host_key_line;  // the new system's public host key, once decided
  std::vector<StepTiming> timings;
};

asio::awaitable<BootstrapResult> run_bootstrap(const state::Host& host,
                                               const disk::DiskLayout& layout,
                                               const BootstrapOptions& options,
                                               BootstrapEnvironment& environment);

}  // namespace reconcile::bootstrap
