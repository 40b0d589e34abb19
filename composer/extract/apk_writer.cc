#include "cairn/extract/apk_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <set>
#include <system_error>

#include "cairn/digest.h"
#include "cairn/extract/apk_package.h"
#include "cairn/extract/archive.h"
#include "cairn/extract/gzip_members.h"
#include "cairn/file_util.h"
#include "cairn/rootfs/tree.h"
#include "extract/input_file.h"

namespace cairn::extract {
namespace {

namespace fs = std::filesystem;
constexpr size_t kChunk = 64 * 1024;
constexpr size_t kEndOfArchive = 1024;  // two zero tar blocks

constexpr std::array<std::string_view, 7> kScriptNames = {
    ".pre-install",   ".post-install",   ".pre-upgrade", ".post-upgrade",
    ".pre-deinstall", ".post-deinstall", ".trigger",
};

// A file being written; unlinked on destruction unless renamed into place.
class OutputFile {
 public:
  static Result<OutputFile> Create(fs::path path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError(fmt::format("creating '{}'", path.string()), errno);
    return OutputFile(fd, std::move(path));
  }
  OutputFile(OutputFile&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  OutputFile& operator=(OutputFile&&) = delete;
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const fs::path& path() const { return path_; }

  Status Write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError(fmt::format("writing '{}'", path_.string()), errno);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }
  /// fsyncs, closes and renames over `final_path`.
  Status CommitAs(const fs::path& final_path) {
    if (::fsync(fd_) != 0) return ErrnoError(fmt::format("syncing '{}'", path_.string()), errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoError(fmt::format("closing '{}'", path_.string()), errno);
    if (::rename(path_.c_str(), final_path.c_str()) != 0)
      return ErrnoError(fmt::format("renaming '{}' to '{}'", path_.string(), final_path.string()),
                        errno);
    path_.clear();
    return {};
  }
  Status Close() {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoError(fmt::format("closing '{}'", path_.string()), errno);
    return {};
  }

 private:
  OutputFile(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  fs::path path_;
};

fs::path Sibling(const fs::path& out, std::string_view tag) {
  return fs::path(fmt::format("{}.{}.{}", out.string(), tag, ::getpid()));
}

// A tar of small in-memory files; without the end-of-archive marker when
// `end_of_archive` is false (abuild's signature and control members).
Result<std::string> SmallTar(const std::vector<std::pair<rootfs::FsEntry, std::string>>& files,
                             TarFormat format, bool end_of_archive, std::string_view name) {
  std::string tar;
  CAIRN_ASSIGN_OR_RETURN(auto writer, ArchiveWriter::Open(
                                          [&](std::string_view b) -> Status {
                                            tar.append(b);
                                            return {};
                                          },
                                          format, 0, std::string(name)));
  for (const auto& [meta, content] : files) {
    CAIRN_TRY(writer.WriteHeader(meta));
    CAIRN_TRY(writer.WriteData(content));
  }
  CAIRN_TRY(writer.Finish());
  if (!end_of_archive) {
    if (tar.size() < kEndOfArchive ||
        tar.find_first_not_of('\0', tar.size() - kEndOfArchive) != std::string::npos)
      return InternalError(
          fmt::format("tar for '{}' does not end with an end-of-archive marker", name));
    tar.resize(tar.size() - kEndOfArchive);
  }
  return tar;
}

rootfs::FsEntry ControlEntry(std::string path, uint32_t mode, uint64_t size, int64_t mtime) {
  rootfs::FsEntry e;
  e.path = std::move(path);
  e.type = rootfs::FileType::kRegular;
  e.mode = mode;
  e.size = size;
  e.mtime = mtime;
  return e;
}

Result<std::string> SignatureMember(const Signer& signer, std::string_view signed_member,
                                    int64_t mtime, int level) {
  CAIRN_ASSIGN_OR_RETURN(std::string sig, signer.Sign(signed_member));
  CAIRN_ASSIGN_OR_RETURN(
      std::string tar, SmallTar({{ControlEntry(signer.EntryName(), 0644, sig.size(), mtime), sig}},
                                TarFormat::kUstar, false, "signature"));
  return GzipMemberOf(tar, level);
}

// Sorted, validated copy of the entries with sizes filled in.
Result<std::vector<DataEntrySpec>> PrepareEntries(const std::vector<DataEntrySpec>& in) {
  std::vector<DataEntrySpec> out;
  out.reserve(in.size());
  std::set<std::string> seen;
  for (const auto& spec : in) {
    DataEntrySpec e = spec;
    auto path = rootfs::NormalizePath(spec.meta.path);
    if (!path.ok() || path->empty())
      return UsageError(
          fmt::format("data entry path '{}' is not a valid relative path", spec.meta.path));
    e.meta.path = std::move(*path);
    if (!seen.insert(e.meta.path).second)
      return UsageError(fmt::format("data entry '{}' is listed twice", e.meta.path));
    if (e.meta.type == rootfs::FileType::kRegular) {
      if (!e.content_file.empty()) {
        std::error_code ec;
        uintmax_t size = fs::file_size(e.content_file, ec);
        if (ec) return ErrnoError(fmt::format("reading '{}'", e.content_file.string()), ec.value());
        e.meta.size = size;
      } else {
        e.meta.size = e.content.size();
      }
    } else {
      e.meta.size = 0;
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const DataEntrySpec& a, const DataEntrySpec& b) {
    return a.meta.path < b.meta.path;
  });
  return out;
}

Status WriteEntryContent(ArchiveWriter& writer, const DataEntrySpec& e) {
  if (e.content_file.empty()) return writer.WriteData(e.content);
  CAIRN_ASSIGN_OR_RETURN(auto in, internal::InputFile::Open(e.content_file));
  std::vector<char> buf(kChunk);
  uint64_t offset = 0;
  while (offset < e.meta.size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), e.meta.size - offset));
    CAIRN_ASSIGN_OR_RETURN(size_t n, in.ReadAt(offset, buf.data(), want));
    if (n == 0)
      return IoError(
          fmt::format("'{}' shrank while it was being packaged", e.content_file.string()));
    CAIRN_TRY(writer.WriteData(std::string_view(buf.data(), n)));
    offset += n;
  }
  return {};
}

}  // namespace

