#pragma once

// Checks for the names and paths a disk layout may contain. Each returns an
// empty string when the value is fine, else a sentence saying what is wrong.
// These values end up in shell scripts (always through shell_quote), in
// /etc/fstab lines and in device paths, so the rules are strict: what would
// need escaping anywhere is refused here.

#include <string>
#include <string_view>

#include "disk-layouts/layout.h"

namespace reconcile::disk {

// GPT partition names: 1-36 characters of [A-Za-z0-9._-].
std::string check_partition_name(std::string_view name);

// LVM volume group and logical volume names, mdadm array names, LUKS mapper
// names and secret names: 1-64 characters of [A-Za-z0-9._+-], not starting
// with '-' or '.'.
std::string check_simple_name(std::string_view name);

// An absolute path without ".", ".." or empty components, without a trailing
// slash (except "/"), whitespace, control characters, backslashes or '#'.
std::string check_mountpoint(std::string_view path);

// One mount option: printable, no whitespace, no comma, no '#'.
std::string check_mount_option(std::string_view option);

// A btrfs subvolume path: relative, components of [A-Za-z0-9@._+-], no "..".
std::string check_subvolume_name(std::string_view name);

// A filesystem label: printable ASCII, within the filesystem's length limit
// (ext4 16, xfs 12, vfat 11, swap 16, btrfs 255 bytes).
std::string check_label(FsType type, std::string_view label);

}  // namespace reconcile::disk
