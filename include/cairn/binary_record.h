// BinaryWriter / BinaryReader: the small record format of cairn's own cache
// files (layer snapshots, layer states): little-endian 64-bit integers and
// length-prefixed strings behind a magic line, sealed by a SHA-256 of
// everything before it. Binary because restoring tens of thousands of
// records is on the path an incremental build is timed by.
//
//   BinaryWriter w("cairn-thing 1\n");
//   w.U64(n); w.Str(name);
//   CAIRN_TRY(WriteFileAtomic(path, w.Seal()));
//   CAIRN_ASSIGN_OR_RETURN(BinaryReader r, BinaryReader::Open(data, "cairn-thing 1\n", path));
//   if (!r.U64(n) || !r.Str(name)) return r.Corrupt("truncated");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/error.h"
#include "cairn/result.h"

namespace cairn {

class BinaryWriter {
 public:
  explicit BinaryWriter(std::string_view magic) : out_(magic) {}
  void U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 8);
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  /// The record with its SHA-256 appended; the writer is spent afterwards.
  std::string Seal() {
    out_.append(Sha256(out_));
    return std::move(out_);
  }

 private:
  std::string out_;
};

class BinaryReader {
 public:
  /// Checks the magic and the trailing SHA-256 of `data` (which must outlive
  /// the reader); `source` names the file in errors (kIntegrity).
  static Result<BinaryReader> Open(std::string_view data, std::string_view magic,
                                   std::string_view source) {
    constexpr size_t kDigest = 32;
    BinaryReader r(std::string_view(), source);
    if (data.size() < magic.size() + kDigest || data.substr(0, magic.size()) != magic)
      return r.Corrupt(fmt::format("not a '{}' record", magic.substr(0, magic.size() - 1)));
    std::string_view body = data.substr(0, data.size() - kDigest);
    if (Sha256(body) != data.substr(body.size()))
      return r.Corrupt("damaged (its checksum does not match)");
    return BinaryReader(body.substr(magic.size()), source);
  }

  bool U64(uint64_t& v) {
    if (data_.size() - pos_ < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  /// Reads a U64 into any integer type (the writer wrote it from that type).
  template <typename T>
  bool Int(T& v) {
    uint64_t x = 0;
    if (!U64(x)) return false;
    v = static_cast<T>(x);
    return true;
  }
  bool Str(std::string& s) {
    uint64_t n = 0;
    if (!U64(n) || data_.size() - pos_ < n) return false;
    s.assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  /// A count that cannot exceed what is left (each item takes >= 8 bytes),
  /// so a damaged count never makes the caller reserve absurd memory.
  bool Count(uint64_t& n) { return U64(n) && n <= (data_.size() - pos_) / 8; }
  bool AtEnd() const { return pos_ == data_.size(); }
  /// kIntegrity: "<source> is <what>".
  Error Corrupt(std::string_view what) const {
    return IntegrityError(fmt::format("'{}' is {}", source_, what));
  }

 private:
  BinaryReader(std::string_view data, std::string_view source) : data_(data), source_(source) {}
  std::string_view data_;
  size_t pos_ = 0;
  std::string source_;
};

}  // namespace cairn
