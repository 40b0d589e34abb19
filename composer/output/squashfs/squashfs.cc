// WriteSquashfs: oci::WriteTarStream piped into `mksquashfs -tar` through
// RunPipeProcess, written beside the output and renamed on success.
#include "cairn/squashfs/squashfs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "cairn/oci/tar.h"
#include "cairn/output_file.h"
#include "cairn/pipe_process.h"

namespace cairn::squashfs {
namespace {

struct LevelRange {
  int min = 0;
  int max = 0;  // 0: the compressor takes no level
};

// mksquashfs 4.5.1's -Xcompression-level ranges (`mksquashfs -help`).
LevelRange LevelsOf(std::string_view compressor) {
  if (compressor == "gzip" || compressor == "lzo") return {1, 9};
  if (compressor == "zstd") return {1, 22};
  return {};
}

}  // namespace

const std::vector<std::string>& Compressors() {
  static const std::vector<std::string> kCompressors = {"gzip", "xz", "zstd", "lz4", "lzo"};
  return kCompressors;
}

Result<std::vector<std::string>> MksquashfsArgs(const SquashfsOptions& o) {
  const auto& known = Compressors();
  if (std::find(known.begin(), known.end(), o.compressor) == known.end())
    return UsageError(fmt::format("unknown squashfs compressor '{}' (expected one of: {})",
                                  o.compressor, fmt::join(known, ", ")));
  if (o.epoch < 0 || o.epoch > int64_t{UINT32_MAX})
    return UsageError(fmt::format(
        "squashfs time {} is out of range (expected 0 to {}, seconds since 1970)", o.epoch,
        UINT32_MAX));
  if (o.block_size != 0 && (o.block_size < 4096 || o.block_size > (1u << 20) ||
                            (o.block_size & (o.block_size - 1)) != 0))
    return UsageError(fmt::format(
        "squashfs block size {} is invalid (expected a power of two from 4096 to 1048576)",
        o.block_size));
  std::string epoch = std::to_string(o.epoch);
  std::vector<std::string> args = {"-tar",       "-noappend", "-mkfs-time", epoch,
                                   "-all-time",  epoch,       "-root-mode", "0755",
                                   "-root-uid",  "0",         "-root-gid",  "0",
                                   "-comp",      o.compressor};
  if (o.compression_level) {
    LevelRange range = LevelsOf(o.compressor);
    if (range.max == 0)
      return UsageError(
          fmt::format("squashfs compressor '{}' takes no compression level", o.compressor));
    if (*o.compression_level < range.min || *o.compression_level > range.max)
      return UsageError(fmt::format("{} compression level {} is out of range (expected {} to {})",
                                    o.compressor, *o.compression_level, range.min, range.max));
    args.insert(args.end(), {"-Xcompression-level", std::to_string(*o.compression_level)});
  }
  if (o.block_size != 0) args.insert(args.end(), {"-b", std::to_string(o.block_size)});
  args.insert(args.end(), {"-quiet", "-no-progress"});
  return args;
}

Status WriteSquashfs(const rootfs::Tree& tree, const std::filesystem::path& out,
                     const SquashfsOptions& options) {
  const std::string what = fmt::format("writing squashfs image '{}'", out.string());
  auto args = MksquashfsArgs(options);
  if (!args.ok()) return std::move(args).error().Context(what);
  auto file = OutputFile::Create(out);
  if (!file.ok()) return std::move(file).error().Context(what);

  ProcessOptions run;
  run.argv = {"mksquashfs", "-", file->temp_path().string()};
  run.argv.insert(run.argv.end(), args->begin(), args->end());
  run.capture_stdout = false;
  // mksquashfs clamps times to SOURCE_DATE_EPOCH and rejects it together with
  // -mkfs-time/-all-time; the flags carry cairn's epoch.
  run.env_unset = {"SOURCE_DATE_EPOCH"};
  run.timeout = options.timeout;

  oci::TarOptions tar;
  tar.layer = options.layer;
  auto result = RunPipeProcess(run, [&](const ByteSink& sink) {
    return oci::WriteTarStream(tree, sink, tar);
  });
  if (!result.ok()) return std::move(result).error().Context(what);
  if (!result->ok()) return FailedProcessError(run, *result).Context(what);
  Status committed = file->Commit();
  if (!committed.ok()) return std::move(committed).error().Context(what);
  return {};
}

}  // namespace cairn::squashfs
