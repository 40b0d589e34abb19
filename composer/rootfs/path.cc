#include <fmt/format.h>

#include "cairn/rootfs/tree.h"

namespace cairn::rootfs {

Result<std::string> NormalizePath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos)
    return IntegrityError(fmt::format("path '{}' contains a NUL byte", path.substr(0, path.find('\0'))));
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..")
      return IntegrityError(fmt::format("path '{}' leaves the root ('..' component)", path));
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    i = j + 1;
  }
  return out;
}

}  // namespace cairn::rootfs
