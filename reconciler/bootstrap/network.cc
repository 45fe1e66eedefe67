// Network facts from iproute2's JSON output. The interface chosen is the
// one the IPv4 default route leaves through (else the IPv6 one, else the
// first with a global address): that is the link the controller reached the
// machine on, and the one that must work after the reboot.

#include "reconciler/bootstrap/network.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::bootstrap {

namespace {

using json = nlohmann::json;

bool valid_ip(const std::string& text, bool ipv6) {
  unsigned char buffer[16];
  return inet_pton(ipv6 ? AF_INET6 : AF_INET, text.c_str(), buffer) == 1;
}

bool valid_mac(const std::string& text) {
  if (text.size() != 17) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = i % 3 == 2 ? c == ':' : std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) return false;
  }
  return true;
}

Result<json> parse_json_array(std::string_view text, const char* what) {
  std::string_view trimmed = trim(text);
  if (trimmed.empty()) return json::array();
  json value = json::parse(trimmed, nullptr, false);
  if (value.is_discarded() || !value.is_array()) {
    return data_loss(std::string(what) + ": expected a JSON array from ip -j");
  }
  return value;
}

std::string string_field(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The default route's gateway, device and origin, from `ip -j route show
// default`.
void default_route(const json& routes, bool ipv6, std::string& gateway, std::string& device,
                   bool& automatic) {
  for (const auto& route : routes) {
    if (!route.is_object() || string_field(route, "dst") != "default") continue;
    std::string via = string_field(route, "gateway");
    if (via.empty() || !valid_ip(via, ipv6)) continue;
    gateway = via;
    device = string_field(route, "dev");
    std::string protocol = string_field(route, "protocol");
    automatic = protocol == (ipv6 ? "ra" : "dhcp");
    return;
  }
}

std::vector<InterfaceAddress> global_addresses(const json& link) {
  std::vector<InterfaceAddress> out;
  auto info = link.find("addr_info");
  if (info == link.end() || !info->is_array()) return out;
  for (const auto& entry : *info) {
    if (!entry.is_object() || string_field(entry, "scope") != "global") continue;
    std::string family = string_field(entry, "family");
    if (family != "inet" && family != "inet6") continue;
    InterfaceAddress address;
    address.ipv6 = family == "inet6";
    address.address = string_field(entry, "local");
    auto prefix = entry.find("prefixlen");
    if (prefix == entry.end() || !prefix->is_number_integer()) continue;
    address.prefix = prefix->get<int>();
    if (!valid_ip(address.address, address.ipv6) || address.prefix < 0 ||
        address.prefix > (address.ipv6 ? 128 : 32)) {
      continue;
    }
    auto dynamic = entry.find("dynamic");
    address.dynamic = dynamic != entry.end() && dynamic->is_boolean() && dynamic->get<bool>();
    out.push_back(address);
  }
  return out;
}

std::vector<std::string> nameservers(std::string_view resolv) {
  std::vector<std::string> out;
  for (const auto& raw : split(resolv, '\n')) {
    std::string_view line = trim(raw);
    if (!starts_with(line, "nameserver")) continue;
    std::string value(trim(line.substr(10)));
    if (value.empty() || value.size() == line.size() - 10) continue;  // "nameserverX"
    std::string address = value.substr(0, value.find_first_of(" \t%"));
    if ((valid_ip(address, false) || valid_ip(address, true)) &&
        std::find(out.begin(), out.end(), address) == out.end()) {
      out.push_back(address);
    }
  }
  return out;
}

}  // namespace

bool NetworkFacts::dhcp4() const {
  return gateway4_dhcp || std::any_of(addresses.begin(), addresses.end(),
                                      [](const auto& a) { return !a.ipv6 && a.dynamic; });
}

bool NetworkFacts::ra6() const {
  return gateway6_ra || std::any_of(addresses.begin(), addresses.end(),
                                    [](const auto& a) { return a.ipv6 && a.dynamic; });
}

