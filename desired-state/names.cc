#include "desired-state/names.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "reconciler/base/strings.h"

namespace reconcile::state {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

std::string check_account_name(std::string_view name, const char* what) {
  if (name.empty()) return std::string("a ") + what + " name, got an empty string";
  if (name.size() > 32) return std::string("a ") + what + " name of at most 32 characters";
  std::string_view body = name;
  if (body.back() == '$') body.remove_suffix(1);
  bool ok = !body.empty() && body[0] >= 'a' && body[0] <= 'z' &&
            std::all_of(body.begin(), body.end(),
                        [](char c) { return is_lower_alnum(c) || c == '-' || c == '_'; });
  if (!ok) {
    return std::string("a ") + what +
           " name that starts with a lower-case letter and has only a-z, 0-9, '-' and '_' "
           "(Debian's adduser rule)";
  }
  return {};
}

bool is_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (const auto& label : split(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_ipv4(std::string_view text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, std::string(text).c_str(), buffer) == 1;
}

bool is_ipv6(std::string_view text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET6, std::string(text).c_str(), buffer) == 1;
}

std::string check_user_name(std::string_view name) {
  return check_account_name(name, "user");
}
std::string check_group_name(std::string_view name) {
  return check_account_name(name, "group");
}

std::string check_address(std::string_view address) {
  if (address == "local" || is_ipv4(address) || is_ipv6(address)) return {};
  bool all_numeric = std::all_of(address.begin(), address.end(),
                                 [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (!all_numeric && is_hostname(address)) return {};
  return "a host name, an IPv4 or IPv6 address, or 'local'";
}

std::string check_host_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 253 && is_alnum(name[0]) &&
            std::all_of(name.begin(), name.end(),
                        [](char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_'; });
  if (!ok)
    return "a host name of letters, digits, '-', '.' and '_', starting with a letter or digit";
  return {};
}

std::string check_absolute_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return "an absolute path (starting with '/')";
  if (path.size() > 4096) return "a path of at most 4096 bytes";
  if (path.find('\n') != std::string_view::npos) return "a path without newlines";
  if (path == "/") return "a path below '/', not '/' itself";
  auto parts = split(path.substr(1), '/');
  for (const auto& part : parts) {
    if (part.empty()) return "a path without empty components ('//' or a trailing '/')";
    if (part == "." || part == "..") return "a path without '.' or '..' components";
  }
  return {};
}

std::string check_repo_path(std::string_view path, std::string_view directory) {
  if (!starts_with(path, directory) || path.size() == directory.size()) {
    return "a path inside the repository's " + std::string(directory) + " directory";
  }
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return "a relative path without '.', '..' or empty components";
    }
  }
  if (path.find('\n') != std::string_view::npos) return "a path without newlines";
  return {};
}

std::string check_service_name(std::string_view name) {
  bool ok =
      !name.empty() && name.size() <= 240 && name[0] != '-' && name[0] != '.' &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return is_alnum(c) || c == ':' || c == '_' || c == '.' || c == '@' || c == '-' || c == '\\';
      });
  if (!ok) return "a systemd unit name of letters, digits and ':_.@-'";
  return {};
}

std::string check_package_name(std::string_view name) {
  std::string_view base = name;
  size_t colon = name.find(':');
  if (colon != std::string_view::npos) {
    std::string_view arch = name.substr(colon + 1);
    base = name.substr(0, colon);
    if (arch.empty() || !std::all_of(arch.begin(), arch.end(), [](char c) {
          return is_lower_alnum(c) || c == '_' || c == '-';
        })) {
      return "a package name with an optional ':architecture' suffix";
    }
  }
  bool ok = !base.empty() && base.size() <= 200 && is_alnum(base[0]) &&
            std::all_of(base.begin(), base.end(), [](char c) {
              return is_alnum(c) || c == '+' || c == '-' || c == '.' || c == '_' || c == '@';
            });
  if (!ok) return "a package name (letters, digits and '+-._@', starting with a letter or digit)";
  return {};
}

std::string check_sysctl_key(std::string_view key) {
  bool ok = !key.empty() && key.size() <= 200 && is_alnum(key[0]) &&
            std::all_of(key.begin(), key.end(),
                        [](char c) {
                          return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
                        }) &&
            key.find("..") == std::string_view::npos && key.back() != '.';
  if (!ok) return "a sysctl key such as net.ipv4.ip_forward";
  return {};
}

std::string check_secret_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 200 && is_alnum(name[0]) &&
            std::all_of(name.begin(), name.end(),
                        [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
  if (!ok) return "a secret name of letters, digits and '-_.', starting with a letter or digit";
  return {};
}

std::string check_shell(std::string_view shell) {
  std::string problem = check_absolute_path(shell);
  if (!problem.empty()) return "a login shell given as " + problem;
  return {};
}

std::string check_ssh_public_key(std::string_view key) {
  static const std::vector<std::string> types = {"ssh-ed25519",
                                                 "ssh-rsa",
                                                 "ecdsa-sha2-nistp256",
                                                 "ecdsa-sha2-nistp384",
                                                 "ecdsa-sha2-nistp521",
                                                 "sk-ssh-ed25519@openssh.com",
                                                 "sk-ecdsa-sha2-nistp256@openssh.com"};
  if (key.find('\n') != std::string_view::npos) return "one OpenSSH public key per line";
  auto fields = split(trim(key), ' ');
  if (fields.size() < 2 || std::find(types.begin(), types.end(), fields[0]) == types.end()) {
    return "an OpenSSH public key line such as 'ssh-ed25519 AAAA... comment'";
  }
  const std::string& blob = fields[1];
  bool base64 = blob.size() >= 16 && std::all_of(blob.begin(), blob.end(), [](char c) {
                  return is_alnum(c) || c == '+' || c == '/' || c == '=';
                });
  if (!base64) return "an OpenSSH public key whose second field is base64";
  return {};
}

std::string check_network(std::string_view network) {
  std::string_view address = network;
  size_t slash = network.find('/');
  if (slash != std::string_view::npos) {
    address = network.substr(0, slash);
    std::string_view bits = network.substr(slash + 1);
    int max = is_ipv4(address) ? 32 : 128;
    bool ok = !bits.empty() && bits.size() <= 3 &&
              std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
              std::stoi(std::string(bits)) <= max;
    if (!ok) return "an address or prefix such as 10.0.0.0/8 or 2001:db8::/32";
  }
  if (!is_ipv4(address) && !is_ipv6(address)) {
    return "an address or prefix such as 10.0.0.0/8 or 2001:db8::/32";
  }
  return {};
}

std::string check_single_line(std::string_view value) {
  if (std::any_of(value.begin(), value.end(), [](char c) {
        return c == '\n' || c == '\r' || (c > 0 && c < 32 && c != '\t');
      })) {
    return "a single line without control characters";
  }
  return {};
}

}  // namespace reconcile::state