Result<WrittenPackage> WriteApkPackage(const fs::path& out_path, const ApkPackageSpec& spec) {
  for (const auto& [name, body] : spec.scripts) {
    if (std::find(kScriptNames.begin(), kScriptNames.end(), name) == kScriptNames.end())
      return UsageError(fmt::format(
          "unknown script name '{}' (expected .pre-install, .post-install, .pre-upgrade, "
          ".post-upgrade, .pre-deinstall, .post-deinstall or .trigger)",
          name));
  }
  if (!PkginfoDatahash(spec.pkginfo_text).empty())
    return UsageError(".PKGINFO text already has a datahash line (the writer adds it)");
  CAIRN_ASSIGN_OR_RETURN(auto entries, PrepareEntries(spec.entries));

  // 1. The data member goes to a temporary file first: its hash must be in
  //    .PKGINFO, which precedes it in the package.
  CAIRN_ASSIGN_OR_RETURN(OutputFile data_file, OutputFile::Create(Sibling(out_path, "data")));
  Hasher data_hash = Hasher::Sha256();
  {
    CAIRN_ASSIGN_OR_RETURN(auto gz,
                           GzipCompressor::Open(spec.gzip_level, [&](std::string_view b) -> Status {
                             data_hash.Update(b);
                             return data_file.Write(b);
                           }));
    CAIRN_ASSIGN_OR_RETURN(
        auto tar, ArchiveWriter::Open([&](std::string_view b) { return gz.Write(b); },
                                      TarFormat::kPaxRestricted, 10240, out_path.string()));
    for (const auto& e : entries) {
      CAIRN_TRY(tar.WriteHeader(e.meta));
      if (e.meta.type == rootfs::FileType::kRegular) CAIRN_TRY(WriteEntryContent(tar, e));
    }
    CAIRN_TRY(tar.Finish());
    CAIRN_TRY(gz.Finish());
  }
  CAIRN_TRY(data_file.Close());
  WrittenPackage written;
  written.datahash = HexEncode(data_hash.Finish());

  // 2. Control member: .PKGINFO (with datahash) and the scripts.
  std::string pkginfo = spec.pkginfo_text;
  if (!pkginfo.empty() && pkginfo.back() != '\n') pkginfo += '\n';
  pkginfo += fmt::format("datahash = {}\n", written.datahash);
  std::vector<std::pair<rootfs::FsEntry, std::string>> control_files;
  control_files.emplace_back(ControlEntry(".PKGINFO", 0644, pkginfo.size(), spec.control_mtime),
                             pkginfo);
  for (const auto& [name, body] : spec.scripts)
    control_files.emplace_back(ControlEntry(name, 0755, body.size(), spec.control_mtime), body);
  CAIRN_ASSIGN_OR_RETURN(std::string control_tar,
                         SmallTar(control_files, TarFormat::kPaxRestricted, false, "control"));
  CAIRN_ASSIGN_OR_RETURN(std::string control, GzipMemberOf(control_tar, spec.gzip_level));
  written.checksum = "Q1" + Base64Encode(Sha1(control));

  // 3. Signature member, then everything into place.
  CAIRN_ASSIGN_OR_RETURN(OutputFile out, OutputFile::Create(Sibling(out_path, "tmp")));
  if (spec.signer != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(std::string sig, SignatureMember(*spec.signer, control,
                                                            spec.control_mtime, spec.gzip_level));
    CAIRN_TRY(out.Write(sig));
    written.size += sig.size();
  }
  CAIRN_TRY(out.Write(control));
  written.size += control.size();
  {
    CAIRN_ASSIGN_OR_RETURN(auto data_in, internal::InputFile::Open(data_file.path()));
    std::vector<char> buf(kChunk);
    uint64_t offset = 0;
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(size_t n, data_in.ReadAt(offset, buf.data(), buf.size()));
      if (n == 0) break;
      offset += n;
      CAIRN_TRY(out.Write(std::string_view(buf.data(), n)));
    }
    written.size += offset;
  }
  CAIRN_TRY(out.CommitAs(out_path));
  return written;
}

