#include "cairn/squashfs/squashfs.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "support/test_support.h"
#include "support/tree_fixture.h"

namespace cairn::squashfs {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using testing::RunCommand;

constexpr int64_t kEpoch = 1700000000;  // 2023-11-14 22:13:20 UTC

struct TreeFixture : testing::TreeFixture {
  TreeFixture() : testing::TreeFixture("squashfs") {}

  // Every kind of node the image must carry, with owners the host does not have.
  void Populate() {
    REQUIRE(tree.AddFile("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644, 0, 0, 100).ok());
    REQUIRE(tree.AddDirectory("home/alice", 0750, 1000, 1000, 200).ok());
    REQUIRE(tree.AddFile("home/alice/notes", "dear diary\n", 0600, 1000, 1000, 300).ok());
    REQUIRE(tree.AddFile("usr/bin/su", std::string(5000, 'x'), 04755, 0, 0, 400).ok());
    REQUIRE(tree.AddFile("usr/bin/zcat", "#!/bin/sh\nexec gzip -cd \"$@\"\n", 0755).ok());
    testing::AddHardlink(tree, "usr/bin/gzcat", "usr/bin/zcat");
    REQUIRE(tree.AddSymlink("bin", "usr/bin").ok());
    REQUIRE(tree.AddSymlink("usr/bin/sh", "/usr/bin/dash").ok());
    testing::AddDevice(tree, "dev/null", FileType::kCharDevice, 0666, 1, 3);
    testing::AddDevice(tree, "dev/vda", FileType::kBlockDevice, 0660, 254, 0, /*gid=*/6);
    testing::AddEmptyFile(tree, "usr/bin/ping", 0755, {{"user.comment", "pong"}});
    // A file newer than the epoch: -all-time must still give every inode the epoch.
    REQUIRE(tree.AddFile("var/lib/stamp", "new\n", 0644, 0, 0, kEpoch + 5000).ok());
  }
};

std::string Sha256Of(const fs::path& p) {
  auto bytes = ReadFile(p);
  REQUIRE(bytes.ok());
  return Sha256Hex(*bytes);
}

// unsquashfs -lln with the "squashfs-root" prefix removed, in UTC.
std::string Listing(const fs::path& image) {
  auto r = RunCommand({"unsquashfs", "-lln", "-d", "", image.string()}, {"TZ=UTC"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

TEST_CASE("WriteSquashfs keeps modes, owners, links, devices and sets the epoch",
          "[squashfs]") {
  TreeFixture f;
  f.Populate();
  fs::path image = f.dir.path() / "root.squashfs";
  SquashfsOptions opts{.epoch = kEpoch, .compressor = "zstd"};
  REQUIRE(WriteSquashfs(f.tree, image, opts).ok());

  // Sizes: symlinks show their target length; the root is root:root 0755.
  CHECK(Listing(image) ==
        "drwxr-xr-x 0/0                      82 2023-11-14 22:13 \n"
        "lrwxrwxrwx 0/0                       7 2023-11-14 22:13 /bin -> usr/bin\n"
        "drwxr-xr-x 0/0                      38 2023-11-14 22:13 /dev\n"
        "crw-rw-rw- 0/0                   1,  3 2023-11-14 22:13 /dev/null\n"
        "brw-rw---- 0/6                 254,  0 2023-11-14 22:13 /dev/vda\n"
        "drwxr-xr-x 0/0                      29 2023-11-14 22:13 /etc\n"
        "-rw-r--r-- 0/0                      26 2023-11-14 22:13 /etc/passwd\n"
        "drwxr-xr-x 0/0                      28 2023-11-14 22:13 /home\n"
        "drwxr-x--- 1000/1000                28 2023-11-14 22:13 /home/alice\n"
        "-rw------- 1000/1000                11 2023-11-14 22:13 /home/alice/notes\n"
        "drwxr-xr-x 0/0                      26 2023-11-14 22:13 /usr\n"
        "drwxr-xr-x 0/0                      72 2023-11-14 22:13 /usr/bin\n"
        "-rwxr-xr-x 0/0                      29 2023-11-14 22:13 /usr/bin/gzcat\n"
        "-rwxr-xr-x 0/0                       0 2023-11-14 22:13 /usr/bin/ping\n"
        "lrwxrwxrwx 0/0                      13 2023-11-14 22:13 /usr/bin/sh -> /usr/bin/dash\n"
        "-rwsr-xr-x 0/0                    5000 2023-11-14 22:13 /usr/bin/su\n"
        "-rwxr-xr-x 0/0                      29 2023-11-14 22:13 /usr/bin/zcat\n"
        "drwxr-xr-x 0/0                      26 2023-11-14 22:13 /var\n"
        "drwxr-xr-x 0/0                      28 2023-11-14 22:13 /var/lib\n"
        "-rw-r--r-- 0/0                       4 2023-11-14 22:13 /var/lib/stamp\n");

  auto stat = RunCommand({"unsquashfs", "-s", image.string()}, {"TZ=UTC"});
  REQUIRE(stat.exit_code == 0);
  CHECK(stat.out.find("Creation or last append time Tue Nov 14 22:13:20 2023") !=
        std::string::npos);
  CHECK(stat.out.find("Compression zstd") != std::string::npos);

  auto cat = RunCommand({"unsquashfs", "-cat", image.string(), "home/alice/notes"});
  CHECK(cat.exit_code == 0);
  CHECK(cat.out == "dear diary\n");
  auto su = RunCommand({"unsquashfs", "-cat", image.string(), "usr/bin/su"});
  CHECK(su.out == std::string(5000, 'x'));

  // The hard link pair is one inode with two names; the xattr survives.
  fs::path out = f.dir.path() / "x";
  auto ex = RunCommand({"unsquashfs", "-q", "-n", "-d", out.string(), image.string(),
                        "usr/bin/zcat", "usr/bin/gzcat", "usr/bin/ping"});
  INFO(ex.err);
  REQUIRE(ex.exit_code == 0);
  struct stat a, b;
  REQUIRE(::stat((out / "usr/bin/zcat").c_str(), &a) == 0);
  REQUIRE(::stat((out / "usr/bin/gzcat").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK(a.st_nlink == 2);
  char value[16] = {};
  ssize_t n = ::getxattr((out / "usr/bin/ping").c_str(), "user.comment", value, sizeof value);
  if (n < 0 && errno == ENOTSUP) {
    WARN("the scratch filesystem has no user xattrs; checking the image's xattr table instead");
    CHECK(stat.out.find("Number of xattr ids 1") != std::string::npos);
  } else {
    CHECK(std::string(value, n > 0 ? static_cast<size_t>(n) : 0) == "pong");
  }
}

TEST_CASE("WriteSquashfs is reproducible", "[squashfs]") {
  TreeFixture f;
  f.Populate();
  for (const std::string comp : {"gzip", "xz", "zstd", "lz4", "lzo"}) {
    INFO(comp);
    SquashfsOptions opts{.epoch = kEpoch, .compressor = comp};
    fs::path one = f.dir.path() / (comp + "-1.squashfs");
    fs::path two = f.dir.path() / (comp + "-2.squashfs");
    REQUIRE(WriteSquashfs(f.tree, one, opts).ok());
    // A caller's SOURCE_DATE_EPOCH must change nothing: the flags rule.
    ::setenv("SOURCE_DATE_EPOCH", "12345", 1);
    Status second = WriteSquashfs(f.tree, two, opts);
    ::unsetenv("SOURCE_DATE_EPOCH");
    REQUIRE(second.ok());
    CHECK(Sha256Of(one) == Sha256Of(two));
    auto stat = RunCommand({"unsquashfs", "-s", one.string()});
    CHECK(stat.out.find("Compression " + comp) != std::string::npos);
  }
  // A different epoch gives a different image.
  fs::path later = f.dir.path() / "later.squashfs";
  REQUIRE(WriteSquashfs(f.tree, later, {.epoch = kEpoch + 1, .compressor = "zstd"}).ok());
  CHECK(Sha256Of(later) != Sha256Of(f.dir.path() / "zstd-1.squashfs"));
  struct stat st;
  REQUIRE(::stat(later.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("WriteSquashfs compression level and layer options", "[squashfs]") {
  TreeFixture f;
  f.Populate();
  f.tree.BeginLayer(1);
  REQUIRE(f.tree.AddFile("opt/app/run", "#!/bin/sh\n", 0755, 0, 0, 10).ok());
  fs::path top = f.dir.path() / "layer1.squashfs";
  REQUIRE(WriteSquashfs(f.tree, top, {.epoch = 0, .compressor = "gzip", .compression_level = 1,
                                      .layer = 1})
              .ok());
  CHECK(Listing(top) ==
        "drwxr-xr-x 0/0                      26 1970-01-01 00:00 \n"
        "drwxr-xr-x 0/0                      26 1970-01-01 00:00 /opt\n"
        "drwxr-xr-x 0/0                      26 1970-01-01 00:00 /opt/app\n"
        "-rwxr-xr-x 0/0                      10 1970-01-01 00:00 /opt/app/run\n");

  auto args = MksquashfsArgs({.epoch = 7, .compressor = "zstd", .compression_level = 19,
                              .block_size = 1 << 20});
  REQUIRE(args.ok());
  CHECK(fmt::format("{}", fmt::join(*args, " ")) ==
        "-tar -noappend -mkfs-time 7 -all-time 7 -root-mode 0755 -root-uid 0 -root-gid 0 "
        "-comp zstd -Xcompression-level 19 -b 1048576 -quiet -no-progress");
}

TEST_CASE("WriteSquashfs rejects bad options and leaves nothing behind", "[squashfs]") {
  TreeFixture f;
  f.Populate();
  fs::path out_dir = f.dir.path() / "out";
  REQUIRE(MakeDirs(out_dir).ok());
  fs::path image = out_dir / "root.squashfs";

  Status unknown = WriteSquashfs(f.tree, image, {.compressor = "brotli"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code() == Code::kUsage);
  CHECK(unknown.error().Render() ==
        fmt::format("writing squashfs image '{}': unknown squashfs compressor 'brotli' "
                    "(expected one of: gzip, xz, zstd, lz4, lzo)",
                    image.string()));

  Status level = WriteSquashfs(f.tree, image, {.compressor = "xz", .compression_level = 6});
  REQUIRE_FALSE(level.ok());
  CHECK(level.error().message() == "squashfs compressor 'xz' takes no compression level");
  Status range = WriteSquashfs(f.tree, image, {.compressor = "gzip", .compression_level = 12});
  CHECK(range.error().message() == "gzip compression level 12 is out of range (expected 1 to 9)");
  Status epoch = WriteSquashfs(f.tree, image, {.epoch = -1});
  CHECK(epoch.error().code() == Code::kUsage);
  Status block = WriteSquashfs(f.tree, image, {.block_size = 3000});
  CHECK(block.error().message() ==
        "squashfs block size 3000 is invalid (expected a power of two from 4096 to 1048576)");

  fs::path missing = f.dir.path() / "no-such-dir" / "root.squashfs";
  Status bad_dir = WriteSquashfs(f.tree, missing, {});
  REQUIRE_FALSE(bad_dir.ok());
  CHECK(bad_dir.error().code() == Code::kIo);
  CHECK(bad_dir.error().message().find("cannot create a file in output directory '" +
                                       (f.dir.path() / "no-such-dir").string() + "'") == 0);
  CHECK_FALSE(fs::exists(f.dir.path() / "no-such-dir"));
  CHECK(fs::is_empty(out_dir));
}

TEST_CASE("WriteSquashfs reports a failing mksquashfs and removes its output", "[squashfs]") {
  TreeFixture f;
  f.Populate();
  // A stand-in mksquashfs that reads a little, then fails like a full disk.
  fs::path bin = f.dir.path() / "bin";
  REQUIRE(MakeDirs(bin).ok());
  REQUIRE(WriteFileAtomic(bin / "mksquashfs",
                          "#!/bin/sh\nhead -c 512 >/dev/null\n"
                          "echo 'FATAL ERROR: Failed to write to output filesystem' >&2\n"
                          "exit 1\n",
                          0755)
              .ok());
  fs::path out_dir = f.dir.path() / "out";
  REQUIRE(MakeDirs(out_dir).ok());
  std::string old_path = std::getenv("PATH");
  ::setenv("PATH", (bin.string() + ":" + old_path).c_str(), 1);
  Status st = WriteSquashfs(f.tree, out_dir / "root.squashfs", {.epoch = 1});
  ::setenv("PATH", old_path.c_str(), 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kTool);
  const std::string& msg = st.error().message();
  CHECK(msg.find("'mksquashfs' failed with exit code 1: mksquashfs - ") == 0);
  CHECK(msg.find("\n  FATAL ERROR: Failed to write to output filesystem") != std::string::npos);
  CHECK(fs::is_empty(out_dir));
}

}  // namespace
}  // namespace cairn::squashfs
