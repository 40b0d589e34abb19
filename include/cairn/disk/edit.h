// Editing an existing disk image (a vendor's image, or one cairn wrote)
// through the libguestfs appliance: copy host files in, make directories,
// delete paths, write small files. `cairn edit` is a thin front end.
//
//   CAIRN_ASSIGN_OR_RETURN(auto ops, disk::ParseEditOps({{"copy-in", "out/app/oci:/var/lib/apps/app"}}));
//   CAIRN_TRY(disk::EditDisk("vendor.img", "device.img", ops, {.epoch = epoch}));
//
// The input is never modified: it is copied (holes kept) to a temporary name
// beside the output, the copy is edited in one appliance launch, and it is
// renamed to the output only after the appliance shut down cleanly; on any
// error the temporary file is removed and nothing appears under the output
// name. Editing "in place" is the same with the output being the input, so
// even then a failure leaves the input as it was.
//
// A destination is "PART:/path" (PART a partition number, GPT partition name
// or filesystem label, tried in that order) or "/path": the operating system
// libguestfs inspection finds, with the filesystems its fstab mounts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn::disk {

/// Where an operation acts.
struct EditTarget {
  /// Partition number, GPT name or label; empty means the inspected OS root.
  std::string partition;
  /// Absolute path inside that filesystem (or the OS); a trailing '/' is kept
  /// (for copy-in it means "into this directory").
  std::string path;

  /// "2:/etc/motd" or "/etc/motd", for messages.
  std::string ToString() const;
};

/// Parses "PART:/path" or "/path" (split at the first ':'). Errors (kUsage):
/// an empty destination, an empty PART, a path that is not absolute, a ".."
/// component.
Result<EditTarget> ParseEditTarget(std::string_view text);

/// One step of an edit, applied in command-line order.
struct EditOp {
  enum class Kind {
    kCopyIn,  ///< `source` (file, symlink or directory tree) becomes `dest`
    kMkdir,   ///< `dest` and missing parents
    kDelete,  ///< `dest`, recursively; it must exist
    kWrite,   ///< `dest` becomes a file holding `text` (as given, no newline added)
  };
  Kind kind = Kind::kCopyIn;
  EditTarget dest;
  std::filesystem::path source;  ///< kCopyIn
  std::string text;              ///< kWrite
  /// Owner of what the operation creates (copy-in, mkdir, write); 0:0 unless
  /// an earlier --owner said otherwise.
  uint32_t uid = 0;
  uint32_t gid = 0;
};

/// Turns (option, value) pairs in command-line order into operations:
/// "copy-in" "SRC:DEST" (split at the first ':', so SRC cannot contain one),
/// "mkdir" "DEST", "delete" "DEST", "write" "DEST=TEXT" (split at the first
/// '='), and "owner" "UID:GID" (numeric), which applies to the
/// operations after it. Other options are ignored. Errors are kUsage and
/// quote the argument; no operation at all is an error too.
Result<std::vector<EditOp>> ParseEditOps(
    const std::vector<std::pair<std::string, std::string>>& options);

struct EditOptions {
  /// SOURCE_DATE_EPOCH: copied files' mtimes are clamped to it, and what
  /// mkdir and write create gets it as mtime. Unset: host mtimes are kept and
  /// new paths get the appliance's clock.
  std::optional<int64_t> epoch;
  Reporter* reporter = nullptr;  ///< nullptr: silent
};

/// Copies `disk` to a temporary file beside `out`, applies `ops` in one
/// appliance launch and renames the result to `out` (see the header comment).
/// `out` may equal `disk` (in place). The format, raw or qcow2, follows the
/// input's name (*.qcow2) and must match the output's. Errors: kNotFound for a
/// missing disk, source, destination partition (the message lists the
/// partitions there are), operating system or deleted path; kUsage for a
/// read-only filesystem (squashfs, erofs: it cannot be edited), a format
/// mismatch or a file copied over a directory; kTool for appliance failures.
/// Each error names the operation ("copy-in 'app' to '2:/opt/app'").
Status EditDisk(const std::filesystem::path& disk, const std::filesystem::path& out,
                const std::vector<EditOp>& ops, const EditOptions& options);

}  // namespace cairn::disk
