// EnsureContainerDirs: apko's InitDB base directories, created only if missing.
#include "cairn/effects/container_dirs.h"

#include <fmt/format.h>

namespace cairn::effects {
namespace {

struct BaseDir {
  const char* path;
  uint32_t mode;
};

// Parents precede children so each is created with its own mode.
constexpr BaseDir kBaseDirs[] = {
    {"tmp", 01777},       {"proc", 0555},          {"dev", 0755},
    {"etc", 0755},        {"var", 0755},           {"var/cache", 0755},
    {"var/cache/apk", 0755}, {"etc/apk", 0755},    {"etc/apk/keys", 0755},
};

}  // namespace

Status EnsureContainerDirs(rootfs::Tree& tree, int64_t epoch) {
  for (const BaseDir& dir : kBaseDirs) {
    CAIRN_ASSIGN_OR_RETURN(std::string resolved, tree.Resolve(dir.path));
    const rootfs::Node* node = tree.Find(resolved);
    if (node) {
      if (node->meta.type == rootfs::FileType::kDirectory) continue;
      return IntegrityError(fmt::format("cannot create directory '{}': it exists as a {}",
                                        dir.path, rootfs::FileTypeName(node->meta.type)));
    }
    CAIRN_TRY(tree.AddDirectory(dir.path, dir.mode, 0, 0, epoch));
  }
  return {};
}

}  // namespace cairn::effects
