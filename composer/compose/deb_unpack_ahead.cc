#include "compose/deb_unpack_ahead.h"

#include <system_error>

#include <fmt/format.h>

namespace cairn::compose {

DebUnpackAhead::DebUnpackAhead(const std::vector<OpenedDeb>& packages, std::filesystem::path dir,
                               size_t window)
    : packages_(packages),
      dir_(std::move(dir)),
      ahead_(packages.size(), window, [this](size_t i) { return Unpack(i); }) {}

DebUnpackAhead::~DebUnpackAhead() {
  ahead_.Stop();
  for (size_t i = 0; i < ahead_.started(); ++i) Release(i);
}

std::filesystem::path DebUnpackAhead::PathOf(size_t i) const {
  return dir_ / fmt::format("data-{}.tar", i);
}

Result<std::filesystem::path> DebUnpackAhead::Unpack(size_t i) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return IoError(fmt::format("cannot create '{}': {}", dir_.string(), ec.message()));
  CAIRN_TRY(packages_[i].file.DecompressDataTo(PathOf(i)));
  return PathOf(i);
}

Result<std::filesystem::path> DebUnpackAhead::Get(size_t i) { return ahead_.Take(i); }

void DebUnpackAhead::Release(size_t i) {
  std::error_code ec;
  std::filesystem::remove(PathOf(i), ec);  // best effort: the staging directory goes anyway
}

}  // namespace cairn::compose
