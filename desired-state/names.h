#pragma once

// Syntax rules for names and values that end up on a host. Each function
// returns an empty string when `value` is acceptable, else the reason, phrased
// to follow "expected ... : ".

#include <string>
#include <string_view>

namespace reconcile::state {

// Debian adduser's default NAME_REGEX: ^[a-z][-a-z0-9_]*\$?$, at most 32.
std::string check_user_name(std::string_view name);
std::string check_group_name(std::string_view name);
// A host name (RFC 1123 labels), an IPv4 or IPv6 address, or "local".
std::string check_address(std::string_view address);
// A host file name: letters, digits, '-', '.', '_' ; starts alphanumeric.
std::string check_host_name(std::string_view name);
// Absolute, no "." or ".." components, no empty components, no newline.
std::string check_absolute_path(std::string_view path);
// A repo-relative path under `directory` (e.g. "files/"), no "..".
std::string check_repo_path(std::string_view path, std::string_view directory);
// A systemd unit name without ".service": [A-Za-z0-9:_.@-], not leading '-'.
std::string check_service_name(std::string_view name);
// A Debian or Arch package name, with an optional ":arch" suffix.
std::string check_package_name(std::string_view name);
// A sysctl key such as net.ipv4.ip_forward.
std::string check_sysctl_key(std::string_view key);
// A secret name: file name under /run/secrets.
std::string check_secret_name(std::string_view name);
// A shell path or login shell: absolute path.
std::string check_shell(std::string_view shell);
// An OpenSSH public key line: "type base64 [comment]" with a known type.
std::string check_ssh_public_key(std::string_view key);
// IPv4/IPv6 address or CIDR prefix, for firewall sources.
std::string check_network(std::string_view network);
// Characters allowed in free-form single-line values (no newline, no control).
std::string check_single_line(std::string_view value);

bool is_ipv4(std::string_view text);
bool is_ipv6(std::string_view text);

}  // namespace reconcile::state
