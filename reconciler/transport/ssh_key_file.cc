// OpenSSH private key files (PROTOCOL.key in OpenSSH's source):
//
//   "openssh-key-v1\0" string cipher, string kdf, string kdf_options,
//   uint32 count (1), string public_key, string private_section
//
// The private section, when the cipher is "none", holds two equal check
// integers, then per key its type, the key's fields and a comment. The key is
// turned into an OpenSSL EVP_PKEY once and signs with EVP_DigestSign.

#include "reconciler/transport/ssh_key_file.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>

#include "reconciler/base/strings.h"
#include "reconciler/transport/ssh_wire.h"
#include "secrets/secure_buffer.h"

namespace reconcile::transport {

namespace {

constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct BnDeleter {
  void operator()(BIGNUM* number) const { BN_clear_free(number); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

BnPtr bignum(std::string_view mpint) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(mpint.data()),
                         static_cast<int>(mpint.size()), nullptr));
}

std::string bignum_bytes(const BIGNUM* number) {
  std::string out(static_cast<size_t>(BN_num_bytes(number)), '\0');
  BN_bn2bin(number, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// Builds a key pair from OpenSSL parameters ("EC" or "RSA").
PkeyPtr pkey_from_params(const char* algorithm, OSSL_PARAM_BLD* builder) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr);
  EVP_PKEY* key = nullptr;
  if (params != nullptr && context != nullptr && EVP_PKEY_fromdata_init(context) == 1) {
    EVP_PKEY_fromdata(context, &key, EVP_PKEY_KEYPAIR, params);
  }
  EVP_PKEY_CTX_free(context);
  OSSL_PARAM_free(params);
  return PkeyPtr(key);
}

class FileIdentity : public Identity {
 public:
  FileIdentity(PublicKey key, std::string path, PkeyPtr pkey, const EVP_MD* digest)
      : m_key(std::move(key)), m_path(std::move(path)), m_pkey(std::move(pkey)), m_digest(digest) {}

  const PublicKey& public_key() const override { return m_key; }
  std::string describe() const override {
    return key_type_label(m_key.type) + " " + fingerprint_sha256(m_key.blob) + " (" + m_path + ")";
  }

  asio::awaitable<Result<std::string>> sign(std::string data, Clock::time_point) override {
    co_return sign_now(data);
  }

 private:
  Result<std::string> sign_now(std::string_view data) const {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    size_t length = 0;
    std::string signature;
    bool ok = context != nullptr &&
              EVP_DigestSignInit(context, nullptr, m_digest, nullptr, m_pkey.get()) == 1 &&
              EVP_DigestSign(context, nullptr, &length,
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    if (ok) {
      signature.resize(length);
      ok = EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
      signature.resize(length);
    }
    EVP_MD_CTX_free(context);
    if (!ok) return unauthenticated("key " + m_path + " cannot sign");
    if (starts_with(m_key.type, "ecdsa-sha2-")) return ecdsa_signature(signature);
    return signature;
  }

  // OpenSSL writes ECDSA signatures in DER; SSH wants mpint r, mpint s.
  Result<std::string> ecdsa_signature(const std::string& der) const {
    auto bytes = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &bytes, static_cast<long>(der.size()));
    if (parsed == nullptr) return internal_error("ECDSA signature not in DER");
    WireWriter writer;
    writer.mpint(bignum_bytes(ECDSA_SIG_get0_r(parsed)));
    writer.mpint(bignum_bytes(ECDSA_SIG_get0_s(parsed)));
    ECDSA_SIG_free(parsed);
    return writer.release();
  }

  PublicKey m_key;
  std::string m_path;
  PkeyPtr m_pkey;
  const EVP_MD* m_digest;
};

struct Parsed {
  PkeyPtr pkey;
  const EVP_MD* digest = nullptr;
};

Result<Parsed> parse_ed25519(WireReader& reader) {
  auto public_part = reader.string();
  auto private_part = reader.string();  // seed (32) + public key (32)
  if (!public_part || !private_part || private_part->size() != 64) {
    return invalid_argument("truncated ed25519 key");
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(private_part->data()), 32);
  if (key == nullptr) return invalid_argument("bad ed25519 key");
  return Parsed{PkeyPtr(key), nullptr};
}

Result<Parsed> parse_ecdsa(WireReader& reader) {
  auto curve = reader.string();
  auto point = reader.string();
  auto scalar = reader.string();
  if (!curve || !point || !scalar) return invalid_argument("truncated ecdsa key");
  const char* group = nullptr;
  const EVP_MD* digest = nullptr;
  if (*curve == "nistp256") {
    group = "P-256", digest = EVP_sha256();
  } else if (*curve == "nistp384") {
    group = "P-384", digest = EVP_sha384();
  } else if (*curve == "nistp521") {
    group = "P-521", digest = EVP_sha512();
  } else {
    return invalid_argument("unsupported ecdsa curve " + std::string(*curve));
  }
  BnPtr secret = bignum(*scalar);
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
  OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point->data(), point->size());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_PRIV_KEY, secret.get());
  PkeyPtr key = pkey_from_params("EC", builder);
  OSSL_PARAM_BLD_free(builder);
  if (!key) return invalid_argument("bad ecdsa key");
  return Parsed{std::move(key), digest};
}

