// The ar layer is parsed by hand rather than with libarchive's ar reader:
// streaming the data member needs its exact byte range in the file, which
// libarchive does not report, and dpkg's member rules (order, '_' members,
// names with or without GNU's trailing '/') are simplest to check directly.
#include "cairn/extract/deb_package.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "cairn/extract/archive.h"
#include "cairn/rootfs/tree.h"
#include "extract/input_file.h"

namespace cairn::extract {
namespace {

constexpr std::string_view kArMagic = "!<arch>\n";
constexpr uint64_t kArHeaderSize = 60;
// debian-binary holds "2.0\n"; anything much larger is not a package.
constexpr uint64_t kMaxVersionMemberSize = 1024;
constexpr size_t kChunk = 64 * 1024;

struct MemberKind {
  std::string_view name;
  Compression compression;
};

// dpkg-deb's accepted member names (dpkg 1.21: deb(5)).
constexpr std::array<MemberKind, 4> kControlMembers = {{
    {"control.tar", Compression::kNone},
    {"control.tar.gz", Compression::kGzip},
    {"control.tar.xz", Compression::kXz},
    {"control.tar.zst", Compression::kZstd},
}};
constexpr std::array<MemberKind, 6> kDataMembers = {{
    {"data.tar", Compression::kNone},
    {"data.tar.gz", Compression::kGzip},
    {"data.tar.xz", Compression::kXz},
    {"data.tar.zst", Compression::kZstd},
    {"data.tar.bz2", Compression::kBzip2},
    {"data.tar.lzma", Compression::kLzma},
}};
constexpr std::string_view kControlNames = "'control.tar[.gz|.xz|.zst]'";
constexpr std::string_view kDataNames = "'data.tar[.gz|.xz|.zst|.bz2|.lzma]'";

constexpr std::array<std::string_view, 7> kScriptNames = {
    "preinst", "postinst", "prerm", "postrm", "config", "triggers", "templates",
};

template <size_t N>
const MemberKind* FindKind(const std::array<MemberKind, N>& kinds, std::string_view name) {
  for (const MemberKind& k : kinds)
    if (k.name == name) return &k;
  return nullptr;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "/path/p.deb(data.tar.xz)": the name inner readers put in their errors.
std::string MemberLabel(const std::filesystem::path& path, const ArMember& member) {
  return fmt::format("{}({})", path.string(), member.name);
}

// Parses the 60-byte header at `pos`: name[16] mtime[12] uid[6] gid[6]
// mode[8] size[10] "`\n". Only the name and size matter to us.
Result<ArMember> ReadArHeader(const internal::InputFile& file, uint64_t pos,
                              const std::string& what) {
  if (file.size() - pos < kArHeaderSize)
    return IntegrityError(fmt::format("{}: truncated ar member header at offset {}", what, pos));
  CAIRN_ASSIGN_OR_RETURN(std::string header, file.ReadRange(pos, kArHeaderSize));
  if (header.compare(58, 2, "`\n") != 0)
    return IntegrityError(
        fmt::format("{}: corrupt ar member header at offset {} (bad terminator)", what, pos));
  ArMember member;
  std::string_view name = std::string_view(header).substr(0, 16);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (!name.empty() && name.back() == '/' && name != "/" && name != "//") name.remove_suffix(1);
  member.name = std::string(name);
  // Bytes 16..27 hold the decimal mtime; informative only, so junk reads as 0.
  for (char c : std::string_view(header).substr(16, 12)) {
    if (c == ' ') break;
    if (c < '0' || c > '9') {
      member.mtime = 0;
      break;
    }
    member.mtime = member.mtime * 10 + (c - '0');
  }

  std::string_view size_field = std::string_view(header).substr(48, 10);
  while (!size_field.empty() && size_field.back() == ' ') size_field.remove_suffix(1);
  if (size_field.empty() || !std::all_of(size_field.begin(), size_field.end(),
                                         [](char c) { return c >= '0' && c <= '9'; }))
    return IntegrityError(
        fmt::format("{}: corrupt ar member header at offset {} (size '{}' is not a decimal number)",
                    what, pos, std::string_view(header).substr(48, 10)));
  for (char c : size_field) member.size = member.size * 10 + static_cast<uint64_t>(c - '0');
  member.offset = pos + kArHeaderSize;
  if (member.size > file.size() - member.offset)
    return IntegrityError(
        fmt::format("{}: truncated member '{}' ({} bytes at offset {}, but the file ends at {})",
                    what, member.name, member.size, member.offset, file.size()));
  return member;
}

// The next member's header position: data is padded to an even offset.
uint64_t NextHeader(const ArMember& m) { return m.offset + m.size + (m.size & 1); }

Result<std::string> ParseFormatVersion(std::string_view content, const std::string& what) {
  std::string_view line = content.substr(0, content.find('\n'));
  bool ok = content.find('\n') != std::string_view::npos && line.size() > 2 &&
            StartsWith(line, "2.") &&
            std::all_of(line.begin() + 2, line.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!ok) {
    std::string shown(line.substr(0, 32));
    return IntegrityError(
        fmt::format("{}: unsupported format version '{}' (expected '2.x')", what, shown));
  }
  return std::string(line);
}

}  // namespace

Result<DebPackage> DebPackage::Open(const std::filesystem::path& path) {
  const std::string what = fmt::format("package '{}'", path.string());
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path));
  DebPackage pkg;
  pkg.path_ = path;
  pkg.file_size_ = file.size();

