#pragma once

// The age ASCII armor: strict PEM (RFC 7468) with the label "AGE ENCRYPTED
// FILE". Writing gives "-----BEGIN AGE ENCRYPTED FILE-----", padded base64
// in lines of exactly 64 columns except the last (which may be full), and
// "-----END AGE ENCRYPTED FILE-----", each line ending in LF.
//
// Reading is as strict as the age conformance vectors require:
//   - lines end in LF or CRLF;
//   - only whitespace may come before the BEGIN line and after the END line
//     (at most 1 KiB of it on each side);
//   - the BEGIN and END lines are exact (no spaces, no other label, no
//     PEM headers);
//   - every line but the last has exactly 64 columns; the last has 1 to 64
//     and is followed directly by the END line (no empty lines);
//   - the base64 is canonical, padded, without whitespace inside a line.

#include <string>

#include "reconciler/base/result.h"
#include "secrets/io.h"

namespace reconcile::secrets {

inline constexpr std::string_view kArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view kArmorEnd = "-----END AGE ENCRYPTED FILE-----";

// True when `start` (the first bytes of an input) is, after optional
// whitespace, the beginning of an armored age file. Needs at most
// kArmorSniffSize bytes to decide.
inline constexpr size_t kArmorSniffSize = 1024 + 64;
bool looks_armored(std::span<const uint8_t> start);

// Decodes armor from `source` as it is read. Every violation of the rules
// above fails the read with kInvalidArgument ("armor line 3: ...") and
// marks the reader failed(), so that callers can tell armor errors from
// errors in the age file inside it. Failures of `source` are passed on.
class ArmorReader : public Reader {
 public:
  explicit ArmorReader(Reader& source);
  Result<size_t> read(uint8_t* buffer, size_t size) override;

  // True once the armor was found invalid.
  bool failed() const { return m_failed; }

 private:
  Status read_begin();
  Status read_next_line();
  Status read_end_line();
  Status check_trailing();
  Result<std::string_view> next_line();
  Error fail(std::string message);

  BufferedReader m_in;
  bool m_started = false;
  bool m_finished = false;
  bool m_failed = false;
  size_t m_line_number = 0;
  uint8_t m_decoded[48] = {};
  size_t m_decoded_begin = 0;
  size_t m_decoded_end = 0;
};

// Encodes what is written into armor on `out`. finish() must be called
// after the last write; before it the output is incomplete.
class ArmorWriter : public Writer {
 public:
  explicit ArmorWriter(Writer& out) : m_out(out) {}
  using Writer::write;
  Status write(const uint8_t* data, size_t size) override;
  // Writes the last line and the END line, and flushes.
  Status finish();

 private:
  Status flush_lines();

  Writer& m_out;
  bool m_started = false;
  uint8_t m_pending[48] = {};
  size_t m_pending_size = 0;
  std::string m_lines;
};

}  // namespace reconcile::secrets
