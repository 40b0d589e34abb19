#include "cairn/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace cairn {

size_t DefaultWorkers() { return std::max(1u, std::thread::hardware_concurrency()); }

Status ParallelFor(size_t n, size_t workers, const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::optional<size_t> first_failure;
  std::optional<Error> error;
  auto run = [&] {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      Status st = fn(i);
      if (st.ok()) continue;
      failed.store(true, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(mu);
      if (!first_failure || i < *first_failure) {
        first_failure = i;
        error.emplace(std::move(st).error());
      }
    }
  };
  size_t threads = std::min(std::max<size_t>(workers, 1), n);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
  if (error) return std::move(*error);
  return {};
}

}  // namespace cairn
