#pragma once

// age v1 (c2sp.org/age) encryption and decryption on streams. Memory use
// is constant whatever the size of the input: a 64 KiB chunk at a time.
// Nothing here touches a host; I/O happens only through the Reader and
// Writer the caller passes.

#include <span>

#include "reconciler/base/result.h"
#include "secrets/header.h"
#include "secrets/io.h"
#include "secrets/stanza.h"

namespace reconcile::secrets {

// Encrypts everything `plaintext` yields to `out`, for every recipient, in
// binary form or ASCII-armored. Fails with kInvalidArgument when there is
// no recipient, or a passphrase recipient is not the only one; failures of
// wrapping, reading or writing are passed on (the output is then
// incomplete and must be discarded).
Status encrypt(std::span<const Recipient* const> recipients, Reader& plaintext, Writer& out,
               bool armor);

// Decrypts an age file, binary or armored (told apart by its first bytes),
// with the first identity that unwraps the file key. Plaintext is written
// as each 64 KiB chunk verifies, so on failure part of it may have been
// written and must be discarded. Fails with:
//   kInvalidArgument  bad armor, a malformed header or stanza, a missing
//                     payload nonce ("armor line 3: ...", "header line 2: ...");
//   kUnauthenticated  "no identity matched any of the file's recipients";
//   kDataLoss         "header MAC mismatch", or a damaged or truncated payload.
// Failures of the reader or writer are passed on.
Status decrypt(std::span<const Identity* const> identities, Reader& in, Writer& plaintext);

// The steps of decrypt() on a binary (not armored) file, for callers that
// must tell the failure classes apart, such as the conformance tests.

// Finds the file key: tries each identity on each stanza, in order. Fails
// with kInvalidArgument when a stanza is malformed for an identity's type
// or when an scrypt stanza is not alone, and with kUnauthenticated when no
// identity matches.
Result<SecureBuffer> unwrap_file_key(const Header& header,
                                     std::span<const Identity* const> identities);

// Fails with kDataLoss "header MAC mismatch" when the MAC does not verify.
Status verify_header_mac(const Header& header, const SecureBuffer& file_key);

// Reads the 16-byte payload nonce (kInvalidArgument when it is missing or
// short) and decrypts the STREAM payload (kDataLoss, see stream.h).
Status decrypt_payload(const SecureBuffer& file_key, Reader& in, Writer& plaintext);

}  // namespace reconcile::secrets
