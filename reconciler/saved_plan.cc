// Making, signing and checking saved plans. The signature is an HMAC over
// the canonical form of the document without its "hmac" field: nlohmann's
// compact dump, whose object keys are sorted and whose numbers are all
// integers, so parsing and dumping again gives the same bytes. The MAC is
// checked over what was parsed, never over the file's bytes, so what is
// verified is exactly what is used.

#include "reconciler/saved_plan.h"

#include <algorithm>
#include <ctime>

namespace reconcile {

namespace {

using nlohmann::json;

std::string canonical(const json& document) {
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The declared secret a change streams, by its key "secret:NAME".
SecretReference secret_reference(const state::Host& host, const modules::Change& change) {
  for (const auto& secret : host.secrets) {
    if (change.key == "secret:" + secret.name) return {secret.name, secret.source, {}};
  }
  return {change.key, {}, {}};
}

Result<SavedChange> save_change(const state::Host& host, const modules::Change& change,
                                const PlanKey& key) {
  SavedChange saved;
  saved.change = change;
  saved.change.secret_input.reset();
  if (change.secret_input) {
    if (change.key.empty()) {
      return invalid_argument(host.name + ": " + change.resource +
                              " streams secret bytes but has no key to find them again by");
    }
    saved.secret = secret_reference(host, change);
    saved.secret->digest = key.secret_digest(change.secret_input->view());
  }
  if (change.sensitive) {
    saved.withheld_script = key.secret_digest(change.script);
    saved.withheld_input = key.secret_digest(change.input);
    saved.change.script.clear();
    saved.change.input.clear();
  }
  return saved;
}

std::string span_text(int64_t seconds) {
  int64_t hours = seconds / 3600;
  int64_t minutes = seconds % 3600 / 60;
  if (hours > 0) return std::to_string(hours) + "h " + std::to_string(minutes) + "m";
  if (minutes > 0) return std::to_string(minutes) + "m " + std::to_string(seconds % 60) + "s";
  return std::to_string(seconds) + "s";
}

// The deepest nesting of arrays and objects, outside strings. A saved plan
// nests six deep; a hostile file nested a million deep must be refused
// before anything recurses over it.
size_t nesting_depth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<json> parse_document(std::string_view text, const std::string& file_name) {
  if (nesting_depth(text) > 32) {
    return invalid_argument(file_name + ": not a saved plan (nested too deeply)");
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    size_t detail = what.find(": syntax error");
    what = detail == std::string::npos ? what : what.substr(detail + 2);
    return invalid_argument(file_name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                            ": " + what);
  }
}

Status check_kind(const json& document, const std::string& file_name) {
  if (!document.is_object()) return invalid_argument(file_name + ": not a saved plan");
  std::string kind;
  if (auto it = document.find("kind"); it != document.end() && it->is_string()) kind = *it;
  if (kind == "plan" || kind == "apply") {
    return invalid_argument(file_name + ": this is a " + kind +
                            " report, not a saved plan; make one with "
                            "`reconcile --dry-run --out FILE`");
  }
  if (kind != "saved_plan") return invalid_argument(file_name + ": not a saved plan");
  json version = document.value("format_version", json());
  if (!version.is_number_integer()) {
    return invalid_argument(file_name + ": format_version is missing or not a number");
  }
  if (version.get<int64_t>() > kSavedPlanFormatVersion) {
    return failed_precondition(file_name + ": made by a newer reconcile (format version " +
                               version.dump() + "; this one reads version " +
                               std::to_string(kSavedPlanFormatVersion) + ")");
  }
  if (version.get<int64_t>() != kSavedPlanFormatVersion) {
    return invalid_argument(file_name + ": unknown format version " + version.dump());
  }
  return ok();
}

}  // namespace

const SavedHost* SavedPlan::find_host(const std::string& name) const {
  for (const auto& host : hosts) {
    if (host.name == name) return &host;
  }
  return nullptr;
}

std::string format_utc(int64_t unix_seconds) {
  time_t seconds = static_cast<time_t>(unix_seconds);
  struct tm parts {};
  gmtime_r(&seconds, &parts);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

Result<int64_t> parse_utc(const std::string& text) {
  struct tm parts {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  if (end == nullptr || *end != '\0') {
    return invalid_argument("'" + text + "' is not a UTC time like 2024-05-01T12:00:00Z");
  }
  int64_t seconds = timegm(&parts);
  if (format_utc(seconds) != text) {
    return invalid_argument("'" + text + "' is not a UTC time like 2024-05-01T12:00:00Z");
  }
  return seconds;
}

Result<SavedPlan> make_saved_plan(const state::Repo& repo, const std::string& repo_identity,
                                  const std::vector<const state::Host*>& hosts,
                                  const std::vector<HostReport>& reports, const PlanKey& key,
                                  int64_t now, const secrets::SecretStore* secrets) {
  SavedPlan plan;
  plan.created_at = format_utc(now);
  plan.reconcile_version = RECONCILE_VERSION;
  plan.repo_identity = repo_identity;
  plan.origin = repo.origin;
  plan.commit = repo.commit;
  plan.key_id = key.id();
  for (size_t i = 0; i < hosts.size() && i < reports.size(); ++i) {
    const HostReport& report = reports[i];
    SavedHost saved;
    saved.name = report.name;
    saved.address = report.address;
    saved.status = host_status_name(report.status);
    saved.planned =
        report.status == HostStatus::kConverged || report.status == HostStatus::kChangesPending;
    if (saved.planned) {
      saved.facts = digest_facts(relevant_facts(*hosts[i], report.facts, secrets));
      saved.facts_hash = facts_hash(saved.facts);
      for (const auto& change : report.plan)
        saved.changes.push_back(TRY(save_change(*hosts[i], change, key)));
    } else {
      saved.error = report.error.empty() ? saved.status : report.error;
    }
    plan.hosts.push_back(std::move(saved));
  }
  return plan;
}

std::string write_saved_plan(const SavedPlan& plan, const PlanKey& key) {
  // Through text and back once, so that the document holds exactly what a
  // reader will parse (invalid UTF-8 in host-reported text is replaced).
  json document = json::parse(canonical(saved_plan_json(plan)));
  document["hmac"] = key.mac(canonical(document));
  return document.dump(2) + "\n";
}

Result<SavedPlan> read_saved_plan(std::string_view text, const std::string& file_name,
                                  const PlanKey& key) {
  json document = TRY(parse_document(text, file_name));
  TRY(check_kind(document, file_name));
  json key_id = document.value("key_id", json());
  if (!key_id.is_string() || key_id.get<std::string>() != key.id()) {
    return permission_denied(file_name + " was signed with another plan key (key id " +
                             (key_id.is_string() ? key_id.get<std::string>() : "missing") +
                             ", this controller's is " + key.id() + ")");
  }
  json mac = document.value("hmac", json());
  std::string mac_text = mac.is_string() ? mac.get<std::string>() : "";
  document.erase("hmac");
  if (!key.verify(canonical(document), mac_text)) {
    return data_loss(file_name +
                     " was modified after it was made (its HMAC does not match); "
                     "a plan can only be applied as it was reviewed");
  }
  return TRY_CONTEXT(file_name, saved_plan_from_json(document));
}

Status check_plan_age(const SavedPlan& plan, int64_t now, int64_t max_age_seconds) {
  int64_t created = TRY(parse_utc(plan.created_at));
  if (created > now + 300) {
    return failed_precondition("the plan was made at " + plan.created_at +
                               ", in the future: check this machine's clock");
  }
  if (now - created > max_age_seconds) {
    return failed_precondition("the plan was made at " + plan.created_at + ", " +
                               span_text(now - created) + " ago, which is older than --max-age " +
                               span_text(max_age_seconds) + "; make a new plan");
  }
  return ok();
}

Result<int64_t> parse_duration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0 || digits > 9 || text.size() != digits + 1) {
    return invalid_argument("'" + text + "' is not a duration like 24h, 90m, 3600s or 7d");
  }
  int64_t number = std::stoll(text.substr(0, digits));
  switch (text.back()) {
    case 's':
      return number;
    case 'm':
      return number * 60;
    case 'h':
      return number * 3600;
    case 'd':
      return number * 86400;
  }
  return invalid_argument("'" + text + "' is not a duration like 24h, 90m, 3600s or 7d");
}

}  // namespace reconcile
