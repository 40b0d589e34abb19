// The edit verb: DISK, -o OUT (or --in-place) and the operations in
// command-line order, handed to disk::EditDisk; prints OUT when done.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "cairn/disk/edit.h"
#include "cli/verbs.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;

Result<std::optional<int64_t>> EpochFrom(const Invocation& inv) {
  // The flag beats the environment (style.md §2).
  std::string text = inv.get("source-date-epoch");
  std::string what = "--source-date-epoch";
  if (text.empty()) {
    const char* env = std::getenv("SOURCE_DATE_EPOCH");
    if (!env || !*env) return std::optional<int64_t>();
    text = env;
    what = "SOURCE_DATE_EPOCH";
  }
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || v < 0)
    return UsageError(fmt::format("{} needs a non-negative integer, not '{}'", what, text));
  return std::optional<int64_t>(v);
}

}  // namespace

Status RunEdit(const Invocation& inv, Reporter& reporter) {
  const fs::path disk = inv.args.at(0);
  fs::path out = inv.get("output");
  if (inv.has("in-place")) {
    if (!out.empty())
      return UsageError("'cairn edit' takes -o OUT or --in-place, not both")
          .Hint("see 'cairn edit --help'");
    out = disk;
  } else {
    if (out.empty())
      return UsageError("'cairn edit' needs -o OUT (or --in-place to change DISK itself)")
          .Hint("see 'cairn edit --help'");
    std::error_code ec;
    if (fs::equivalent(disk, out, ec))
      return UsageError(fmt::format("-o '{}' is DISK itself; pass --in-place to edit it in place",
                                    out.string()));
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<disk::EditOp> ops, disk::ParseEditOps(inv.ordered));
  CAIRN_ASSIGN_OR_RETURN(std::optional<int64_t> epoch, EpochFrom(inv));
  CAIRN_TRY(disk::EditDisk(disk, out, ops, {.epoch = epoch, .reporter = &reporter}));
  std::fputs((out.string() + "\n").c_str(), stdout);
  std::fflush(stdout);
  return {};
}

}  // namespace cairn::cli
