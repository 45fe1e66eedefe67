#include "reconciler/transport/known_hosts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reconciler/base/strings.h"
#include "reconciler/transport/ssh_crypto.h"
#include "reconciler/transport/ssh_wire.h"

namespace reconcile::transport {

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `*` and `?` wildcards, as OpenSSH's match_pattern (no character classes:
// `[` is literal, which `[host]:port` names need).
bool wildcard_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

bool hashed_name_matches(std::string_view field, std::string_view name) {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  std::string_view rest = field.substr(3);
  size_t bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  auto salt = base64_decode(rest.substr(0, bar));
  auto hash = base64_decode(rest.substr(bar + 1));
  if (!salt || !hash || salt->size() != 20 || hash->size() != 20) return false;
  return hmac_sha1(*salt, name) == *hash;
}

std::string_view next_field(std::string_view& text) {
  text = trim(text);
  size_t end = text.find_first_of(" \t");
  std::string_view field = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end);
  return field;
}

}  // namespace

std::string known_hosts_name(std::string_view host, uint16_t port) {
  if (port == 22) return lowercase(host);
  return "[" + lowercase(host) + "]:" + std::to_string(port);
}

bool host_field_matches(std::string_view field, std::string_view name) {
  if (starts_with(field, "|1|")) return hashed_name_matches(field, name);
  bool matched = false;
  for (const std::string& pattern : split(field, ',')) {
    std::string_view p = pattern;
    bool negated = !p.empty() && p[0] == '!';
    if (negated) p.remove_prefix(1);
    if (wildcard_match(lowercase(p), name)) {
      if (negated) return false;  // a negated match vetoes the whole line
      matched = true;
    }
  }
  return matched;
}

KnownHosts KnownHosts::parse(std::string_view text, std::string_view file_name) {
  KnownHosts result;
  int line_number = 0;
  for (const std::string& raw_line : split(text, '\n')) {
    ++line_number;
    std::string_view rest = trim(raw_line);
    if (rest.empty() || rest[0] == '#') continue;
    auto warn = [&](std::string_view reason) {
      result.m_warnings.push_back(std::string(file_name) + ":" + std::to_string(line_number) +
                                  ": " + std::string(reason));
    };
    KnownHostEntry entry;
    entry.line = line_number;
    std::string_view field = next_field(rest);
    if (field[0] == '@') {
      if (field == "@revoked") {
        entry.marker = KnownHostEntry::Marker::kRevoked;
      } else if (field == "@cert-authority") {
        entry.marker = KnownHostEntry::Marker::kCertAuthority;
      } else {
        warn("unknown marker " + std::string(field));
        continue;
      }
      field = next_field(rest);
    }
    entry.hosts = std::string(field);
    std::string_view type = next_field(rest);
    std::string_view encoded = next_field(rest);
    if (entry.hosts.empty() || type.empty() || encoded.empty()) {
      warn("expected \"HOSTS TYPE KEY\"");
      continue;
    }
    auto key = parse_public_key(std::string(type) + " " + std::string(encoded));
    if (!key.has_value()) {
      warn(key.error().message());
      continue;
    }
    entry.key = std::move(key).release_value();
    result.m_entries.push_back(std::move(entry));
  }
  return result;
}

Result<KnownHosts> KnownHosts::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) return KnownHosts();
    return system_error("cannot read known hosts file " + path, errno);
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  return parse(buffer.str(), path);
}

HostKeyCheck KnownHosts::check(std::string_view host, uint16_t port, const PublicKey& key) const {
  std::string name = known_hosts_name(host, port);
  HostKeyCheck result;
  bool matched = false;
  for (const KnownHostEntry& entry : m_entries) {
    if (entry.marker == KnownHostEntry::Marker::kCertAuthority) continue;
    if (!host_field_matches(entry.hosts, name)) continue;
    if (entry.marker == KnownHostEntry::Marker::kRevoked) {
      if (entry.key.blob == key.blob) {
        result.status = HostKeyCheck::Status::kRevoked;
        result.known = {entry};
        return result;  // a revoked key wins over any match
      }
      continue;
    }
    if (entry.key.blob == key.blob) matched = true;
    result.known.push_back(entry);
  }
  if (matched) {
    result.status = HostKeyCheck::Status::kMatch;
  } else if (!result.known.empty()) {
    // Known keys of other types count as a change too: a server that
    // suddenly offers only a type we have never seen is what a
    // man-in-the-middle without the real key would do.
    result.status = HostKeyCheck::Status::kChanged;
  }
  return result;
}

std::vector<std::string> KnownHosts::key_types(std::string_view host, uint16_t port) const {
  std::string name = known_hosts_name(host, port);
  std::vector<std::string> types;
  for (const KnownHostEntry& entry : m_entries) {
    if (entry.marker != KnownHostEntry::Marker::kNone) continue;
    if (!host_field_matches(entry.hosts, name)) continue;
    if (std::find(types.begin(), types.end(), entry.key.type) == types.end()) {
      types.push_back(entry.key.type);
    }
  }
  return types;
}

std::string hashed_known_hosts_line(std::string_view host, uint16_t port, const PublicKey& key,
                                    std::string_view salt) {
  std::string name = known_hosts_name(host, port);
  return "|1|" + base64_encode(salt) + "|" + base64_encode(hmac_sha1(salt, name)) + " " +
         format_public_key(key);
}

Status record_known_host(const std::string& path, std::string_view host, uint16_t port,
                         const PublicKey& key) {
  std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::error_code error;
    std::filesystem::path dir = file.parent_path();
    if (!std::filesystem::exists(dir, error)) {
      std::filesystem::create_directories(dir, error);
      if (error)
        return failed_precondition("cannot create " + dir.string() + ": " + error.message());
      ::chmod(dir.c_str(), 0700);
    }
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return system_error("cannot open known hosts file " + path, errno);
  // A file whose last line lacks its newline would glue our entry to it.
  std::string line;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && info.st_size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, info.st_size - 1) == 1 && last != '\n') line = "\n";
  }
  line += hashed_known_hosts_line(host, port, key, random_bytes(20)) + "\n";
  // One write with O_APPEND: a concurrent writer cannot interleave within it.
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    return system_error("cannot write known hosts file " + path, written < 0 ? saved : EIO);
  }
  return ok();
}

}  // namespace reconcile::transport
