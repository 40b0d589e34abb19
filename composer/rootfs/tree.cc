// rootfs::Tree: placing entries, chroot-style symlink resolution, removal.
//
// Resolution works like a kernel lookup inside a chroot: ".." at the root
// stays at the root and an absolute link target restarts from the root, so no
// path ever escapes the tree. The same resolver places parents, which is how
// usr-merged roots ("bin" -> "usr/bin") receive files addressed to "bin/...".
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "cairn/digest.h"
#include "cairn/rootfs/tree.h"

namespace cairn::rootfs {
namespace {

// Linux's MAXSYMLINKS.
constexpr int kMaxSymlinkHops = 40;

std::pair<std::string_view, std::string_view> SplitParent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string Join(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  return fmt::format("{}/{}", parent, name);
}

// Pushes the components of `path` so that the first component is on top.
void PushComponents(std::string_view path, std::vector<std::string>& todo) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  todo.insert(todo.end(), parts.rbegin(), parts.rend());
}

}  // namespace

std::string_view FileTypeName(FileType type) {
  switch (type) {
    case FileType::kRegular: return "regular file";
    case FileType::kDirectory: return "directory";
    case FileType::kSymlink: return "symlink";
    case FileType::kHardlink: return "hard link";
    case FileType::kCharDevice: return "character device";
    case FileType::kBlockDevice: return "block device";
    case FileType::kFifo: return "fifo";
  }
  return "unknown";
}

Tree::Tree(ContentStore& store) : store_(store) {}

void Tree::BeginLayer(int layer) { current_layer_ = layer; }

bool Tree::SameObject(const Node& a, const Node& b) {
  return a.owner == b.owner && a.meta.type == b.meta.type && a.meta.mode == b.meta.mode &&
         a.meta.uid == b.meta.uid && a.meta.gid == b.meta.gid && a.meta.mtime == b.meta.mtime &&
         a.meta.size == b.meta.size && a.meta.link_target == b.meta.link_target &&
         a.meta.dev_major == b.meta.dev_major && a.meta.dev_minor == b.meta.dev_minor &&
         a.meta.xattrs == b.meta.xattrs && a.sha1 == b.sha1;
}

const std::set<std::string>& Tree::Whiteouts(int layer) const {
  static const std::set<std::string> kNone;
  auto it = whiteouts_.find(layer);
  return it == whiteouts_.end() ? kNone : it->second;
}

void Tree::RestoreNode(Node node) {
  node.layer = current_layer_;
  // Snapshots come in path order: onto an empty tree (the bottom layer, the
  // one with most nodes) each node goes at the end, without a search.
  if (nodes_.empty() || nodes_.rbegin()->first < node.meta.path) {
    node.over_lower = false;
    std::string key = node.meta.path;
    nodes_.emplace_hint(nodes_.end(), std::move(key), std::move(node));
    return;
  }
  auto existing = nodes_.lower_bound(node.meta.path);
  if (existing != nodes_.end() && existing->first == node.meta.path) {
    node.over_lower = existing->second.layer != current_layer_;
    existing->second = std::move(node);
    return;
  }
  node.over_lower = false;
  std::string key = node.meta.path;
  nodes_.emplace_hint(existing, std::move(key), std::move(node));
}

const Node* Tree::Find(std::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

Node* Tree::FindMutable(std::string_view path) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return nullptr;
  Node& node = it->second;
  if (node.layer != current_layer_) {
    node.over_lower = true;
    node.layer = current_layer_;
  }
  return &node;
}

Result<std::string> Tree::Resolve(std::string_view path) const {
  return ResolveImpl(path, /*follow_last=*/true);
}

Result<std::string> Tree::ResolveImpl(std::string_view path, bool follow_last) const {
  std::vector<std::string> todo;
  PushComponents(path, todo);
  std::string out;
  std::vector<size_t> lengths;  // out.size() before each component, for ".."
  int hops = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    if (comp == ".") continue;
    if (comp == "..") {
      if (!lengths.empty()) {
        out.resize(lengths.back());
        lengths.pop_back();
      }
      continue;
    }
    std::string candidate = Join(out, comp);
    const Node* node = Find(candidate);
    if (node && node->meta.type == FileType::kSymlink && (follow_last || !todo.empty())) {
      if (++hops > kMaxSymlinkHops)
        return IntegrityError(
            fmt::format("too many levels of symbolic links resolving '{}'", path));
      const std::string& target = node->meta.link_target;
      if (!target.empty() && target[0] == '/') {
        out.clear();
        lengths.clear();
      }
      PushComponents(target, todo);
      continue;
    }
    lengths.push_back(out.size());
    out = std::move(candidate);
  }
  return out;
}

