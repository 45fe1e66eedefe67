// reconcile.yaml: repository-wide settings.

#include <algorithm>

#include "desired-state/field_reader.h"
#include "desired-state/names.h"
#include "desired-state/parsers.h"
#include "reconciler/base/strings.h"

namespace reconcile::state {

namespace {

std::string check_recipient(std::string_view recipient) {
  if (starts_with(recipient, "age1")) {
    bool ok = recipient.size() > 10 && std::all_of(recipient.begin(), recipient.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
              });
    if (ok) return {};
  } else if (starts_with(recipient, "ssh-ed25519 ") || starts_with(recipient, "ssh-rsa ")) {
    if (check_ssh_public_key(recipient).empty()) return {};
  }
  return "an age recipient (age1...) or an ssh-ed25519 / ssh-rsa public key";
}

std::string check_recipient_name(std::string_view name) {
  return check_secret_name(name);
}

void parse_secret_settings(const YamlNode& node, SecretSettings& out, ParseContext& ctx) {
  FieldReader reader(node, "secrets", ctx.diagnostics);
  if (const YamlNode* recipients = reader.get("recipients")) {
    for_each_entry(
        *recipients, "secrets.recipients", ctx, [&](const YamlNode& key, const YamlNode& value) {
          std::string problem = check_recipient_name(key.text());
          if (!problem.empty()) {
            ctx.diagnostics.error(key.location(), "secrets.recipients: expected " + problem +
                                                      ", got '" + key.text() + "'");
            return;
          }
          auto text = read_string(value, "secrets.recipients." + key.text(), ctx.diagnostics);
          if (!text) return;
          std::string bad = check_recipient(*text);
          if (!bad.empty()) {
            ctx.diagnostics.error(value.location(),
                                  "secrets.recipients." + key.text() + ": expected " + bad);
            return;
          }
          out.recipients[key.text()] = *text;
        });
  }
  if (const YamlNode* controller = reader.get("controller")) {
    if (auto name = read_string(*controller, "secrets.controller", ctx.diagnostics)) {
      if (out.recipients.count(*name) == 0) {
        reader.error(*controller, "controller",
                     "no recipient named '" + *name + "' in secrets.recipients");
      } else {
        out.controller = *name;
      }
    }
  }
  if (const YamlNode* access = reader.get("access")) {
    for_each_entry(*access, "secrets.access", ctx, [&](const YamlNode& key, const YamlNode& value) {
      auto names = read_strings(value, "secrets.access." + key.text(), ctx.diagnostics);
      if (!names) return;
      for (size_t i = 0; i < names->size(); ++i) {
        if (out.recipients.count((*names)[i]) == 0) {
          ctx.diagnostics.error(value.items()[i].location(),
                                "secrets.access." + key.text() + ": no recipient named '" +
                                    (*names)[i] + "' in secrets.recipients");
        }
      }
      out.access[key.text()] = *names;
    });
  }
  reader.finish();
}

}  // namespace

RepoSettings parse_settings(const YamlNode& root, ParseContext& ctx) {
  RepoSettings settings;
  FieldReader reader(root, "", ctx.diagnostics);
  if (const YamlNode* defaults = reader.get("defaults")) {
    FieldReader defaults_reader(*defaults, "defaults", ctx.diagnostics);
    if (const YamlNode* ssh = defaults_reader.get("ssh")) {
      parse_ssh_connection(*ssh, "defaults.ssh", settings.ssh_defaults, false, ctx);
    }
    defaults_reader.finish();
  }
  if (const YamlNode* secrets = reader.get("secrets")) {
    parse_secret_settings(*secrets, settings.secrets, ctx);
  }
  if (const YamlNode* rollout = reader.get("rollout")) {
    parse_rollout(*rollout, settings.rollout, ctx);
  }
  reader.finish();
  return settings;
}

}  // namespace reconcile::state
