#include "reconciler/bootstrap/image.h"

#include <sodium.h>

#include <filesystem>

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "reconciler/bootstrap/install_debian_script.h"

namespace reconcile::bootstrap {

std::string_view install_debian_script() {
  return kInstallDebianScript;
}

InstallPackages install_packages(std::string_view script, const std::string& arch) {
  InstallPackages packages;
  const std::string case_label = arch + ") extra=\"";
  for (const auto& raw : split(script, '\n')) {
    std::string_view line = trim(raw);
    if (line.starts_with("base=")) {
      std::string_view list = line.substr(5);
      if (list.starts_with("$base,")) list.remove_prefix(6);
      for (const auto& name : split(list, ','))
        if (!name.empty()) packages.base.push_back(name);
    } else if (line.starts_with(case_label)) {
      std::string_view rest = line.substr(case_label.size());
      rest = rest.substr(0, rest.find('"'));
      for (const auto& name : split(rest, ' '))
        if (!name.empty()) packages.kernel.push_back(name);
    }
  }
  return packages;
}

std::string install_debian_command(const std::string& target_word, const ImageSpec& spec,
                                   const std::string& dev, const std::string& phase) {
  // The script goes to a file, not to `sh -s`: apt and dpkg inside it must
  // not read (and eat) the rest of a script from their stdin.
  std::string out = "rb_install=$(mktemp /tmp/install-debian.XXXXXX)\n";
  out += "cat >\"$rb_install\" <<'RECONCILE_INSTALL_DEBIAN'\n";
  out += install_debian_script();
  if (out.back() != '\n') out += "\n";
  out += "RECONCILE_INSTALL_DEBIAN\n";
  out += "TARGET=" + target_word + " RELEASE=" + shell_quote(spec.release) +
         " ARCH=" + shell_quote(spec.arch) + " MIRROR=" + shell_quote(spec.mirror) +
         " DEV=" + shell_quote(dev) + " PHASE=" + shell_quote(phase) +
         " /bin/sh \"$rb_install\" </dev/null\n";
  out += "rm -f \"$rb_install\"\n";
  return out;
}

std::string image_name(const ImageSpec& spec) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  std::string_view script = install_debian_script();
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(script.data()), script.size());
  std::string hex = to_hex(std::string_view(reinterpret_cast<const char*>(digest), 6));
  return "debian-" + spec.release + "-" + spec.arch + "-" + hex;
}

std::string image_path(const std::string& cache_dir, const ImageSpec& spec) {
  return cache_dir + "/" + image_name(spec) + ".tar.zst";
}

std::string image_build_script(const std::string& cache_dir, const ImageSpec& spec) {
  std::string out = "set -eu\n";
  out += "cache=" + shell_quote(cache_dir) + "\n";
  out += "image=" + shell_quote(image_path(cache_dir, spec)) + "\n";
  out += R"sh(mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -s "$image" ]; then echo cached; exit 0; fi
# What a killed build left (the lock is ours now).
for stale in "$cache"/.build.*; do
  [ -d "$stale" ] || continue
  umount -l "$stale/proc" "$stale/sys" 2>/dev/null || true
  rm -rf "$stale"
done
tree=$(mktemp -d "$cache/.build.XXXXXX")
trap 'for m in "$tree/proc" "$tree/sys"; do umount -l "$m" 2>/dev/null || true; done; rm -rf "$tree" "$image.tmp"' EXIT
trap 'exit 1' HUP INT TERM
)sh";
  out += install_debian_command("\"$tree\"", spec, "none");
  out += R"sh(echo "image: packing $(du -sh "$tree" | cut -f1)"
tar -C "$tree" --numeric-owner --xattrs --xattrs-include='*' -cf - . | zstd -q -T0 -3 >"$image.tmp"
mv "$image.tmp" "$image"
echo built
)sh";
  return out;
}

std::string image_unpack_script(const std::string& mount_root, const std::vector<std::string>& keep,
                                const std::string& install_id) {
  std::string out = "set -eu\n";
  out += "root=" + shell_quote(mount_root) + "\n";
  out += "id=" + shell_quote(install_id) + "\n";
  out += R"sh(mountpoint -q "$root" || { echo "$root is not a mounted file system" >&2; exit 1; }
zstd -dc | tar -x -C "$root" --numeric-owner --xattrs --xattrs-include='*')sh";
  for (const auto& path : keep)
    out += " --exclude=" + shell_quote("." + path);
  out += R"sh(
mkdir -p "$root/var/lib/reconcile"
printf '%s\n' "$id" >"$root/var/lib/reconcile/bootstrap-install"
sync
)sh";
  return out;
}

Result<std::unique_ptr<FileInput>> FileInput::open(const std::string& path) {
  auto input = std::make_unique<FileInput>();
  std::error_code error;
  input->m_size = std::filesystem::file_size(path, error);
  if (error) return not_found("cannot read " + path + ": " + error.message());
  input->m_in.open(path, std::ios::binary);
  if (!input->m_in) return not_found("cannot open " + path);
  input->m_path = path;
  return input;
}

Result<size_t> FileInput::read(char* buffer, size_t capacity) {
  m_in.read(buffer, static_cast<std::streamsize>(capacity));
  size_t count = static_cast<size_t>(m_in.gcount());
  if (count == 0 && m_in.bad()) return system_error("reading " + m_path, errno);
  m_done += count;
  return count;
}

}  // namespace reconcile::bootstrap
