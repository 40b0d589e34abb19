#include "compose/deb_unpack_ahead.h"

#include <system_error>

#include <fmt/format.h>

namespace cairn::compose {

DebUnpackAhead::DebUnpackAhead(const std::vector<OpenedDeb>& packages, std::filesystem::path dir,
                               size_t window)
    : packages_(packages), dir_(std::move(dir)), window_(window) {}

DebUnpackAhead::~DebUnpackAhead() {
  for (size_t i = 0; i < tasks_.size(); ++i) {
    if (tasks_[i].valid()) tasks_[i].wait();
    Release(i);
  }
}

std::filesystem::path DebUnpackAhead::PathOf(size_t i) const {
  return dir_ / fmt::format("data-{}.tar", i);
}

void DebUnpackAhead::StartUpTo(size_t last) {
  last = std::min(last, packages_.size() - 1);
  while (tasks_.size() <= last) {
    size_t i = tasks_.size();
    const OpenedDeb* pkg = &packages_[i];
    std::filesystem::path out = PathOf(i);
    tasks_.push_back(std::async(std::launch::async,
                                [pkg, out] { return pkg->file.DecompressDataTo(out); }));
  }
}

Result<std::filesystem::path> DebUnpackAhead::Get(size_t i) {
  if (i >= packages_.size())
    return InternalError(fmt::format("no package {} to unpack", i));
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return IoError(fmt::format("cannot create '{}': {}", dir_.string(), ec.message()));
  StartUpTo(i + window_);
  Status st = tasks_[i].get();
  if (!st.ok()) return std::move(st).error();
  return PathOf(i);
}

void DebUnpackAhead::Release(size_t i) {
  std::error_code ec;
  std::filesystem::remove(PathOf(i), ec);  // best effort: the staging directory goes anyway
}

}  // namespace cairn::compose
