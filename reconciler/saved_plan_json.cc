// The saved plan as JSON and back. Reading treats the document as hostile
// even after its signature checked out (a key can leak): every field is
// type-checked and a wrong one is reported with its path in the document
// ("hosts[0].changes[2].script: expected a string"). Scripts and input are
// bytes: valid UTF-8 is stored as a string a reviewer can read, anything
// else as {"base64": ...}.

#include <sodium.h>

#include "reconciler/saved_plan.h"

namespace reconcile {

namespace {

using nlohmann::json;

// --- writing ---------------------------------------------------------------

json bytes_json(const std::string& bytes) {
  try {
    (void)json(bytes).dump();  // throws on invalid UTF-8
    return bytes;
  } catch (const json::exception&) {
    std::string encoded(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL),
                        '\0');
    sodium_bin2base64(encoded.data(), encoded.size(),
                      reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    encoded.resize(encoded.size() - 1);
    return {{"base64", encoded}};
  }
}

json stored_bytes(const std::string& bytes, const std::optional<std::string>& withheld) {
  if (withheld) return {{"withheld", *withheld}};
  return bytes_json(bytes);
}

json change_json(const SavedChange& saved) {
  const modules::Change& change = saved.change;
  json fields = json::array();
  for (const auto& field : change.fields) {
    fields.push_back({{"name", field.name},
                      {"before", field.sensitive ? "(sensitive)" : field.before},
                      {"after", field.sensitive ? "(sensitive)" : field.after},
                      {"sensitive", field.sensitive}});
  }
  json secret = nullptr;
  if (saved.secret) {
    secret = {{"name", saved.secret->name},
              {"source", saved.secret->source},
              {"digest", saved.secret->digest}};
  }
  return {{"module", change.module},
          {"resource", change.resource},
          {"key", change.key},
          {"action", modules::action_name(change.action)},
          {"phase", modules::phase_name(change.phase)},
          {"destructive", change.destructive},
          {"guarded", change.guarded},
          {"sensitive", change.sensitive},
          {"reason", change.reason},
          {"fields", fields},
          {"requires", change.requires_keys},
          {"triggered_by", change.triggered_by},
          {"script", stored_bytes(change.script, saved.withheld_script)},
          {"input", stored_bytes(change.input, saved.withheld_input)},
          {"secret_input", secret}};
}

json host_json(const SavedHost& host) {
  json changes = json::array();
  json summary = {{"create", 0}, {"update", 0}, {"remove", 0}, {"destructive", 0}};
  for (const auto& saved : host.changes) {
    changes.push_back(change_json(saved));
    summary[modules::action_name(saved.change.action)] =
        summary[modules::action_name(saved.change.action)].get<int>() + 1;
    if (saved.change.destructive) summary["destructive"] = summary["destructive"].get<int>() + 1;
  }
  return {{"name", host.name},
          {"address", host.address},
          {"planned", host.planned},
          {"status", host.status},
          {"error", host.error.empty() ? json() : json(host.error)},
          {"facts_hash", host.facts_hash},
          {"facts", host.facts},
          {"summary", summary},
          {"changes", changes}};
}

// --- reading ---------------------------------------------------------------

// Typed access to one JSON object with its path for error messages.
class Reader {
 public:
  Reader(const json& object, std::string path) : m_object(object), m_path(std::move(path)) {}

