#include "cairn/digest.h"

#include <cerrno>
#include <cstdio>

#include <openssl/evp.h>

namespace cairn {

struct Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Hasher::Hasher(DigestAlgo algo) : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  const EVP_MD* md = algo == DigestAlgo::kMd5      ? EVP_md5()
                     : algo == DigestAlgo::kSha1   ? EVP_sha1()
                     : algo == DigestAlgo::kSha256 ? EVP_sha256()
                                                   : EVP_sha512();
  EVP_DigestInit_ex(ctx_->md, md, nullptr);
}
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::Update(const void* data, size_t size) { EVP_DigestUpdate(ctx_->md, data, size); }

std::string Hasher::Finish() {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, buf, &len);
  return std::string(reinterpret_cast<char*>(buf), len);
}

std::string Sha1(std::string_view data) {
  Hasher h = Hasher::Sha1();
  h.Update(data);
  return h.Finish();
}
std::string Sha256(std::string_view data) {
  Hasher h = Hasher::Sha256();
  h.Update(data);
  return h.Finish();
}
std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string Md5Hex(std::string_view data) {
  Hasher h = Hasher::Md5();
  h.Update(data);
  return HexEncode(h.Finish());
}

Result<std::string> Sha256FileHex(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return ErrnoError("cannot open '" + path + "'", errno);
  Hasher h = Hasher::Sha256();
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) h.Update(buf, n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return IoError("cannot read '" + path + "'");
  return HexEncode(h.Finish());
}

std::string HexEncode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2) return IntegrityError("odd-length hex string");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return IntegrityError("invalid hex digit in '" + std::string(hex) + "'");
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4) return IntegrityError("invalid base64 length");
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return IntegrityError("invalid base64 text");
  // EVP_DecodeBlock keeps the padding bytes as zeros; drop them.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(n - pad);
  return out;
}

}  // namespace cairn
