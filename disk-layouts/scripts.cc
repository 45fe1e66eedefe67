#include "disk-layouts/scripts.h"

#include <algorithm>

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

// rd_part reads /sys/class/block/<disk>/<part>/partition instead of guessing
// "sda1" vs "nvme0n1p1" vs "by-id/...-part1". `partx -u` after sfdisk adds the
// partitions when the kernel did not re-read the table itself (a kernel
// without partition parsers, or a busy device); failures there are harmless
// because rd_part then reports the partition that did not appear.
//
// Without a running udev (a rescue system, a container, a minimal VM) LVM
// would wait for udev to create /dev/<group>/<volume> and then fail ("not
// found: device not cleared"); rd_lvm tells it to make its nodes itself
// there. udevd listens on /run/udev/control while it runs.
constexpr std::string_view kPreamble = R"sh(set -eu
rd_udev() { [ -S /run/udev/control ] && command -v udevadm >/dev/null 2>&1; }
rd_settle() { if rd_udev; then udevadm settle || true; fi; }
rd_lvm() {
  rd_lvm_command=$1; shift
  if rd_udev; then lvm "$rd_lvm_command" "$@"; else
    lvm "$rd_lvm_command" --config 'activation { udev_sync = 0 udev_rules = 0 }' "$@"
  fi
}
rd_part() {
  rd_disk=$(readlink -f "$1"); rd_base=${rd_disk##*/}; rd_try=0
  while [ "$rd_try" -lt 100 ]; do
    for rd_p in /sys/class/block/"$rd_base"/"$rd_base"*; do
      if [ -f "$rd_p/partition" ] && [ "$(cat "$rd_p/partition")" = "$2" ] &&
         [ -b "/dev/${rd_p##*/}" ]; then
        echo "/dev/${rd_p##*/}"; return 0
      fi
    done
    rd_try=$((rd_try + 1)); sleep 0.1
  done
  echo "partition $2 of $1 did not appear" >&2; return 1
}
)sh";

std::string quoted_args(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values)
    out += " " + shell_quote(value);
  return out;
}

std::string subvolume_commands(const Filesystem& filesystem, const std::string& node_word) {
  if (filesystem.subvolumes.empty()) return "";
  std::vector<std::string> names;
  for (const Subvolume& subvolume : filesystem.subvolumes)
    names.push_back(subvolume.name);
  // Parents before children ("@home" before "@home/user").
  std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') < std::count(b.begin(), b.end(), '/');
  });
  std::string out = "rd_mnt=$(mktemp -d)\nmount -t btrfs " + node_word + " \"$rd_mnt\"\n";
  for (const std::string& name : names) {
    out += "btrfs subvolume create \"$rd_mnt\"/" + shell_quote(name) + " >/dev/null\n";
  }
  return out + "umount \"$rd_mnt\"\nrmdir \"$rd_mnt\"\n";
}

}  // namespace

std::string script_preamble() {
  return std::string(kPreamble);
}

std::string sync_partitions(const std::string& quoted_device) {
  return "rd_settle\npartx -u " + quoted_device + " 2>/dev/null || true\nrd_settle\n";
}

std::string sfdisk_script(const DiskLayout& layout, const std::vector<PartitionGeometry>& geometry,
                          uint32_t sector_size) {
  std::string out = layout.table == TableType::kGpt ? "label: gpt\n" : "label: dos\n";
  out += "unit: sectors\nsector-size: " + std::to_string(sector_size) + "\n\n";
  for (size_t i = 0; i < layout.partitions.size() && i < geometry.size(); ++i) {
    const Partition& partition = layout.partitions[i];
    out += "start=" + std::to_string(geometry[i].start / sector_size) +
           ", size=" + std::to_string(geometry[i].size / sector_size) +
           ", type=" + std::string(partition_type_code(layout.table, partition.type));
    // Names are limited to [A-Za-z0-9._-] by the parser, so quoting is safe.
    if (partition.name) out += ", name=\"" + *partition.name + "\"";
    out += "\n";
  }
  return out;
}

std::string partition_word(const std::string& device, int number) {
  return "\"$(rd_part " + shell_quote(device) + " " + std::to_string(number) + ")\"";
}

std::string mapper_path(const std::string& mapper) {
  return "/dev/mapper/" + mapper;
}

std::string logical_volume_path(const std::string& group, const std::string& volume) {
  return "/dev/" + group + "/" + volume;
}

std::string raid_array_path(const std::string& array) {
  return "/dev/md/" + array;
}

