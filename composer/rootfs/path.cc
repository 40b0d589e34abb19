#include <fmt/format.h>

#include "cairn/rootfs/tree.h"

namespace cairn::rootfs {
namespace {

// Linux's NAME_MAX and PATH_MAX (which counts the leading '/' and the NUL):
// a longer name cannot be created on any filesystem an image is written to,
// so it is refused when read, not when an output builder trips over it.
constexpr size_t kMaxComponent = 255;
constexpr size_t kMaxPath = 4096 - 2;

// Long hostile names are shown by their start only.
std::string_view Shown(std::string_view path) { return path.substr(0, 64); }
std::string_view Ellipsis(std::string_view path) { return path.size() > 64 ? "..." : ""; }

}  // namespace

Result<std::string> NormalizePath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos)
    return IntegrityError(fmt::format("path '{}' contains a NUL byte", path.substr(0, path.find('\0'))));
  // dpkg refuses these too: its .list files and apk's database are line-based.
  if (path.find('\n') != std::string_view::npos)
    return IntegrityError(
        fmt::format("path '{}' contains a newline", path.substr(0, path.find('\n'))));
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..")
      return IntegrityError(fmt::format("path '{}' leaves the root ('..' component)", path));
    if (part.size() > kMaxComponent)
      return IntegrityError(fmt::format("path '{}{}' has a name of {} bytes (at most {})",
                                        Shown(path), Ellipsis(path), part.size(), kMaxComponent));
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    i = j + 1;
  }
  if (out.size() > kMaxPath)
    return IntegrityError(fmt::format("path '{}{}' is {} bytes long (at most {})", Shown(path),
                                      Ellipsis(path), out.size() + 1, kMaxPath + 1));
  return out;
}

}  // namespace cairn::rootfs
