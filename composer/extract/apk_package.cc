#include "cairn/extract/apk_package.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <memory>

#include "cairn/digest.h"
#include "cairn/extract/archive.h"
#include "cairn/rootfs/tree.h"
#include "extract/input_file.h"

namespace cairn::extract {
namespace {

// Signature and control members hold a few KiB (melange adds its YAML); the
// bound keeps a hostile file from making us read it whole into memory.
constexpr uint64_t kMaxControlMemberSize = 64ull << 20;
constexpr size_t kMaxControlFileSize = 64ull << 20;
constexpr size_t kChunk = 64 * 1024;

constexpr std::array<std::string_view, 7> kScriptNames = {
    ".pre-install",   ".post-install",   ".pre-upgrade", ".post-upgrade",
    ".pre-deinstall", ".post-deinstall", ".trigger",
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Streams bytes [offset, end of file) of `file` to `sink` in chunks.
Status StreamRange(const internal::InputFile& file, uint64_t offset,
                   const std::function<Status(std::string_view)>& sink) {
  std::vector<char> buf(kChunk);
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(size_t n, file.ReadAt(offset, buf.data(), buf.size()));
    if (n == 0) return {};
    offset += n;
    CAIRN_TRY(sink(std::string_view(buf.data(), n)));
  }
}

// The last value of `key` in .PKGINFO text ("key = value" lines, '#' comments).
std::string_view PkginfoValue(std::string_view text, std::string_view key) {
  std::string_view value;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string_view::npos) continue;
    if (Trim(line.substr(0, eq)) == key) value = Trim(line.substr(eq + 1));
  }
  return value;
}

}  // namespace

std::string PkginfoDatahash(std::string_view text) {
  return std::string(PkginfoValue(text, "datahash"));
}

namespace {

// The data member's regular files may declare at most twice .PKGINFO's
// `size` (the installed size in bytes) plus 16 MiB, and never past
// kMaxDataSize: a decompression bomb is refused at the entry header that
// crosses it, before its content is stored (as deb_package.cc does by
// Installed-Size).
constexpr uint64_t kMaxDataSize = 16ull << 30;

uint64_t DataLimit(std::string_view text) {
  std::string_view v = PkginfoValue(text, "size");
  if (v.empty() || v.size() > 15 ||
      !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return kMaxDataSize;
  return std::min<uint64_t>(kMaxDataSize, 2 * std::stoull(std::string(v)) + (16ull << 20));
}

}  // namespace

Result<ApkPackage> ApkPackage::Open(const std::filesystem::path& path, const Keyring& keyring,
                                    const ExpectedPackage& expected, bool allow_untrusted) {
  const std::string what = fmt::format("package '{}'", path.string());
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path));
  ApkPackage pkg;
  pkg.path_ = path;
  pkg.file_size_ = file.size();
  if (expected.size != 0 && file.size() != expected.size)
    return IntegrityError(
        fmt::format("{} is {} bytes but the index says {}", what, file.size(), expected.size));

  // Member 1 is either the signature member or, unsigned, the control member.
  // Only these small members are inflated here; the data member is not.
  CAIRN_ASSIGN_OR_RETURN(auto first, internal::FindGzipMembers(file, 0, 1));
  if (first.empty()) return IntegrityError(fmt::format("{} is empty", what));
  if (first[0].size > kMaxControlMemberSize)
    return IntegrityError(
        fmt::format("{} has a first gzip member of {} bytes (at most {} expected)", what,
                    first[0].size, kMaxControlMemberSize));
  CAIRN_ASSIGN_OR_RETURN(std::string first_bytes, file.ReadRange(first[0].offset, first[0].size));
  CAIRN_ASSIGN_OR_RETURN(auto signatures, ReadSignatureMember(first_bytes, what));
  std::string control;
  if (!signatures.empty()) {
    pkg.signature_member_ = first[0];
    CAIRN_ASSIGN_OR_RETURN(auto second, internal::FindGzipMembers(file, first[0].end(), 1));
    if (second.empty()) return IntegrityError(fmt::format("{} has no control member", what));
    if (second[0].size > kMaxControlMemberSize)
      return IntegrityError(fmt::format("{} has a control member of {} bytes (at most {} expected)",
                                        what, second[0].size, kMaxControlMemberSize));
    pkg.control_member_ = second[0];
    CAIRN_ASSIGN_OR_RETURN(control, file.ReadRange(second[0].offset, second[0].size));
  } else {
    pkg.control_member_ = first[0];
    control = std::move(first_bytes);
  }
  pkg.data_offset_ = pkg.control_member_.end();
  if (pkg.data_offset_ >= file.size())
    return IntegrityError(fmt::format("{} has no data member", what));

  pkg.checksum_ = "Q1" + Base64Encode(Sha1(control));
  if (!expected.checksum.empty() && expected.checksum != pkg.checksum_)
    return IntegrityError(fmt::format("{} has checksum '{}' but the index expects '{}'", what,
                                      pkg.checksum_, expected.checksum));

  // The control tar: .PKGINFO and scripts; other entries (.melange.yaml) are ignored.
  {
    CAIRN_ASSIGN_OR_RETURN(auto reader, ArchiveReader::OpenMemory(control, what));
    ArchiveEntry entry;
    bool have_pkginfo = false;
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(bool more, reader.Next(&entry));
      if (!more) break;
      if (entry.type != rootfs::FileType::kRegular) continue;
      if (entry.pathname == ".PKGINFO") {
        CAIRN_ASSIGN_OR_RETURN(pkg.pkginfo_text_, reader.ReadAllData(kMaxControlFileSize));
        have_pkginfo = true;
      } else if (std::find(kScriptNames.begin(), kScriptNames.end(), entry.pathname) !=
                 kScriptNames.end()) {
        CAIRN_ASSIGN_OR_RETURN(pkg.scripts_[entry.pathname],
                               reader.ReadAllData(kMaxControlFileSize));
      }
    }
    if (!have_pkginfo)
      return IntegrityError(fmt::format("{} has no .PKGINFO in its control member", what));
  }
  pkg.datahash_ = Lower(PkginfoDatahash(pkg.pkginfo_text_));

  // Without datahash (apk-tools < 2.5 packages) the signature covers the
  // control and data members together, so stream the data bytes into it.
  const bool covers_data = pkg.datahash_.empty();
  const uint64_t data_offset = pkg.data_offset_;
  CAIRN_ASSIGN_OR_RETURN(SignatureCheck check,
                         CheckSignatures(
                             signatures, keyring,
                             [&](const std::function<Status(std::string_view)>& sink) -> Status {
                               CAIRN_TRY(sink(control));
                               if (covers_data) CAIRN_TRY(StreamRange(file, data_offset, sink));
                               return {};
                             },
                             allow_untrusted, what));
  pkg.signatures_ = std::move(check.signatures);
  pkg.trusted_key_ = std::move(check.trusted_key);
  return pkg;
}

