// WriteTarStream: rootfs::Tree -> pax-restricted tar through libarchive.
//
// libarchive's writer is wrapped here (RAII, errors with archive_error_string)
// because this module is its only writer user. Output goes through a client
// callback, so the caller decides where bytes go (hash + gzip + blob file, or
// a pipe to mksquashfs) and nothing is buffered beyond libarchive's 10 KiB
// record.
#include "cairn/oci/tar.h"

extern "C" {
#include <archive.h>
#include <archive_entry.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "utf8_locale.h"

namespace cairn::oci {
namespace {

using rootfs::FileType;
using rootfs::Node;
using rootfs::Tree;

constexpr size_t kCopyBufferSize = 64 * 1024;

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

// State the write callback reaches through client_data.
struct SinkContext {
  const ByteSink* sink = nullptr;
  std::optional<Error> error;  // the sink's own error, preferred over libarchive's text
  // Set when the stream is abandoned: archive_write_free() still closes the
  // archive (that is what frees its buffers), and the padding and trailer it
  // writes must not reach the sink, or a cut-off stream would look complete.
  bool discard = false;
};

la_ssize_t WriteCallback(struct archive* a, void* client_data, const void* buffer,
                         size_t length) {
  auto* ctx = static_cast<SinkContext*>(client_data);
  if (ctx->discard || ctx->error) return static_cast<la_ssize_t>(length);
  Status st = (*ctx->sink)(static_cast<const char*>(buffer), length);
  if (!st.ok()) {
    ctx->error = std::move(st).error();
    archive_set_error(a, EIO, "%s", ctx->error->message().c_str());
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

// Minimal archive writer: pax-restricted, no compression filter, client sink.
class TarArchive {
 public:
  static Result<TarArchive> Open(const ByteSink& sink) {
    TarArchive t;
    t.ctx_ = std::make_unique<SinkContext>();
    t.ctx_->sink = &sink;
    t.a_.reset(archive_write_new());
    if (!t.a_) return InternalError("archive_write_new failed");
    struct archive* a = t.a_.get();
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        // Only the SCHILY.xattr.* records: LIBARCHIVE.xattr.* duplicates them.
        archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK ||
        archive_write_open(a, t.ctx_.get(), nullptr, WriteCallback, nullptr) != ARCHIVE_OK)
      return t.Failure("opening tar writer");
    return t;
  }

  Status WriteHeader(struct archive_entry* e, std::string_view path) {
    // ARCHIVE_WARN means a name could not be converted and was stored raw
    // (hdrcharset=BINARY), which still round-trips the bytes exactly.
    if (archive_write_header(a_.get(), e) < ARCHIVE_WARN)
      return Failure(fmt::format("writing tar header for '{}'", path));
    return {};
  }

  Status WriteData(const char* data, size_t size, std::string_view path) {
    while (size > 0) {
      la_ssize_t n = archive_write_data(a_.get(), data, size);
      if (n <= 0) return Failure(fmt::format("writing tar data for '{}'", path));
      data += n;
      size -= static_cast<size_t>(n);
    }
    return {};
  }

  /// Writes the end-of-archive blocks and flushes the last record.
  Status Finish() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Failure("finishing tar stream");
    return {};
  }

  TarArchive(TarArchive&&) = default;
  TarArchive& operator=(TarArchive&&) = default;
  ~TarArchive() {
    if (!a_) return;
    ctx_->discard = true;
    // archive_write_free() skips close() after a fatal error, which leaks the
    // client buffer; close() accepts the fatal state, so call it here.
    archive_write_close(a_.get());
    a_.reset();
  }

 private:
  TarArchive() = default;

  Error Failure(std::string what) {
    if (ctx_ && ctx_->error) return Error(*ctx_->error).Context(std::move(what));
    const char* msg = a_ ? archive_error_string(a_.get()) : nullptr;
    return IoError(fmt::format("{}: {}", what, msg ? msg : "unknown libarchive error"));
  }

  std::unique_ptr<SinkContext> ctx_;  // stable address for the callback
  std::unique_ptr<struct archive, ArchiveFree> a_;
};

// uid -> name from "name:pw:uid:..." (passwd) or gid -> name from
// "name:pw:gid:..." (group); the first line for an id wins, like getpwuid.
std::map<uint32_t, std::string> ParseIdNames(const std::string& text) {
  std::map<uint32_t, std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line = std::string_view(text).substr(pos, eol - pos);
    pos = eol + 1;
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos || c1 == 0) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    size_t c3 = line.find(':', c2 + 1);
    std::string_view id = line.substr(c2 + 1, c3 == std::string_view::npos ? line.npos : c3 - c2 - 1);
    if (id.empty() || id.size() > 10) continue;
    uint64_t value = 0;
    bool digits = true;
    for (char ch : id) {
      if (ch < '0' || ch > '9') {
        digits = false;
        break;
      }
      value = value * 10 + static_cast<uint64_t>(ch - '0');
    }
    if (!digits || value > UINT32_MAX) continue;
    out.emplace(static_cast<uint32_t>(value), std::string(line.substr(0, c1)));
  }
  return out;
}

std::map<uint32_t, std::string> LoadIdNames(const Tree& tree, std::string_view file) {
  auto text = tree.ReadFile(file);
  if (!text.ok()) return {};
  return ParseIdNames(*text);
}

unsigned TypeBits(FileType type) {
  switch (type) {
    case FileType::kRegular: return AE_IFREG;
    case FileType::kHardlink: return AE_IFREG;
    case FileType::kDirectory: return AE_IFDIR;
    case FileType::kSymlink: return AE_IFLNK;
    case FileType::kCharDevice: return AE_IFCHR;
    case FileType::kBlockDevice: return AE_IFBLK;
    case FileType::kFifo: return AE_IFIFO;
  }
  return AE_IFREG;
}

// For each hard-link group (a regular file plus the links to it), the path
// that carries the content: the first of the group in sorted order. Every
// other member maps to it.
// With a layer, only that layer's nodes take part; a target in a lower layer
// is no member, so the group's first link in this layer carries the content.
Result<std::map<std::string, std::string, std::less<>>> PlanHardlinks(const Tree& tree,
                                                                      int layer) {
  auto in_layer = [layer](const Node& n) { return layer < 0 || n.layer == layer; };
  std::map<std::string, std::vector<std::string>, std::less<>> groups;  // target -> links
  for (const auto& [path, node] : tree.nodes()) {
    if (node.meta.type != FileType::kHardlink || !in_layer(node)) continue;
    const Node* target = tree.Find(node.meta.link_target);
    if (!target || target->meta.type != FileType::kRegular)
      return IntegrityError(fmt::format(
          "hard link '{}' points to '{}', which is not a regular file in the tree", path,
          node.meta.link_target));
    groups[node.meta.link_target].push_back(path);
  }
  std::map<std::string, std::string, std::less<>> link_to;
  for (auto& [target, links] : groups) {
    std::vector<std::string> members = links;
    if (in_layer(*tree.Find(target))) members.push_back(target);
    std::sort(members.begin(), members.end());
    for (size_t i = 1; i < members.size(); ++i) link_to[members[i]] = members[0];
    link_to[members[0]] = "";  // primary: carries the content
  }
  return link_to;
}

}  // namespace

