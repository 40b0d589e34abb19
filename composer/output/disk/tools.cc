#include "output/disk/tools.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cairn/byte_size.h"

namespace cairn::disk::internal {

Result<std::string> LocateTool(const Tool& tool) {
  if (auto found = FindProgram(tool.program)) return found->string();
  for (const char* dir : {"/usr/sbin", "/sbin"}) {
    std::string candidate = fmt::format("{}/{}", dir, tool.program);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return ToolError(fmt::format("'{}' is not installed (install the Debian package '{}')",
                               tool.program, tool.package));
}

std::map<std::string, std::string> ToolEnv(int64_t epoch) {
  std::string when = std::to_string(epoch);
  return {{"LC_ALL", "C"},
          {"TZ", "UTC"},
          {"SOURCE_DATE_EPOCH", when},
          {"E2FSPROGS_FAKE_TIME", when},
          {"MTOOLS_SKIP_CHECK", "1"}};
}

bool HostFilesystemFull(std::string_view tool_stderr) {
  return tool_stderr.find(std::strerror(ENOSPC)) != std::string_view::npos;
}

Error HostFullError(std::string_view partition, const std::filesystem::path& image) {
  Error e = ErrnoError(fmt::format("writing partition '{}'", partition), ENOSPC);
  const std::filesystem::path dir = image.parent_path().empty() ? "." : image.parent_path();
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) == 0)
    e.Hint(fmt::format("the host's filesystem holding '{}' is full ({} free): free space "
                       "there or write the image elsewhere",
                       dir.string(), FormatSize(uint64_t{st.f_bavail} * st.f_frsize)));
  return e;
}

Result<ProcessResult> RunToolRaw(const Tool& tool, const ToolRun& run, Reporter* reporter,
                                 ProcessOptions* options_out) {
  CAIRN_ASSIGN_OR_RETURN(std::string program, LocateTool(tool));
  ProcessOptions opts;
  opts.argv.push_back(std::move(program));
  opts.argv.insert(opts.argv.end(), run.args.begin(), run.args.end());
  opts.env_set = run.env;
  opts.stdin_data = run.stdin_data;
  opts.capture_stdout = run.capture_stdout;
  if (reporter) reporter->Debug(ShellJoin(opts.argv));
  auto result = RunProcess(opts);
  if (options_out) *options_out = std::move(opts);
  return result;
}

Result<ProcessResult> RunTool(const Tool& tool, const ToolRun& run, Reporter* reporter) {
  ProcessOptions opts;
  CAIRN_ASSIGN_OR_RETURN(ProcessResult result, RunToolRaw(tool, run, reporter, &opts));
  if (!result.ok()) return FailedProcessError(opts, result);
  return result;
}

}  // namespace cairn::disk::internal
