// The `os:` section: which operating system `reconcile bootstrap` installs.
// Small on purpose: a family (only debian is installed today) and a release
// code name, which reaches debootstrap and the image cache key.

#include <algorithm>

#include "desired-state/field_reader.h"
#include "desired-state/parsers.h"

namespace reconcile::state {

namespace {

// A Debian code name: lower-case letters, digits and '-' (bookworm, trixie,
// sid). Kept strict because it names a cache file and a debootstrap suite.
std::string check_release(std::string_view release) {
  bool ok = !release.empty() && release.size() <= 32 && release[0] >= 'a' && release[0] <= 'z' &&
            std::all_of(release.begin(), release.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            });
  if (!ok) return "a Debian release code name such as bookworm";
  return {};
}

}  // namespace

void parse_os(const YamlNode& node, Host& host, ParseContext& ctx) {
  FieldReader reader(node, "os", ctx.diagnostics);
  OsSpec os;
  if (auto family = reader.choice("family", {"debian"})) os.family = *family;
  if (auto release = reader.checked("release", check_release)) os.release = *release;
  reader.finish();
  host.os = std::move(os);
}

}  // namespace reconcile::state