std::string mkfs_commands(const Filesystem& filesystem, const std::string& node_word, bool esp) {
  std::string label = filesystem.label ? " " + shell_quote(*filesystem.label) : "";
  std::string options = quoted_args(filesystem.mkfs_options);
  switch (filesystem.type) {
    case FsType::kExt4:
      return "mkfs.ext4 -F -q" + (label.empty() ? "" : " -L" + label) + options + " " + node_word +
             "\n";
    case FsType::kXfs:
      return "mkfs.xfs -f -q" + (label.empty() ? "" : " -L" + label) + options + " " + node_word +
             "\n";
    case FsType::kBtrfs:
      return "mkfs.btrfs -f -q" + (label.empty() ? "" : " -L" + label) + options + " " + node_word +
             "\n" + subvolume_commands(filesystem, node_word);
    case FsType::kVfat:
      return std::string("mkfs.vfat") + (esp ? " -F 32" : "") +
             (label.empty() ? "" : " -n" + label) + options + " " + node_word + " >/dev/null\n";
    case FsType::kSwap:
      return "mkswap" + (label.empty() ? "" : " -L" + label) + options + " " + node_word +
             " >/dev/null\n";
  }
  return "";
}

std::string CreationScript::next_variable() {
  return "rd_node" + std::to_string(++m_variables);
}

void CreationScript::partition_device(const std::string& device,
                                      const std::vector<std::string>& old_nodes,
                                      const std::string& sfdisk_input) {
  std::string quoted = shell_quote(device);
  for (const std::string& node : old_nodes) {
    m_body += "if [ -b " + shell_quote(node) + " ]; then wipefs --all --quiet " +
              shell_quote(node) + "; fi\n";
  }
  m_body += "wipefs --all --quiet " + quoted + "\n";
  m_body += "printf '%s' " + shell_quote(sfdisk_input) +
            " | sfdisk --quiet --wipe always --wipe-partitions always " + quoted + "\n";
  m_body += sync_partitions(quoted);
}

void CreationScript::wipe_node(const std::string& node) {
  m_body += "wipefs --all --quiet " + shell_quote(node) + "\n";
}

void CreationScript::create_content(const Content& content, const std::string& node_word,
                                    bool esp) {
  std::string variable = next_variable();
  m_body += variable + "=" + node_word + "\n";
  std::string node = "\"$" + variable + "\"";
  if (content.luks) {
    m_secret = content.luks->key;
    m_body += "cryptsetup luksFormat --type luks2 --batch-mode --key-file \"$rd_key\" " + node +
              "\ncryptsetup open --key-file \"$rd_key\" " + node + " " +
              shell_quote(content.luks->mapper) + "\nrd_settle\n";
    node = shell_quote(mapper_path(content.luks->mapper));
  }
  if (content.filesystem) m_body += mkfs_commands(*content.filesystem, node, esp);
  if (content.volume_group) {
    m_body += "rd_lvm pvcreate -ff -y -q " + node + "\n";
    m_group_members[*content.volume_group].push_back(node);
  }
  if (content.raid_array) m_array_members[*content.raid_array].push_back(node);
}

void CreationScript::finish_stacks() {
  for (const RaidArray& array : m_layout.raid_arrays) {
    const std::vector<std::string>& members = m_array_members[array.name];
    if (members.empty()) continue;
    m_body += "mdadm --create " + shell_quote(raid_array_path(array.name)) +
              " --run --level=1 --metadata=" + shell_quote(array.metadata) +
              " --raid-devices=" + std::to_string(members.size()) + " " + join(members, " ") +
              "\nrd_settle\n";
    create_content(array.content, shell_quote(raid_array_path(array.name)), false);
  }
  for (const VolumeGroup& group : m_layout.volume_groups) {
    const std::vector<std::string>& members = m_group_members[group.name];
    if (members.empty()) continue;
    m_body += "rd_lvm vgcreate -q " + shell_quote(group.name) + " " + join(members, " ") + "\n";
    // The volume taking the rest of the group is created last.
    std::vector<const LogicalVolume*> order;
    for (const LogicalVolume& volume : group.logical_volumes) {
      if (!volume.size.is_rest()) order.push_back(&volume);
    }
    for (const LogicalVolume& volume : group.logical_volumes) {
      if (volume.size.is_rest()) order.push_back(&volume);
    }
    for (const LogicalVolume* volume : order) {
      std::string size = volume->size.kind == Size::Kind::kBytes
                             ? "-L " + shell_quote(std::to_string(volume->size.bytes) + "b")
                         : volume->size.kind == Size::Kind::kPercent
                             ? "-l " + shell_quote(std::to_string(volume->size.percent) + "%VG")
                             : "-l '100%FREE'";
      m_body += "rd_lvm lvcreate -q -y -W y " + size + " -n " + shell_quote(volume->name) + " " +
                shell_quote(group.name) + "\n";
    }
    m_body += "rd_settle\n";
    for (const LogicalVolume* volume : order) {
      if (volume->content.empty()) continue;
      create_content(volume->content, shell_quote(logical_volume_path(group.name, volume->name)),
                     false);
    }
  }
}

std::string CreationScript::script() const {
  std::string out = script_preamble();
  if (m_secret) {
    // The key arrives on stdin and lives in a private file on a tmpfs
    // (memory, never a disk) only while this script runs.
    out +=
        "umask 077\n"
        "rd_key=$(mktemp /dev/shm/reconcile-key.XXXXXX 2>/dev/null || mktemp "
        "/run/reconcile-key.XXXXXX)\n"
        "trap 'rm -f \"$rd_key\"' EXIT\n"
        "cat > \"$rd_key\"\n";
  }
  return out + m_body;
}

