// The disk builder without root: a forked child drops to uid/gid 65534 (as
// `setpriv --reuid=65534 --regid=65534 --clear-groups` would) with a PATH
// lacking the sbin directories, builds the disk, and the parent checks that
// owners in the image come from the tree, not from the builder, and that the
// bytes equal a build by root.
#include <catch2/catch.hpp>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "cairn/disk/erofs.h"
#include "unit/output/disk/disk_test_util.h"

namespace cairn::disk {
namespace {

using namespace testutil;

constexpr uid_t kNobody = 65534;

// Runs `build` in a child process as uid/gid 65534; returns "" or the error text.
template <typename Fn>
std::string RunAsNobody(const fs::path& scratch, Fn build) {
  fs::path result = scratch / "child-result";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string text;
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
      text = "cannot drop privileges";
    } else if (::getuid() != kNobody || ::geteuid() != kNobody) {
      text = "still privileged";
    } else {
      ::setenv("PATH", "/usr/bin:/bin", 1);
      text = build();
    }
    std::ofstream(result) << text;
    ::_exit(text.empty() ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  std::string text = ReadAll(result);
  INFO(text);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status) == 0 ? std::string() : (text.empty() ? "child failed" : text);
}

// Lets uid 65534 into a scratch directory: it is outside the build tree
// (which may sit below directories 65534 cannot enter), world-writable, and
// its shared parent (perhaps made under a strict umask) is searchable.
void OpenToNobody(const testing::ScratchDir& dir) {
  REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
  fs::permissions(dir.path().parent_path(), fs::perms::others_exec, fs::perm_options::add);
}

TEST_CASE("a disk built as an unprivileged user has the tree's owners", "[disk]") {
  if (::geteuid() != 0) {
    WARN("not root: the other [disk] tests already run unprivileged");
    return;
  }
  testing::ScratchDir dir("disk-rootless", /*outside_project=*/true);
  OpenToNobody(dir);
  auto store = std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree root(*store);
  rootfs::Tree esp(*store);
  FillRootTree(root);
  FillEspTree(esp);
  DiskLayout layout;
  layout.partitions = {
      {.name = "esp", .role = PartitionRole::kEsp, .filesystem = Filesystem::kVfat,
       .size = PartitionSize::Fixed(40 * kMiB)},
      {.name = "root", .role = PartitionRole::kRoot, .filesystem = Filesystem::kExt4},
  };
  PartitionContents contents{{"esp", {.tree = &esp}}, {"root", {.tree = &root}}};
  fs::path out = dir.path() / "out";
  fs::path img = out / "nobody.img";
  DiskPlan plan;
  std::string error = RunAsNobody(dir.path(), [&]() -> std::string {
    auto r = WriteDiskImage(layout, contents, img,
                            {.epoch = kEpoch, .seed = "rootless", .work_dir = dir.path() / "work"});
    if (!r.ok()) return r.error().Render();
    return {};
  });
  INFO(error);
  REQUIRE(error.empty());

  struct stat st {};
  REQUIRE(::stat(img.c_str(), &st) == 0);
  CHECK(st.st_uid == kNobody);  // really built by the unprivileged child

  auto planned = PlanDisk(layout, contents, "rootless");
  REQUIRE(planned.ok());
  const uint64_t off = planned->Find("root")->offset;
  CHECK(DebugfsStat(img, off, "/etc/motd").uid == 0);
  CHECK(DebugfsStat(img, off, "/etc/motd").gid == 0);
  CHECK(DebugfsStat(img, off, "/home/user/notes.txt").uid == 1000);
  CHECK(DebugfsStat(img, off, "/home/user/notes.txt").gid == 1000);
  CHECK(DebugfsStat(img, off, "/usr/bin/su").mode == 04755);
  CHECK(DebugfsStat(img, off, "/usr/bin/su").uid == 0);
  CHECK(DebugfsStat(img, off, "/usr/bin/wall").mode == 02755);
  CHECK(DebugfsStat(img, off, "/usr/bin/wall").gid == 5);
  CHECK(DebugfsStat(img, off, "/bin").uid == 0);
  CHECK(DebugfsStat(img, off, "/dev/null").device == "01:03");
  CHECK(DebugfsStat(img, off, "/etc/secret").mode == 0);
  CHECK(DebugfsXattr(img, off, "/usr/bin/ping", "security.capability", dir.path()) == CapNetRaw());
  CHECK(DebugfsCat(img, off, "/home/user/big \"quoted\" name") == Payload(300000, 7));
  fs::path part = dir.path() / "root.ext4";
  ExtractRange(img, off, planned->Find("root")->size, part);
  CHECK(RunCommand({"e2fsck", "-fn", part.string()}).exit_code == 0);
  CHECK(Listing(dir.path() / "work").empty());

  // The same inputs built by root give the same bytes.
  fs::path as_root = out / "root.img";
  auto r = WriteDiskImage(layout, contents, as_root,
                          {.epoch = kEpoch, .seed = "rootless", .work_dir = dir.path() / "work"});
  REQUIRE(r.ok());
  CHECK(Sha256Of(as_root) == Sha256Of(img));
}

TEST_CASE("an erofs image built as an unprivileged user equals root's", "[disk][erofs]") {
  if (::geteuid() != 0) {
    WARN("not root: the other [erofs] tests already run unprivileged");
    return;
  }
  testing::ScratchDir dir("erofs-rootless", /*outside_project=*/true);
  OpenToNobody(dir);
  auto store = std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree root(*store);
  FillRootTree(root);
  const ErofsOptions options{.epoch = kEpoch, .uuid = "4f1d2c3b-5a69-4788-9a0b-1c2d3e4f5a6b",
                             .work_dir = dir.path() / "work"};
  fs::path out = dir.path() / "out";
  fs::create_directories(out);
  REQUIRE(::chmod(out.c_str(), 0777) == 0);
  std::string error = RunAsNobody(dir.path(), [&]() -> std::string {
    auto r = WriteErofs(root, out / "nobody.erofs", options);
    return r.ok() ? std::string() : r.error().Render();
  });
  INFO(error);
  REQUIRE(error.empty());
  struct stat st {};
  REQUIRE(::stat((out / "nobody.erofs").c_str(), &st) == 0);
  CHECK(st.st_uid == kNobody);
  auto dump = RunCommand({"dump.erofs", "--path=/home/user/notes.txt", (out / "nobody.erofs").string()});
  CHECK(dump.out.find("Uid: 1000   Gid: 1000") != std::string::npos);

  auto r = WriteErofs(root, out / "root.erofs", options);
  REQUIRE(r.ok());
  CHECK(Sha256Of(out / "root.erofs") == Sha256Of(out / "nobody.erofs"));
}

}  // namespace
}  // namespace cairn::disk
