// The .deb writer: two tars through the extract module's ArchiveWriter,
// compressed with CompressBytes, wrapped in an ar archive written by hand
// (the format is three lines of code, and dpkg-deb's exact header layout is
// easier to match directly than through libarchive's ar writer).
#include "cairn/testrepo/deb_builder.h"

#include <fmt/format.h>

#include <set>
#include <vector>

#include "cairn/digest.h"
#include "cairn/extract/archive.h"
#include "cairn/extract/compressed_file.h"
#include "cairn/file_util.h"
#include "cairn/rootfs/tree.h"

namespace cairn::testrepo {
namespace {

using rootfs::FileType;

struct ControlFileKind {
  std::string_view name;
  uint32_t mode;
};

// dpkg-deb requires maintainer scripts to be executable; the rest are data.
constexpr ControlFileKind kControlFileKinds[] = {
    {"preinst", 0755},  {"postinst", 0755},  {"prerm", 0755},  {"postrm", 0755},  {"config", 0755},
    {"triggers", 0644}, {"templates", 0644}, {"shlibs", 0644}, {"symbols", 0644},
};

// A relative path without empty, "." or ".." components.
bool ValidRelPath(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view comp = p.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    start = end + 1;
  }
  return true;
}

// Paths named in conffiles, without the leading '/'. A line may carry flags
// before the path ("remove-on-upgrade /etc/foo"), so the path is its last word.
std::set<std::string> ConffilePaths(std::string_view text) {
  std::set<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    size_t space = line.find_last_of(" \t");
    if (space != std::string_view::npos) line = line.substr(space + 1);
    while (!line.empty() && line.front() == '/') line.remove_prefix(1);
    if (!line.empty()) out.insert(std::string(line));
  }
  return out;
}

// The data tree by path, validated, with missing parents added as
// root:root 0755 directories.
Result<std::map<std::string, DebFile>> DataTree(const DebSpec& spec) {
  std::map<std::string, DebFile> tree;
  for (const DebFile& f : spec.files) {
    if (!ValidRelPath(f.path))
      return UsageError(fmt::format(
          "invalid path '{}' (expected a relative path such as 'usr/bin/hello')", f.path));
    if (f.type != FileType::kRegular && f.type != FileType::kDirectory &&
        f.type != FileType::kSymlink && f.type != FileType::kHardlink)
      return UsageError(
          fmt::format("'{}' is a {} (expected a regular file, directory, symlink or hard link)",
                      f.path, rootfs::FileTypeName(f.type)));
    if (f.type == FileType::kSymlink && f.link_target.empty())
      return UsageError(fmt::format("symlink '{}' has an empty target", f.path));
    if (!tree.emplace(f.path, f).second)
      return UsageError(fmt::format("path '{}' is listed twice", f.path));
  }
  for (const auto& [path, f] : tree) {
    if (f.type != FileType::kHardlink) continue;
    auto target = tree.find(f.link_target);
    if (target == tree.end() || target->second.type != FileType::kRegular)
      return UsageError(
          fmt::format("hard link '{}' points to '{}' (expected a regular file of the package)",
                      path, f.link_target));
  }
  std::vector<std::string> parents;
  for (const auto& [path, f] : tree) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1))
      parents.push_back(path.substr(0, slash));
  }
  for (const std::string& p : parents) {
    auto [it, added] =
        tree.emplace(p, DebFile{.path = p, .mode = 0755, .type = FileType::kDirectory});
    if (!added && it->second.type != FileType::kDirectory)
      return UsageError(fmt::format("'{}' is a parent directory in the spec but a {}", p,
                                    rootfs::FileTypeName(it->second.type)));
  }
  return tree;
}

std::string Md5sums(const std::map<std::string, DebFile>& tree, std::string_view conffiles_text) {
  std::set<std::string> conffiles = ConffilePaths(conffiles_text);
  std::string out;
  for (const auto& [path, f] : tree) {
    if (conffiles.count(path)) continue;
    if (f.type == FileType::kRegular)
      out += fmt::format("{}  {}\n", Md5Hex(f.content), path);
    else if (f.type == FileType::kHardlink)
      out += fmt::format("{}  {}\n", Md5Hex(tree.at(f.link_target).content), path);
  }
  return out;
}

rootfs::FsEntry Header(std::string path, FileType type, uint32_t mode, int64_t mtime) {
  rootfs::FsEntry e;
  e.path = std::move(path);
  e.type = type;
  e.mode = mode;
  e.mtime = mtime;
  return e;
}

// A tar writer appending to `out`, padded to a 10 KiB record as GNU tar
// (behind dpkg-deb) pads.
Result<extract::ArchiveWriter> OpenTar(std::string name, std::string* out) {
  return extract::ArchiveWriter::Open(
      [out](std::string_view bytes) -> Status {
        out->append(bytes);
        return {};
      },
      extract::TarFormat::kPaxRestricted, 10240, std::move(name));
}

