#pragma once

// The bootstrap plan: what `reconcile bootstrap HOST` decides from the host's
// desired state, the flags and the preflight facts, and the steps it will
// run. Plain data and pure functions: `--dry-run` prints this plan, and the
// runner (runner.h) executes the same steps in the same order.

#include <optional>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "disk-layouts/plan.h"
#include "reconciler/base/result.h"
#include "reconciler/bootstrap/image.h"
#include "reconciler/bootstrap/preflight.h"
#include "reconciler/bootstrap/scripts.h"

namespace reconcile::bootstrap {

enum class InstallMethod { kDebootstrap, kImage };
const char* install_method_name(InstallMethod method);  // "debootstrap", "image"

// What the command line asks for.
struct BootstrapSettings {
  InstallMethod install = InstallMethod::kDebootstrap;
  std::optional<std::string> kexec_dir;  // --kexec DIR: DIR/vmlinuz and DIR/initrd.img
  std::string mirror = "http://deb.debian.org/debian";
  std::string image_cache = "/var/cache/reconcile/images";
  bool allow_destructive = false;
};

// Everything decided before the first change. Pure data.
struct Decisions {
  std::vector<std::string> devices;
  std::string mount_root = "/mnt";
  bool kexec = false;
  DiskUse use;
  ImageSpec image;
  BootSetup boot;
  // Mountpoints of file systems that cannot hold Unix owners (vfat): the
  // image is unpacked around them.
  std::vector<std::string> keep_on_unpack;
};

// Decides from the host, its layout and the facts. Errors (nothing has been
// changed yet): kInvalidArgument when the host cannot be bootstrapped as
// written (no disk section, not Debian, an unsupported layout), and
// kFailedPrecondition when the machine is not fit as it is (not root, an
// architecture other than amd64/arm64, a boot mode the layout cannot boot
// in, the target disk in use without --kexec, tools missing) — each message
// says what to do.
Result<Decisions> decide(const state::Host& host, const disk::DiskLayout& layout,
                         const MachineFacts& facts, const BootstrapSettings& settings);

// The disk facts the planner sees: mounts left below the mount root by an
// earlier attempt are dropped (the prepare step unmounts them), and with
// kexec so is everything the running system holds on the target disks.
disk::DiskFacts planning_facts(const MachineFacts& facts, const Decisions& decisions);

enum class StepId {
  kKexec,
  kPrepare,
  kDisk,
  kInstall,
  kConfigure,
  kIdentity,
  kReboot,
  kWait,
  kConverge
};
const char* step_name(StepId id);  // "kexec", "prepare", "disk", ...

struct PlanStep {
  StepId id;
  std::string summary;               // one line
  std::vector<std::string> details;  // more lines, for the plan
  bool destructive = false;
};

struct BootstrapPlan {
  std::string host;
  std::string target;                // "root@203.0.113.10:22"
  std::vector<std::string> machine;  // preflight summary lines
  std::vector<std::string> notes;    // things to know (pending seams, warnings)
  std::vector<PlanStep> steps;
};

// What make_plan needs beyond the decisions: the parts found at run time.
struct PlanContext {
  const state::Host& host;
  const MachineFacts& facts;
  const Decisions& decisions;
  const BootstrapSettings& settings;
  const disk::DiskPlan& disk_plan;
  std::string target;         // "root@203.0.113.10:22"
  std::string image_state;    // "cached: PATH (212 MiB)" or "to be built: PATH"
  std::string host_key;       // "generated on the controller" or "from FILE", + fingerprint
  std::string installer_key;  // fingerprint line of the installer's key (kexec)
  std::string identity_note;  // from identity.h
  int boot_timeout_seconds = 600;
};

BootstrapPlan make_plan(const PlanContext& context);

// The plan for people, numbered steps with their details; destructive steps
// are marked and say that --allow-destructive is needed.
std::string format_bootstrap_plan(const BootstrapPlan& plan, bool allow_destructive);

// "1.0 GiB", "212 MiB".
std::string human_size(uint64_t bytes);

}  // namespace reconcile::bootstrap
