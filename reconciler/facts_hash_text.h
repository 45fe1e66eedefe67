#pragma once

// Internal to the relevant-facts collectors (facts_hash*.cc): the canonical
// text of one fact, and the collectors that live in files of their own.

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "reconciler/base/strings.h"
#include "reconciler/facts_hash.h"

namespace reconcile {

// Builds the canonical text of one fact: "name=value" lines, with '\' and
// newlines escaped so that no value can imitate another line.
class FactText {
 public:
  FactText& add(const std::string& name, const std::string& value) {
    m_text += name + "=";
    for (char c : value) {
      if (c == '\\') {
        m_text += "\\\\";
      } else if (c == '\n') {
        m_text += "\\n";
      } else {
        m_text += c;
      }
    }
    m_text += "\n";
    return *this;
  }
  FactText& maybe(const std::string& name, const std::optional<std::string>& value) {
    return add(name, value ? "value " + *value : std::string("unset"));
  }
  FactText& flag(const std::string& name, bool value) {
    return add(name, std::string(value ? "yes" : "no"));
  }
  FactText& number(const std::string& name, uint32_t value) {
    return add(name, std::to_string(value));
  }
  std::string text() const { return m_text; }

 private:
  std::string m_text;
};

// The disk module's relevant facts (facts_hash_disk.cc).
void collect_disk(const state::Host& host, const modules::HostFacts& facts,
                  const secrets::SecretStore* store, RelevantFacts& out);
// The secrets module's relevant facts (facts_hash_secrets.cc).
void collect_secrets(const state::Host& host, const modules::HostFacts& facts,
                     const secrets::SecretStore* store, RelevantFacts& out);

// The fail2ban and auto_updates modules' relevant facts (facts_hash_fail2ban.cc).
void collect_fail2ban(const state::Host& host, const modules::HostFacts& facts,
                      const secrets::SecretStore* store, RelevantFacts& out);
void collect_auto_updates(const state::Host& host, const modules::HostFacts& facts,
                          const secrets::SecretStore* store, RelevantFacts& out);

}  // namespace reconcile
