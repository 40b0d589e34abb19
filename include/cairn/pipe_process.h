// RunPipeProcess: RunProcess (cairn/subprocess.h) with the child's stdin
// produced as a stream instead of held in one string.
//
// The producer pushes the input through a ByteSink, piece by piece (e.g.
// oci::WriteTarStream into `mksquashfs - out.img -tar`). Each piece goes to
// the child's stdin while its stdout and stderr are drained with poll(), so
// a child that writes while it reads never deadlocks, and only the current
// piece is in memory. The timeout, interrupts (cairn::CheckInterrupted) and
// the process group work as in RunProcess. A non-zero exit is, as there, a
// ProcessResult for FailedProcessError, not an error of the call:
//
//   ProcessOptions opts{.argv = {"mksquashfs", "-", tmp, "-tar"}, .capture_stdout = false};
//   CAIRN_ASSIGN_OR_RETURN(ProcessResult run, RunPipeProcess(opts, [&](const ByteSink& sink) {
//     return oci::WriteTarStream(tree, sink);
//   }));
//   if (!run.ok()) return FailedProcessError(opts, run);
#pragma once

#include <functional>

#include "cairn/byte_sink.h"
#include "cairn/result.h"
#include "cairn/subprocess.h"

namespace cairn {

/// Writes a child's whole input through `sink`; returning an error abandons the run.
using StdinProducer = std::function<Status(const ByteSink& sink)>;

/// Runs `options.argv` (options.stdin_data must be unset) with stdin fed by
/// `producer`; stdin is closed when the producer returns. Outcomes:
/// - the producer finished: the child's ProcessResult, whatever its exit;
/// - the child stopped reading early (it exited, or closed stdin: EPIPE,
///   which never raises SIGPIPE in cairn): its ProcessResult if it failed or
///   timed out, so FailedProcessError shows its stderr; if it exited 0 anyway,
///   kTool "'<tool>' exited before reading all of its input";
/// - the producer failed on its own: the child is killed and that error returned;
/// - SIGINT/SIGTERM: the child's group is killed, kInterrupted.
/// Spawn errors are those of RunProcess.
Result<ProcessResult> RunPipeProcess(const ProcessOptions& options, const StdinProducer& producer);

}  // namespace cairn
