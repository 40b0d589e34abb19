// Keys for APK v2 signatures: trusted public keys (Keyring) and a private
// key for signing the project's own repositories (Signer).
//
// apk-tools v2 finds the key of a `.SIGN.RSA.<name>` entry by *file name*
// in /etc/apk/keys, so a Keyring maps each key file's basename to its RSA
// public key. Signatures are RSA PKCS#1 v1.5 over SHA-1 ("RSA"), SHA-256
// ("RSA256") or SHA-512 ("RSA512"). OpenSSL failures carry the drained
// OpenSSL error queue.
//
//   CAIRN_ASSIGN_OR_RETURN(auto keys, extract::Keyring::LoadDirectory("/etc/apk/keys"));
//   CAIRN_TRY(keys.AddFile("extra/melange.rsa.pub"));
//   if (const extract::PublicKey* k = keys.Find("melange.rsa.pub")) ...
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

struct evp_pkey_st;
struct evp_md_ctx_st;

namespace cairn::extract {

/// The digest of an APK signature, named as in `.SIGN.<ALG>.<key>`.
enum class SignatureAlgo { kRsaSha1, kRsaSha256, kRsaSha512 };

/// "RSA", "RSA256" or "RSA512".
std::string_view SignatureAlgoName(SignatureAlgo algo);

namespace internal {
/// Deleters for the OpenSSL objects the wrappers own.
struct PkeyDeleter {
  void operator()(evp_pkey_st* k) const;
};
struct MdCtxDeleter {
  void operator()(evp_md_ctx_st* c) const;
};
using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyDeleter>;
/// The OpenSSL error queue as "reason; reason" (emptied), or "no details".
std::string DrainOpenSslErrors();
}  // namespace internal

/// An RSA public key.
class PublicKey {
 public:
  /// Parses a PEM "PUBLIC KEY" (SubjectPublicKeyInfo); `what` names it in errors.
  static Result<PublicKey> FromPem(std::string_view pem, std::string_view what);
  static Result<PublicKey> FromPemFile(const std::filesystem::path& path);
  /// Whether `signature` is a valid signature of `data` by this key; false for
  /// a signature that does not match, an error only if OpenSSL fails.
  Result<bool> Verify(SignatureAlgo algo, std::string_view data, std::string_view signature) const;
  /// The OpenSSL key, for the wrappers in this module.
  evp_pkey_st* get() const { return key_.get(); }

 private:
  explicit PublicKey(internal::PkeyPtr key) : key_(std::move(key)) {}
  internal::PkeyPtr key_;
};

/// Incremental verification, for signed bytes streamed from a file.
class Verifier {
 public:
  static Result<Verifier> Begin(const PublicKey& key, SignatureAlgo algo);
  Verifier(Verifier&&) noexcept;
  Verifier& operator=(Verifier&&) noexcept;
  ~Verifier();
  /// Adds the next signed bytes.
  Status Update(std::string_view bytes);
  /// True if `signature` matches everything passed to Update.
  Result<bool> Finish(std::string_view signature);

 private:
  explicit Verifier(std::unique_ptr<evp_md_ctx_st, internal::MdCtxDeleter> ctx);
  std::unique_ptr<evp_md_ctx_st, internal::MdCtxDeleter> ctx_;
};

/// Trusted public keys by name (the key file's basename).
class Keyring {
 public:
  Keyring() = default;
  /// Loads every regular file in `dir` (sorted) as a key; kNotFound if `dir`
  /// does not exist, kIntegrity naming the file if one is not an RSA PEM key.
  static Result<Keyring> LoadDirectory(const std::filesystem::path& dir);
  /// Adds one key file under its basename; replaces a key of the same name.
  Status AddFile(const std::filesystem::path& path);
  /// Adds a key under an explicit name.
  void Add(std::string name, PublicKey key);

  /// The key with this exact name, or nullptr.
  const PublicKey* Find(std::string_view name) const;
  /// Key names, sorted.
  std::vector<std::string> names() const;
  /// Whether the keyring holds no key / how many it holds.
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, PublicKey, std::less<>> keys_;
};

/// An RSA private key used to sign packages and indexes as `key_name`.
class Signer {
 public:
  /// Loads a PEM private key (PKCS#1 or PKCS#8, unencrypted). `key_name` is
  /// the public key's file name that readers will look up (e.g. "repo.rsa.pub").
  static Result<Signer> FromPemFile(const std::filesystem::path& private_key_path,
                                    std::string key_name,
                                    SignatureAlgo algo = SignatureAlgo::kRsaSha256);
  /// RSA PKCS#1 v1.5 signature of `data`.
  Result<std::string> Sign(std::string_view data) const;
  /// ".SIGN.<ALG>.<key_name>", the signature tar entry name.
  std::string EntryName() const;
  /// The key name and digest this signer writes.
  const std::string& key_name() const { return key_name_; }
  SignatureAlgo algo() const { return algo_; }

 private:
  Signer(internal::PkeyPtr key, std::string key_name, SignatureAlgo algo)
      : key_(std::move(key)), key_name_(std::move(key_name)), algo_(algo) {}
  internal::PkeyPtr key_;
  std::string key_name_;
  SignatureAlgo algo_;
};

}  // namespace cairn::extract