Result<NetworkFacts> parse_network(std::string_view ip_addr, std::string_view route4,
                                   std::string_view route6, std::string_view resolv_conf) {
  auto links = parse_json_array(ip_addr, "ip -j addr");
  if (!links) return std::move(links).error();
  auto routes4 = parse_json_array(route4, "ip -j -4 route");
  if (!routes4) return std::move(routes4).error();
  auto routes6 = parse_json_array(route6, "ip -j -6 route");
  if (!routes6) return std::move(routes6).error();

  NetworkFacts facts;
  std::string device4, device6;
  default_route(*routes4, false, facts.gateway4, device4, facts.gateway4_dhcp);
  default_route(*routes6, true, facts.gateway6, device6, facts.gateway6_ra);
  const json* chosen = nullptr;
  for (const std::string& wanted : {device4, device6, std::string()}) {
    for (const auto& link : *links) {
      if (!link.is_object() || string_field(link, "ifname") == "lo") continue;
      if (!wanted.empty() && string_field(link, "ifname") != wanted) continue;
      if (wanted.empty() && global_addresses(link).empty()) continue;
      chosen = &link;
      break;
    }
    if (chosen != nullptr) break;
  }
  if (chosen == nullptr) {
    return failed_precondition("no network interface with a global address was found");
  }
  facts.interface = string_field(*chosen, "ifname");
  facts.mac = string_field(*chosen, "address");
  std::transform(facts.mac.begin(), facts.mac.end(), facts.mac.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!valid_mac(facts.mac)) {
    return failed_precondition("interface " + facts.interface + " has no Ethernet MAC address");
  }
  facts.addresses = global_addresses(*chosen);
  if (device4 != facts.interface) {
    facts.gateway4.clear();
    facts.gateway4_dhcp = false;
  }
  if (device6 != facts.interface) {
    facts.gateway6.clear();
    facts.gateway6_ra = false;
  }
  facts.dns = nameservers(resolv_conf);
  return facts;
}

bool in_subnet(const std::string& address, const std::string& base, int prefix) {
  bool ipv6 = address.find(':') != std::string::npos;
  if (ipv6 != (base.find(':') != std::string::npos)) return false;
  unsigned char a[16], b[16];
  int family = ipv6 ? AF_INET6 : AF_INET;
  if (inet_pton(family, address.c_str(), a) != 1 || inet_pton(family, base.c_str(), b) != 1) {
    return false;
  }
  int bits = prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

std::string networkd_config(const NetworkFacts& network) {
  std::string out =
      "# Written by reconcile bootstrap from the network of the system it was installed from.\n"
      "[Match]\nMACAddress=" +
      network.mac + "\n\n[Network]\n";
  bool dhcp4 = network.dhcp4();
  bool ra6 = network.ra6();
  out += std::string("DHCP=") + (dhcp4 ? "ipv4" : "no") + "\n";
  out += std::string("IPv6AcceptRA=") + (ra6 ? "yes" : "no") + "\n";
  for (const auto& address : network.addresses) {
    if (!address.dynamic) out += "Address=" + address.cidr() + "\n";
  }
  for (const auto& server : network.dns)
    out += "DNS=" + server + "\n";
  auto route = [&](const std::string& gateway, bool ipv6, bool from_autoconf) {
    if (gateway.empty() || from_autoconf) return;
    bool on_link = true;
    for (const auto& address : network.addresses) {
      if (address.ipv6 == ipv6 && !address.dynamic &&
          in_subnet(gateway, address.address, address.prefix)) {
        on_link = false;
      }
    }
    // A link-local IPv6 gateway is on the link by definition.
    if (ipv6 && starts_with(gateway, "fe80:")) on_link = false;
    out += "\n[Route]\nGateway=" + gateway + "\n";
    if (on_link) out += "GatewayOnLink=yes\n";
  };
  route(network.gateway4, false, dhcp4);
  route(network.gateway6, true, ra6);
  return out;
}

std::string resolv_conf(const NetworkFacts& network) {
  std::string out = "# Written by reconcile bootstrap.\n";
  for (const auto& server : network.dns)
    out += "nameserver " + server + "\n";
  return out;
}

std::string installer_network(const NetworkFacts& network, const std::string& hostname) {
  std::vector<std::string> v4, v6, dns;
  for (const auto& address : network.addresses)
    (address.ipv6 ? v6 : v4).push_back(address.cidr());
  std::string out;
  out += "RI_MAC=" + shell_quote(network.mac) + "\n";
  out += "RI_ADDRESSES=" + shell_quote(join(v4, " ")) + "\n";
  out += "RI_GATEWAY=" + shell_quote(network.gateway4) + "\n";
  out += "RI_ADDRESSES6=" + shell_quote(join(v6, " ")) + "\n";
  out += "RI_GATEWAY6=" + shell_quote(network.gateway6) + "\n";
  out += "RI_DNS=" + shell_quote(join(network.dns, " ")) + "\n";
  out += "RI_HOSTNAME=" + shell_quote(hostname) + "\n";
  return out;
}

std::string describe_network(const NetworkFacts& network) {
  std::string out = network.interface + " " + network.mac;
  for (const auto& address : network.addresses)
    out += " " + address.cidr() + (address.dynamic ? " (dynamic)" : " (static)");
  if (!network.gateway4.empty()) out += ", gateway " + network.gateway4;
  if (!network.gateway6.empty()) out += ", gateway " + network.gateway6;
  out += ", dns " + (network.dns.empty() ? std::string("(none)") : join(network.dns, " "));
  return out;
}

}  // namespace reconcile::bootstrap