Result<Parsed> parse_rsa(WireReader& reader) {
  auto n = reader.string(), e = reader.string(), d = reader.string();
  auto iqmp = reader.string(), p = reader.string(), q = reader.string();
  if (!n || !e || !d || !iqmp || !p || !q) return invalid_argument("truncated rsa key");
  BnPtr bn_n = bignum(*n), bn_e = bignum(*e), bn_d = bignum(*d);
  BnPtr bn_p = bignum(*p), bn_q = bignum(*q), bn_iqmp = bignum(*iqmp);
  // The file lacks the CRT exponents d mod (p-1) and d mod (q-1).
  BnPtr dmp1(BN_new()), dmq1(BN_new()), p1(BN_dup(bn_p.get())), q1(BN_dup(bn_q.get()));
  BN_CTX* context = BN_CTX_new();
  BN_sub_word(p1.get(), 1);
  BN_sub_word(q1.get(), 1);
  BN_mod(dmp1.get(), bn_d.get(), p1.get(), context);
  BN_mod(dmq1.get(), bn_d.get(), q1.get(), context);
  BN_CTX_free(context);
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_D, bn_d.get());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_FACTOR1, bn_p.get());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_FACTOR2, bn_q.get());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get());
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, bn_iqmp.get());
  PkeyPtr key = pkey_from_params("RSA", builder);
  OSSL_PARAM_BLD_free(builder);
  if (!key) return invalid_argument("bad rsa key");
  return Parsed{std::move(key), EVP_sha512()};
}

Result<Parsed> parse_private_section(std::string_view section, const PublicKey& key) {
  WireReader reader(section);
  auto check1 = reader.u32(), check2 = reader.u32();
  auto type = reader.string();
  if (!check1 || !check2 || *check1 != *check2 || !type) {
    return invalid_argument("corrupt private key section");
  }
  if (*type != key.type) return invalid_argument("private and public key types differ");
  if (*type == "ssh-ed25519") return parse_ed25519(reader);
  if (starts_with(*type, "ecdsa-sha2-")) return parse_ecdsa(reader);
  if (*type == "ssh-rsa") return parse_rsa(reader);
  return invalid_argument("unsupported key type " + std::string(*type) +
                          " (supported: ed25519, ecdsa, rsa)");
}

}  // namespace

std::string signature_algorithm(const PublicKey& key) {
  return key.type == "ssh-rsa" ? "rsa-sha2-512" : key.type;
}

Result<KeyFile> parse_key_file(std::string_view text, const std::string& path) {
  size_t begin = text.find(kBegin);
  size_t end = text.find(kEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    if (text.find("-----BEGIN ") != std::string_view::npos) {
      return invalid_argument(path + ": not in OpenSSH format (a PEM key); convert it with " +
                              "ssh-keygen -p -f " + path);
    }
    return invalid_argument(path + ": not an OpenSSH private key");
  }
  std::string encoded;
  for (char c : text.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') encoded += c;
  }
  auto decoded = base64_decode(encoded);
  if (!decoded) return invalid_argument(path + ": the key is not valid base64");
  secrets::SecureBuffer plain(decoded->data(), decoded->size());
  OPENSSL_cleanse(decoded->data(), decoded->size());
  WireReader reader(plain.view());
  auto magic = reader.bytes(kMagic.size());
  auto cipher = reader.string();
  reader.string();  // kdf name and options: only needed to decrypt, which we never do
  reader.string();
  auto count = reader.u32();
  auto public_blob = reader.string();
  auto private_section = reader.string();
  if (!magic || *magic != kMagic || !private_section) {
    return invalid_argument(path + ": corrupt OpenSSH private key");
  }
  if (*count != 1) return invalid_argument(path + ": holds several keys; expected one");
  auto public_key = public_key_from_blob(*public_blob);
  if (!public_key.has_value()) return invalid_argument(path + ": corrupt public key");
  KeyFile file{path, public_key.release_value(), false, nullptr};
  if (*cipher != "none") {
    file.encrypted = true;
    return file;
  }
  auto parsed = parse_private_section(*private_section, file.public_key);
  if (!parsed.has_value()) return std::move(parsed).error().with_context(path);
  file.identity = std::make_unique<FileIdentity>(file.public_key, path, std::move(parsed->pkey),
                                                 parsed->digest);
  return file;
}

Result<KeyFile> load_key_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    if (errno == ENOENT) return not_found("key file " + path + " does not exist");
    return system_error("cannot read key file " + path, errno);
  }
  std::stringstream buffer;
  buffer << stream.rdbuf();
  std::string text = buffer.str();
  auto result = parse_key_file(text, path);
  OPENSSL_cleanse(text.data(), text.size());
  return result;
}

}  // namespace reconcile::transport
