// WriteCpio: rootfs::Tree -> newc cpio through libarchive, optionally
// compressed by libarchive's gzip or zstd filter.
//
// The libarchive writer is wrapped here (RAII, errors with
// archive_error_string) because this module is its only cpio user; output
// goes through a client callback, so the caller decides where bytes go.
#include "cairn/initramfs/cpio.h"

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

#include "cairn/output_file.h"

namespace cairn::initramfs {
namespace {

using rootfs::FileType;
using rootfs::Node;
using rootfs::Tree;

constexpr size_t kCopyBufferSize = 64 * 1024;
constexpr uint64_t kMaxNewcSize = 0xffffffffull;  // c_filesize is 8 hex digits
// The tools' own defaults: on a kernel's 90 MB of modules gzip -9 takes 7x
// as long as -6 for 1.4% less, and zstd -15 20x as long as -3 for 15% less.
constexpr int kDefaultGzipLevel = 6;
constexpr int kDefaultZstdLevel = 3;

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

struct SinkContext {
  const ByteSink* sink = nullptr;
  std::optional<Error> error;  // the sink's own error, preferred over libarchive's text
  // Set when the stream is abandoned: archive_write_free() still flushes,
  // and a cut-off archive must not end with a trailer that looks complete.
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

// A newc writer into a client sink, with an optional compression filter.
class CpioArchive {
 public:
  static Result<CpioArchive> Open(const ByteSink& sink, CpioCompression compression, int level) {
    CpioArchive c;
    c.ctx_ = std::make_unique<SinkContext>();
    c.ctx_->sink = &sink;
    c.a_.reset(archive_write_new());
    if (!c.a_) return InternalError("archive_write_new failed");
    struct archive* a = c.a_.get();
    if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK)
      return c.Failure("selecting the newc cpio format");
    int rc = ARCHIVE_OK;
    std::string level_text = std::to_string(level);
    switch (compression) {
      case CpioCompression::kNone:
        rc = archive_write_add_filter_none(a);
        break;
      case CpioCompression::kGzip:
        // No name and no time in the gzip header (`gzip -n`).
        rc = archive_write_add_filter_gzip(a);
        if (rc == ARCHIVE_OK) rc = archive_write_set_filter_option(a, "gzip", "timestamp", nullptr);
        if (rc == ARCHIVE_OK)
          rc = archive_write_set_filter_option(a, "gzip", "compression-level", level_text.c_str());
        break;
      case CpioCompression::kZstd:
        rc = archive_write_add_filter_zstd(a);
        if (rc == ARCHIVE_OK)
          rc = archive_write_set_filter_option(a, "zstd", "compression-level", level_text.c_str());
        break;
    }
    if (rc != ARCHIVE_OK)
      return c.Failure(fmt::format("setting up {} compression", CompressionName(compression)));
    // Unblocked: the stream ends after the trailer's 4-byte padding.
    if (archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
        archive_write_open(a, c.ctx_.get(), nullptr, WriteCallback, nullptr) != ARCHIVE_OK)
      return c.Failure("opening the cpio writer");
    return c;
  }

  Status WriteHeader(struct archive_entry* e, std::string_view path) {
    if (archive_write_header(a_.get(), e) != ARCHIVE_OK)
      return Failure(fmt::format("writing the cpio header of '{}'", path));
    return {};
  }

  Status WriteData(const char* data, size_t size, std::string_view path) {
    while (size > 0) {
      la_ssize_t n = archive_write_data(a_.get(), data, size);
      if (n <= 0) return Failure(fmt::format("writing the cpio data of '{}'", path));
      data += n;
      size -= static_cast<size_t>(n);
    }
    return {};
  }

  /// Writes the TRAILER!!! entry and flushes the compressor.
  Status Finish() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Failure("finishing the cpio stream");
    return {};
  }

  CpioArchive(CpioArchive&&) = default;
  CpioArchive& operator=(CpioArchive&&) = default;
  ~CpioArchive() {
    if (!a_) return;
    ctx_->discard = true;
    // archive_write_free() skips close() after a fatal error, which leaks
    // the client buffer; close() accepts the fatal state, so call it here.
    archive_write_close(a_.get());
    a_.reset();
  }

