// Parses the disk probe's output (see probe.cc for the format) into
// DiskFacts. The output comes from a host, so it is treated as hostile: JSON
// is parsed without exceptions, every field is type-checked before use, and
// anything missing or malformed is an error naming where, never a crash.

#include "disk-layouts/facts.h"

#include <nlohmann/json.hpp>

#include "disk-layouts/facts_text.h"
#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

using nlohmann::json;

std::string json_string(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// lsblk and sfdisk give numbers, but older versions give them as strings.
uint64_t json_number(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer() && it->get<int64_t>() > 0)
    return static_cast<uint64_t>(it->get<int64_t>());
  if (it->is_string()) return parse_decimal(it->get<std::string>()).value_or(0);
  return 0;
}

Result<json> parse_json(const std::string& text, const std::string& what) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return data_loss("disk probe: the " + what + " output is not a JSON object");
  }
  return value;
}

void add_lsblk_node(const json& object, const std::string& parent, DeviceFacts& device, int depth) {
  if (!object.is_object() || depth > 16) return;
  BlockNode node;
  node.path = json_string(object, "path");
  if (node.path.empty()) node.path = "/dev/" + json_string(object, "name");
  node.kind = json_string(object, "type");
  node.maj_min = json_string(object, "maj:min");
  node.size = json_number(object, "size");
  node.parent = parent;
  size_t index = device.nodes.size();
  device.nodes.push_back(node);
  auto children = object.find("children");
  if (children == object.end() || !children->is_array()) return;
  for (const json& child : *children) {
    std::string child_path = json_string(child, "path");
    if (child_path.empty()) child_path = "/dev/" + json_string(child, "name");
    device.nodes[index].children.push_back(child_path);
    add_lsblk_node(child, node.path, device, depth + 1);
  }
}

Status parse_lsblk(const std::string& text, DeviceFacts& device) {
  json root = TRY(parse_json(text, "lsblk"));
  auto list = root.find("blockdevices");
  if (list == root.end() || !list->is_array() || list->size() != 1) {
    return data_loss("disk probe: lsblk did not report exactly one device for " + device.device);
  }
  const json& top = list->front();
  add_lsblk_node(top, "", device, 0);
  device.size = json_number(top, "size");
  uint64_t sector = json_number(top, "log-sec");
  if (sector >= 512 && sector <= 65536) device.sector_size = static_cast<uint32_t>(sector);
  return ok();
}

// sfdisk names partitions by node; the number is the node's trailing digits.
int partition_number(const std::string& node) {
  size_t end = node.size(), start = end;
  while (start > 0 && node[start - 1] >= '0' && node[start - 1] <= '9')
    --start;
  if (start == end || end - start > 3) return 0;
  return std::stoi(node.substr(start));
}

std::string upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

Status parse_sfdisk(const std::string& text, DeviceFacts& device) {
  json root = TRY(parse_json(text, "sfdisk"));
  auto table = root.find("partitiontable");
  if (table == root.end() || !table->is_object()) {
    return data_loss("disk probe: sfdisk output has no partition table for " + device.device);
  }
  device.table = json_string(*table, "label");
  uint64_t sector = json_number(*table, "sectorsize");
  if (sector >= 512 && sector <= 65536) device.sector_size = static_cast<uint32_t>(sector);
  auto partitions = table->find("partitions");
  if (partitions == table->end()) return ok();
  if (!partitions->is_array()) return data_loss("disk probe: sfdisk partitions is not a list");
  for (const json& item : *partitions) {
    if (!item.is_object()) return data_loss("disk probe: an sfdisk partition is not an object");
    PartitionEntry entry;
    entry.node = json_string(item, "node");
    entry.number = partition_number(entry.node);
    entry.start = json_number(item, "start") * device.sector_size;
    entry.size = json_number(item, "size") * device.sector_size;
    entry.type = json_string(item, "type");
    if (device.table == "gpt") entry.type = upper(entry.type);
    entry.name = json_string(item, "name");
    entry.uuid = json_string(item, "uuid");
    if (entry.number <= 0) {
      return data_loss("disk probe: cannot tell the number of partition '" + entry.node + "'");
    }
    device.partitions.push_back(std::move(entry));
  }
  return ok();
}

Signature parse_blkid(const std::vector<std::string>& lines, int status) {
  Signature signature;
  signature.ambivalent = status == 8;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t equals = lines[i].find('=');
    if (equals == std::string::npos) continue;
    std::string key = lines[i].substr(0, equals);
    std::string value = unescape_blkid(lines[i].substr(equals + 1));
    if (key == "TYPE") signature.type = value;
    if (key == "UUID") signature.uuid = value;
    if (key == "LABEL") signature.label = value;
    if (key == "PTTYPE") signature.pttype = value;
  }
  return signature;
}

}  // namespace

const BlockNode* DeviceFacts::find_node(std::string_view path) const {
  for (const BlockNode& node : nodes) {
    if (node.path == path) return &node;
  }
  return nullptr;
}

const DeviceFacts* DiskFacts::find_device(std::string_view device) const {
  for (const DeviceFacts& facts : devices) {
    if (facts.device == device) return &facts;
  }
  return nullptr;
}

const MountEntry* DiskFacts::mount_at(std::string_view target) const {
  const MountEntry* found = nullptr;
  for (const MountEntry& mount : mounts) {
    if (mount.target == target) found = &mount;
  }
  return found;
}

namespace {

Status apply_section(const ProbeSection& section, DiskFacts& facts) {
  const std::string& kind = section.kind;
  if (kind == "device") {
    if (section.lines.size() != 1) return data_loss("disk probe: a device section names no device");
    facts.devices.push_back(DeviceFacts{});
    facts.devices.back().device = section.lines.front();
    facts.devices.back().exists = true;
    return ok();
  }
  if (kind == "mountinfo") return parse_mountinfo(section.lines, facts.mounts);
  if (kind == "swaps") return parse_swaps(section.lines, facts.swaps);
  if (kind == "fstab") {
    facts.fstab_exists = section.argument == "1";
    return parse_fstab(section.lines, facts.fstab);
  }
  if (facts.devices.empty()) return data_loss("disk probe: '" + kind + "' before any device");
  DeviceFacts& device = facts.devices.back();
  if (kind == "missing") {
    device.exists = false;
    return ok();
  }
  std::string text = join(section.lines, "\n");
  if (kind == "lsblk") {
    if (section.argument != "0") {
      return failed_precondition("lsblk failed on " + device.device + ": " + text);
    }
    return parse_lsblk(text, device);
  }
  // sfdisk exits 1 on a device without a partition table; that is a fact.
  if (kind == "sfdisk") return section.argument == "0" ? parse_sfdisk(text, device) : ok();
  if (kind == "blkid") {
    if (section.lines.empty()) return data_loss("disk probe: a blkid section names no node");
    int status = static_cast<int>(parse_decimal(section.argument).value_or(99));
    for (BlockNode& node : device.nodes) {
      if (node.path != section.lines.front()) continue;
      node.blkid_status = status;
      node.signature = parse_blkid(section.lines, status);
    }
    return ok();
  }
  return data_loss("disk probe: unknown section '" + kind + "'");
}

}  // namespace

Result<DiskFacts> parse_disk_facts(std::string_view output) {
  std::vector<ProbeSection> sections = TRY(split_probe_sections(output));
  DiskFacts facts;
  for (const ProbeSection& section : sections)
    TRY(apply_section(section, facts));
  return facts;
}

}  // namespace reconcile::disk
