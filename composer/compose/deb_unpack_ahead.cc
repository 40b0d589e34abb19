#include "compose/deb_unpack_ahead.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

namespace cairn::compose {

DebUnpackAhead::DebUnpackAhead(const std::vector<OpenedDeb>& packages, std::filesystem::path dir,
                               size_t window, size_t first, size_t end)
    : packages_(packages),
      dir_(std::move(dir)),
      first_(std::min(first, std::min(end, packages.size()))),
      ahead_(std::min(end, packages.size()) - first_, window,
             [this](size_t k) { return Unpack(first_ + k); }) {}

DebUnpackAhead::~DebUnpackAhead() {
  ahead_.Stop();
  for (size_t k = 0; k < ahead_.started(); ++k) Release(first_ + k);
}

std::filesystem::path DebUnpackAhead::PathOf(size_t i) const {
  return dir_ / fmt::format("data-{}.tar", i);
}

Result<std::filesystem::path> DebUnpackAhead::Unpack(size_t i) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return IoError(fmt::format("cannot create '{}': {}", dir_.string(), ec.message()));
  if (!packages_[i].file)
    return InternalError(fmt::format("package '{}' is not open", packages_[i].package.name));
  CAIRN_TRY(packages_[i].file->DecompressDataTo(PathOf(i)));
  return PathOf(i);
}

Result<std::filesystem::path> DebUnpackAhead::Get(size_t i) {
  if (i < first_) return InternalError(fmt::format("package {} is below the first unpacked", i));
  return ahead_.Take(i - first_);
}

void DebUnpackAhead::Release(size_t i) {
  std::error_code ec;
  std::filesystem::remove(PathOf(i), ec);  // best effort: the staging directory goes anyway
}

}  // namespace cairn::compose
