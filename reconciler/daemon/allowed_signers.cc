// The allowed-signers parser works on one line at a time: split it into
// whitespace-separated fields (double quotes protect spaces and commas),
// then read principals, the optional option list, and the key. Every error
// names the line and the column of the field at fault.

#include "reconciler/daemon/allowed_signers.h"

#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>

#include "reconciler/base/strings.h"

namespace reconcile::daemon {

namespace {

struct Field {
  std::string text;
  int column = 0;  // 1-based
};

// Splits on unquoted whitespace. Quotes stay in the text. nullopt when a
// quote is not closed.
std::optional<std::vector<Field>> split_fields(std::string_view line) {
  std::vector<Field> fields;
  bool quoted = false;
  bool in_field = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (!quoted && (c == ' ' || c == '\t')) {
      in_field = false;
      continue;
    }
    if (!in_field) {
      fields.push_back({"", static_cast<int>(i) + 1});
      in_field = true;
    }
    if (c == '"') quoted = !quoted;
    fields.back().text += c;
  }
  if (quoted) return std::nullopt;
  return fields;
}

// Splits an option list on commas outside double quotes.
std::vector<std::string> split_options(std::string_view text) {
  std::vector<std::string> options(1);
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      options.emplace_back();
    } else {
      options.back() += c;
    }
  }
  return options;
}

std::string unquote(std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    return std::string(text.substr(1, text.size() - 2));
  }
  return std::string(text);
}

bool looks_like_key_type(std::string_view text) {
  return starts_with(text, "ssh-") || starts_with(text, "ecdsa-sha2-") ||
         starts_with(text, "sk-ssh-") || starts_with(text, "sk-ecdsa-") ||
         starts_with(text, "rsa-sha2-");
}

// OpenSSH pattern lists: `*` and `?` wildcards, `!` negates.
bool pattern_list_matches(const std::vector<std::string>& patterns, std::string_view value) {
  bool allowed = false;
  for (const auto& pattern : patterns) {
    if (!pattern.empty() && pattern[0] == '!') {
      if (glob_match(std::string_view(pattern).substr(1), value)) return false;
    } else if (glob_match(pattern, value)) {
      allowed = true;
    }
  }
  return allowed;
}

Error line_error(const std::string& file, int line, int column, const std::string& message) {
  return invalid_argument(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                          message);
}

Status parse_option(const std::string& option, AllowedSigner& signer, const std::string& file,
                    int line, int column) {
  size_t equals = option.find('=');
  std::string name = option.substr(0, equals);
  std::string value = equals == std::string::npos ? "" : unquote(option.substr(equals + 1));
  std::string lower;
  for (char c : name)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "cert-authority" && equals == std::string::npos) {
    signer.cert_authority = true;
  } else if (lower == "namespaces" && equals != std::string::npos) {
    signer.namespaces = split(value, ',');
  } else if ((lower == "valid-after" || lower == "valid-before") && equals != std::string::npos) {
    auto time = parse_signer_time(value);
    if (!time) {
      return line_error(file, line, column,
                        "bad time '" + value + "' in " + lower +
                            " (expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optional Z)");
    }
    (lower == "valid-after" ? signer.valid_after : signer.valid_before) = *time;
  } else {
    return line_error(file, line, column,
                      "unknown option '" + name +
                          "' (expected namespaces=, valid-after=, valid-before= or "
                          "cert-authority)");
  }
  return ok();
}

Result<AllowedSigner> parse_line(const std::vector<Field>& fields, const std::string& file,
                                 int line) {
  AllowedSigner signer;
  signer.line = line;
  if (fields.size() < 3) {
    return line_error(file, line, fields.empty() ? 1 : fields.back().column,
                      "expected: principals [options] keytype base64-key");
  }
  for (const auto& item : split_options(fields[0].text)) {
    std::string principal = unquote(item);
    if (principal.empty()) return line_error(file, line, fields[0].column, "empty principal");
    signer.principals.push_back(principal);
  }
  size_t next = 1;
  if (!looks_like_key_type(fields[1].text)) {
    for (const auto& option : split_options(fields[1].text)) {
      TRY(parse_option(option, signer, file, line, fields[1].column));
    }
    next = 2;
  }
  if (fields.size() < next + 2) {
    return line_error(file, line, fields.back().column, "expected a key type and a base64 key");
  }
  auto key = transport::parse_public_key(fields[next].text + " " + fields[next + 1].text);
  if (!key) return line_error(file, line, fields[next].column, key.error().message());
  signer.key = std::move(*key);
  return signer;
}

}  // namespace

std::optional<int64_t> parse_signer_time(std::string_view text) {
  bool utc = !text.empty() && (text.back() == 'Z' || text.back() == 'z');
  if (utc) text.remove_suffix(1);
  if (text.size() != 8 && text.size() != 12 && text.size() != 14) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto number = [&](size_t at, size_t count) {
    return std::stoi(std::string(text.substr(at, count)));
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(4, 2) - 1;
  tm.tm_mday = number(6, 2);
  if (text.size() >= 12) {
    tm.tm_hour = number(8, 2);
    tm.tm_min = number(10, 2);
  }
  if (text.size() == 14) tm.tm_sec = number(12, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_isdst = -1;
  time_t seconds = utc ? timegm(&tm) : mktime(&tm);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(seconds);
}

Result<AllowedSigners> AllowedSigners::parse(std::string_view text, const std::string& file_name) {
  AllowedSigners result;
  int line_number = 0;
  for (const auto& raw : split(text, '\n')) {
    ++line_number;
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view content = trim(line);
    if (content.empty() || content[0] == '#') continue;
    if (line.find('\0') != std::string_view::npos) {
      return line_error(file_name, line_number, 1, "NUL byte in line");
    }
    auto fields = split_fields(line);
    if (!fields) return line_error(file_name, line_number, 1, "unterminated double quote");
    result.m_signers.push_back(TRY(parse_line(*fields, file_name, line_number)));
  }
  return result;
}

Result<AllowedSigners> AllowedSigners::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failed_precondition(path + ": cannot read the allowed signers file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Result<std::string> AllowedSigners::find(const transport::PublicKey& key,
                                         std::string_view name_space, int64_t at) const {
  std::string reason;
  for (const auto& signer : m_signers) {
    if (signer.cert_authority || signer.key != key) continue;
    std::string principals = join(signer.principals, ",");
    if (!signer.namespaces.empty() && !pattern_list_matches(signer.namespaces, name_space)) {
      reason = "key of " + principals + " is not allowed to sign in namespace '" +
               std::string(name_space) + "'";
    } else if (signer.valid_after && at < *signer.valid_after) {
      reason = "key of " + principals + " is not yet valid at the commit time";
    } else if (signer.valid_before && at > *signer.valid_before) {
      reason = "key of " + principals + " expired before the commit time";
    } else {
      return principals;
    }
  }
  if (reason.empty()) {
    reason = "key " + transport::fingerprint_sha256(key.blob) + " is not an allowed signer";
  }
  return unauthenticated(reason);
}

}  // namespace reconcile::daemon