  if (file.size() < kArMagic.size())
    return IntegrityError(fmt::format("{}: not a Debian package (not an ar archive)", what));
  CAIRN_ASSIGN_OR_RETURN(std::string magic, file.ReadRange(0, kArMagic.size()));
  if (magic != kArMagic)
    return IntegrityError(fmt::format("{}: not a Debian package (not an ar archive)", what));

  uint64_t pos = kArMagic.size();
  if (pos == file.size())
    return IntegrityError(fmt::format("{}: not a Debian package (missing debian-binary)", what));
  CAIRN_ASSIGN_OR_RETURN(ArMember version, ReadArHeader(file, pos, what));
  if (version.name != "debian-binary")
    return IntegrityError(
        fmt::format("{}: not a Debian package (missing debian-binary; first member is '{}')", what,
                    version.name));
  if (version.size > kMaxVersionMemberSize)
    return IntegrityError(fmt::format("{}: debian-binary is {} bytes (at most {} expected)", what,
                                      version.size, kMaxVersionMemberSize));
  CAIRN_ASSIGN_OR_RETURN(std::string version_text, file.ReadRange(version.offset, version.size));
  CAIRN_ASSIGN_OR_RETURN(pkg.format_version_, ParseFormatVersion(version_text, what));
  pos = NextHeader(version);

  // Then the control member and the data member, in that order; '_' members
  // may come anywhere before the data member and are skipped.
  bool have_control = false;
  bool have_data = false;
  while (!have_data && pos < file.size()) {
    CAIRN_ASSIGN_OR_RETURN(ArMember member, ReadArHeader(file, pos, what));
    pos = NextHeader(member);
    if (StartsWith(member.name, "_")) continue;
    if (const MemberKind* kind = FindKind(kControlMembers, member.name)) {
      if (have_control)
        return IntegrityError(fmt::format("{}: has two control members ('{}' and '{}')", what,
                                          pkg.control_member_.name, member.name));
      pkg.control_member_ = std::move(member);
      pkg.control_compression_ = kind->compression;
      have_control = true;
    } else if (const MemberKind* kind = FindKind(kDataMembers, member.name)) {
      if (!have_control)
        return IntegrityError(
            fmt::format("{}: data member '{}' comes before the control member", what, member.name));
      pkg.data_member_ = std::move(member);
      pkg.data_compression_ = kind->compression;
      have_data = true;
    } else if (StartsWith(member.name, "control.tar")) {
      return IntegrityError(
          fmt::format("{}: control member '{}' has an unsupported compression "
                      "(expected {})",
                      what, member.name, kControlNames));
    } else if (StartsWith(member.name, "data.tar")) {
      return IntegrityError(
          fmt::format("{}: data member '{}' has an unsupported compression (expected {})", what,
                      member.name, kDataNames));
    } else {
      return IntegrityError(fmt::format("{}: unexpected member '{}' (expected {} or {})", what,
                                        member.name, kControlNames, kDataNames));
    }
  }
  if (!have_control)
    return IntegrityError(
        fmt::format("{}: missing control member (expected {})", what, kControlNames));
  if (!have_data)
    return IntegrityError(fmt::format("{}: missing data member (expected {})", what, kDataNames));