Result<std::string> Tree::PlaceParents(std::string_view parent, std::string_view full_path,
                                       int64_t mtime, int owner) {
  CAIRN_ASSIGN_OR_RETURN(std::string resolved, ResolveImpl(parent, /*follow_last=*/true));
  size_t i = 0;
  while (i < resolved.size()) {
    size_t j = resolved.find('/', i);
    if (j == std::string::npos) j = resolved.size();
    std::string_view prefix = std::string_view(resolved).substr(0, j);
    auto it = nodes_.find(prefix);
    if (it == nodes_.end()) {
      Node dir;
      dir.meta.path = std::string(prefix);
      dir.meta.type = FileType::kDirectory;
      dir.meta.mode = 0755;
      dir.meta.mtime = mtime;
      dir.owner = owner;
      dir.layer = current_layer_;
      nodes_.emplace(std::string(prefix), std::move(dir));
    } else if (it->second.meta.type != FileType::kDirectory) {
      return IntegrityError(fmt::format("cannot place '{}': '{}' is a {}, not a directory",
                                        full_path, prefix,
                                        FileTypeName(it->second.meta.type)));
    }
    i = j + 1;
  }
  return resolved;
}

Status Tree::Add(FsEntry entry, const ContentReader* content, int owner) {
  return AddImpl(std::move(entry), content, nullptr, owner);
}

Status Tree::AddStored(FsEntry entry, StoredContent stored, int owner) {
  if (entry.type != FileType::kRegular || stored.blob.size != entry.size)
    return InternalError(fmt::format("stored content of '{}' is {} bytes for a {} of {} bytes",
                                     entry.path, stored.blob.size, FileTypeName(entry.type),
                                     entry.size));
  return AddImpl(std::move(entry), nullptr, &stored, owner);
}

Status Tree::AddImpl(FsEntry entry, const ContentReader* content, StoredContent* stored,
                     int owner) {
  CAIRN_ASSIGN_OR_RETURN(std::string path, NormalizePath(entry.path));
  if (path.empty()) {
    // The root directory is implicit; a package listing "./" is harmless.
    if (entry.type == FileType::kDirectory) return {};
    return IntegrityError(
        fmt::format("cannot place a {} at the root directory", FileTypeName(entry.type)));
  }
  auto [raw_parent, name] = SplitParent(path);
  CAIRN_ASSIGN_OR_RETURN(std::string parent, PlaceParents(raw_parent, path, entry.mtime, owner));
  std::string key = Join(parent, name);

  bool over_lower = false;
  auto existing = nodes_.find(key);
  if (existing != nodes_.end()) {
    Node& old = existing->second;
    over_lower = old.layer != current_layer_ || old.over_lower;
    if (entry.type == FileType::kDirectory) {
      if (old.meta.type == FileType::kDirectory) {
        // Packages ship the same directories over and over: a directory is
        // attributed to this layer only if its metadata really changes.
        if (old.owner == owner &&
            (old.meta.mode != entry.mode || old.meta.uid != entry.uid ||
             old.meta.gid != entry.gid || old.meta.mtime != entry.mtime ||
             old.meta.xattrs != entry.xattrs)) {
          old.meta.mode = entry.mode;
          old.meta.uid = entry.uid;
          old.meta.gid = entry.gid;
          old.meta.mtime = entry.mtime;
          old.meta.xattrs = std::move(entry.xattrs);
          old.over_lower = over_lower;
          old.layer = current_layer_;
        }
        return {};
      }
      if (old.meta.type == FileType::kSymlink) {
        // A usr-merged "bin" -> "usr/bin" must survive a package that ships
        // "bin/" as a real directory: its contents land in usr/bin instead.
        CAIRN_ASSIGN_OR_RETURN(std::string target, Resolve(key));
        const Node* t = Find(target);
        if (t && t->meta.type == FileType::kDirectory) return {};
      }
    }
    if (old.meta.type == FileType::kDirectory) Remove(key);
  }

  Node node;
  node.meta = std::move(entry);
  node.meta.path = key;
  node.owner = owner;
  node.layer = current_layer_;
  node.over_lower = over_lower;
  switch (node.meta.type) {
    case FileType::kRegular: {
      if (stored) {
        node.content = stored->blob;
        node.sha1 = std::move(stored->sha1);
      } else if (content) {
        auto blob = store_.Append(*content, node.meta.size, &node.sha1);
        if (!blob.ok()) return std::move(blob).error().Context(fmt::format("storing '{}'", key));
        node.content = *blob;
      } else if (node.meta.size != 0) {
        return InternalError(fmt::format("no content given for '{}' ({} bytes expected)", key,
                                         node.meta.size));
      } else {
        node.sha1 = Sha1("");
      }
      break;
    }
    case FileType::kSymlink:
      node.sha1 = Sha1(node.meta.link_target);
      break;
    case FileType::kHardlink: {
      CAIRN_ASSIGN_OR_RETURN(std::string target, NormalizePath(node.meta.link_target));
      auto [tparent, tname] = SplitParent(target);
      CAIRN_ASSIGN_OR_RETURN(std::string resolved_parent, ResolveImpl(tparent, true));
      std::string target_key = Join(resolved_parent, tname);
      const Node* t = Find(target_key);
      if (!t || t->meta.type != FileType::kRegular)
        return IntegrityError(fmt::format(
            "hard link '{}' points to '{}', which is not a regular file in the tree", key,
            node.meta.link_target));
      node.meta.link_target = target_key;
      node.meta.size = t->meta.size;
      node.content = t->content;
      node.sha1 = t->sha1;
      break;
    }
    case FileType::kDirectory:
    case FileType::kCharDevice:
    case FileType::kBlockDevice:
    case FileType::kFifo:
      break;
  }
  // Effects rewrite files cairn made in a lower layer (ld.so.cache, passwd,
  // busybox links, dpkg's status); the same bytes and metadata again are not
  // a change, so the node stays in its layer and out of the upper OCI layer.
  if (auto again = nodes_.find(key); again != nodes_.end() &&
                                     again->second.layer != current_layer_ &&
                                     SameObject(again->second, node))
    return {};
  nodes_.insert_or_assign(std::move(key), std::move(node));
  return {};
}

