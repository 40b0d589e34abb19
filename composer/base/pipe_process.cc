#include "cairn/pipe_process.h"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "child_process.h"

namespace cairn {

Result<ProcessResult> RunPipeProcess(const ProcessOptions& o, const StdinProducer& producer) {
  if (o.stdin_data)
    return InternalError("RunPipeProcess called with stdin_data; the producer writes stdin");
  CAIRN_ASSIGN_OR_RETURN(auto child, internal::ChildProcess::Spawn(o, /*pipe_stdin=*/true));

  // What stopped the sink, if anything. The producer sees an error either way
  // (and usually returns it, wrapped); this says what really happened.
  std::optional<internal::WriteProgress> child_stopped;
  std::optional<Error> sink_failure;  // interrupt or poll() failure: the child is gone
  ByteSink sink = [&](const char* data, size_t size) -> Status {
    if (child_stopped || sink_failure)
      return ToolError(fmt::format("'{}' no longer reads its input", child->name()));
    auto progress = child->Write(std::string_view(data, size));
    if (!progress.ok()) {
      sink_failure = progress.error();
      return std::move(progress).error();
    }
    if (*progress == internal::WriteProgress::kWritten) return {};
    child_stopped = *progress;
    return ToolError(fmt::format("'{}' stopped reading its input", child->name()));
  };

  Status produced = producer(sink);
  if (sink_failure) return std::move(*sink_failure);
  if (child_stopped) {
    // A tool that fails on bad input exits early: its own exit status and
    // stderr explain more than the broken pipe does.
    CAIRN_ASSIGN_OR_RETURN(ProcessResult result, child->Wait());
    if (!result.ok()) return result;
    return ToolError(fmt::format("'{}' exited before reading all of its input", child->name()));
  }
  if (!produced.ok()) {
    child->Kill();
    return std::move(produced).error();
  }
  return child->Wait();
}

}  // namespace cairn
