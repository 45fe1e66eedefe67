#include "disk-layouts/names.h"

#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool all_of(std::string_view text, std::string_view extra) {
  for (char c : text) {
    if (!is_alnum(c) && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

std::string check_partition_name(std::string_view name) {
  if (name.empty() || name.size() > 36) return "must be 1 to 36 characters long";
  if (!all_of(name, "._-")) return "may only contain letters, digits, '.', '_' and '-'";
  return "";
}

std::string check_simple_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return "must be 1 to 64 characters long";
  if (!all_of(name, "._+-")) return "may only contain letters, digits, '.', '_', '+' and '-'";
  if (name.front() == '-' || name.front() == '.') return "must not start with '-' or '.'";
  return "";
}

std::string check_mountpoint(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must be an absolute path (starting with '/')";
  if (path.size() > 1 && path.back() == '/') return "must not end with '/'";
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '\\' || c == '#') {
      return "must not contain whitespace, control characters, '\\' or '#'";
    }
  }
  if (path == "/") return "";
  for (const std::string& part : split(path.substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return "must not contain empty, '.' or '..' components";
    }
  }
  return "";
}

std::string check_mount_option(std::string_view option) {
  if (option.empty()) return "must not be empty";
  for (char c : option) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == ',' || c == '#') {
      return "must be printable and contain no whitespace, ',' or '#' (give one option per "
             "list entry)";
    }
  }
  return "";
}

std::string check_subvolume_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return "must be 1 to 255 characters long";
  if (name.front() == '/' || name.back() == '/') return "must not start or end with '/'";
  for (const std::string& part : split(name, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return "must not contain empty, '.' or '..' components";
    }
    if (!all_of(part, "@._+-")) {
      return "may only contain letters, digits, '@', '.', '_', '+', '-' and '/'";
    }
  }
  return "";
}

std::string check_label(FsType type, std::string_view label) {
  size_t limit = 16;
  switch (type) {
    case FsType::kExt4:
      limit = 16;
      break;
    case FsType::kXfs:
      limit = 12;
      break;
    case FsType::kVfat:
      limit = 11;
      break;
    case FsType::kSwap:
      limit = 16;
      break;
    case FsType::kBtrfs:
      limit = 255;
      break;
  }
  if (label.empty()) return "must not be empty";
  if (label.size() > limit) {
    return "is " + std::to_string(label.size()) + " bytes; " + std::string(fs_type_name(type)) +
           " allows at most " + std::to_string(limit);
  }
  for (char c : label) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) return "must be printable ASCII";
  }
  return "";
}

}  // namespace reconcile::disk
