#include "modules/scripts.h"

namespace reconcile::modules {

std::string atomic_write_script(const std::string& target, const std::string& owner,
                                const std::string& group, const std::string& mode) {
  std::string script;
  script += "target=" + target + "\n";
  script += "dir=$(dirname -- \"$target\")\n";
  script += "mkdir -p -- \"$dir\"\n";
  script += "tmp=$(mktemp -- \"$dir/.reconcile.XXXXXX\")\n";
  script += "trap 'rm -f -- \"$tmp\"' EXIT\n";
  script += "chown -- " + owner + ":" + group + " \"$tmp\"\n";
  script += "chmod -- " + mode + " \"$tmp\"\n";
  script += "cat > \"$tmp\"\n";
  script += "sync -- \"$tmp\" 2>/dev/null || true\n";
  script += "mv -f -- \"$tmp\" \"$target\"\n";
  script += "trap - EXIT\n";
  return script;
}

std::string take_line_function() {
  return "newline='\n'\n"
         "take_line() {\n"
         "  eval \"rest=\\$$1\"\n"
         "  case $rest in\n"
         "    *\"$newline\"*) line=${rest%%\"$newline\"*}; rest=${rest#*\"$newline\"} ;;\n"
         "    *) line=$rest; rest= ;;\n"
         "  esac\n"
         "  eval \"$1=\\$rest\"\n"
         "}\n";
}

std::string file_digest_probe(const std::string& path, const std::string& label) {
  return "if [ -f " + path + " ]; then digest=$(sha256sum < " + path + " || true); printf '" +
         label + " %s\\n' \"${digest%% *}\"; fi\n";
}

std::string script_preamble() {
  return "set -eu\n"
         "export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
         "umask 077\n";
}

}  // namespace reconcile::modules
