// rootfs::Tree: the image's root filesystem as an in-memory model.
//
// Metadata (type, mode, owner, times, xattrs, link targets, devices) lives in
// memory; regular-file bytes live in a ContentStore, an append-only spool
// file on disk, so memory does not grow with payload size. Nothing touches the
// host filesystem's ownership: uid/gid/devices are just recorded, so no root
// is needed. Paths are relative ("etc/passwd"); the root itself is "".
//
//   auto store = rootfs::ContentStore::Create(workdir);
//   rootfs::Tree tree(*store);
//   CAIRN_TRY(tree.AddFile("etc/motd", "hello\n", 0644));
//   CAIRN_TRY(tree.Add(entry, &reader, /*owner=*/3));
//   for (const auto& [path, node] : tree.nodes()) ...   // sorted, parents first
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::rootfs {

/// Where a regular file's bytes are in the spool.
struct Blob {
  uint64_t offset = 0;
  uint64_t size = 0;
};

/// Append-only content spool in a temporary file (unlinked on creation).
/// Safe for concurrent use: each Append reserves its byte range up front, so
/// extraction threads can spool files while the tree is built elsewhere.
class ContentStore {
 public:
  static Result<std::unique_ptr<ContentStore>> Create(const std::filesystem::path& dir);
  ~ContentStore();
  ContentStore(const ContentStore&) = delete;
  ContentStore& operator=(const ContentStore&) = delete;

  /// Streams `reader` to the end of the spool. Fails if the byte count differs
  /// from `expected_size` (the reserved range is then left unused). If sha1_out is given, stores the raw SHA-1 of the
  /// content there (apk's installed database records it as Z:).
  Result<Blob> Append(const ContentReader& reader, uint64_t expected_size,
                      std::string* sha1_out = nullptr);
  Result<Blob> AppendBytes(std::string_view bytes);
  /// Reads up to cap bytes at `offset` within the blob; 0 at its end.
  Result<size_t> ReadAt(const Blob& blob, uint64_t offset, char* buf, size_t cap) const;
  Result<std::string> ReadAll(const Blob& blob) const;

 private:
  explicit ContentStore(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::atomic<uint64_t> end_{0};
};

/// A regular file's bytes already in the store (spooled by an extraction
/// thread before the entry is placed) and their raw SHA-1.
struct StoredContent {
  Blob blob;
  std::string sha1;
};

struct Node {
  FsEntry meta;          ///< meta.path equals the key in Tree::nodes()
  Blob content;          ///< regular files only
  std::string sha1;      ///< raw SHA-1 of content (files) or of the link target (symlinks)
  int owner = -1;        ///< index of the package that installed it; -1 = cairn itself
};

class Tree {
 public:
  explicit Tree(ContentStore& store);

  /// Places an entry. Parent directories that do not exist are created
  /// (root:root 0755, mtime of the entry). A parent that is a symlink to a
  /// directory inside the tree is followed (usr-merged roots: "bin" ->
  /// "usr/bin" or "/usr/bin"); resolution is chroot-like, so a target such as
  /// "../../etc" is clamped at the root and never leaves it, and directories
  /// missing at a link's destination are created. A parent that is a file is
  /// a kIntegrity error. An existing directory is kept when a directory is
  /// added again (its metadata is updated only if `owner` is the same
  /// package), and so is a symlink that resolves to a directory; anything
  /// else is replaced (a replaced directory loses its subtree). For regular
  /// files, `content` must stream meta.size bytes. A hard link's target must
  /// already be a regular file; the link shares its content and sha1 and its
  /// link_target is stored resolved.
  Status Add(FsEntry entry, const ContentReader* content, int owner = -1);
  /// Add for a regular file whose content is already in this tree's store;
  /// `stored.blob.size` must equal entry.size.
  Status AddStored(FsEntry entry, StoredContent stored, int owner = -1);
  /// Convenience for files cairn writes itself (owner -1).
  Status AddFile(std::string_view path, std::string_view content, uint32_t mode = 0644,
                 uint32_t uid = 0, uint32_t gid = 0, int64_t mtime = 0);
  Status AddDirectory(std::string_view path, uint32_t mode = 0755, uint32_t uid = 0,
                      uint32_t gid = 0, int64_t mtime = 0);
  Status AddSymlink(std::string_view path, std::string_view target, int64_t mtime = 0);

  /// The node at exactly this path (no symlink following), or nullptr.
  const Node* Find(std::string_view path) const;
  Node* FindMutable(std::string_view path);
  /// Follows symlinks (in every component, up to 40 hops, never leaving the
  /// root) and returns the final path, which may not exist.
  Result<std::string> Resolve(std::string_view path) const;
  /// Content of a regular file (follows symlinks); for small files like /etc/passwd.
  Result<std::string> ReadFile(std::string_view path) const;
  /// Removes a path and, for a directory, everything below it.
  void Remove(std::string_view path);

  /// Every node, sorted by path; a parent always precedes its children. The
  /// root directory itself is not included.
  const std::map<std::string, Node, std::less<>>& nodes() const { return nodes_; }
  ContentStore& store() const { return store_; }

  /// Sets every mtime newer than `epoch` to `epoch` (SOURCE_DATE_EPOCH clamp).
  void ClampMtimes(int64_t epoch);

 private:
  Status AddImpl(FsEntry entry, const ContentReader* content, StoredContent* stored, int owner);
  // follow_last=false leaves a symlink in the final component unresolved.
  Result<std::string> ResolveImpl(std::string_view path, bool follow_last) const;
  // Resolves `parent` and creates missing directories along it; returns the
  // resolved parent path. full_path is only for error messages.
  Result<std::string> PlaceParents(std::string_view parent, std::string_view full_path,
                                   int64_t mtime, int owner);

  ContentStore& store_;
  std::map<std::string, Node, std::less<>> nodes_;
};

/// "regular file", "directory", "symlink", ... for messages.
std::string_view FileTypeName(FileType type);

/// Normalises a path from an archive or declaration: strips leading "/" and
/// "./", collapses "//" and "."; rejects ".." components, NUL bytes and empty
/// names with a kIntegrity error naming the path.
Result<std::string> NormalizePath(std::string_view path);

}  // namespace cairn::rootfs
