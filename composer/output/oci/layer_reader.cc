// ReadLayerBlob: file -> sha256 + extract::ArchiveReader (gunzip, tar) -> Tree.
#include "cairn/oci/layer_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <set>
#include <vector>

#include "cairn/digest.h"
#include "cairn/extract/archive.h"
#include "utf8_locale.h"

namespace cairn::oci {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using rootfs::FsEntry;
using rootfs::Tree;

constexpr size_t kChunkSize = 256 * 1024;
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

// The blob file, read in chunks and hashed as it goes.
class HashedFile {
 public:
  explicit HashedFile(int fd) : fd_(fd), buf_(kChunkSize, '\0') {}
  ~HashedFile() { ::close(fd_); }
  HashedFile(const HashedFile&) = delete;
  HashedFile& operator=(const HashedFile&) = delete;

  Result<std::string_view> Next(const fs::path& path) {
    for (;;) {
      ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(fmt::format("cannot read '{}'", path.string()), errno);
      hash_.Update(buf_.data(), static_cast<size_t>(n));
      return std::string_view(buf_.data(), static_cast<size_t>(n));
    }
  }
  /// Hashes whatever the archive reader left unread (gzip trailer, padding).
  Result<std::string> FinishHex(const fs::path& path) {
    for (;;) {
      CAIRN_ASSIGN_OR_RETURN(std::string_view chunk, Next(path));
      if (chunk.empty()) break;
    }
    return HexEncode(hash_.Finish());
  }

 private:
  int fd_;
  std::string buf_;
  Hasher hash_ = Hasher::Sha256();
};

std::pair<std::string, std::string> SplitParent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string Join(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

// The tree key `path` lands at: its parent resolved, its last component not.
Result<std::string> KeyOf(const Tree& tree, const std::string& path) {
  auto [parent, name] = SplitParent(path);
  CAIRN_ASSIGN_OR_RETURN(std::string resolved, tree.Resolve(parent));
  return Join(resolved, name);
}

Status ReadEntries(extract::ArchiveReader& reader, Tree& tree, int layer,
                   std::set<std::string>& placed) {
  extract::ArchiveEntry e;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader.Next(&e));
    if (!more) return {};
    CAIRN_ASSIGN_OR_RETURN(std::string path, rootfs::NormalizePath(e.pathname));
    if (path.empty()) continue;  // "./": the root is implicit
    auto [parent, name] = SplitParent(path);
    if (name == kOpaqueWhiteout) {
      CAIRN_ASSIGN_OR_RETURN(std::string dir, tree.Resolve(parent));
      const std::string prefix = dir.empty() ? "" : dir + "/";
      std::vector<std::string> lower;
      for (const auto& [p, node] : tree.nodes()) {
        if (p.compare(0, prefix.size(), prefix) != 0 || p.size() == prefix.size()) continue;
        if (p.find('/', prefix.size()) == std::string::npos && node.layer != layer)
          lower.push_back(p);
      }
      for (const std::string& p : lower) tree.AddWhiteout(p);
      continue;
    }
    if (name.compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) == 0) {
      std::string target = name.substr(kWhiteoutPrefix.size());
      if (target.empty() || target == "." || target == "..")
        return IntegrityError(fmt::format("whiteout '{}' names no file", e.pathname));
      tree.AddWhiteout(Join(parent, target));
      continue;
    }

    CAIRN_ASSIGN_OR_RETURN(FsEntry entry, extract::ToFsEntry(e));
    CAIRN_ASSIGN_OR_RETURN(std::string key, KeyOf(tree, path));
    if (e.type == FileType::kDirectory) {
      // An upper directory replaces a lower non-directory (a symlink to a
      // directory would otherwise be kept by Tree::Add).
      const rootfs::Node* old = tree.Find(key);
      if (old && old->meta.type != FileType::kDirectory) tree.Remove(key);
    }
    if (e.type == FileType::kRegular) {
      rootfs::ContentReader content = [&reader](char* buf, size_t cap) {
        return reader.ReadData(buf, cap);
      };
      CAIRN_TRY(tree.Add(std::move(entry), &content));
    } else {
      CAIRN_TRY(tree.Add(std::move(entry), nullptr));
    }
    // Attributes the node to this layer even where Tree::Add kept an equal
    // lower directory, and gives a directory exactly the entry's metadata.
    rootfs::Node* node = tree.FindMutable(key);
    if (!node)
      return InternalError(fmt::format("'{}' is not at '{}' after placing it", path, key));
    if (e.type == FileType::kDirectory && node->meta.type == FileType::kDirectory) {
      node->meta.mode = e.mode;
      node->meta.uid = e.uid;
      node->meta.gid = e.gid;
      node->meta.mtime = e.mtime;
      node->meta.xattrs = e.xattrs;
    }
    placed.insert(std::move(key));
  }
}

}  // namespace

Status ReadLayerBlob(const fs::path& gzip_tar, Tree& tree, int layer,
                     const std::string& expected_digest) {
  const std::string ctx = fmt::format("reading layer {} from '{}'", layer, gzip_tar.string());
  if (layer < 0)
    return InternalError(fmt::format("layer {} is not a layer index", layer)).Context(ctx);
  internal::ScopedUtf8Locale utf8;  // names in pax headers are UTF-8 (see tar_writer.cc)
  if (!utf8.ok()) return InternalError("the C.UTF-8 locale is not available");
  int fd = ::open(gzip_tar.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(fmt::format("cannot open '{}'", gzip_tar.string()), errno);
  HashedFile file(fd);
  auto reader = extract::ArchiveReader::OpenStream([&]() { return file.Next(gzip_tar); },
                                                   gzip_tar.string());
  if (!reader.ok()) return std::move(reader).error().Context(ctx);

  tree.BeginLayer(layer);
  std::set<std::string> placed;
  CAIRN_TRY_CTX(ReadEntries(*reader, tree, layer, placed), ctx);

  CAIRN_ASSIGN_OR_RETURN(std::string hex, file.FinishHex(gzip_tar));
  if (!expected_digest.empty() && "sha256:" + hex != expected_digest)
    return IntegrityError(fmt::format("'{}' has digest sha256:{} (expected {})",
                                      gzip_tar.string(), hex, expected_digest))
        .Context(ctx);

  // Parents that Tree::Add had to create are in no layer: the tar did not
  // carry them (a lower layer does), so writing this layer must not either.
  std::vector<std::string> implied;
  for (const auto& [p, node] : tree.nodes())
    if (node.layer == layer && !placed.count(p)) implied.push_back(p);
  for (const std::string& p : implied) tree.FindMutable(p)->layer = rootfs::kNoLayer;
  return {};
}

}  // namespace cairn::oci
