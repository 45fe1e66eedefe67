// Deciding and describing a bootstrap. The decisions are checked here, once,
// before anything changes on the machine, so that a bootstrap that cannot
// finish (no ESP on a UEFI machine, a disk the running system lives on, a
// missing tool) fails in preflight with an explanation rather than halfway.

#include "reconciler/bootstrap/plan.h"

#include <algorithm>
#include <cstdio>

#include "reconciler/base/strings.h"
#include "reconciler/bootstrap/network.h"

namespace reconcile::bootstrap {

namespace {

using disk::PartitionType;

bool content_uses(const disk::Content& content, bool (*test)(const disk::Content&)) {
  return test(content);
}

bool layout_has_luks_or_raid(const disk::DiskLayout& layout) {
  auto bad = [](const disk::Content& content) {
    return content.luks.has_value() || content.raid_array.has_value();
  };
  for (const auto& partition : layout.partitions)
    if (content_uses(partition.content, bad)) return true;
  for (const auto& group : layout.volume_groups)
    for (const auto& volume : group.logical_volumes)
      if (content_uses(volume.content, bad)) return true;
  return !layout.raid_arrays.empty();
}

const disk::Partition* find_partition(const disk::DiskLayout& layout, PartitionType type) {
  for (const auto& partition : layout.partitions)
    if (partition.type == type) return &partition;
  return nullptr;
}

// Every filesystem of the layout, for mountpoints and mkfs tools.
std::vector<const disk::Filesystem*> filesystems(const disk::DiskLayout& layout) {
  std::vector<const disk::Filesystem*> out;
  for (const auto& partition : layout.partitions)
    if (partition.content.filesystem) out.push_back(&*partition.content.filesystem);
  for (const auto& group : layout.volume_groups)
    for (const auto& volume : group.logical_volumes)
      if (volume.content.filesystem) out.push_back(&*volume.content.filesystem);
  return out;
}

std::vector<std::string> needed_tools(const disk::DiskLayout& layout, InstallMethod install) {
  std::vector<std::string> tools = {"sfdisk", "wipefs", "blkid", "lsblk", "mount", "chroot"};
  for (const auto* filesystem : filesystems(layout)) {
    std::string tool = filesystem->type == disk::FsType::kSwap
                           ? "mkswap"
                           : "mkfs." + std::string(disk::fs_type_name(filesystem->type));
    if (std::find(tools.begin(), tools.end(), tool) == tools.end()) tools.push_back(tool);
  }
  if (!layout.volume_groups.empty()) tools.push_back("pvcreate");
  if (install == InstallMethod::kImage) {
    tools.push_back("tar");
    tools.push_back("zstd");
  } else {
    tools.push_back("debootstrap");
  }
  return tools;
}

Status check_boot(const disk::DiskLayout& layout, const MachineFacts& facts, Decisions& decisions) {
  const disk::Partition* esp = find_partition(layout, PartitionType::kEsp);
  std::optional<std::string> esp_mount;
  if (esp != nullptr && esp->content.filesystem) esp_mount = esp->content.filesystem->mountpoint;
  bool bios_capable = decisions.image.arch == "amd64" &&
                      (layout.table == disk::TableType::kMsdos ||
                       find_partition(layout, PartitionType::kBiosBoot) != nullptr);
  bool efi_capable = esp_mount.has_value();
  if (esp != nullptr && !esp_mount) {
    return invalid_argument("the layout's esp partition has no mountpoint (use /boot/efi)");
  }
  if (facts.boot_mode == "uefi" && !efi_capable) {
    return failed_precondition(
        "the machine boots with UEFI, and the layout has no esp partition for GRUB");
  }
  if (facts.boot_mode != "uefi" && !bios_capable) {
    return failed_precondition(
        decisions.image.arch == "amd64"
            ? "the machine boots with BIOS, and the GPT layout has no bios_boot partition for GRUB"
            : "the machine boots without UEFI, which GRUB on " + decisions.image.arch +
                  " cannot do");
  }
  // Both when the layout has both: the disk then boots either way (a VPS
  // moved to other firmware, a disk cloned to another machine).
  if (bios_capable) decisions.boot.bios_devices = decisions.devices;
  if (efi_capable) {
    decisions.boot.efi_directory = esp_mount;
    decisions.boot.efi_target = decisions.image.arch == "arm64" ? "arm64-efi" : "x86_64-efi";
    decisions.boot.efi_nvram = facts.boot_mode == "uefi";
  }
  return ok();
}

}  // namespace

const char* install_method_name(InstallMethod method) {
  return method == InstallMethod::kImage ? "image" : "debootstrap";
}

const char* step_name(StepId id) {
  switch (id) {
    case StepId::kKexec:
      return "kexec";
    case StepId::kPrepare:
      return "prepare";
    case StepId::kDisk:
      return "disk";
    case StepId::kInstall:
      return "install";
    case StepId::kConfigure:
      return "configure";
    case StepId::kIdentity:
      return "identity";
    case StepId::kReboot:
      return "reboot";
    case StepId::kWait:
      return "wait";
    case StepId::kConverge:
      return "converge";
  }
  return "?";
}

std::string human_size(uint64_t bytes) {
  char text[32];
  if (bytes >= (1ull << 30)) {
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  } else {
    std::snprintf(text, sizeof text, "%llu MiB",
                  static_cast<unsigned long long>((bytes + (1u << 19)) >> 20));
  }
  return text;
}

Result<Decisions> decide(const state::Host& host, const disk::DiskLayout& layout,
                         const MachineFacts& facts, const BootstrapSettings& settings) {
  Decisions decisions;
  if (!host.disk) {
    return invalid_argument(host.file +
                            ": bootstrap needs a disk section (disk: { layout, device })");
  }
  if (host.os && host.os->family != "debian") {
    return invalid_argument(host.file + ": bootstrap installs only os.family debian");
  }
  if (layout_has_luks_or_raid(layout)) {
    return invalid_argument("layout " + layout.name +
                            " uses LUKS or RAID; bootstrap cannot make such a root bootable yet "
                            "(no crypttab or mdadm.conf is written)");
  }
  decisions.devices = host.disk->devices;
  decisions.image.release = host.os ? host.os->release : "bookworm";
  decisions.image.mirror = settings.mirror;
  if (facts.uid != 0) {
    return failed_precondition("bootstrap needs root on the machine (the login runs as uid " +
                               std::to_string(facts.uid) + ")");
  }
  if (facts.arch.empty()) {
    return failed_precondition("unsupported architecture " + facts.machine +
                               " (bootstrap installs amd64 and arm64)");
  }
  decisions.image.arch = facts.arch;
  TRY(check_boot(layout, facts, decisions));
  for (const auto* filesystem : filesystems(layout)) {
    if (filesystem->type == disk::FsType::kVfat && filesystem->mountpoint) {
      decisions.keep_on_unpack.push_back(*filesystem->mountpoint);
    }
  }

  decisions.kexec = settings.kexec_dir.has_value();
  decisions.use = target_disk_use(facts.disks, decisions.devices, decisions.mount_root);
  if (!decisions.kexec && !decisions.use.uses.empty()) {
    return failed_precondition(
        "the target disk is in use by the running system (" + join(decisions.use.uses, ", ") +
        "): boot the machine into a rescue system, or pass --kexec DIR to switch to the "
        "in-memory installer built by tools/build-installer first");
  }
  if (decisions.kexec) {
    if (facts.memory_bytes < (768ull << 20)) {
      return failed_precondition(
          "the in-memory installer needs at least 768 MiB of RAM; the "
          "machine has " +
          human_size(facts.memory_bytes));
    }
    if (facts.tools.count("kexec") == 0 && facts.tools.count("apt-get") == 0) {
      return failed_precondition("--kexec: the running system has neither kexec nor apt-get");
    }
  } else {
    std::vector<std::string> missing;
    for (const auto& tool : needed_tools(layout, settings.install))
      if (facts.tools.count(tool) == 0) missing.push_back(tool);
    if (!missing.empty()) {
      return failed_precondition("the running system lacks " + join(missing, ", ") +
                                 " (needed for this layout and --install " +
                                 install_method_name(settings.install) +
                                 "): install them, or pass --kexec DIR to use the installer");
    }
  }
  return decisions;
}

disk::DiskFacts planning_facts(const MachineFacts& facts, const Decisions& decisions) {
  disk::DiskFacts out =
      decisions.kexec ? without_running_system(facts.disks, decisions.devices) : facts.disks;
  const std::string& root = decisions.mount_root;
  std::erase_if(out.mounts, [&](const disk::MountEntry& mount) {
    return mount.target == root || starts_with(mount.target, root + "/");
  });
  return out;
}

BootstrapPlan make_plan(const PlanContext& context) {
  const Decisions& decisions = context.decisions;
  const MachineFacts& facts = context.facts;
  BootstrapPlan plan;
  plan.host = context.host.name;
  plan.target = context.target;
  plan.machine.push_back(facts.machine + " (" + facts.arch + "), " +
                         human_size(facts.memory_bytes) + " RAM, " +
                         (facts.boot_mode == "uefi" ? "UEFI" : "BIOS") + " boot, running " +
                         facts.os + " (PID 1: " + facts.init + ")");
  plan.machine.push_back("network: " + describe_network(facts.network));
  plan.machine.push_back("target: " + join(decisions.devices, " ") +
                         (decisions.use.uses.empty()
                              ? std::string(", not in use")
                              : ", in use: " + join(decisions.use.uses, ", ")));

  if (decisions.kexec) {
    PlanStep step{StepId::kKexec, "boot the in-memory installer with kexec", {}, false};
    step.details.push_back("upload " + *context.settings.kexec_dir + "/vmlinuz and initrd.img, " +
                           "with the network and root's authorized keys carried over");
    step.details.push_back("installer host key (pinned): " + context.installer_key);
    plan.steps.push_back(step);
  }
  plan.steps.push_back({StepId::kPrepare,
                        "unmount what an earlier attempt left below " + decisions.mount_root,
                        {},
                        false});
  PlanStep disk_step{StepId::kDisk,
                     "apply layout " + context.host.disk->layout + " to " +
                         join(decisions.devices, " ") + " under " + decisions.mount_root,
                     {},
                     context.disk_plan.has_destructive()};
  for (const auto& line : split(disk::format_plan(context.disk_plan), '\n'))
    if (!line.empty()) disk_step.details.push_back(line);
  plan.steps.push_back(disk_step);

  PlanStep install{StepId::kInstall, "", {}, false};
  const ImageSpec& image = decisions.image;
  if (context.settings.install == InstallMethod::kImage) {
    install.summary = "stream the Debian " + image.release + " " + image.arch + " image into " +
                      decisions.mount_root;
    install.details.push_back("image " + context.image_state);
  } else {
    install.summary = "debootstrap Debian " + image.release + " " + image.arch + " into " +
                      decisions.mount_root + " on the machine";
    install.details.push_back("from " + image.mirror + ", then the kernel and GRUB in a chroot");
  }
  InstallPackages packages = install_packages(install_debian_script(), image.arch);
  install.details.push_back("packages: Debian minbase with " + join(packages.base, ", "));
  install.details.push_back("then in the chroot: " + join(packages.kernel, ", "));
  install.details.push_back("skipped when the install marker shows an earlier run finished it");
  plan.steps.push_back(install);

  PlanStep configure{StepId::kConfigure, "configure the new system in a chroot", {}, false};
  configure.details.push_back("/etc/fstab by UUID (the disk layout's entries)");
  configure.details.push_back("hostname " + context.host.name);
  configure.details.push_back("systemd-networkd for " + facts.network.mac + " (" +
                              (facts.network.dhcp4() ? "DHCP" : "static") + "), resolv.conf");
  configure.details.push_back("SSH host key: " + context.host_key);
  int keys = 0;
  for (const auto& line : split(facts.authorized_keys, '\n'))
    if (!trim(line).empty() && trim(line)[0] != '#') ++keys;
  configure.details.push_back("root's authorized_keys: " + std::to_string(keys) +
                              " key(s) carried over from the running system");
  std::vector<std::string> grub;
  if (!decisions.boot.bios_devices.empty())
    grub.push_back("BIOS (i386-pc) on " + join(decisions.boot.bios_devices, " "));
  if (decisions.boot.efi_directory)
    grub.push_back(std::string("UEFI (") + decisions.boot.efi_target + ") in " +
                   *decisions.boot.efi_directory +
                   (decisions.boot.efi_nvram ? " with an NVRAM entry" : ", removable path"));
  configure.details.push_back("GRUB: " + join(grub, "; "));
  plan.steps.push_back(configure);

  plan.steps.push_back(
      {StepId::kIdentity, "the host's age identity", {context.identity_note}, false});
  plan.steps.push_back(
      {StepId::kReboot, "unmount, sync and reboot into the new system", {}, false});
  plan.steps.push_back({StepId::kWait,
                        "wait for SSH with the pinned host key (up to " +
                            std::to_string(context.boot_timeout_seconds) + " s)",
                        {},
                        false});
  std::vector<std::string> sections;
  for (const auto& section : context.host.sections)
    if (section != "address" && section != "ssh" && section != "os" && section != "disk")
      sections.push_back(section);
  PlanStep converge{
      StepId::kConverge,
      "reconcile " + context.host.name + " until the plan is empty",
      {sections.empty() ? "nothing else is declared" : "sections: " + join(sections, ", ")},
      false};
  std::vector<std::string> wanted, unwanted;
  for (const auto& package : context.host.packages)
    (package.state == state::Presence::kAbsent ? unwanted : wanted).push_back(package.name);
  if (!wanted.empty()) converge.details.push_back("packages installed: " + join(wanted, ", "));
  if (!unwanted.empty()) converge.details.push_back("packages removed: " + join(unwanted, ", "));
  plan.steps.push_back(converge);
  return plan;
}

std::string format_bootstrap_plan(const BootstrapPlan& plan, bool allow_destructive) {
  std::string out = "bootstrap " + plan.host + " (" + plan.target + ")\n";
  for (const auto& line : plan.machine)
    out += "  " + line + "\n";
  out += "\n";
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const PlanStep& step = plan.steps[i];
    char name[16];
    std::snprintf(name, sizeof name, "%-9s", step_name(step.id));
    out += std::to_string(i + 1) + ". " + name + " " + step.summary +
           (step.destructive ? "  [DESTRUCTIVE]" : "") + "\n";
    for (const auto& line : step.details)
      out += "     " + line + "\n";
    if (step.destructive && !allow_destructive) out += "     needs --allow-destructive\n";
  }
  for (const auto& note : plan.notes)
    out += "note: " + note + "\n";
  return out;
}

}  // namespace reconcile::bootstrap
