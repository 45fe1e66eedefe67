// secrets: decrypted secrets delivered into /run/secrets/NAME on a tmpfs of
// its own. The controller decrypts them in memory (secrets/store.h); a
// change streams the plaintext from its SecureBuffer into a temporary file
// whose owner, group and mode are set before the first byte, then renamed.
//
// Drift without revealing anything: the host reports, for every entry of
// /run/secrets, its owner, group, mode and a keyed hash of its content,
// HMAC-SHA256 under a key that the probe script carries. A plain SHA-256
// of a low-entropy secret (a short password, a PIN) would let anyone who
// sees the facts test guesses offline; without the key they cannot. The
// key is derived per host from 32 random bytes drawn once per controller
// process and never written anywhere, so facts kept from one run tell
// nothing to whoever lacks that process's memory. The HMAC is computed on
// the host with sha256sum alone (ipad/opad precomputed here, the inner
// digest turned back into bytes with shell arithmetic), so it needs
// nothing beyond coreutils.
//
// A host with a `secrets:` section owns /run/secrets: entries it does not
// declare are removed. A host without one is left alone there. The diff is
// in secrets_diff.cc.

#include <sodium.h>

#include <algorithm>

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "secrets/hkdf.h"
#include "secrets/sodium_init.h"
#include "secrets/store.h"

namespace reconcile::modules {

namespace {

constexpr const char* kDirectory = "/run/secrets";

// The hmac function and the listing of the directory in $d. Names are sent
// as hex so that any byte in a file name survives the line format.
const char* kProbeBody = R"SH(hmac_file() {
  inner=$( { printf "$ipad"; cat -- "$1"; } | sha256sum | cut -c1-64)
  bytes=
  while [ -n "$inner" ]; do
    rest=${inner#??}
    n=$((0x${inner%"$rest"}))
    bytes="$bytes\\$((n / 64))$((n / 8 % 8))$((n % 8))"
    inner=$rest
  done
  { printf "$opad"; printf "$bytes"; } | sha256sum | cut -c1-64
}
if [ -L "$d" ]; then echo 'dir other'; exit 0; fi
if [ ! -e "$d" ]; then echo 'dir missing'; exit 0; fi
if [ ! -d "$d" ]; then echo 'dir other'; exit 0; fi
own=no
[ "$(stat -c %d -- "$d")" = "$(stat -c %d -- "$d/..")" ] || own=yes
printf 'dir directory %s %s %s\n' "$(stat -f -c %T -- "$d")" "$own" "$(stat -c '%U %G %a' -- "$d")"
for f in "$d"/* "$d"/.[!.]* "$d"/..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  name=$(printf '%s' "${f#"$d"/}" | od -An -v -tx1 | tr -d ' \n')
  if [ -L "$f" ]; then type=link; elif [ -f "$f" ]; then type=file; elif [ -d "$f" ]; then type=dir; else type=other; fi
  attributes=$(stat -c '%U %G %a' -- "$f")
  if [ "$type" = file ]; then
    printf 'file %s file %s %s\n' "$name" "$attributes" "$(hmac_file "$f")"
  else
    printf 'file %s %s %s\n' "$name" "$type" "$attributes"
  fi
done
)SH";

// 32 random bytes for the life of this process; see the file comment.
const secrets::SecureBuffer& process_key() {
  static const secrets::SecureBuffer key = [] {
    secrets::ensure_sodium_initialized();
    secrets::SecureBuffer bytes(32);
    randombytes_buf(bytes.data(), bytes.size());
    return bytes;
  }();
  return key;
}

secrets::SecureBuffer probe_key(const std::string& host_name) {
  const auto& key = process_key();
  return secrets::hmac_sha256(
      {key.data(), key.size()},
      {reinterpret_cast<const uint8_t*>(host_name.data()), host_name.size()});
}

// The HMAC pad for `key` as a printf format of octal escapes.
std::string pad_format(const secrets::SecureBuffer& key, uint8_t pad) {
  std::string format;
  for (size_t i = 0; i < 64; ++i) {
    unsigned byte = (i < key.size() ? key.data()[i] : 0) ^ pad;
    format += '\\';
    format += static_cast<char>('0' + (byte >> 6));
    format += static_cast<char>('0' + ((byte >> 3) & 7));
    format += static_cast<char>('0' + (byte & 7));
  }
  return format;
}

std::optional<std::string> decode_name(const std::string& hex) {
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::string name;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    for (char c : hex.substr(i, 2)) {
      int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (digit < 0) return std::nullopt;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    name += static_cast<char>(value);
  }
  if (name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  return name;
}

}  // namespace

std::string secret_digest(const std::string& host_name, const secrets::SecureBuffer& plaintext) {
  secrets::SecureBuffer key = probe_key(host_name);
  secrets::SecureBuffer mac =
      secrets::hmac_sha256({key.data(), key.size()}, {plaintext.data(), plaintext.size()});
  return to_hex(mac.view());
}

std::string secrets_probe_script(const std::string& host_name, const std::string& directory) {
  secrets::SecureBuffer key = probe_key(host_name);
  return "d=" + shell_quote(directory) + "\nipad='" + pad_format(key, 0x36) + "'\nopad='" +
         pad_format(key, 0x5c) + "'\n" + kProbeBody;
}

bool manages_secrets(const state::Host& host) {
  return !host.secrets.empty() ||
         std::find(host.sections.begin(), host.sections.end(), "secrets") != host.sections.end();
}

std::vector<ProbeFragment> probe_secrets(const state::Host& host) {
  if (!manages_secrets(host)) return {};
  return {{"secrets", secrets_probe_script(host.name, kDirectory)}};
}

Status parse_secrets(const Sections& sections, const state::Host&, HostFacts& facts) {
  facts.secrets = SecretsFacts{};
  auto it = sections.find("secrets");
  if (it == sections.end()) return ok();
  if (it->second.exit_code != 0) {
    return data_loss("the secrets probe failed with exit code " +
                     std::to_string(it->second.exit_code));
  }
  SecretsFacts& out = facts.secrets;
  for (const auto& line : lines_of(it->second.text)) {
    auto words = words_of(line);
    auto bad = [&] { return data_loss("unexpected secrets probe line '" + line + "'"); };
    if (words.size() == 2 && words[0] == "dir" && (words[1] == "missing" || words[1] == "other")) {
      out.directory = words[1];
    } else if (words.size() == 7 && words[0] == "dir" && words[1] == "directory") {
      out.directory = "directory";
      out.fstype = words[2];
      out.mount_point = words[3] == "yes";
      out.owner = words[4];
      out.group = words[5];
      out.mode = static_cast<uint32_t>(std::strtoul(words[6].c_str(), nullptr, 8));
    } else if (words.size() >= 6 && words[0] == "file") {
      auto name = decode_name(words[1]);
      if (!name) return bad();
      SecretFileFacts file;
      file.type = words[2];
      file.owner = words[3];
      file.group = words[4];
      file.mode = static_cast<uint32_t>(std::strtoul(words[5].c_str(), nullptr, 8));
      if (file.type == "file") {
        if (words.size() != 7 || words[6].size() != 64) return bad();
        file.digest = words[6];
      }
      out.files[*name] = std::move(file);
    } else {
      return bad();
    }
  }
  if (out.directory.empty()) return data_loss("the secrets probe reported nothing");
  return ok();
}

}  // namespace reconcile::modules