  // The control member is small: read it, decompress it and untar it in memory.
  const ArMember& control = pkg.control_member_;
  if (control.size > kMaxControlSize)
    return IntegrityError(fmt::format("{}: control member '{}' is {} bytes (at most {} expected)",
                                      what, control.name, control.size, kMaxControlSize));
  const std::string label = MemberLabel(path, control);
  CAIRN_ASSIGN_OR_RETURN(std::string compressed, file.ReadRange(control.offset, control.size));
  std::string tar;
  {
    CAIRN_ASSIGN_OR_RETURN(auto decompressor,
                           Decompressor::OpenMemory(compressed, label, pkg.control_compression_));
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(std::string_view chunk, decompressor.Read());
      if (chunk.empty()) break;
      if (tar.size() + chunk.size() > kMaxControlSize)
        return IntegrityError(
            fmt::format("'{}' decompresses to more than {} bytes", label, kMaxControlSize));
      tar.append(chunk);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(auto reader, ArchiveReader::OpenMemory(tar, label));
  ArchiveEntry entry;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader.Next(&entry));
    if (!more) break;
    // Only top-level regular files are control files; dpkg ignores the rest.
    if (entry.type != rootfs::FileType::kRegular) continue;
    auto name = rootfs::NormalizePath(entry.pathname);
    if (!name.ok()) return std::move(name).error().Context(fmt::format("reading '{}'", label));
    if (name->empty() || name->find('/') != std::string::npos) continue;
    CAIRN_ASSIGN_OR_RETURN(pkg.control_files_[*name], reader.ReadAllData(kMaxControlSize));
  }
  if (pkg.control_files_.count("control") == 0)
    return IntegrityError(
        fmt::format("{}: control member '{}' has no 'control' file", what, control.name));
  for (std::string_view script : kScriptNames) {
    auto it = pkg.control_files_.find(std::string(script));
    if (it != pkg.control_files_.end()) pkg.scripts_.insert(*it);
  }
  return pkg;
}

const std::string& DebPackage::ControlFile(const std::string& name) const {
  static const std::string kEmpty;
  auto it = control_files_.find(name);
  return it == control_files_.end() ? kEmpty : it->second;
}

const std::string& DebPackage::control_text() const { return ControlFile("control"); }
const std::string& DebPackage::md5sums_text() const { return ControlFile("md5sums"); }
const std::string& DebPackage::conffiles_text() const { return ControlFile("conffiles"); }

namespace {

// The entries of a data tar, with ForEachDataEntry's rules.
Status StreamEntries(ArchiveReader& reader, const std::string& what, const DataEntryFn& fn) {
  rootfs::ContentReader content = [&](char* out, size_t cap) -> Result<size_t> {
    return reader.ReadData(out, cap);
  };
  ArchiveEntry raw;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader.Next(&raw));
    if (!more) break;
    auto entry = ToFsEntry(raw);
    if (!entry.ok()) return std::move(entry).error().Context(fmt::format("reading {}", what));
    if (entry->path.empty()) {
      if (entry->type == rootfs::FileType::kDirectory) continue;  // "./": the root itself
      return IntegrityError(
          fmt::format("{}: entry '{}' is the root but not a directory", what, raw.pathname));
    }
    const bool regular = entry->type == rootfs::FileType::kRegular;
    CAIRN_TRY(fn(*entry, regular ? &content : nullptr));
  }
  return {};
}

}  // namespace

namespace {

// A decompressor over the data member's byte range; `file`, `buf` and `pos`
// must outlive it.
Result<Decompressor> OpenDataMember(const internal::InputFile& file, std::vector<char>& buf,
                                    uint64_t& pos, const std::filesystem::path& path,
                                    const ArMember& member, uint64_t file_size,
                                    Compression compression) {
  const std::string what = fmt::format("package '{}'", path.string());
  if (file.size() != file_size)
    return IntegrityError(fmt::format("{}: changed size after it was opened ({} bytes, was {})",
                                      what, file.size(), file_size));
  // pread over the member's byte range only: the member is never held whole.
  pos = member.offset;
  const uint64_t end = member.offset + member.size;
  auto source = [&file, &buf, &pos, end, what, name = member.name]()
      -> Result<std::string_view> {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - pos));
    if (want == 0) return std::string_view();
    CAIRN_ASSIGN_OR_RETURN(size_t n, file.ReadAt(pos, buf.data(), want));
    if (n == 0)
      return IntegrityError(
          fmt::format("{}: truncated member '{}' (the file ends at {})", what, name, pos));
    pos += n;
    return std::string_view(buf.data(), n);
  };
  return Decompressor::Open(source, MemberLabel(path, member), compression);
}

// A data member may decompress to at most twice its control file's
// Installed-Size (KiB; tar headers and padding come on top of the file
// sizes) plus 16 MiB, and never past kMaxDataSize: a decompression bomb is
// stopped there, not written to the scratch disk or drained for hours.
constexpr uint64_t kMaxDataSize = 16ull << 30;

