// Network facts from iproute2's JSON, and the files made from them.

#include "reconciler/bootstrap/network.h"

#include <doctest/doctest.h>

using namespace reconcile;
using namespace reconcile::bootstrap;

namespace {

// A rescue system: eth0 set up statically (no DHCP lifetimes), a bridge
// with its own address that is not the way out.
constexpr std::string_view kRescueAddr = R"json([
 {"ifindex":1,"ifname":"lo","address":"00:00:00:00:00:00","addr_info":[
   {"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},
 {"ifindex":2,"ifname":"docker0","address":"02:42:ac:11:00:01","addr_info":[
   {"family":"inet","local":"172.17.0.1","prefixlen":16,"scope":"global"}]},
 {"ifindex":3,"ifname":"eth0","address":"52:54:00:12:34:56","addr_info":[
   {"family":"inet","local":"10.0.2.15","prefixlen":24,"scope":"global","label":"eth0",
    "valid_life_time":4294967295,"preferred_life_time":4294967295},
   {"family":"inet6","local":"fe80::5054:ff:fe12:3456","prefixlen":64,"scope":"link"}]}
])json";
constexpr std::string_view kRescueRoute4 =
    R"json([{"dst":"default","gateway":"10.0.2.2","dev":"eth0","flags":[]}])json";

// A hosting provider's /32 with an on-link gateway and static IPv6.
constexpr std::string_view kProviderAddr = R"json([
 {"ifindex":2,"ifname":"enp1s0","address":"96:00:01:AB:CD:EF","addr_info":[
   {"family":"inet","local":"203.0.113.10","prefixlen":32,"scope":"global"},
   {"family":"inet6","local":"2001:db8:1::2","prefixlen":64,"scope":"global"},
   {"family":"inet6","local":"fe80::9400:1ff:feab:cdef","prefixlen":64,"scope":"link"}]}
])json";

// A cloud machine with DHCP and SLAAC.
constexpr std::string_view kCloudAddr = R"json([
 {"ifindex":2,"ifname":"ens3","address":"fa:16:3e:00:00:01","addr_info":[
   {"family":"inet","local":"192.0.2.50","prefixlen":24,"scope":"global","dynamic":true,
    "valid_life_time":86000},
   {"family":"inet6","local":"2001:db8:2::50","prefixlen":64,"scope":"global","dynamic":true,
    "mngtmpaddr":true}]}
])json";

}  // namespace

TEST_CASE("the rescue system's static network") {
  auto facts = parse_network(kRescueAddr, kRescueRoute4, "[]",
                             "# generated\nnameserver 10.0.2.3\nsearch example\n");
  REQUIRE(facts.has_value());
  CHECK(facts->interface == "eth0");
  CHECK(facts->mac == "52:54:00:12:34:56");
  REQUIRE(facts->addresses.size() == 1);
  CHECK(facts->addresses[0].cidr() == "10.0.2.15/24");
  CHECK_FALSE(facts->dhcp4());
  CHECK(facts->gateway4 == "10.0.2.2");
  CHECK(facts->gateway6.empty());
  CHECK(facts->dns == std::vector<std::string>{"10.0.2.3"});
  CHECK(networkd_config(*facts) ==
        "# Written by reconcile bootstrap from the network of the system it was installed "
        "from.\n"
        "[Match]\nMACAddress=52:54:00:12:34:56\n\n"
        "[Network]\nDHCP=no\nIPv6AcceptRA=no\nAddress=10.0.2.15/24\nDNS=10.0.2.3\n\n"
        "[Route]\nGateway=10.0.2.2\n");
  CHECK(resolv_conf(*facts) == "# Written by reconcile bootstrap.\nnameserver 10.0.2.3\n");
  CHECK(describe_network(*facts) ==
        "eth0 52:54:00:12:34:56 10.0.2.15/24 (static), gateway 10.0.2.2, dns 10.0.2.3");
}