 private:
  CpioArchive() = default;

  Error Failure(std::string what) {
    if (ctx_ && ctx_->error) return Error(*ctx_->error).Context(std::move(what));
    const char* msg = a_ ? archive_error_string(a_.get()) : nullptr;
    return IoError(fmt::format("{}: {}", what, msg ? msg : "unknown libarchive error"));
  }

  std::unique_ptr<SinkContext> ctx_;  // stable address for the callback
  std::unique_ptr<struct archive, ArchiveFree> a_;
};

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

// One hard-link group: the regular file and the links to it, sorted, which
// is the order they appear in the archive.
struct LinkGroup {
  std::vector<std::string> members;
  uint64_t ino = 0;  // assigned when the first member is written
};

// path -> its group, for every member of every group.
Result<std::map<std::string, std::shared_ptr<LinkGroup>, std::less<>>> PlanHardlinks(
    const Tree& tree) {
  std::map<std::string, std::shared_ptr<LinkGroup>, std::less<>> by_target;
  for (const auto& [path, node] : tree.nodes()) {
    if (node.meta.type != FileType::kHardlink) continue;
    const Node* target = tree.Find(node.meta.link_target);
    if (!target || target->meta.type != FileType::kRegular)
      return IntegrityError(fmt::format(
          "hard link '{}' points to '{}', which is not a regular file in the tree", path,
          node.meta.link_target));
    auto& group = by_target[node.meta.link_target];
    if (!group) {
      group = std::make_shared<LinkGroup>();
      group->members.push_back(node.meta.link_target);
    }
    group->members.push_back(path);
  }
  std::map<std::string, std::shared_ptr<LinkGroup>, std::less<>> member_of;
  for (auto& [target, group] : by_target) {
    std::sort(group->members.begin(), group->members.end());
    for (const auto& m : group->members) member_of[m] = group;
  }
  return member_of;
}

Result<int> LevelFor(const CpioOptions& o) {
  switch (o.compression) {
    case CpioCompression::kNone:
      if (o.level) return UsageError("an uncompressed cpio takes no compression level");
      return 0;
    case CpioCompression::kGzip:
      if (o.level && (*o.level < 1 || *o.level > 9))
        return UsageError(
            fmt::format("gzip compression level {} is out of range (expected 1 to 9)", *o.level));
      return o.level.value_or(kDefaultGzipLevel);
    case CpioCompression::kZstd:
      if (o.level && (*o.level < 1 || *o.level > 19))
        return UsageError(
            fmt::format("zstd compression level {} is out of range (expected 1 to 19)", *o.level));
      return o.level.value_or(kDefaultZstdLevel);
  }
  return 0;
}

}  // namespace

std::string_view CompressionName(CpioCompression compression) {
  switch (compression) {
    case CpioCompression::kNone: return "none";
    case CpioCompression::kGzip: return "gzip";
    case CpioCompression::kZstd: return "zstd";
  }
  return "none";
}

Result<CpioCompression> ParseCompression(std::string_view name) {
  for (auto c : {CpioCompression::kNone, CpioCompression::kGzip, CpioCompression::kZstd})
    if (CompressionName(c) == name) return c;
  return UsageError(
      fmt::format("unknown initramfs compression '{}' (expected none, gzip or zstd)", name));
}