std::string WhiteoutName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return fmt::format(".wh.{}", path);
  return fmt::format("{}/.wh.{}", path.substr(0, slash), path.substr(slash + 1));
}

Status WriteTarStream(const Tree& tree, const ByteSink& sink, const TarOptions& options) {
  internal::ScopedUtf8Locale utf8;
  if (!utf8.ok()) return InternalError("the C.UTF-8 locale is not available");
  const Tree& accounts = options.accounts ? *options.accounts : tree;
  const auto unames = LoadIdNames(accounts, "etc/passwd");
  const auto gnames = LoadIdNames(accounts, "etc/group");
  const int layer = options.layer;
  CAIRN_ASSIGN_OR_RETURN(auto link_to, PlanHardlinks(tree, layer));
  CAIRN_ASSIGN_OR_RETURN(TarArchive tar, TarArchive::Open(sink));

  std::unique_ptr<struct archive_entry, EntryFree> entry(archive_entry_new());
  if (!entry) return InternalError("archive_entry_new failed");
  std::vector<char> buf(kCopyBufferSize);

  if (layer >= 0) {
    for (const std::string& removed : tree.Whiteouts(layer)) {
      const std::string name = WhiteoutName(removed);
      struct archive_entry* e = entry.get();
      archive_entry_clear(e);
      archive_entry_copy_pathname(e, name.c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0);
      archive_entry_set_uid(e, 0);
      archive_entry_set_gid(e, 0);
      archive_entry_set_mtime(e, 0, 0);
      archive_entry_set_size(e, 0);
      CAIRN_TRY(tar.WriteHeader(e, name));
    }
  }

  for (const auto& [path, listed] : tree.nodes()) {
    if (layer >= 0 && listed.layer != layer) continue;
    // A hard-link group member takes its metadata and content from the file
    // it links to; only where it is written as a link does it differ.
    const Node* node = &listed;
    std::string_view link_primary;
    if (auto it = link_to.find(path); it != link_to.end()) {
      if (listed.meta.type == FileType::kHardlink) node = tree.Find(listed.meta.link_target);
      link_primary = it->second;
    }
    const rootfs::FsEntry& m = node->meta;
    const bool as_link = !link_primary.empty();
    const bool with_data = m.type == FileType::kRegular && !as_link;

    struct archive_entry* e = entry.get();
    archive_entry_clear(e);
    archive_entry_copy_pathname(e, path.c_str());
    archive_entry_set_filetype(e, TypeBits(m.type));
    archive_entry_set_perm(e, m.mode & 07777);
    archive_entry_set_uid(e, m.uid);
    archive_entry_set_gid(e, m.gid);
    if (auto u = unames.find(m.uid); u != unames.end())
      archive_entry_copy_uname(e, u->second.c_str());
    if (auto g = gnames.find(m.gid); g != gnames.end())
      archive_entry_copy_gname(e, g->second.c_str());
    archive_entry_set_mtime(e, static_cast<time_t>(m.mtime), 0);
    archive_entry_set_size(e, with_data ? static_cast<la_int64_t>(node->content.size) : 0);
    if (as_link) archive_entry_copy_hardlink(e, std::string(link_primary).c_str());
    if (m.type == FileType::kSymlink) archive_entry_copy_symlink(e, m.link_target.c_str());
    if (m.type == FileType::kCharDevice || m.type == FileType::kBlockDevice) {
      archive_entry_set_rdevmajor(e, m.dev_major);
      archive_entry_set_rdevminor(e, m.dev_minor);
    }
    for (const auto& [name, value] : m.xattrs)
      archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
    CAIRN_TRY(tar.WriteHeader(e, path));

    if (!with_data) continue;
    uint64_t offset = 0;
    while (offset < node->content.size) {
      CAIRN_ASSIGN_OR_RETURN(size_t n,
                             tree.store().ReadAt(node->content, offset, buf.data(), buf.size()));
      CAIRN_TRY(tar.WriteData(buf.data(), n, path));
      offset += n;
    }
  }
  return tar.Finish();
}

}  // namespace cairn::oci