Result<std::string> DataTar(const std::map<std::string, DebFile>& tree, int64_t mtime) {
  std::string out;
  CAIRN_ASSIGN_OR_RETURN(auto tar, OpenTar("data.tar", &out));
  CAIRN_TRY(tar.WriteHeader(Header("./", FileType::kDirectory, 0755, mtime)));
  // dpkg-deb writes symlinks after everything else, so that an unpacker
  // never follows a link that a later entry was meant to land under.
  std::vector<const DebFile*> order;
  for (const auto& [path, f] : tree)
    if (f.type != FileType::kSymlink) order.push_back(&f);
  for (const auto& [path, f] : tree)
    if (f.type == FileType::kSymlink) order.push_back(&f);
  for (const DebFile* file : order) {
    const DebFile& f = *file;
    const std::string& path = f.path;
    rootfs::FsEntry e = Header("./" + path, f.type, f.mode & 07777, mtime);
    e.uid = f.uid;
    e.gid = f.gid;
    switch (f.type) {
      case FileType::kRegular:
        e.size = f.content.size();
        break;
      case FileType::kDirectory:
        e.path += '/';
        break;
      case FileType::kSymlink:
        e.link_target = f.link_target;
        break;
      case FileType::kHardlink:
        e.link_target = "./" + f.link_target;
        break;
      default:
        break;
    }
    CAIRN_TRY(tar.WriteHeader(e));
    if (f.type == FileType::kRegular) CAIRN_TRY(tar.WriteData(f.content));
  }
  CAIRN_TRY(tar.Finish());
  return out;
}

Result<std::string> ControlTar(const DebSpec& spec, const std::string& md5sums) {
  std::map<std::string, std::pair<std::string_view, uint32_t>> files;
  files["control"] = {spec.control_text, 0644};
  if (!md5sums.empty()) files["md5sums"] = {md5sums, 0644};
  if (!spec.conffiles.empty()) files["conffiles"] = {spec.conffiles, 0644};
  for (const auto& [name, body] : spec.scripts) {
    const ControlFileKind* kind = nullptr;
    for (const ControlFileKind& k : kControlFileKinds)
      if (k.name == name) kind = &k;
    if (kind == nullptr)
      return UsageError(fmt::format(
          "unknown control file '{}' (expected preinst, postinst, prerm, postrm, config, "
          "triggers, templates, shlibs or symbols)",
          name));
    files[name] = {body, kind->mode};
  }
  std::string out;
  CAIRN_ASSIGN_OR_RETURN(auto tar, OpenTar("control.tar", &out));
  CAIRN_TRY(tar.WriteHeader(Header("./", FileType::kDirectory, 0755, spec.mtime)));
  for (const auto& [name, file] : files) {
    rootfs::FsEntry e = Header("./" + name, FileType::kRegular, file.second, spec.mtime);
    e.size = file.first.size();
    CAIRN_TRY(tar.WriteHeader(e));
    CAIRN_TRY(tar.WriteData(file.first));
  }
  CAIRN_TRY(tar.Finish());
  return out;
}

// One ar member as dpkg-deb writes it: name, mtime, uid 0, gid 0, mode
// 100644, size, each left-aligned and space-padded, then data padded to an
// even length with '\n'.
void AppendArMember(std::string* out, std::string_view name, int64_t mtime, std::string_view data) {
  out->append(fmt::format("{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", name, mtime, 0, 0, "100644",
                          data.size()));
  out->append(data);
  if (data.size() % 2 == 1) out->push_back('\n');
}

std::string_view Suffix(extract::Compression c) {
  switch (c) {
    case extract::Compression::kGzip:
      return ".gz";
    case extract::Compression::kXz:
      return ".xz";
    case extract::Compression::kZstd:
      return ".zst";
    case extract::Compression::kBzip2:
      return ".bz2";
    case extract::Compression::kLzma:
      return ".lzma";
    default:
      return "";
  }
}

}  // namespace

Result<std::string> Md5sumsFor(const DebSpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(auto tree, DataTree(spec));
  return Md5sums(tree, spec.conffiles);
}

Result<std::string> BuildDeb(const DebSpec& spec) {
  if (spec.control_text.empty()) return UsageError("the control text is empty");
  if (spec.mtime < 0)
    return UsageError(fmt::format("mtime {} is before 1970 (ar cannot store it)", spec.mtime));
  CAIRN_ASSIGN_OR_RETURN(extract::Compression data_compression,
                         extract::ParseCompression(spec.compression));
  if (data_compression == extract::Compression::kLz4)
    return UsageError(
        "unsupported compression 'lz4' for a .deb (expected 'xz', 'gzip', 'zstd', 'bzip2', "
        "'lzma' or 'none')");
  const extract::Compression control_compression =
      data_compression == extract::Compression::kBzip2 ||
              data_compression == extract::Compression::kLzma
          ? extract::Compression::kGzip
          : data_compression;

  CAIRN_ASSIGN_OR_RETURN(auto tree, DataTree(spec));
  CAIRN_ASSIGN_OR_RETURN(std::string control_tar, ControlTar(spec, Md5sums(tree, spec.conffiles)));
  CAIRN_ASSIGN_OR_RETURN(std::string data_tar, DataTar(tree, spec.mtime));
  CAIRN_ASSIGN_OR_RETURN(std::string control,
                         extract::CompressBytes(control_tar, control_compression));
  CAIRN_ASSIGN_OR_RETURN(std::string data, extract::CompressBytes(data_tar, data_compression));

  std::string out = "!<arch>\n";
  AppendArMember(&out, "debian-binary", spec.mtime, "2.0\n");
  AppendArMember(&out, fmt::format("control.tar{}", Suffix(control_compression)), spec.mtime,
                 control);
  AppendArMember(&out, fmt::format("data.tar{}", Suffix(data_compression)), spec.mtime, data);
  return out;
}

Status WriteDeb(const DebSpec& spec, const std::filesystem::path& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, BuildDeb(spec));
  return WriteFileAtomic(path, bytes, 0644);
}

}  // namespace cairn::testrepo