  Result<const json*> value(const std::string& name) const {
    if (!m_object.is_object()) return invalid(m_path, "expected an object");
    auto it = m_object.find(name);
    if (it == m_object.end()) return invalid(at(name), "missing");
    return &*it;
  }
  Result<const json*> field(const std::string& name, json::value_t type,
                            const char* type_name) const {
    const json* it = TRY(value(name));
    if (it->type() != type &&
        !(type == json::value_t::number_integer && it->is_number_unsigned())) {
      return invalid(at(name), std::string("expected ") + type_name);
    }
    return it;
  }
  Result<std::string> string(const std::string& name) const {
    return TRY(field(name, json::value_t::string, "a string"))->get<std::string>();
  }
  Result<bool> boolean(const std::string& name) const {
    return TRY(field(name, json::value_t::boolean, "true or false"))->get<bool>();
  }
  Result<std::string> string_or_null(const std::string& name) const {
    if (m_object.is_object() && m_object.contains(name) && m_object[name].is_null())
      return std::string();
    return string(name);
  }
  Result<std::vector<std::string>> strings(const std::string& name) const {
    const json* list = TRY(field(name, json::value_t::array, "an array"));
    std::vector<std::string> out;
    for (size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_string()) return invalid(at(name, i), "expected a string");
      out.push_back((*list)[i].get<std::string>());
    }
    return out;
  }
  std::string at(const std::string& name) const {
    return m_path.empty() ? name : m_path + "." + name;
  }
  std::string at(const std::string& name, size_t index) const {
    return at(name) + "[" + std::to_string(index) + "]";
  }

  static Error invalid(const std::string& path, const std::string& message) {
    return invalid_argument(path + ": " + message);
  }

 private:
  const json& m_object;
  std::string m_path;
};

Result<std::string> decode_base64(const std::string& text, const std::string& path) {
  std::string bytes(text.size() / 4 * 3 + 3, '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Reader::invalid(path, "invalid base64");
  }
  bytes.resize(length);
  return bytes;
}

// Reads "script"/"input": a string, {"base64": ...} or {"withheld": digest}.
Status read_stored_bytes(const Reader& reader, const std::string& name, std::string& bytes,
                         std::optional<std::string>& withheld) {
  const json* value = TRY(reader.value(name));
  if (value->is_string()) {
    bytes = value->get<std::string>();
    return ok();
  }
  Reader inner(*value, reader.at(name));
  if (value->is_object() && value->contains("base64")) {
    bytes = TRY(decode_base64(TRY(inner.string("base64")), inner.at("base64")));
  } else if (value->is_object() && value->contains("withheld")) {
    withheld = TRY(inner.string("withheld"));
  } else {
    return Reader::invalid(reader.at(name),
                           "expected a string, {\"base64\": ...} or {\"withheld\": ...}");
  }
  return ok();
}

Result<modules::Action> action_from(const std::string& name, const std::string& path) {
  for (auto action :
       {modules::Action::kCreate, modules::Action::kUpdate, modules::Action::kRemove}) {
    if (name == modules::action_name(action)) return action;
  }
  return Reader::invalid(path, "unknown action '" + name + "'");
}

Result<modules::Phase> phase_from(const std::string& name, const std::string& path) {
  for (int i = 0; i <= static_cast<int>(modules::Phase::kSecurity); ++i) {
    auto phase = static_cast<modules::Phase>(i);
    if (name == modules::phase_name(phase)) return phase;
  }
  return Reader::invalid(path, "unknown phase '" + name + "'");
}

Result<std::vector<modules::FieldChange>> fields_from(const json& list, const std::string& path) {
  std::vector<modules::FieldChange> fields;
  for (size_t i = 0; i < list.size(); ++i) {
    Reader field(list[i], path + "[" + std::to_string(i) + "]");
    fields.push_back({TRY(field.string("name")), TRY(field.string("before")),
                      TRY(field.string("after")), TRY(field.boolean("sensitive"))});
  }
  return fields;
}

Result<SavedChange> change_from(const Reader& reader) {
  SavedChange saved;
  modules::Change& change = saved.change;
  change.module = TRY(reader.string("module"));
  change.resource = TRY(reader.string("resource"));
  change.key = TRY(reader.string("key"));
  change.action = TRY(action_from(TRY(reader.string("action")), reader.at("action")));
  change.phase = TRY(phase_from(TRY(reader.string("phase")), reader.at("phase")));
  change.destructive = TRY(reader.boolean("destructive"));
  change.guarded = TRY(reader.boolean("guarded"));
  change.sensitive = TRY(reader.boolean("sensitive"));
  change.reason = TRY(reader.string("reason"));
  const json* fields = TRY(reader.field("fields", json::value_t::array, "an array"));
  change.fields = TRY(fields_from(*fields, reader.at("fields")));
  change.requires_keys = TRY(reader.strings("requires"));
  change.triggered_by = TRY(reader.strings("triggered_by"));
  TRY(read_stored_bytes(reader, "script", change.script, saved.withheld_script));
  TRY(read_stored_bytes(reader, "input", change.input, saved.withheld_input));
  const json* secret = TRY(reader.value("secret_input"));
  if (!secret->is_null() && !secret->is_object()) {
    return Reader::invalid(reader.at("secret_input"), "expected an object or null");
  }
  if (secret->is_object()) {
    Reader inner(*secret, reader.at("secret_input"));
    saved.secret = SecretReference{TRY(inner.string("name")), TRY(inner.string("source")),
                                   TRY(inner.string("digest"))};
  }
  return saved;
}

Result<SavedHost> host_from(const Reader& reader) {
  SavedHost host;
  host.name = TRY(reader.string("name"));
  host.address = TRY(reader.string("address"));
  host.planned = TRY(reader.boolean("planned"));
  host.status = TRY(reader.string("status"));
  host.error = TRY(reader.string_or_null("error"));
  host.facts_hash = TRY(reader.string("facts_hash"));
  const json* facts = TRY(reader.field("facts", json::value_t::object, "an object"));
  for (const auto& [key, digest] : facts->items()) {
    if (!digest.is_string())
      return Reader::invalid(reader.at("facts") + "." + key, "expected a string");
    host.facts[key] = digest.get<std::string>();
  }
  const json* changes = TRY(reader.field("changes", json::value_t::array, "an array"));
  for (size_t i = 0; i < changes->size(); ++i) {
    host.changes.push_back(TRY(change_from(Reader((*changes)[i], reader.at("changes", i)))));
  }
  return host;
}

}  // namespace

