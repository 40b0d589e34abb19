#include "cairn/interrupt.h"

#include <csignal>

namespace cairn {
namespace {
volatile std::sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }
}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool InterruptRequested() { return g_signal != 0; }
int InterruptSignal() { return g_signal; }

Status CheckInterrupted() {
  if (g_signal == 0) return {};
  return Error(Code::kInterrupted, g_signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)");
}

}  // namespace cairn
