// ParseEditTarget and ParseEditOps: the command-line side of disk editing,
// pure functions so they are tested without an appliance.
#include <charconv>

#include <fmt/format.h>

#include "cairn/disk/edit.h"

namespace cairn::disk {
namespace {

Result<uint32_t> ParseId(std::string_view text, std::string_view what, std::string_view arg) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return UsageError(fmt::format("--owner '{}': the {} must be a number (UID:GID, e.g. 1000:1000)",
                                  arg, what));
  return value;
}

}  // namespace

std::string EditTarget::ToString() const {
  return partition.empty() ? path : partition + ":" + path;
}

Result<EditTarget> ParseEditTarget(std::string_view text) {
  if (text.empty()) return UsageError("the destination is empty (expected '/path' or 'PART:/path')");
  EditTarget t;
  if (text.front() == '/') {
    t.path = std::string(text);
  } else {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos)
      return UsageError(fmt::format("destination '{}' is not an absolute path (expected '/path' "
                                    "or 'PART:/path', PART a partition number, name or label)",
                                    text));
    if (colon == 0)
      return UsageError(fmt::format("destination '{}' names no partition before ':'", text));
    t.partition = std::string(text.substr(0, colon));
    t.path = std::string(text.substr(colon + 1));
    if (t.path.empty() || t.path.front() != '/')
      return UsageError(fmt::format("destination '{}': path '{}' is not absolute", text, t.path));
  }
  if (t.path.find('\0') != std::string::npos)
    return UsageError(fmt::format("destination '{}' contains a NUL byte", text));
  // ".." would be resolved inside the appliance, against whatever is mounted
  // there; a destination means exactly the path it spells.
  size_t pos = 0;
  while (pos <= t.path.size()) {
    size_t end = t.path.find('/', pos);
    if (end == std::string::npos) end = t.path.size();
    if (t.path.compare(pos, end - pos, "..") == 0)
      return UsageError(fmt::format("destination '{}' has a '..' component", text));
    pos = end + 1;
  }
  return t;
}

Result<std::vector<EditOp>> ParseEditOps(
    const std::vector<std::pair<std::string, std::string>>& options) {
  std::vector<EditOp> ops;
  uint32_t uid = 0, gid = 0;
  for (const auto& [name, value] : options) {
    EditOp op;
    if (name == "owner") {
      size_t colon = value.find(':');
      if (colon == std::string::npos)
        return UsageError(fmt::format("--owner '{}' is not UID:GID (e.g. 1000:1000)", value));
      CAIRN_ASSIGN_OR_RETURN(uid, ParseId(value.substr(0, colon), "uid", value));
      CAIRN_ASSIGN_OR_RETURN(gid, ParseId(value.substr(colon + 1), "gid", value));
      continue;
    }
    if (name == "copy-in") {
      op.kind = EditOp::Kind::kCopyIn;
      size_t colon = value.find(':');
      if (colon == std::string::npos || colon == 0)
        return UsageError(fmt::format("--copy-in '{}' is not SRC:DEST (e.g. "
                                      "out/app/oci:/var/lib/apps/app)",
                                      value));
      op.source = value.substr(0, colon);
      auto dest = ParseEditTarget(value.substr(colon + 1));
      if (!dest) return std::move(dest).error().Context(fmt::format("--copy-in '{}'", value));
      op.dest = std::move(dest).value();
    } else if (name == "mkdir" || name == "delete") {
      op.kind = name == "mkdir" ? EditOp::Kind::kMkdir : EditOp::Kind::kDelete;
      auto dest = ParseEditTarget(value);
      if (!dest) return std::move(dest).error().Context(fmt::format("--{} '{}'", name, value));
      op.dest = std::move(dest).value();
    } else if (name == "write") {
      op.kind = EditOp::Kind::kWrite;
      size_t eq = value.find('=');
      if (eq == std::string::npos)
        return UsageError(fmt::format("--write '{}' is not DEST=TEXT (e.g. "
                                      "/etc/hostname=device)",
                                      value));
      auto dest = ParseEditTarget(value.substr(0, eq));
      if (!dest) return std::move(dest).error().Context(fmt::format("--write '{}'", value));
      op.dest = std::move(dest).value();
      op.text = value.substr(eq + 1);
    } else {
      continue;
    }
    op.uid = uid;
    op.gid = gid;
    ops.push_back(std::move(op));
  }
  if (ops.empty())
    return UsageError("nothing to do: give at least one of --copy-in, --mkdir, --delete, --write");
  return ops;
}

}  // namespace cairn::disk