Status WriteCpio(const Tree& tree, const ByteSink& sink, const CpioOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(int level, LevelFor(options));
  CAIRN_ASSIGN_OR_RETURN(auto groups, PlanHardlinks(tree));
  const int64_t epoch = std::max<int64_t>(options.epoch, 0);
  auto clamp_time = [epoch](int64_t t) { return std::clamp<int64_t>(t, 0, epoch); };
  CAIRN_ASSIGN_OR_RETURN(CpioArchive cpio, CpioArchive::Open(sink, options.compression, level));

  std::unique_ptr<struct archive_entry, EntryFree> entry(archive_entry_new());
  if (!entry) return InternalError("archive_entry_new failed");
  std::vector<char> buf(kCopyBufferSize);
  uint64_t next_ino = 1;

  // The root: the kernel chowns and chmods its rootfs to this entry.
  struct archive_entry* e = entry.get();
  archive_entry_set_pathname(e, ".");
  archive_entry_set_filetype(e, AE_IFDIR);
  archive_entry_set_perm(e, 0755);
  archive_entry_set_nlink(e, 2);
  archive_entry_set_ino64(e, static_cast<la_int64_t>(next_ino++));
  archive_entry_set_mtime(e, static_cast<time_t>(epoch), 0);
  archive_entry_set_size(e, 0);
  CAIRN_TRY(cpio.WriteHeader(e, "."));

  for (const auto& [path, listed] : tree.nodes()) {
    // A hard-link group member takes its metadata and content from the file it links to.
    const Node* node = &listed;
    if (listed.meta.type == FileType::kHardlink) node = tree.Find(listed.meta.link_target);
    const rootfs::FsEntry& m = node->meta;
    std::shared_ptr<LinkGroup> group;
    if (auto it = groups.find(path); it != groups.end()) group = it->second;
    const bool with_data =
        m.type == FileType::kRegular && (!group || group->members.back() == path);
    if (m.type == FileType::kRegular && node->content.size > kMaxNewcSize)
      return IntegrityError(fmt::format(
          "'{}' is {} bytes; a newc cpio holds files below 4 GiB", path, node->content.size));

    uint64_t ino = group && group->ino != 0 ? group->ino : next_ino++;
    if (group) group->ino = ino;
    e = entry.get();
    archive_entry_clear(e);
    archive_entry_copy_pathname(e, path.c_str());
    archive_entry_set_filetype(e, TypeBits(m.type));
    archive_entry_set_perm(e, m.mode & 07777);
    archive_entry_set_uid(e, m.uid);
    archive_entry_set_gid(e, m.gid);
    archive_entry_set_ino64(e, static_cast<la_int64_t>(ino));
    archive_entry_set_nlink(
        e, group ? static_cast<unsigned>(group->members.size())
                 : (m.type == FileType::kDirectory ? 2u : 1u));
    archive_entry_set_mtime(e, static_cast<time_t>(clamp_time(m.mtime)), 0);
    archive_entry_set_size(e, with_data ? static_cast<la_int64_t>(node->content.size) : 0);
    if (m.type == FileType::kSymlink) archive_entry_copy_symlink(e, m.link_target.c_str());
    if (m.type == FileType::kCharDevice || m.type == FileType::kBlockDevice) {
      archive_entry_set_rdevmajor(e, m.dev_major);
      archive_entry_set_rdevminor(e, m.dev_minor);
    }
    CAIRN_TRY(cpio.WriteHeader(e, path));

    if (!with_data) continue;
    uint64_t offset = 0;
    while (offset < node->content.size) {
      CAIRN_ASSIGN_OR_RETURN(size_t n,
                             tree.store().ReadAt(node->content, offset, buf.data(), buf.size()));
      if (n == 0)
        return IntegrityError(fmt::format("the spooled content of '{}' is truncated", path));
      CAIRN_TRY(cpio.WriteData(buf.data(), n, path));
      offset += n;
    }
  }
  return cpio.Finish();
}

Status WriteCpioFile(const Tree& tree, const std::filesystem::path& out,
                     const CpioOptions& options) {
  const std::string what = fmt::format("writing initramfs '{}'", out.string());
  auto file = OutputFile::Create(out);
  if (!file.ok()) return std::move(file).error().Context(what);
  Status written = WriteCpio(tree, [&](const char* p, size_t n) { return file->Write(p, n); },
                             options);
  if (!written.ok()) return std::move(written).error().Context(what);
  Status committed = file->Commit();
  if (!committed.ok()) return std::move(committed).error().Context(what);
  return {};
}

}  // namespace cairn::initramfs
