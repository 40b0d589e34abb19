#include "support/tree_fixture.h"

#include <catch2/catch.hpp>

namespace cairn::testing {

using rootfs::FileType;
using rootfs::FsEntry;

TreeFixture::TreeFixture(const std::string& name)
    : dir(name),
      store(std::move(rootfs::ContentStore::Create(dir.path()).value())),
      tree(*store) {}

void AddEntry(rootfs::Tree& tree, FsEntry entry) {
  const std::string path = entry.path;
  Status st = tree.Add(std::move(entry), nullptr);
  INFO(path << ": " << (st.ok() ? "" : st.error().Render()));
  REQUIRE(st.ok());
}

void AddHardlink(rootfs::Tree& tree, const std::string& path, const std::string& target,
                 int64_t mtime) {
  FsEntry link;
  link.path = path;
  link.type = FileType::kHardlink;
  link.link_target = target;
  link.mtime = mtime;
  AddEntry(tree, std::move(link));
}

void AddDevice(rootfs::Tree& tree, const std::string& path, FileType type, uint32_t mode,
               uint32_t major, uint32_t minor, uint32_t gid) {
  REQUIRE((type == FileType::kCharDevice || type == FileType::kBlockDevice));
  FsEntry dev;
  dev.path = path;
  dev.type = type;
  dev.mode = mode;
  dev.gid = gid;
  dev.dev_major = major;
  dev.dev_minor = minor;
  AddEntry(tree, std::move(dev));
}

void AddFifo(rootfs::Tree& tree, const std::string& path, uint32_t mode) {
  FsEntry fifo;
  fifo.path = path;
  fifo.type = FileType::kFifo;
  fifo.mode = mode;
  AddEntry(tree, std::move(fifo));
}

void AddEmptyFile(rootfs::Tree& tree, const std::string& path, uint32_t mode,
                  std::map<std::string, std::string> xattrs, int64_t mtime) {
  FsEntry file;
  file.path = path;
  file.mode = mode;
  file.mtime = mtime;
  file.xattrs = std::move(xattrs);
  AddEntry(tree, std::move(file));
}

}  // namespace cairn::testing