TEST_CASE("a /32 with an on-link gateway and static IPv6 behind a link-local router") {
  auto facts = parse_network(
      kProviderAddr, R"json([{"dst":"default","gateway":"172.31.1.1","dev":"enp1s0"}])json",
      R"json([{"dst":"default","gateway":"fe80::1","dev":"enp1s0","metric":1024}])json",
      "nameserver 185.12.64.1\nnameserver 2a01:4ff:ff00::add:1\nnameserver 185.12.64.1\n");
  REQUIRE(facts.has_value());
  CHECK(facts->mac == "96:00:01:ab:cd:ef");
  CHECK(facts->dns.size() == 2);
  std::string config = networkd_config(*facts);
  CHECK(config.find("Address=203.0.113.10/32\nAddress=2001:db8:1::2/64\n") != std::string::npos);
  CHECK(config.find("[Route]\nGateway=172.31.1.1\nGatewayOnLink=yes\n") != std::string::npos);
  CHECK(config.find("[Route]\nGateway=fe80::1\n") != std::string::npos);
  CHECK(config.find("Gateway=fe80::1\nGatewayOnLink") == std::string::npos);
  CHECK(installer_network(*facts, "web1-installer") ==
        "RI_MAC='96:00:01:ab:cd:ef'\nRI_ADDRESSES='203.0.113.10/32'\nRI_GATEWAY='172.31.1.1'\n"
        "RI_ADDRESSES6='2001:db8:1::2/64'\nRI_GATEWAY6='fe80::1'\n"
        "RI_DNS='185.12.64.1 2a01:4ff:ff00::add:1'\nRI_HOSTNAME='web1-installer'\n");
}

TEST_CASE("DHCP and router advertisements stay dynamic on the new system") {
  auto facts = parse_network(kCloudAddr,
                             R"json([{"dst":"default","gateway":"192.0.2.1","dev":"ens3",
                                 "protocol":"dhcp"}])json",
                             "[]", "nameserver 127.0.0.53\n");
  REQUIRE(facts.has_value());
  CHECK(facts->dhcp4());
  CHECK(facts->ra6());
  std::string config = networkd_config(*facts);
  CHECK(config.find("DHCP=ipv4\nIPv6AcceptRA=yes\n") != std::string::npos);
  CHECK(config.find("\nAddress=") == std::string::npos);
  CHECK(config.find("[Route]") == std::string::npos);
}

TEST_CASE("a default route from a router advertisement stays automatic") {
  // QEMU's user network: a static IPv4 address, and an IPv6 default route
  // learnt from slirp's RA (with no global IPv6 address).
  auto facts = parse_network(
      kRescueAddr, kRescueRoute4,
      R"json([{"dst":"default","gateway":"fe80::2","dev":"eth0","protocol":"ra"}])json", "");
  REQUIRE(facts.has_value());
  CHECK(facts->gateway6 == "fe80::2");
  CHECK(facts->ra6());
  CHECK_FALSE(facts->dhcp4());
  std::string config = networkd_config(*facts);
  CHECK(config.find("IPv6AcceptRA=yes\n") != std::string::npos);
  CHECK(config.find("fe80::2") == std::string::npos);
  CHECK(config.find("Gateway=10.0.2.2\n") != std::string::npos);
}

TEST_CASE("no usable interface, and output that is not iproute2's JSON") {
  auto none = parse_network(
      R"json([{"ifname":"lo","address":"00:00:00:00:00:00","addr_info":[]}])json", "[]", "[]", "");
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code() == ErrorCode::kFailedPrecondition);
  auto garbage = parse_network("Object \"addr\" is unknown", "[]", "[]", "");
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().code() == ErrorCode::kDataLoss);
  // Values that would break a file or a shell are dropped, not passed on.
  auto hostile = parse_network(
      R"json([{"ifname":"eth0","address":"52:54:00:12:34:56","addr_info":[
            {"family":"inet","local":"10.0.0.1\nDNS=6.6.6.6","prefixlen":24,"scope":"global"},
            {"family":"inet","local":"10.0.0.2","prefixlen":24,"scope":"global"}]}])json",
      R"json([{"dst":"default","gateway":"$(reboot)","dev":"eth0"}])json", "[]",
      "nameserver 1.1.1.1; rm -rf /\nnameserver 9.9.9.9\n");
  REQUIRE(hostile.has_value());
  REQUIRE(hostile->addresses.size() == 1);
  CHECK(hostile->addresses[0].address == "10.0.0.2");
  CHECK(hostile->gateway4.empty());
  CHECK(hostile->dns == std::vector<std::string>{"9.9.9.9"});
  auto bad_mac = parse_network(R"json([{"ifname":"eth0","address":"x';reboot;'","addr_info":[
      {"family":"inet","local":"10.0.0.2","prefixlen":24,"scope":"global"}]}])json",
                               "[]", "[]", "");
  CHECK_FALSE(bad_mac.has_value());
}

TEST_CASE("subnet membership") {
  CHECK(in_subnet("10.0.2.2", "10.0.2.15", 24));
  CHECK_FALSE(in_subnet("10.0.3.2", "10.0.2.15", 24));
  CHECK_FALSE(in_subnet("172.31.1.1", "203.0.113.10", 32));
  CHECK(in_subnet("2001:db8:1::1", "2001:db8:1::2", 64));
  CHECK_FALSE(in_subnet("10.0.2.2", "2001:db8::1", 0));
  CHECK(in_subnet("1.2.3.4", "5.6.7.8", 0));
}
