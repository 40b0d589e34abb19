// Running the host tools the disk builders use (sfdisk, mke2fs, debugfs,
// mkfs.vfat, mtools, qemu-img, mkfs.erofs under fakeroot) through RunProcess
// with a fixed environment.
//
// Tools are looked up in PATH and then in /usr/sbin and /sbin (an unprivileged
// user's PATH often lacks the sbin directories where e2fsprogs and fdisk
// live); a missing tool is a kTool error naming the Debian package to install:
//   CAIRN_ASSIGN_OR_RETURN(auto run, RunTool(kMke2fs, {"-q", ...}, ToolEnv(epoch)));
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/subprocess.h"

namespace cairn::disk::internal {

/// A program and the Debian package that ships it.
struct Tool {
  std::string_view program;
  std::string_view package;
};

inline constexpr Tool kSfdisk{"sfdisk", "fdisk"};
inline constexpr Tool kMke2fs{"mke2fs", "e2fsprogs"};
inline constexpr Tool kDebugfs{"debugfs", "e2fsprogs"};
inline constexpr Tool kMkfsVfat{"mkfs.vfat", "dosfstools"};
inline constexpr Tool kMmd{"mmd", "mtools"};
inline constexpr Tool kMcopy{"mcopy", "mtools"};
inline constexpr Tool kQemuImg{"qemu-img", "qemu-utils"};
inline constexpr Tool kMkfsErofs{"mkfs.erofs", "erofs-utils"};
inline constexpr Tool kFakeroot{"fakeroot", "fakeroot"};
inline constexpr Tool kSetfattr{"setfattr", "attr"};

/// The absolute path of the tool, or kTool "'mke2fs' is not installed
/// (install the Debian package 'e2fsprogs')".
Result<std::string> LocateTool(const Tool& tool);

/// The environment every tool gets: C locale, UTC, and the epoch as
/// SOURCE_DATE_EPOCH and E2FSPROGS_FAKE_TIME, so times and sort orders do not
/// depend on the host.
std::map<std::string, std::string> ToolEnv(int64_t epoch);

/// What to run besides the program itself.
struct ToolRun {
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::optional<std::string> stdin_data;
  bool capture_stdout = false;
};

/// Runs the tool; the returned result may have failed (callers that want to
/// interpret stderr check it). `options_out`, if given, receives the options
/// used, for FailedProcessError. Logs the argv at debug level.
Result<ProcessResult> RunToolRaw(const Tool& tool, const ToolRun& run, Reporter* reporter,
                                 ProcessOptions* options_out = nullptr);

/// Whether a tool's stderr reports the host refusing to grow `image`: errno's
/// ENOSPC text ("No space left on device"). libext2fs and mtools name a full
/// partition differently ("Could not allocate block", "Disk full").
bool HostFilesystemFull(std::string_view tool_stderr);

/// The error for that case: kIo, "writing partition 'root': No space left on
/// device", with a hint naming the full filesystem (by `image`'s directory).
Error HostFullError(std::string_view partition, const std::filesystem::path& image);

/// Runs the tool and turns a non-zero exit into FailedProcessError.
Result<ProcessResult> RunTool(const Tool& tool, const ToolRun& run, Reporter* reporter);

}  // namespace cairn::disk::internal