Result<std::vector<DataEntrySpec>> DataEntriesFromDirectory(const fs::path& dir, uint32_t uid,
                                                            uint32_t gid, int64_t mtime) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return NotFoundError(fmt::format("directory '{}' does not exist", dir.string()));
  std::vector<DataEntrySpec> out;
  fs::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0)
      return ErrnoError(fmt::format("reading '{}'", p.string()), errno);
    DataEntrySpec e;
    // Not fs::relative: it resolves symlinks, renaming the link itself.
    e.meta.path = p.lexically_relative(dir).generic_string();
    e.meta.mode = st.st_mode & 07777;
    e.meta.uid = uid;
    e.meta.gid = gid;
    e.meta.mtime = mtime;
    if (S_ISREG(st.st_mode)) {
      e.meta.type = rootfs::FileType::kRegular;
      e.content_file = p;
    } else if (S_ISDIR(st.st_mode)) {
      e.meta.type = rootfs::FileType::kDirectory;
    } else if (S_ISLNK(st.st_mode)) {
      e.meta.type = rootfs::FileType::kSymlink;
      e.meta.mode = 0777;
      e.meta.link_target = fs::read_symlink(p, ec).string();
      if (ec) break;
    } else {
      return UsageError(fmt::format("'{}' is not a file, directory or symlink", p.string()));
    }
    out.push_back(std::move(e));
  }
  if (ec) return ErrnoError(fmt::format("listing '{}'", dir.string()), ec.value());
  std::sort(out.begin(), out.end(), [](const DataEntrySpec& a, const DataEntrySpec& b) {
    return a.meta.path < b.meta.path;
  });
  return out;
}

Status WriteApkIndexArchive(const fs::path& out_path, std::string_view apkindex_text,
                            std::string_view description, const Signer* signer, int64_t mtime) {
  std::vector<std::pair<rootfs::FsEntry, std::string>> files;
  files.emplace_back(ControlEntry("DESCRIPTION", 0644, description.size(), mtime),
                     std::string(description));
  files.emplace_back(ControlEntry("APKINDEX", 0644, apkindex_text.size(), mtime),
                     std::string(apkindex_text));
  CAIRN_ASSIGN_OR_RETURN(std::string tar,
                         SmallTar(files, TarFormat::kPaxRestricted, true, "index"));
  CAIRN_ASSIGN_OR_RETURN(std::string member, GzipMemberOf(tar, 9));
  std::string bytes;
  if (signer != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(bytes, SignatureMember(*signer, member, mtime, 9));
  }
  bytes += member;
  return WriteFileAtomic(out_path, bytes);
}

}  // namespace cairn::extract