std::string mount_script(const std::string& node_word, const std::string& target,
                         const std::string& fstype, const std::vector<std::string>& options,
                         const std::optional<std::string>& subvolume) {
  std::string out = script_preamble();
  out += "rd_node=" + node_word + "\nrd_target=" + shell_quote(target) + "\n";
  out +=
      "if mountpoint -q \"$rd_target\"; then\n"
      "  echo \"refusing to mount over $rd_target: something is already mounted there\" >&2\n"
      "  exit 1\n"
      "fi\n";
  std::vector<std::string> all = options;
  if (subvolume) {
    out += "rd_mnt=$(mktemp -d)\nmount -t btrfs -o subvolid=5 \"$rd_node\" \"$rd_mnt\"\n";
    out += "if [ ! -d \"$rd_mnt\"/" + shell_quote(*subvolume) +
           " ]; then btrfs subvolume create \"$rd_mnt\"/" + shell_quote(*subvolume) +
           " >/dev/null; fi\n";
    out += "umount \"$rd_mnt\"\nrmdir \"$rd_mnt\"\n";
    all.insert(all.begin(), "subvol=" + *subvolume);
  }
  out += "mkdir -p \"$rd_target\"\nmount -t " + shell_quote(fstype);
  if (!all.empty()) out += " -o " + shell_quote(join(all, ","));
  return out + " \"$rd_node\" \"$rd_target\"\n";
}

std::string fstab_script(const std::string& node_word, const std::string& fstab_path,
                         const std::string& file, const std::string& fstype,
                         const std::string& options, const std::string& passno) {
  std::string out = script_preamble();
  out += "rd_node=" + node_word + "\nrd_fstab=" + shell_quote(fstab_path) + "\n";
  out +=
      "rd_uuid=$(blkid -p -s UUID -o value \"$rd_node\")\n"
      "if [ -z \"$rd_uuid\" ]; then echo \"$rd_node has no UUID\" >&2; exit 1; fi\n"
      "mkdir -p \"${rd_fstab%/*}\"\n"
      "rd_tmp=\"$rd_fstab.reconcile-new\"\n";
  // Drop the old entry for this mountpoint (for swap: for this UUID), keep
  // comments and every other line as they are, and append the new entry.
  std::string drop = fstype == "swap" ? "$1 != (\"UUID=\" uuid)" : "$2 != file";
  out += "if [ -f \"$rd_fstab\" ]; then\n  awk -v file=" + shell_quote(file) +
         " -v uuid=\"$rd_uuid\" '/^[ \\t]*#/ || " + drop +
         "' \"$rd_fstab\" > \"$rd_tmp\"\nelse\n  : > \"$rd_tmp\"\nfi\n";
  out += "printf 'UUID=%s %s %s %s 0 %s\\n' \"$rd_uuid\" " + shell_quote(file) + " " +
         shell_quote(fstype) + " " + shell_quote(options) + " " + shell_quote(passno) +
         " >> \"$rd_tmp\"\n";
  return out + "chmod 0644 \"$rd_tmp\"\nmv \"$rd_tmp\" \"$rd_fstab\"\n";
}

std::string label_script(FsType type, const std::string& node, const std::string& label,
                         const std::optional<std::string>& mounted_at) {
  std::string out = script_preamble();
  std::string quoted_node = shell_quote(node), quoted_label = shell_quote(label);
  switch (type) {
    case FsType::kExt4:
      return out + "e2label " + quoted_node + " " + quoted_label + "\n";
    case FsType::kVfat:
      return out + "fatlabel " + quoted_node + " " + quoted_label + "\n";
    case FsType::kSwap:
      return out + "swaplabel -L " + quoted_label + " " + quoted_node + "\n";
    case FsType::kBtrfs:
      return out + "btrfs filesystem label " +
             (mounted_at ? shell_quote(*mounted_at) : quoted_node) + " " + quoted_label + "\n";
    case FsType::kXfs:
      if (mounted_at) {
        return out + "xfs_io -c " + shell_quote("label -s " + label) + " " +
               shell_quote(*mounted_at) + " >/dev/null\n";
      }
      return out + "xfs_admin -L " + quoted_label + " " + quoted_node + " >/dev/null\n";
  }
  return out;
}

std::string fstab_options(const std::vector<std::string>& options,
                          const std::optional<std::string>& subvolume) {
  std::vector<std::string> all = options;
  if (subvolume) all.insert(all.begin(), "subvol=" + *subvolume);
  return all.empty() ? "defaults" : join(all, ",");
}

std::string fstab_passno(FsType type, const std::string& mountpoint) {
  if (type == FsType::kExt4) return mountpoint == "/" ? "1" : "2";
  if (type == FsType::kVfat) return "2";
  return "0";  // fsck of xfs and btrfs at boot does nothing useful; swap has none
}

}  // namespace reconcile::disk