Status Tree::AddFile(std::string_view path, std::string_view content, uint32_t mode,
                     uint32_t uid, uint32_t gid, int64_t mtime) {
  FsEntry e;
  e.path = std::string(path);
  e.type = FileType::kRegular;
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  e.mtime = mtime;
  e.size = content.size();
  size_t pos = 0;
  ContentReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
    size_t n = std::min(cap, content.size() - pos);
    std::copy_n(content.data() + pos, n, buf);
    pos += n;
    return n;
  };
  return Add(std::move(e), &reader);
}

Status Tree::AddDirectory(std::string_view path, uint32_t mode, uint32_t uid, uint32_t gid,
                          int64_t mtime) {
  FsEntry e;
  e.path = std::string(path);
  e.type = FileType::kDirectory;
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  e.mtime = mtime;
  return Add(std::move(e), nullptr);
}

Status Tree::AddSymlink(std::string_view path, std::string_view target, int64_t mtime) {
  FsEntry e;
  e.path = std::string(path);
  e.type = FileType::kSymlink;
  e.mode = 0777;
  e.mtime = mtime;
  e.link_target = std::string(target);
  return Add(std::move(e), nullptr);
}

Result<std::string> Tree::ReadFile(std::string_view path) const {
  CAIRN_ASSIGN_OR_RETURN(std::string resolved, Resolve(path));
  const Node* node = Find(resolved);
  if (!node) return NotFoundError(fmt::format("'{}' does not exist in the tree", path));
  if (node->meta.type != FileType::kRegular && node->meta.type != FileType::kHardlink)
    return NotFoundError(fmt::format("'{}' is a {}, not a regular file", path,
                                     FileTypeName(node->meta.type)));
  return store_.ReadAll(node->content);
}

void Tree::Remove(std::string_view path) {
  auto normalized = NormalizePath(path);
  if (!normalized.ok()) return;
  auto [raw_parent, name] = SplitParent(*normalized);
  auto parent = ResolveImpl(raw_parent, true);
  if (!parent.ok()) return;
  std::string key = Join(*parent, name);
  if (key.empty()) {
    // The root stays; each top-level entry is removed (and whited out) alone.
    std::vector<std::string> top;
    for (const auto& [p, node] : nodes_)
      if (p.find('/') == std::string::npos) top.push_back(p);
    for (const std::string& p : top) EraseSubtree(p, /*record=*/false);
    return;
  }
  EraseSubtree(key, /*record=*/false);
}

void Tree::AddWhiteout(std::string_view path) {
  auto normalized = NormalizePath(path);
  if (!normalized.ok() || normalized->empty()) return;
  auto [raw_parent, name] = SplitParent(*normalized);
  auto parent = ResolveImpl(raw_parent, true);
  if (!parent.ok()) return;
  std::string key = Join(*parent, name);
  const Node* node = Find(key);
  if (node && node->layer == current_layer_) {
    whiteouts_[current_layer_].insert(std::move(key));
    return;
  }
  EraseSubtree(key, /*record=*/true);
}

void Tree::EraseSubtree(const std::string& key, bool record) {
  // Children are exactly the keys in ["key/", "key0"): '0' follows '/'.
  auto first = nodes_.lower_bound(key + "/");
  auto last = nodes_.lower_bound(key + "0");
  auto self = nodes_.find(key);
  auto from_lower = [&](const Node& n) { return n.layer != current_layer_ || n.over_lower; };
  bool whiteout = record || (self != nodes_.end() && from_lower(self->second)) ||
                  std::any_of(first, last, [&](const auto& kv) { return from_lower(kv.second); });
  nodes_.erase(first, last);
  if (self != nodes_.end()) nodes_.erase(self);
  if (!whiteout) return;
  std::set<std::string>& set = whiteouts_[current_layer_];
  // The directory's whiteout covers whatever was whited out below it.
  set.erase(set.lower_bound(key + "/"), set.lower_bound(key + "0"));
  set.insert(key);
}

void Tree::ClampMtimes(int64_t epoch) {
  for (auto& [path, node] : nodes_) {
    if (node.meta.mtime > epoch) node.meta.mtime = epoch;
  }
}

void Tree::ClampMtimes(int64_t epoch, int layer) {
  for (auto& [path, node] : nodes_) {
    if (node.layer == layer && node.meta.mtime > epoch) node.meta.mtime = epoch;
  }
}

}  // namespace cairn::rootfs
