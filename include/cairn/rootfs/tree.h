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
//
// Stacked layers: BeginLayer(i) makes i the current layer; every node created,
// replaced or edited (FindMutable) from then on is attributed to it, and
// Remove() of what a lower layer placed is recorded as a whiteout of layer i.
// oci::WriteLayerTar with LayerOptions::layer = i then writes only that layer.
//
//   tree.BeginLayer(0);  ... base packages ...;  tree.ClampMtimes(epoch, 0);
//   tree.BeginLayer(1);  ... app packages, tree.Remove("etc/motd") ...;
//   tree.ClampMtimes(epoch, 1);
//
// The tree holds the merged view only: what an upper layer replaces or
// removes is gone from it, so write (or take from a cache) each layer's blob
// as soon as that layer is finished, before the next one changes the tree.
// Attribution: created and replaced nodes, and the parent directories created
// for them, belong to the current layer; an existing directory added again
// moves up only if its metadata changes (packages repeat directories).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::rootfs {

/// Where a regular file's bytes are: in the spool, or in a file attached to
/// the store (ContentStore::AttachFile).
struct Blob {
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t file = 0;  ///< 0: the spool; n: the n-th attached file
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
  /// Appends `size` bytes of the open file `fd` from `offset` (copy_file_range,
  /// so the bytes need not pass through memory); the file must hold them.
  Result<Blob> AppendFromFile(int fd, uint64_t offset, uint64_t size);
  /// Takes `fd` (an open, read-only file that nobody changes while the store
  /// lives, such as a layer snapshot's content) as a source of blobs without
  /// copying it; returns the Blob::file to use for its ranges. At most
  /// kMaxAttached files; beyond that, kInternal (copy with AppendFromFile).
  Result<uint32_t> AttachFile(int fd);
  static constexpr size_t kMaxAttached = 256;
  /// Writes the blob's bytes to `fd` at `fd_offset` (the reverse of AppendFromFile).
  Status CopyToFile(const Blob& blob, int fd, uint64_t fd_offset) const;

 private:
  explicit ContentStore(int fd);
  int FdOf(const Blob& blob) const;
  int fd_ = -1;
  // Attached files; reserved up front so reads never see a reallocation.
  std::vector<int> attached_;
  std::mutex attach_mutex_;
  std::atomic<uint64_t> end_{0};
};

/// A regular file's bytes already in the store (spooled by an extraction
/// thread before the entry is placed) and their raw SHA-1.
struct StoredContent {
  Blob blob;
  std::string sha1;
};

/// Node::layer of a directory that exists only as the parent of something
/// (oci::ReadLayerBlob creates these): no layer writes it, the whole tree does.
inline constexpr int kNoLayer = -1;

struct Node {
  FsEntry meta;          ///< meta.path equals the key in Tree::nodes()
  Blob content;          ///< regular files only
  std::string sha1;      ///< raw SHA-1 of content (files) or of the link target (symlinks)
  int owner = -1;        ///< index of the package that installed it; -1 = cairn itself
  int layer = 0;         ///< the layer that last created or changed it (see Tree::BeginLayer)
  /// Set when the node was created or changed in its layer over a node of a
  /// lower layer, so removing it in that same layer still needs a whiteout.
  /// Only meaningful while `layer` is the tree's current layer.
  bool over_lower = false;
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
  /// link_target is stored resolved. Adding, in an upper layer, exactly what a
  /// lower layer has (type, metadata, owner, content) keeps the lower node.
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

  /// Starts attributing changes to `layer` (>= 0; layers are expected to be
  /// begun bottom first). The tree starts in layer 0.
  void BeginLayer(int layer);
  int current_layer() const { return current_layer_; }

  /// The node at exactly this path (no symlink following), or nullptr.
  const Node* Find(std::string_view path) const;
  /// Like Find, for editing metadata or content: the node is attributed to the
  /// current layer whether or not the caller then changes it, so use Find to
  /// look and FindMutable only to change.
  Node* FindMutable(std::string_view path);
  /// Follows symlinks (in every component, up to 40 hops, never leaving the
  /// root) and returns the final path, which may not exist.
  Result<std::string> Resolve(std::string_view path) const;
  /// Content of a regular file (follows symlinks); for small files like /etc/passwd.
  Result<std::string> ReadFile(std::string_view path) const;
  /// Removes a path and, for a directory, everything below it. If what is
  /// removed existed in a layer below the current one, the path becomes a
  /// whiteout of the current layer (one for a directory: whiteouts recorded
  /// below it in this layer are dropped, the directory's covers them).
  void Remove(std::string_view path);
  /// Removes `path` like Remove and records it as a whiteout of the current
  /// layer whether or not anything is there (reading a layer tar back, whose
  /// lower layers may not be in this tree). A node at `path` that the current
  /// layer itself placed is kept: a whiteout only hides lower layers.
  void AddWhiteout(std::string_view path);
  /// Paths removed from lower layers by `layer`, sorted; empty if none.
  const std::set<std::string>& Whiteouts(int layer) const;
  /// Puts `node` at node.meta.path exactly as given (no parent creation, no
  /// resolution, no content check), attributed to the current layer. For
  /// rootfs::ReadLayerSnapshot, which restores nodes a tree once had; the
  /// caller guarantees parents come first and content is in this store.
  void RestoreNode(Node node);

  /// Every node, sorted by path; a parent always precedes its children. The
  /// root directory itself is not included.
  const std::map<std::string, Node, std::less<>>& nodes() const { return nodes_; }
  ContentStore& store() const { return store_; }

  /// Sets every mtime newer than `epoch` to `epoch` (SOURCE_DATE_EPOCH clamp).
  /// With stacked layers, clamp each layer as it is finished with the overload
  /// below instead: nodes of lower layers must keep their bytes, or a cached
  /// lower layer blob would no longer match the tree.
  void ClampMtimes(int64_t epoch);
  /// ClampMtimes for the nodes attributed to `layer` only.
  void ClampMtimes(int64_t epoch, int layer);

 private:
  Status AddImpl(FsEntry entry, const ContentReader* content, StoredContent* stored, int owner);
  // Same type, metadata, owner and content: re-adding it changes nothing.
  static bool SameObject(const Node& a, const Node& b);
  // follow_last=false leaves a symlink in the final component unresolved.
  Result<std::string> ResolveImpl(std::string_view path, bool follow_last) const;
  // Resolves `parent` and creates missing directories along it; returns the
  // resolved parent path. full_path is only for error messages.
  Result<std::string> PlaceParents(std::string_view parent, std::string_view full_path,
                                   int64_t mtime, int owner);

  // Erases `key` and its subtree; records a whiteout when `record` says so
  // or when anything erased came from below the current layer.
  void EraseSubtree(const std::string& key, bool record);

  ContentStore& store_;
  std::map<std::string, Node, std::less<>> nodes_;
  int current_layer_ = 0;
  std::map<int, std::set<std::string>> whiteouts_;  // layer -> removed paths
};

/// "regular file", "directory", "symlink", ... for messages.
std::string_view FileTypeName(FileType type);

/// Normalises a path from an archive or declaration: strips leading "/" and
/// "./", collapses "//" and "."; rejects ".." components, NUL bytes, newlines,
/// names over 255 bytes and paths over 4095 bytes (Linux's NAME_MAX and
/// PATH_MAX) with a kIntegrity error naming the path.
Result<std::string> NormalizePath(std::string_view path);

}  // namespace cairn::rootfs
