// WriteTarStream: rootfs::Tree -> pax-restricted tar through libarchive
// (extract::LibarchiveWriter). Output goes through a client callback, so the
// caller decides where bytes go (hash + gzip + blob file, or a pipe to
// mksquashfs) and nothing is buffered beyond libarchive's 10 KiB record.
#include "cairn/oci/tar.h"

extern "C" {
#include <archive.h>
#include <archive_entry.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "cairn/extract/libarchive_writer.h"
#include "utf8_locale.h"

namespace cairn::oci {
namespace {

using rootfs::FileType;
using rootfs::Node;
using rootfs::Tree;

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
  // Header warnings are accepted: ARCHIVE_WARN means a name could not be
  // converted and was stored raw (hdrcharset=BINARY), which still
  // round-trips the bytes exactly.
  CAIRN_ASSIGN_OR_RETURN(
      extract::LibarchiveWriter tar,
      extract::LibarchiveWriter::Open(sink, {.name = "tar",
                                             .format = extract::WriterFormat::kPaxRestricted,
                                             .accept_header_warnings = true}));
  CAIRN_ASSIGN_OR_RETURN(extract::ArchiveEntryPtr entry, extract::NewArchiveEntry());

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
    extract::FillArchiveEntry(e, path, m);
    if (auto u = unames.find(m.uid); u != unames.end())
      archive_entry_copy_uname(e, u->second.c_str());
    if (auto g = gnames.find(m.gid); g != gnames.end())
      archive_entry_copy_gname(e, g->second.c_str());
    archive_entry_set_mtime(e, static_cast<time_t>(m.mtime), 0);
    archive_entry_set_size(e, with_data ? static_cast<la_int64_t>(node->content.size) : 0);
    if (as_link) archive_entry_copy_hardlink(e, std::string(link_primary).c_str());
    for (const auto& [name, value] : m.xattrs)
      archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
    CAIRN_TRY(tar.WriteHeader(e, path));

    if (with_data) CAIRN_TRY(tar.WriteBlob(tree.store(), node->content, path));
  }
  return tar.Finish();
}

}  // namespace cairn::oci
