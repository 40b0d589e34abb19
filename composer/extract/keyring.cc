#include "cairn/extract/keyring.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <system_error>

#include "cairn/file_util.h"

namespace cairn::extract {
namespace internal {

void PkeyDeleter::operator()(evp_pkey_st* k) const { EVP_PKEY_free(k); }
void MdCtxDeleter::operator()(evp_md_ctx_st* c) const { EVP_MD_CTX_free(c); }

std::string DrainOpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no details" : out;
}

}  // namespace internal

namespace {

const EVP_MD* DigestOf(SignatureAlgo algo) {
  switch (algo) {
    case SignatureAlgo::kRsaSha1:
      return EVP_sha1();
    case SignatureAlgo::kRsaSha256:
      return EVP_sha256();
    case SignatureAlgo::kRsaSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

}  // namespace

std::string_view SignatureAlgoName(SignatureAlgo algo) {
  switch (algo) {
    case SignatureAlgo::kRsaSha1:
      return "RSA";
    case SignatureAlgo::kRsaSha256:
      return "RSA256";
    case SignatureAlgo::kRsaSha512:
      return "RSA512";
  }
  return "RSA256";
}

// ---------------------------------------------------------------- PublicKey

Result<PublicKey> PublicKey::FromPem(std::string_view pem, std::string_view what) {
  ERR_clear_error();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return InternalError("BIO_new_mem_buf failed (out of memory)");
  internal::PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return IntegrityError(
        fmt::format("key '{}' is not a PEM public key ({})", what, internal::DrainOpenSslErrors()));
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
    return IntegrityError(fmt::format("key '{}' is not an RSA key (APK signatures are RSA)", what));
  return PublicKey(std::move(key));
}

Result<PublicKey> PublicKey::FromPemFile(const std::filesystem::path& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  return FromPem(pem, path.string());
}

Result<bool> PublicKey::Verify(SignatureAlgo algo, std::string_view data,
                               std::string_view signature) const {
  CAIRN_ASSIGN_OR_RETURN(auto v, Verifier::Begin(*this, algo));
  CAIRN_TRY(v.Update(data));
  return v.Finish(signature);
}

// ---------------------------------------------------------------- Verifier

Verifier::Verifier(std::unique_ptr<evp_md_ctx_st, internal::MdCtxDeleter> ctx)
    : ctx_(std::move(ctx)) {}
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;
Verifier::~Verifier() = default;

Result<Verifier> Verifier::Begin(const PublicKey& key, SignatureAlgo algo) {
  ERR_clear_error();
  std::unique_ptr<evp_md_ctx_st, internal::MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) return InternalError("EVP_MD_CTX_new failed (out of memory)");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, DigestOf(algo), nullptr, key.get()) != 1)
    return InternalError(fmt::format("starting {} signature verification failed ({})",
                                     SignatureAlgoName(algo), internal::DrainOpenSslErrors()));
  return Verifier(std::move(ctx));
}

Status Verifier::Update(std::string_view bytes) {
  if (EVP_DigestVerifyUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1)
    return InternalError(
        fmt::format("signature digest update failed ({})", internal::DrainOpenSslErrors()));
  return {};
}

Result<bool> Verifier::Finish(std::string_view signature) {
  int r = EVP_DigestVerifyFinal(
      ctx_.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
  // 0 and also most negative results mean "does not match" (e.g. a signature
  // of the wrong length); the queue then only explains why, so drop it.
  ERR_clear_error();
  return r == 1;
}

// ---------------------------------------------------------------- Keyring

Result<Keyring> Keyring::LoadDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return NotFoundError(fmt::format("key directory '{}' does not exist", dir.string()));
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) return ErrnoError(fmt::format("listing key directory '{}'", dir.string()), ec.value());
  std::sort(files.begin(), files.end());
  Keyring ring;
  for (const auto& f : files) CAIRN_TRY(ring.AddFile(f));
  return ring;
}

Status Keyring::AddFile(const std::filesystem::path& path) {
  CAIRN_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromPemFile(path));
  Add(path.filename().string(), std::move(key));
  return {};
}

void Keyring::Add(std::string name, PublicKey key) {
  keys_.insert_or_assign(std::move(name), std::move(key));
}

const PublicKey* Keyring::Find(std::string_view name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> Keyring::names() const {
  std::vector<std::string> out;
  for (const auto& [name, key] : keys_) out.push_back(name);
  return out;
}

// ---------------------------------------------------------------- Signer

Result<Signer> Signer::FromPemFile(const std::filesystem::path& private_key_path,
                                   std::string key_name, SignatureAlgo algo) {
  CAIRN_ASSIGN_OR_RETURN(std::string pem, ReadFile(private_key_path));
  ERR_clear_error();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return InternalError("BIO_new_mem_buf failed (out of memory)");
  internal::PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return IntegrityError(fmt::format("'{}' is not a PEM private key ({})",
                                      private_key_path.string(), internal::DrainOpenSslErrors()));
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
    return IntegrityError(fmt::format("private key '{}' is not an RSA key (APK signatures are RSA)",
                                      private_key_path.string()));
  return Signer(std::move(key), std::move(key_name), algo);
}

Result<std::string> Signer::Sign(std::string_view data) const {
  ERR_clear_error();
  std::unique_ptr<evp_md_ctx_st, internal::MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) return InternalError("EVP_MD_CTX_new failed (out of memory)");
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, DigestOf(algo_), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1)
    return InternalError(fmt::format("signing with key '{}' failed ({})", key_name_,
                                     internal::DrainOpenSslErrors()));
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return InternalError(fmt::format("signing with key '{}' failed ({})", key_name_,
                                     internal::DrainOpenSslErrors()));
  sig.resize(len);
  return sig;
}

std::string Signer::EntryName() const {
  return fmt::format(".SIGN.{}.{}", SignatureAlgoName(algo_), key_name_);
}

}  // namespace cairn::extract