Status ApkPackage::ForEachDataEntry(const DataEntryFn& fn) const {
  const std::string what = fmt::format("package '{}'", path_.string());
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path_));
  if (file.size() != file_size_)
    return IntegrityError(fmt::format("{} changed size after it was verified ({} bytes, was {})",
                                      what, file.size(), file_size_));

  // Every byte libarchive reads passes through here and into the hash.
  Hasher hasher = Hasher::Sha256();
  auto buf = std::make_unique_for_overwrite<char[]>(kChunk);  // no zero-fill: read over at once
  uint64_t pos = data_offset_;
  auto source = [&]() -> Result<std::string_view> {
    CAIRN_ASSIGN_OR_RETURN(size_t n, file.ReadAt(pos, buf.get(), kChunk));
    pos += n;
    hasher.Update(buf.get(), n);
    return std::string_view(buf.get(), n);
  };
  // Hashes what libarchive did not read (the tail after the end-of-archive
  // blocks, or everything after a decompression error) and compares.
  auto check_datahash = [&]() -> Status {
    CAIRN_TRY(StreamRange(file, pos, [&](std::string_view chunk) -> Status {
      hasher.Update(chunk);
      return {};
    }));
    pos = file.size();
    std::string actual = HexEncode(hasher.Finish());
    if (!datahash_.empty() && actual != datahash_)
      return IntegrityError(
          fmt::format("{} has a data member with sha256 '{}' but its .PKGINFO datahash is '{}'",
                      what, actual, datahash_));
    return {};
  };

  CAIRN_ASSIGN_OR_RETURN(auto reader,
                         ArchiveReader::OpenStream(source, path_.string() + "(data)"));
  bool data_failed = false;
  rootfs::ContentReader content = [&](char* out, size_t cap) -> Result<size_t> {
    auto n = reader.ReadData(out, cap);
    if (!n.ok()) data_failed = true;
    return n;
  };
  const uint64_t limit = DataLimit(pkginfo_text_);
  uint64_t declared = 0;
  ArchiveEntry raw;
  while (true) {
    auto more = reader.Next(&raw);
    if (!more.ok()) {
      // Corrupt or tampered data: the hash mismatch is the clearer report.
      CAIRN_TRY(check_datahash());
      return std::move(more).error();
    }
    if (!*more) break;
    auto entry = ToFsEntry(raw);
    if (!entry.ok()) return std::move(entry).error().Context(fmt::format("reading {}", what));
    if (entry->path.empty()) {
      if (entry->type == rootfs::FileType::kDirectory) continue;  // "./": the root itself
      return IntegrityError(
          fmt::format("{} has a non-directory entry '{}' for the root", what, raw.pathname));
    }
    bool regular = entry->type == rootfs::FileType::kRegular;
    if (regular && (declared += entry->size) > limit)
      return IntegrityError(fmt::format(
          "{}: files up to '{}' declare {} bytes, more than {} (twice the .PKGINFO size plus "
          "16 MiB, at most {}): refusing a decompression bomb",
          what, entry->path, declared, limit, kMaxDataSize));
    Status st = fn(*entry, regular ? &content : nullptr);
    if (!st.ok()) {
      if (data_failed) CAIRN_TRY(check_datahash());
      return st;
    }
  }
  return check_datahash();
}

Status ApkPackage::VerifyDataHash() const {
  if (datahash_.empty()) return {};
  std::ifstream in(path_, std::ios::binary);
  if (!in) return IoError(fmt::format("cannot read '{}'", path_.string()));
  in.seekg(static_cast<std::streamoff>(data_offset()));
  Hasher h = Hasher::Sha256();
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return IoError(fmt::format("cannot read '{}'", path_.string()));
  std::string hex = HexEncode(h.Finish());
  if (hex != datahash_)
    return IntegrityError(fmt::format(
        "package has a data member with sha256 '{}' but its .PKGINFO datahash is '{}'", hex,
        datahash_));
  return {};
}

}  // namespace cairn::extract
