#include "secrets/commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "secrets/age.h"
#include "secrets/keys.h"
#include "secrets/output_file.h"

namespace reconcile::secrets {
namespace {

constexpr size_t kMaxKeyFileSize = 1024 * 1024;

bool is_standard(const std::string& path) {
  return path.empty() || path == "-";
}

int report(const CommandStreams& streams, const Error& error) {
  std::string line = "error: " + error.message() + "\n";
  FdWriter err(streams.err, "standard error");
  (void)err.write(line);
  return 1;
}

bool same_file(const std::string& input, const std::string& output) {
  struct stat in_stat, out_stat;
  if (stat(input.c_str(), &in_stat) != 0 || stat(output.c_str(), &out_stat) != 0) return false;
  return in_stat.st_dev == out_stat.st_dev && in_stat.st_ino == out_stat.st_ino;
}

Status validate_paths(const std::string& input, const std::string& output) {
  if (!is_standard(input) && !is_standard(output) && same_file(input, output)) {
    return invalid_argument("the input and the output are the same file");
  }
  // -o renames a temporary file onto OUT: over a device such as /dev/null
  // that would replace the device node itself.
  struct stat out_stat;
  if (!is_standard(output) && stat(output.c_str(), &out_stat) == 0 && !S_ISREG(out_stat.st_mode)) {
    return invalid_argument("-o " + output +
                            " is not a regular file; write to standard output instead");
  }
  return ok();
}

// An input file descriptor that closes itself.
class Input {
 public:
  static Result<Input> open(const std::string& path, const CommandStreams& streams) {
    if (is_standard(path)) return Input(streams.in, false, "standard input");
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return system_error("opening " + path, errno);
    return Input(fd, true, path);
  }
  Input(Input&& other) noexcept
      : m_fd(other.m_fd), m_owned(std::exchange(other.m_owned, false)), m_reader(other.m_reader) {}
  ~Input() {
    if (m_owned) close(m_fd);
  }
  Reader& reader() { return m_reader; }

 private:
  Input(int fd, bool owned, std::string name) : m_fd(fd), m_owned(owned), m_reader(fd, name) {}
  int m_fd;
  bool m_owned;
  FdReader m_reader;
};

// Runs `produce` into the output: standard output, or an atomic file.
template <typename Produce>
Status write_output(const std::string& path, mode_t mode, const CommandStreams& streams,
                    Produce produce) {
  if (is_standard(path)) {
    FdWriter out(streams.out, "standard output");
    return produce(out);
  }
  AtomicOutputFile file = TRY(AtomicOutputFile::create(path, mode));
  TRY(produce(file.writer()));
  return file.commit(ReplaceMode::kReplace);
}

Result<RecipientList> load_recipients(const EncryptOptions& options) {
  RecipientList recipients;
  for (const std::string& text : options.recipients) {
    auto recipient = parse_recipient(text);
    if (!recipient) {
      // Name the argument, unless it is a secret key given by mistake.
      std::string shown = text.starts_with("AGE-") ? "AGE-…" : text.substr(0, 80);
      return std::move(recipient).error().with_context("-r " + shown);
    }
    recipients.push_back(std::move(*recipient));
  }
  for (const std::string& path : options.recipient_files) {
    SecureBuffer text = TRY(read_small_file(path, kMaxKeyFileSize));
    for (auto& recipient : TRY(parse_recipients_file(text.view(), path))) {
      recipients.push_back(std::move(recipient));
    }
  }
  return recipients;
}

Result<IdentityList> load_identities(const DecryptOptions& options) {
  IdentityList identities;
  for (const std::string& path : options.identity_files) {
    SecureBuffer text = TRY(read_small_file(path, kMaxKeyFileSize));
    for (auto& identity : TRY(parse_identity_file(text, path))) {
      identities.push_back(std::move(identity));
    }
  }
  return identities;
}

Status encrypt_command(const EncryptOptions& options, const CommandStreams& streams) {
  TRY(validate_encrypt_options(options));
  RecipientList recipients = TRY(load_recipients(options));
  std::vector<const Recipient*> pointers;
  for (const auto& recipient : recipients)
    pointers.push_back(recipient.get());
  if (is_standard(options.output) && !options.armor && isatty(streams.out)) {
    return invalid_argument("refusing to write binary ciphertext to a terminal (use -a or -o)");
  }
  Input input = TRY(Input::open(options.input, streams));
  return write_output(options.output, 0644, streams, [&](Writer& out) {
    return encrypt(pointers, input.reader(), out, options.armor);
  });
}

Status decrypt_command(const DecryptOptions& options, const CommandStreams& streams) {
  TRY(validate_decrypt_options(options));
  IdentityList identities = TRY(load_identities(options));
  std::vector<const Identity*> pointers;
  for (const auto& identity : identities)
    pointers.push_back(identity.get());
  Input input = TRY(Input::open(options.input, streams));
  return write_output(options.output, 0600, streams,
                      [&](Writer& out) { return decrypt(pointers, input.reader(), out); });
}

Status keygen_command(const KeygenOptions& options, const CommandStreams& streams) {
  X25519Identity identity = X25519Identity::generate();
  SecureBuffer text = format_identity_file(identity);
  FdWriter out(streams.out, "standard output");
  if (is_standard(options.output)) return out.write(text.view());

  struct stat existing;
  if (lstat(options.output.c_str(), &existing) == 0) {
    return Error(ErrorCode::kAlreadyExists, options.output + " already exists; not overwriting it");
  }
  AtomicOutputFile file = TRY(AtomicOutputFile::create(options.output, 0600));
  TRY(file.writer().write(text.view()));
  TRY(file.commit(ReplaceMode::kNoReplace));
  return out.write(identity.recipient().to_string() + "\n");
}

}  // namespace

Status validate_encrypt_options(const EncryptOptions& options) {
  if (options.recipients.empty() && options.recipient_files.empty()) {
    return invalid_argument("encrypt needs at least one recipient: -r RECIPIENT or -R FILE");
  }
  return validate_paths(options.input, options.output);
}

Status validate_decrypt_options(const DecryptOptions& options) {
  if (options.identity_files.empty()) {
    return invalid_argument("decrypt needs at least one identity file: -i FILE");
  }
  return validate_paths(options.input, options.output);
}

int run_keygen(const KeygenOptions& options, const CommandStreams& streams) {
  Status status = keygen_command(options, streams);
  return status ? 0 : report(streams, status.error());
}

int run_encrypt(const EncryptOptions& options, const CommandStreams& streams) {
  Status status = encrypt_command(options, streams);
  return status ? 0 : report(streams, status.error());
}

int run_decrypt(const DecryptOptions& options, const CommandStreams& streams) {
  Status status = decrypt_command(options, streams);
  return status ? 0 : report(streams, status.error());
}

}  // namespace reconcile::secrets