uint64_t DataLimit(std::string_view control_text) {
  size_t at = control_text.find("\nInstalled-Size:");
  if (control_text.rfind("Installed-Size:", 0) == 0) at = 0;
  else if (at != std::string_view::npos) at += 1;
  if (at == std::string_view::npos) return kMaxDataSize;
  uint64_t kib = 0;
  size_t i = at + std::string_view("Installed-Size:").size();
  while (i < control_text.size() && control_text[i] == ' ') ++i;
  size_t digits = 0;
  for (; i < control_text.size() && control_text[i] >= '0' && control_text[i] <= '9'; ++i) {
    if (++digits > 12) return kMaxDataSize;
    kib = kib * 10 + static_cast<uint64_t>(control_text[i] - '0');
  }
  if (digits == 0) return kMaxDataSize;
  return std::min<uint64_t>(kMaxDataSize, 2 * kib * 1024 + (16ull << 20));
}

// Decompressor::Read with the bound of DataLimit.
Result<std::string_view> ReadCapped(Decompressor& d, uint64_t& total, uint64_t limit,
                                    const std::string& label) {
  CAIRN_ASSIGN_OR_RETURN(std::string_view chunk, d.Read());
  total += chunk.size();
  if (total > limit)
    return IntegrityError(fmt::format(
        "'{}' decompresses to more than {} bytes (twice the control file's Installed-Size plus "
        "16 MiB, at most {}): refusing a decompression bomb",
        label, limit, kMaxDataSize));
  return chunk;
}

}  // namespace

Status DebPackage::ForEachDataEntry(const DataEntryFn& fn) const {
  const std::string what = fmt::format("package '{}'", path_.string());
  const std::string label = MemberLabel(path_, data_member_);
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path_));
  std::vector<char> buf(kChunk);
  uint64_t pos = 0;
  CAIRN_ASSIGN_OR_RETURN(auto decompressor, OpenDataMember(file, buf, pos, path_, data_member_,
                                                            file_size_, data_compression_));
  const uint64_t limit = DataLimit(control_text());
  uint64_t total = 0;
  auto read = [&] { return ReadCapped(decompressor, total, limit, label); };
  CAIRN_ASSIGN_OR_RETURN(auto reader, ArchiveReader::OpenStream(read, label));
  CAIRN_TRY(StreamEntries(reader, what, fn));
  // The tar ends before the compressed stream does (record padding, then
  // the checksum); read on so a corrupt tail is not silently accepted.
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(std::string_view chunk, read());
    if (chunk.empty()) return {};
  }
}

Status DebPackage::DecompressDataTo(const std::filesystem::path& out) const {
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path_));
  std::vector<char> buf(kChunk);
  uint64_t pos = 0;
  CAIRN_ASSIGN_OR_RETURN(auto decompressor, OpenDataMember(file, buf, pos, path_, data_member_,
                                                            file_size_, data_compression_));
  std::FILE* f = std::fopen(out.c_str(), "wbx");
  if (!f) return IoError(fmt::format("cannot create '{}': {}", out.string(), std::strerror(errno)));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  const uint64_t limit = DataLimit(control_text());
  uint64_t total = 0;
  while (true) {
    auto chunk_or = ReadCapped(decompressor, total, limit, MemberLabel(path_, data_member_));
    if (!chunk_or.ok()) {
      closer.reset();
      std::remove(out.c_str());
      return std::move(chunk_or).error();
    }
    std::string_view chunk = *chunk_or;
    if (chunk.empty()) break;  // the end of a complete, checked stream
    if (std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size())
      return IoError(fmt::format("cannot write '{}': {}", out.string(), std::strerror(errno)));
  }
  if (std::fclose(closer.release()) != 0)
    return IoError(fmt::format("cannot write '{}': {}", out.string(), std::strerror(errno)));
  return {};
}

Status DebPackage::ForEachDecompressedEntry(const std::filesystem::path& tar,
                                            const DataEntryFn& fn) const {
  const std::string what = fmt::format("package '{}'", path_.string());
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(tar));
  std::vector<char> buf(kChunk);
  uint64_t pos = 0;
  auto source = [&]() -> Result<std::string_view> {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), file.size() - pos));
    if (want == 0) return std::string_view();
    CAIRN_ASSIGN_OR_RETURN(size_t n, file.ReadAt(pos, buf.data(), want));
    if (n == 0) return IoError(fmt::format("'{}' ended early", tar.string()));
    pos += n;
    return std::string_view(buf.data(), n);
  };
  CAIRN_ASSIGN_OR_RETURN(auto reader,
                         ArchiveReader::OpenStream(source, MemberLabel(path_, data_member_)));
  return StreamEntries(reader, what, fn);
}

}  // namespace cairn::extract
