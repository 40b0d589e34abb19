// Helpers for the disk tests that start the libguestfs appliance: a skip
// (or, with CAIRN_REQUIRE_BOOT_INPUTS=1, a failure) when the appliance
// cannot start on this machine, and an independent read-back of a tree from
// a mounted filesystem through a second, read-only launch.
#pragma once

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"
#include "output/disk/guestfs.h"

namespace cairn::disk::testutil {

/// True when `e` is the appliance failing to start (not a failure of the code under test).
inline bool IsLaunchFailure(const Error& e) {
  const auto& ctx = e.context();
  return std::any_of(ctx.begin(), ctx.end(), [](const std::string& c) {
    return c.rfind("starting the libguestfs appliance", 0) == 0;
  });
}

/// For a launch failure: WARN and return true (skip the rest of the test), or
/// FAIL when CAIRN_REQUIRE_BOOT_INPUTS=1 says the appliance must work here.
inline bool SkipForLaunch(const Error& e) {
  if (!IsLaunchFailure(e)) return false;
  if (const char* req = std::getenv("CAIRN_REQUIRE_BOOT_INPUTS"); req && std::string(req) == "1")
    FAIL("the libguestfs appliance cannot start and CAIRN_REQUIRE_BOOT_INPUTS=1: " << e.Render());
  WARN("SKIPPED: the libguestfs appliance cannot start (needs a kernel in /boot, e.g. "
       "linux-image-cloud-amd64): "
       << e.Render());
  return true;
}

inline void RequireOk(const Status& s) {
  INFO((s.ok() ? std::string() : s.error().Render()));
  REQUIRE(s.ok());
}

template <typename T>
T RequireValue(Result<T> r) {
  INFO((r.ok() ? std::string() : r.error().Render()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

/// Seconds since `start`, for WARN lines that record how long a launch took.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline uint32_t TypeBits(rootfs::FileType type) {
  switch (type) {
    case rootfs::FileType::kRegular:
    case rootfs::FileType::kHardlink: return S_IFREG;
    case rootfs::FileType::kDirectory: return S_IFDIR;
    case rootfs::FileType::kSymlink: return S_IFLNK;
    case rootfs::FileType::kCharDevice: return S_IFCHR;
    case rootfs::FileType::kBlockDevice: return S_IFBLK;
    case rootfs::FileType::kFifo: return S_IFIFO;
  }
  return 0;
}

/// Checks that every node of `tree` is under `mount` ("/" or "/mnt/x") in the
/// appliance as the tree says: type, mode, owner, mtime (clamped to `epoch`),
/// size and content, symlink target, device numbers, xattrs, and hard links
/// sharing one inode with the right link count.
inline void CheckTreeInGuest(GuestfsHandle& g, const rootfs::Tree& tree, const std::string& mount,
                             int64_t epoch) {
  auto guest = [&](const std::string& path) {
    return mount == "/" ? "/" + path : mount + "/" + path;
  };
  std::map<std::string, uint64_t> group_size;  // hard-link target -> names
  for (const auto& [path, node] : tree.nodes())
    if (node.meta.type == rootfs::FileType::kHardlink) ++group_size[node.meta.link_target];
  for (const auto& [path, node] : tree.nodes()) {
    INFO("path " << path);
    const bool link = node.meta.type == rootfs::FileType::kHardlink;
    const rootfs::Node& real = link ? *tree.Find(node.meta.link_target) : node;
    GuestfsStat st = RequireValue(g.Lstat(guest(path)));
    CHECK((st.mode & S_IFMT) == TypeBits(node.meta.type));
    if (real.meta.type != rootfs::FileType::kSymlink) CHECK((st.mode & 07777) == real.meta.mode);
    CHECK(st.uid == real.meta.uid);
    CHECK(st.gid == real.meta.gid);
    CHECK(st.mtime == std::min(real.meta.mtime, epoch));
    switch (real.meta.type) {
      case rootfs::FileType::kRegular: {
        CHECK(st.size == real.content.size);
        std::string want = RequireValue(tree.store().ReadAll(real.content));
        std::string got = RequireValue(g.ReadFile(guest(path)));
        CHECK((got == want));
        const std::string& key = link ? node.meta.link_target : path;
        auto it = group_size.find(key);
        CHECK(st.nlink == 1 + (it == group_size.end() ? 0 : it->second));
        if (link) CHECK(st.ino == RequireValue(g.Lstat(guest(key))).ino);
        break;
      }
      case rootfs::FileType::kSymlink:
        CHECK(RequireValue(g.ReadLink(guest(path))) == real.meta.link_target);
        break;
      case rootfs::FileType::kCharDevice:
      case rootfs::FileType::kBlockDevice:
        CHECK(major(st.rdev) == real.meta.dev_major);
        CHECK(minor(st.rdev) == real.meta.dev_minor);
        break;
      default:
        break;
    }
    CHECK(RequireValue(g.Xattrs(guest(path))) == real.meta.xattrs);
  }
}

}  // namespace cairn::disk::testutil
