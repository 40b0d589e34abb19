// Message digests (OpenSSL EVP) and the encodings package formats use.
//
//   cairn::Hasher h = cairn::Hasher::Sha256();
//   h.Update(bytes);  std::string hex = cairn::HexEncode(h.Finish());
// Finish() returns the raw digest bytes; Hasher is move-only and reusable only
// by creating a new one.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cairn/result.h"

namespace cairn {

/// MD5 only for formats that record it (dpkg md5sums, Packages MD5sum); never to trust.
enum class DigestAlgo { kMd5, kSha1, kSha256, kSha512 };

class Hasher {
 public:
  static Hasher Md5() { return Hasher(DigestAlgo::kMd5); }
  static Hasher Sha1() { return Hasher(DigestAlgo::kSha1); }
  static Hasher Sha256() { return Hasher(DigestAlgo::kSha256); }
  static Hasher Sha512() { return Hasher(DigestAlgo::kSha512); }
  explicit Hasher(DigestAlgo algo);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  /// Raw digest bytes.
  std::string Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

/// One-shot helpers returning raw digest bytes.
std::string Sha1(std::string_view data);
std::string Sha256(std::string_view data);
/// One-shot lowercase hex SHA-256.
std::string Sha256Hex(std::string_view data);
/// One-shot lowercase hex MD5 (dpkg's md5sums and Packages indexes record it).
std::string Md5Hex(std::string_view data);
/// Lowercase hex SHA-256 of a file's content.
Result<std::string> Sha256FileHex(const std::string& path);

std::string HexEncode(std::string_view bytes);
Result<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace cairn
