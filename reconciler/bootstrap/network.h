#pragma once

// The network of the machine being bootstrapped, as the controller carries
// it over: into the installer (kexec) and into the installed system
// (systemd-networkd). Taken from the running system's facts: the interface
// that holds the default route, its MAC address (names change between a
// rescue system, the installer and the installed kernel; the MAC does not),
// its global addresses, the gateways and the DNS servers. Pure code.

#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::bootstrap {

struct InterfaceAddress {
  std::string address;  // "203.0.113.10", "2001:db8::10"
  int prefix = 0;
  bool ipv6 = false;
  bool dynamic = false;  // from DHCP or router advertisements (has a lifetime)

  std::string cidr() const { return address + "/" + std::to_string(prefix); }
};

struct NetworkFacts {
  std::string interface;  // the name on the running system ("eth0", "ens3")
  std::string mac;        // "52:54:00:12:34:56", lower case
  std::vector<InterfaceAddress> addresses;
  std::string gateway4;
  std::string gateway6;
  bool gateway4_dhcp = false;  // the default route came from DHCP (protocol dhcp)
  bool gateway6_ra = false;    // ... from a router advertisement (protocol ra)
  std::vector<std::string> dns;

  bool dhcp4() const;  // an IPv4 address or the IPv4 default route came from DHCP
  bool ra6() const;    // an IPv6 address or the IPv6 default route came from an RA
};

// Parses `ip -j addr`, `ip -j -4 route show default`, `ip -j -6 route show
// default` and a resolv.conf. Every address is checked with inet_pton and
// the MAC against its syntax, because they end up in files and a shell
// script. Errors: kDataLoss for output that is not the expected JSON;
// kFailedPrecondition when no interface has a global address.
Result<NetworkFacts> parse_network(std::string_view ip_addr, std::string_view route4,
                                   std::string_view route6, std::string_view resolv_conf);

// /etc/systemd/network/50-reconcile.network for the installed system: the
// interface matched by MAC; DHCP (v4) and router advertisements (v6) when
// the running system used them, static addresses and routes otherwise. A
// gateway outside every static subnet gets GatewayOnLink (common at hosting
// providers that hand out /32s).
std::string networkd_config(const NetworkFacts& network);

// /etc/resolv.conf: the DNS servers, one `nameserver` line each.
std::string resolv_conf(const NetworkFacts& network);

// The installer's /etc/reconcile-installer/network: shell assignments read by
// its /init (tools/build-installer.d/init). Every value is shell-quoted.
// The installer has no DHCP client: the current addresses are set statically.
std::string installer_network(const NetworkFacts& network, const std::string& hostname);

// One line for people: "eth0 52:54:00:12:34:56 10.0.2.15/24 (static) gw 10.0.2.2 dns 10.0.2.3".
std::string describe_network(const NetworkFacts& network);

// True when `address` is inside `prefix`-bit network of `base` (same family).
bool in_subnet(const std::string& address, const std::string& base, int prefix);

}  // namespace reconcile::bootstrap
