// Who a secret is encrypted to: reconcile.yaml's recipients, access and
// controller, and the age_recipient of the hosts that use it.

#include "secrets/recipients.h"

#include <doctest/doctest.h>

#include "desired-state/loader.h"
#include "desired-state/memory_source.h"
#include "reconciler/secret_loading.h"

using namespace reconcile;
using namespace reconcile::secrets;

namespace {

const char* kAlice = "age1um4lwd6fnfr7njv33pa5l84fr70vkl6sfdpgrcahyrmlm3htredsu0thrp";
const char* kController = "age1dn3lj54q9nal0t9htcqgdrr4dmwmak0y6yx25tlqmgkn62649a0qlnlr3k";
const char* kBob =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRUIok6nlT3Ru0WFAvyBO0HgTyBI4cKM0k8/zEKce+L bob";
const char* kWeb1 = "age1a8k02z579lr0qr79pjhlneffjw3dvy3a8j5r4fw3zlphd6cyaslqvsv3p8";

RecipientPolicy policy() {
  RecipientPolicy p;
  p.recipients = {{"alice", kAlice}, {"bob", kBob}, {"controller", kController}};
  p.controller = "controller";
  p.access = {{"db-password", {"bob"}}, {"alice-only", {"alice"}}};
  p.hosts = {{"web1", std::string(kWeb1), {"db-password", "token"}},
             {"web2", std::nullopt, {"token"}},
             {"backup1", std::string(kAlice), {"token"}}};
  return p;
}

std::vector<std::string> names(const std::vector<ResolvedRecipient>& recipients) {
  std::vector<std::string> out;
  for (const auto& r : recipients)
    out.push_back(r.name);
  return out;
}

}  // namespace

TEST_CASE("recipients: every declared recipient unless access narrows it") {
  auto unused = resolve_recipients(policy(), "notes");
  CHECK(names(unused) == std::vector<std::string>{"alice", "bob", "controller"});
  CHECK(unused[0].reasons == std::vector<std::string>{"all recipients"});
  // No host uses it, so the controller is there only as one of "all".
  CHECK(hosts_using(policy(), "notes").empty());
}

TEST_CASE("recipients: access narrows; the controller joins when a host uses it") {
  auto narrowed = resolve_recipients(policy(), "db-password");
  CHECK(names(narrowed) == std::vector<std::string>{"bob", "controller", "host web1"});
  CHECK(narrowed[0].reasons == std::vector<std::string>{"access"});
  CHECK(narrowed[1].reasons == std::vector<std::string>{"controller"});
  CHECK(narrowed[2].key == kWeb1);
  CHECK(narrowed[2].reasons == std::vector<std::string>{"age_recipient"});

  // Narrowed and used by no host: exactly the access list.
  CHECK(names(resolve_recipients(policy(), "alice-only")) == std::vector<std::string>{"alice"});
}

TEST_CASE("recipients: hosts add their own key; a key listed twice appears once") {
  auto token = resolve_recipients(policy(), "token");
  // backup1's age_recipient is alice's key: one entry, both reasons.
  CHECK(names(token) == std::vector<std::string>{"alice", "bob", "controller", "host web1"});
  CHECK(token[0].reasons ==
        std::vector<std::string>{"all recipients", "also host backup1", "age_recipient"});
  CHECK(token[2].reasons == std::vector<std::string>{"all recipients", "controller"});
  CHECK(hosts_using(policy(), "token") == std::vector<std::string>{"backup1", "web1", "web2"});
}

TEST_CASE("recipients: nothing declared means nobody") {
  RecipientPolicy empty;
  CHECK(resolve_recipients(empty, "x").empty());
  empty.hosts = {{"web1", std::string(kWeb1), {"x"}}};
  CHECK(names(resolve_recipients(empty, "x")) == std::vector<std::string>{"host web1"});
}

TEST_CASE("recipients: secret names and source paths") {
  CHECK(secret_name_of_source("secrets/db.age") == "db");
  CHECK(secret_name_of_source("secrets/app/db.age") == "app/db");
  CHECK_FALSE(secret_name_of_source("secrets/.age"));
  CHECK_FALSE(secret_name_of_source("files/db.age"));
  CHECK_FALSE(secret_name_of_source("secrets/db.txt"));
  CHECK_FALSE(secret_name_of_source("secrets/../x.age"));
  CHECK(source_of_secret("db") == "secrets/db.age");
  for (const char* good : {"db", "db-password", "a.b_c", "app/db", "0"})
    CHECK_MESSAGE(check_secret_name(good).empty(), good);
  for (const char* bad : {"", ".hidden", "-x", "a//b", "a/", "/a", "..", "a/../b", "a b", "a\nb"})
    CHECK_MESSAGE(!check_secret_name(bad).empty(), bad);
  CHECK_FALSE(check_secret_name(std::string(201, 'a')).empty());
}

TEST_CASE("recipients: the policy from a loaded repository") {
  state::MemorySource source({
      {"reconcile.yaml", std::string("secrets:\n  recipients:\n    alice: ") + kAlice +
                             "\n    controller: " + kController +
                             "\n  controller: controller\n  access:\n    db: [alice]\n"},
      {"hosts/web1.yaml", std::string("age_recipient: ") + kWeb1 +
                              "\nsecrets:\n  db: {}\n  token: { source: secrets/api/token.age }\n"},
      {"hosts/web2.yaml", "secrets:\n  token: { source: secrets/api/token.age }\n"},
      {"secrets/db.age", "x"},
      {"secrets/api/token.age", "x"},
  });
  state::LoadResult loaded = state::load_repo(source);
  for (const auto& d : loaded.diagnostics.items())
    MESSAGE(d.to_string());
  REQUIRE(loaded.ok());
  RecipientPolicy p = recipient_policy(loaded.repo);
  CHECK(names(resolve_recipients(p, "db")) ==
        std::vector<std::string>{"alice", "controller", "host web1"});
  CHECK(names(resolve_recipients(p, "api/token")) ==
        std::vector<std::string>{"alice", "controller", "host web1"});
  CHECK(hosts_using(p, "api/token") == std::vector<std::string>{"web1", "web2"});

  std::vector<const state::Host*> hosts;
  for (const auto& host : loaded.repo.hosts)
    hosts.push_back(&host);
  auto sources = secret_sources(hosts);
  CHECK(sources["secrets/db.age"] == std::vector<std::string>{"web1"});
  CHECK(sources["secrets/api/token.age"] == std::vector<std::string>{"web1", "web2"});
}
