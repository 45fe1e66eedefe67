// A minimal command line over secrets/commands.h, for tools/bench-age to
// time our age implementation against the age command. Not installed.
//
//   age_bench_cli keygen -o FILE
//   age_bench_cli encrypt -r RECIPIENT [-a] -o OUT IN
//   age_bench_cli decrypt -i IDENTITY -o OUT IN

#include <cstdio>
#include <string>
#include <string_view>

#include "secrets/commands.h"

namespace {

int usage() {
  std::fputs(
      "usage: age_bench_cli keygen -o FILE\n"
      "       age_bench_cli encrypt -r RECIPIENT [-a] -o OUT IN\n"
      "       age_bench_cli decrypt -i IDENTITY -o OUT IN\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace reconcile::secrets;
  if (argc < 2) return usage();
  std::string_view command = argv[1];
  KeygenOptions keygen;
  EncryptOptions encrypt;
  DecryptOptions decrypt;
  std::string output, input;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "-o" && has_value) {
      output = argv[++i];
    } else if (arg == "-r" && has_value) {
      encrypt.recipients.push_back(argv[++i]);
    } else if (arg == "-i" && has_value) {
      decrypt.identity_files.push_back(argv[++i]);
    } else if (arg == "-a") {
      encrypt.armor = true;
    } else if (!arg.starts_with("-") && input.empty()) {
      input = arg;
    } else {
      return usage();
    }
  }
  CommandStreams streams;
  if (command == "keygen") return run_keygen({output}, streams);
  if (command == "encrypt") {
    encrypt.output = output;
    encrypt.input = input;
    return run_encrypt(encrypt, streams);
  }
  if (command == "decrypt") {
    decrypt.output = output;
    decrypt.input = input;
    return run_decrypt(decrypt, streams);
  }
  return usage();
}
