// Layer snapshots: a small binary record format (little-endian integers,
// length-prefixed strings) for nodes, and a plain concatenation of content.
// Binary rather than JSON because restoring thousands of nodes is on the
// path an incremental build is timed by.
#include "cairn/rootfs/layer_snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "cairn/binary_record.h"
#include "cairn/file_util.h"
#include "cairn/mapped_file.h"

namespace cairn::rootfs {
namespace {

constexpr std::string_view kMagic = "cairn-layer-snapshot 1\n";

bool HasContent(const Node& n) {
  return (n.meta.type == FileType::kRegular || n.meta.type == FileType::kHardlink) &&
         n.content.size > 0;
}

void WriteNode(BinaryWriter& w, const Node& n, uint64_t content_offset) {
  const FsEntry& m = n.meta;
  w.Str(m.path);
  w.U64(static_cast<uint64_t>(m.type));
  w.U64(m.mode);
  w.U64(m.uid);
  w.U64(m.gid);
  w.I64(m.mtime);
  w.U64(m.size);
  w.Str(m.link_target);
  w.U64(m.dev_major);
  w.U64(m.dev_minor);
  w.U64(m.xattrs.size());
  for (const auto& [k, v] : m.xattrs) {
    w.Str(k);
    w.Str(v);
  }
  w.U64(content_offset);
  w.U64(n.content.size);
  w.Str(n.sha1);
  w.I64(n.owner);
}

bool ReadNode(BinaryReader& r, Node& n) {
  FsEntry& m = n.meta;
  uint64_t type = 0, xattrs = 0;
  if (!r.Str(m.path) || !r.U64(type) || type > static_cast<uint64_t>(FileType::kFifo) ||
      !r.Int(m.mode) || !r.Int(m.uid) || !r.Int(m.gid) || !r.Int(m.mtime) || !r.Int(m.size) ||
      !r.Str(m.link_target) || !r.Int(m.dev_major) || !r.Int(m.dev_minor) || !r.Count(xattrs))
    return false;
  m.type = static_cast<FileType>(type);
  for (uint64_t i = 0; i < xattrs; ++i) {
    std::string k, v;
    if (!r.Str(k) || !r.Str(v)) return false;
    m.xattrs.emplace(std::move(k), std::move(v));
  }
  int64_t owner = 0;
  if (!r.Int(n.content.offset) || !r.Int(n.content.size) || !r.Str(n.sha1) || !r.Int(owner))
    return false;
  n.owner = static_cast<int>(owner);
  return true;
}

// Closes a descriptor when the scope ends.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Status WriteLayerSnapshot(const Tree& tree, int layer, const std::filesystem::path& nodes_file,
                          const std::filesystem::path& content_file) {
  Fd content;
  content.fd = ::open(content_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (content.fd < 0)
    return ErrnoError(fmt::format("cannot create '{}'", content_file.string()), errno);
  BinaryWriter w(kMagic);
  std::vector<const Node*> nodes;
  for (const auto& [path, node] : tree.nodes())
    if (node.layer == layer) nodes.push_back(&node);
  w.U64(nodes.size());
  // Each spool blob once: hard links share their target's bytes.
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> placed;  // blob start -> content offset
  uint64_t content_end = 0;
  for (const Node* n : nodes) {
    uint64_t at = 0;
    if (HasContent(*n)) {
      auto [it, fresh] =
          placed.try_emplace(std::make_pair(n->content.file, n->content.offset), content_end);
      if (fresh) {
        Status copied = tree.store().CopyToFile(n->content, content.fd, content_end);
        if (!copied.ok())
          return std::move(copied).error().Context(
              fmt::format("writing '{}' to '{}'", n->meta.path, content_file.string()));
        content_end += n->content.size;
      }
      at = it->second;
    }
    WriteNode(w, *n, at);
  }
  const auto& whiteouts = tree.Whiteouts(layer);
  w.U64(whiteouts.size());
  for (const auto& p : whiteouts) w.Str(p);
  w.U64(content_end);
  if (::fsync(content.fd) != 0)
    return ErrnoError(fmt::format("cannot write '{}'", content_file.string()), errno);
  return WriteFileAtomic(nodes_file, w.Seal());
}

Status ReadLayerSnapshot(const std::filesystem::path& nodes_file,
                         const std::filesystem::path& content_file, Tree& tree) {
  CAIRN_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(nodes_file));
  const std::string source = nodes_file.string();
  CAIRN_ASSIGN_OR_RETURN(BinaryReader r, BinaryReader::Open(mapped.data(), kMagic, source));
  uint64_t count = 0;
  if (!r.Count(count)) return r.Corrupt("truncated");
  std::vector<Node> nodes;
  nodes.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    Node n;
    if (!ReadNode(r, n)) return r.Corrupt("truncated");
    nodes.push_back(std::move(n));
  }
  uint64_t whiteout_count = 0, content_size = 0;
  if (!r.Count(whiteout_count)) return r.Corrupt("truncated");
  std::vector<std::string> whiteouts(whiteout_count);
  for (auto& p : whiteouts)
    if (!r.Str(p)) return r.Corrupt("truncated");
  if (!r.U64(content_size) || !r.AtEnd()) return r.Corrupt("malformed");

  Fd content;
  content.fd = ::open(content_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (content.fd < 0)
    return ErrnoError(fmt::format("cannot open '{}'", content_file.string()), errno);
  off_t size = ::lseek(content.fd, 0, SEEK_END);
  if (size < 0 || static_cast<uint64_t>(size) != content_size)
    return IntegrityError(fmt::format("layer snapshot content '{}' is {} bytes, expected {}",
                                      content_file.string(), size, content_size));
  for (const Node& n : nodes)
    if (HasContent(n) && (n.content.offset > content_size ||
                          n.content.size > content_size - n.content.offset))
      return r.Corrupt(fmt::format("pointing past its content for '{}'", n.meta.path));

  // The store reads the layer's bytes from the snapshot itself, no copy:
  // cache files are only ever replaced by rename, never changed in place.
  CAIRN_ASSIGN_OR_RETURN(uint32_t file, tree.store().AttachFile(std::exchange(content.fd, -1)));
  for (const auto& p : whiteouts) tree.AddWhiteout(p);
  for (Node& n : nodes) {
    if (HasContent(n))
      n.content.file = file;
    else
      n.content = {};
    tree.RestoreNode(std::move(n));
  }
  return {};
}

}  // namespace cairn::rootfs
