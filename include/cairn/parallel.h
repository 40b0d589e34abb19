// ParallelFor: runs fn(0) .. fn(n-1) on a few threads and reports the first
// failure by index, so the error a user sees does not depend on scheduling.
//
//   CAIRN_TRY(ParallelFor(packages.size(), DefaultWorkers(), [&](size_t i) -> Status {
//     return Verify(packages[i]);   // must be safe to call from several threads
//   }));
//
// After a failure no new indexes are started; the ones already running finish.
//
// ReadAhead: work on items i+1 .. i+window runs on other threads while the
// caller consumes item i in order (decompressing packages ahead of the
// sequential installer).
//
//   ReadAhead<Staged> ahead(packages.size(), /*window=*/2, [&](size_t i) { return Stage(i); });
//   for (size_t i = 0; i < packages.size(); ++i) {
//     CAIRN_ASSIGN_OR_RETURN(Staged s, ahead.Take(i));
//     ...
//   }
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "cairn/result.h"

namespace cairn {

/// The machine's core count (at least 1).
size_t DefaultWorkers();

/// Calls fn for every index in [0, n) on up to `workers` threads (the calling
/// thread is one of them). Returns the error of the lowest failing index.
Status ParallelFor(size_t n, size_t workers, const std::function<Status(size_t)>& fn);

template <typename T>
class ReadAhead {
 public:
  /// Nothing starts until the first Take. `window` worker threads run
  /// `work`, which must be safe to call on several threads at once for
  /// different indexes; at most `window` items beyond the one last taken are
  /// worked on or waiting.
  ReadAhead(size_t n, size_t window, std::function<Result<T>(size_t)> work)
      : n_(n), window_(std::max<size_t>(window, 1)), work_(std::move(work)), results_(n) {}
  /// Stops handing out work and waits for the items already started (they
  /// may reference the caller's data).
  ~ReadAhead() { Stop(); }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  /// Item i's result, once; lets the workers run up to i + window.
  Result<T> Take(size_t i) {
    if (i >= n_) return InternalError("ReadAhead::Take past the last item");
    std::unique_lock<std::mutex> lock(mu_);
    if (workers_.empty() && !stopping_) {
      for (size_t w = 0; w < std::min(window_, n_); ++w) workers_.emplace_back([this] { Run(); });
    }
    if (taken_[i]) return InternalError("ReadAhead::Take called twice for one item");
    limit_ = std::max(limit_, std::min(i + window_ + 1, n_));
    if (stopping_ && !results_[i]) return InternalError("ReadAhead::Take after Stop");
    if (next_ <= i) {  // not started: do it here rather than wait behind the window
      size_t k = next_++;
      lock.unlock();
      wake_workers_.notify_all();
      Result<T> r = work_(k);
      lock.lock();
      results_[k].emplace(std::move(r));
    } else {
      wake_workers_.notify_all();
    }
    done_.wait(lock, [&] { return results_[i].has_value(); });
    taken_[i] = true;
    Result<T> out = std::move(*results_[i]);
    results_[i].reset();
    return out;
  }

  /// Starts nothing more and waits for the work already running; results
  /// not taken stay available. Take after Stop only returns finished items.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_workers_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }
  /// How many items' work has been started.
  size_t started() {
    std::lock_guard<std::mutex> lock(mu_);
    return next_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_workers_.wait(lock, [&] { return stopping_ || next_ < limit_; });
      if (stopping_) return;
      size_t k = next_++;
      lock.unlock();
      Result<T> r = work_(k);
      lock.lock();
      results_[k].emplace(std::move(r));
      done_.notify_all();
    }
  }

  const size_t n_;
  const size_t window_;
  std::function<Result<T>(size_t)> work_;
  std::mutex mu_;
  std::condition_variable wake_workers_;
  std::condition_variable done_;
  std::vector<std::optional<Result<T>>> results_;
  std::vector<bool> taken_ = std::vector<bool>(n_);
  size_t next_ = 0;     // the next item to start
  size_t limit_ = 0;    // items below this may start
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cairn
