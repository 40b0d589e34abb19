// TreeFixture: a rootfs::Tree over its own ContentStore in a ScratchDir, plus
// REQUIRE-checked helpers for the nodes Tree::AddFile/AddDirectory/AddSymlink
// do not make (hard links, devices, fifos, empty files with xattrs), so a
// test's tree reads as a list of what is in it.
//
//   testing::TreeFixture f("cpio");
//   REQUIRE(f.tree.AddFile("bin/zcat", "zcat body\n", 0755).ok());
//   testing::AddHardlink(f.tree, "bin/gzcat", "bin/zcat");
//   testing::AddDevice(f.tree, "dev/console", rootfs::FileType::kCharDevice, 0600, 5, 1);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "cairn/rootfs/tree.h"
#include "support/test_support.h"

namespace cairn::testing {

/// A scratch directory, a content store in it and an empty tree over that store.
struct TreeFixture {
  /// `name` prefixes the scratch directory's name.
  explicit TreeFixture(const std::string& name);

  ScratchDir dir;
  std::unique_ptr<rootfs::ContentStore> store;
  rootfs::Tree tree;
};

/// tree.Add(entry) without content (any type but a non-empty regular file); REQUIREs success.
void AddEntry(rootfs::Tree& tree, rootfs::FsEntry entry);
/// A hard link at `path` to the regular file `target` (default mode 0644, root-owned).
void AddHardlink(rootfs::Tree& tree, const std::string& path, const std::string& target,
                 int64_t mtime = 0);
/// A character or block device (`type`) with the given numbers, owned by root:`gid`.
void AddDevice(rootfs::Tree& tree, const std::string& path, rootfs::FileType type, uint32_t mode,
               uint32_t major, uint32_t minor, uint32_t gid = 0);
/// A root-owned fifo.
void AddFifo(rootfs::Tree& tree, const std::string& path, uint32_t mode);
/// An empty, root-owned regular file carrying `xattrs` (name -> raw value).
void AddEmptyFile(rootfs::Tree& tree, const std::string& path, uint32_t mode,
                  std::map<std::string, std::string> xattrs, int64_t mtime = 0);

}  // namespace cairn::testing
