// Cooperative cancellation on SIGINT/SIGTERM. The CLI installs the handlers;
// long loops (downloads, extraction, compression) call CheckInterrupted() and
// unwind through Result, so RAII removes temporary outputs and nothing partial
// is left under a final name.
#pragma once

#include "cairn/result.h"

namespace cairn {

void InstallInterruptHandlers();
bool InterruptRequested();
/// The signal that arrived (SIGINT or SIGTERM), 0 before one did.
int InterruptSignal();
/// kInterrupted error once a signal arrived, OK otherwise.
Status CheckInterrupted();

}  // namespace cairn