nlohmann::json saved_plan_json(const SavedPlan& plan) {
  json hosts = json::array();
  for (const auto& host : plan.hosts)
    hosts.push_back(host_json(host));
  return {{"format_version", kSavedPlanFormatVersion},
          {"kind", "saved_plan"},
          {"created_at", plan.created_at},
          {"reconcile_version", plan.reconcile_version},
          {"repo",
           {{"identity", plan.repo_identity}, {"origin", plan.origin}, {"commit", plan.commit}}},
          {"key_id", plan.key_id},
          {"host_globs", plan.host_globs},
          {"hosts", hosts}};
}

Result<SavedPlan> saved_plan_from_json(const nlohmann::json& document) {
  Reader reader(document, "");
  SavedPlan plan;
  plan.created_at = TRY(reader.string("created_at"));
  TRY_CONTEXT("created_at", parse_utc(plan.created_at));
  plan.reconcile_version = TRY(reader.string("reconcile_version"));
  Reader repo(*TRY(reader.field("repo", json::value_t::object, "an object")), "repo");
  plan.repo_identity = TRY(repo.string("identity"));
  plan.origin = TRY(repo.string("origin"));
  plan.commit = TRY(repo.string("commit"));
  plan.key_id = TRY(reader.string("key_id"));
  plan.host_globs = TRY(reader.strings("host_globs"));
  const json* hosts = TRY(reader.field("hosts", json::value_t::array, "an array"));
  for (size_t i = 0; i < hosts->size(); ++i) {
    SavedHost host = TRY(host_from(Reader((*hosts)[i], reader.at("hosts", i))));
    if (plan.find_host(host.name) != nullptr) {
      return Reader::invalid(reader.at("hosts", i), "host " + host.name + " appears twice");
    }
    plan.hosts.push_back(std::move(host));
  }
  return plan;
}

}  // namespace reconcile
