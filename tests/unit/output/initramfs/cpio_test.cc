#include "cairn/initramfs/cpio.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "support/test_support.h"
#include "support/tree_fixture.h"

namespace cairn::initramfs {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using testing::RunCommand;

constexpr int64_t kEpoch = 1700000000;  // 2023-11-14 22:13:20 UTC

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TreeFixture : testing::TreeFixture {
  TreeFixture() : testing::TreeFixture("cpio") {}

  void Populate() {
    REQUIRE(tree.AddFile("init", "#!/bin/sh\necho hi\n", 0755, 0, 0, 100).ok());
    REQUIRE(tree.AddDirectory("home/alice", 0750, 1000, 1000, 200).ok());
    REQUIRE(tree.AddFile("home/alice/notes", "dear diary\n", 0600, 1000, 1000, 300).ok());
    REQUIRE(tree.AddFile("bin/su", std::string(70000, 's'), 04755, 0, 0, 400).ok());
    REQUIRE(tree.AddFile("bin/zcat", "zcat body\n", 0755, 0, 0, 500).ok());
    testing::AddHardlink(tree, "bin/gzcat", "bin/zcat");  // sorts before its target
    testing::AddHardlink(tree, "bin/zzcat", "bin/zcat");  // and after it
    REQUIRE(tree.AddSymlink("bin/sh", "busybox", 600).ok());
    testing::AddDevice(tree, "dev/console", FileType::kCharDevice, 0600, 5, 1);
    testing::AddFifo(tree, "run/initctl", 0600);
    // Newer than the epoch: clamped. Has an xattr: dropped (newc cannot carry it).
    testing::AddEmptyFile(tree, "etc/stamp", 0644, {{"user.x", "y"}}, kEpoch + 9999);
  }

  std::string Write(const CpioOptions& options) {
    std::string out;
    Status st = WriteCpio(tree, [&](const char* p, size_t n) {
      out.append(p, n);
      return Status();
    }, options);
    INFO((st.ok() ? "" : st.error().Render()));
    REQUIRE(st.ok());
    return out;
  }
};

// One newc header, parsed independently of libarchive.
struct NewcEntry {
  std::string name;
  uint32_t ino = 0, mode = 0, uid = 0, gid = 0, nlink = 0, mtime = 0, size = 0;
  uint32_t rmajor = 0, rminor = 0;
  std::string data;
};

std::vector<NewcEntry> ParseNewc(const std::string& b) {
  std::vector<NewcEntry> out;
  size_t pos = 0;
  auto hex = [&](size_t field) {
    return static_cast<uint32_t>(std::stoul(b.substr(pos + 6 + field * 8, 8), nullptr, 16));
  };
  auto align4 = [](size_t n) { return (n + 3) & ~size_t{3}; };
  while (true) {
    REQUIRE(pos + 110 <= b.size());
    REQUIRE(b.substr(pos, 6) == "070701");
    NewcEntry e;
    e.ino = hex(0);
    e.mode = hex(1);
    e.uid = hex(2);
    e.gid = hex(3);
    e.nlink = hex(4);
    e.mtime = hex(5);
    e.size = hex(6);
    e.rmajor = hex(9);
    e.rminor = hex(10);
    uint32_t namesize = hex(11);
    CHECK(hex(12) == 0);  // c_check
    CHECK(hex(7) == 0);   // devmajor
    CHECK(hex(8) == 0);   // devminor
    e.name = b.substr(pos + 110, namesize - 1);
    pos = align4(pos + 110 + namesize);
    e.data = b.substr(pos, e.size);
    pos = align4(pos + e.size);
    if (e.name == "TRAILER!!!") break;
    out.push_back(std::move(e));
  }
  CHECK(pos == b.size());  // no padding after the trailer
  return out;
}

TEST_CASE("WriteCpio writes a deterministic newc archive", "[initramfs][cpio]") {
  TreeFixture f;
  f.Populate();
  std::string raw = f.Write({.epoch = kEpoch, .compression = CpioCompression::kNone});
  CHECK(raw == f.Write({.epoch = kEpoch, .compression = CpioCompression::kNone}));

  // GNU cpio's own reading of it.
  fs::path file = f.dir.path() / "initrd.cpio";
  REQUIRE(WriteFileAtomic(file, raw).ok());
  auto list = RunCommand({"cpio", "-itvn", "--quiet", "-F", file.string()}, {"TZ=UTC"});
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  CHECK(list.out ==
        "drwxr-xr-x   2 0        0               0 Nov 14  2023 .\n"
        "drwxr-xr-x   2 0        0               0 Jan  1  1970 bin\n"
        "-rwxr-xr-x   3 0        0               0 Jan  1  1970 bin/gzcat\n"
        "lrwxrwxrwx   1 0        0               7 Jan  1  1970 bin/sh -> busybox\n"
        "-rwsr-xr-x   1 0        0           70000 Jan  1  1970 bin/su\n"
        "-rwxr-xr-x   3 0        0               0 Jan  1  1970 bin/zcat\n"
        "-rwxr-xr-x   3 0        0              10 Jan  1  1970 bin/zzcat\n"
        "drwxr-xr-x   2 0        0               0 Jan  1  1970 dev\n"
        "crw-------   1 0        0          5,   1 Jan  1  1970 dev/console\n"
        "drwxr-xr-x   2 0        0               0 Nov 14  2023 etc\n"
        "-rw-r--r--   1 0        0               0 Nov 14  2023 etc/stamp\n"
        "drwxr-xr-x   2 0        0               0 Jan  1  1970 home\n"
        "drwxr-x---   2 1000     1000            0 Jan  1  1970 home/alice\n"
        "-rw-------   1 1000     1000           11 Jan  1  1970 home/alice/notes\n"
        "-rwxr-xr-x   1 0        0              18 Jan  1  1970 init\n"
        "drwxr-xr-x   2 0        0               0 Jan  1  1970 run\n"
        "prw-------   1 0        0               0 Jan  1  1970 run/initctl\n");

  // Inodes count up in archive order; a link group shares one, and only its
  // last member carries the bytes (as the kernel's unpacker needs).
  auto entries = ParseNewc(raw);
  REQUIRE(entries.size() == 17);
  std::map<std::string, NewcEntry> by_name;
  for (const auto& e : entries) by_name[e.name] = e;
  CHECK(entries[0].ino == 1);
  CHECK(by_name["bin"].ino == 2);
  CHECK(by_name["bin/gzcat"].ino == 3);
  CHECK(by_name["bin/zcat"].ino == 3);
  CHECK(by_name["bin/zzcat"].ino == 3);
  CHECK(by_name["bin/sh"].ino == 4);
  CHECK(by_name["bin/su"].ino == 5);
  CHECK(by_name["run/initctl"].ino == 15);
  CHECK(by_name["bin/zzcat"].data == "zcat body\n");
  CHECK(by_name["bin/su"].mode == (0100000 | 04755));
  CHECK(by_name["dev/console"].mode == (0020000 | 0600));
  CHECK(by_name["dev/console"].rmajor == 5);
  CHECK(by_name["dev/console"].rminor == 1);
  CHECK(by_name["etc/stamp"].mtime == kEpoch);
  // Created as the parent of etc/stamp, with its (clamped) time.
  CHECK(by_name["etc"].mtime == kEpoch);
  CHECK(by_name["init"].mtime == 100);
}

TEST_CASE("WriteCpio contents round-trip through cpio -i", "[initramfs][cpio]") {
  TreeFixture f;
  f.Populate();
  fs::path file = f.dir.path() / "initrd.img";
  REQUIRE(WriteCpioFile(f.tree, file, {.epoch = kEpoch}).ok());
  fs::path out = f.dir.path() / "x";
  REQUIRE(MakeDirs(out).ok());
  // Everything but the device node, which needs root to create.
  auto ex = RunCommand({"sh", "-c",
                        "gzip -dc " + file.string() +
                            " | cpio -idmu --quiet --no-preserve-owner -f 'dev/*'"},
                       {}, out);
  INFO(ex.err);
  REQUIRE(ex.exit_code == 0);
  CHECK(Slurp(out / "bin/su") == std::string(70000, 's'));
  CHECK(Slurp(out / "home/alice/notes") == "dear diary\n");
  CHECK(Slurp(out / "bin/gzcat") == "zcat body\n");
  struct stat a, b, c;
  REQUIRE(::stat((out / "bin/zcat").c_str(), &a) == 0);
  REQUIRE(::stat((out / "bin/gzcat").c_str(), &b) == 0);
  REQUIRE(::stat((out / "bin/zzcat").c_str(), &c) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK(a.st_ino == c.st_ino);
  CHECK(a.st_nlink == 3);
  CHECK(a.st_mtime == 500);
  CHECK(fs::read_symlink(out / "bin/sh") == "busybox");
  REQUIRE(::stat((out / "init").c_str(), &a) == 0);
  CHECK((a.st_mode & 07777) == 0755);
}

TEST_CASE("WriteCpio compresses like gzip -n and zstd, reproducibly", "[initramfs][cpio]") {
  TreeFixture f;
  f.Populate();
  std::string raw = f.Write({.epoch = kEpoch, .compression = CpioCompression::kNone});

  std::string gz = f.Write({.epoch = kEpoch});  // gzip is the default
  CHECK(gz == f.Write({.epoch = kEpoch, .compression = CpioCompression::kGzip}));
  REQUIRE(gz.size() > 10);
  CHECK(gz.substr(0, 3) == std::string("\x1f\x8b\x08", 3));
  CHECK(gz[3] == 0);                               // FLG: no name, no comment
  CHECK(gz.substr(4, 4) == std::string(4, '\0'));  // MTIME 0
  fs::path gz_file = f.dir.path() / "a.gz";
  REQUIRE(WriteFileAtomic(gz_file, gz).ok());
  auto dc = RunCommand({"gzip", "-dc", gz_file.string()});
  REQUIRE(dc.exit_code == 0);
  CHECK(dc.out == raw);
  std::string fast = f.Write({.epoch = kEpoch, .level = 1});
  CHECK(fast != gz);

  std::string zst = f.Write({.epoch = kEpoch, .compression = CpioCompression::kZstd});
  CHECK(zst == f.Write({.epoch = kEpoch, .compression = CpioCompression::kZstd}));
  fs::path zst_file = f.dir.path() / "a.zst";
  REQUIRE(WriteFileAtomic(zst_file, zst).ok());
  auto zd = RunCommand({"zstd", "-dc", "-q", zst_file.string()});
  REQUIRE(zd.exit_code == 0);
  CHECK(zd.out == raw);

  // Another epoch changes the bytes (clamped mtimes and the root's time).
  CHECK(f.Write({.epoch = kEpoch + 1, .compression = CpioCompression::kNone}) != raw);
}

TEST_CASE("WriteCpio errors", "[initramfs][cpio]") {
  TreeFixture f;
  f.Populate();
  auto sink = [](const char*, size_t) { return Status(); };
  Status level = WriteCpio(f.tree, sink, {.compression = CpioCompression::kGzip, .level = 10});
  REQUIRE_FALSE(level.ok());
  CHECK(level.error().code() == Code::kUsage);
  CHECK(level.error().message() == "gzip compression level 10 is out of range (expected 1 to 9)");
  Status none = WriteCpio(f.tree, sink, {.compression = CpioCompression::kNone, .level = 3});
  CHECK(none.error().code() == Code::kUsage);

  auto parsed = ParseCompression("xz");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message() ==
        "unknown initramfs compression 'xz' (expected none, gzip or zstd)");
  CHECK(*ParseCompression("zstd") == CpioCompression::kZstd);

  // The sink's error comes back as the cause.
  int calls = 0;
  Status full = WriteCpio(f.tree, [&](const char*, size_t) -> Status {
    if (++calls > 1) return IoError("disk full");
    return {};
  }, {.compression = CpioCompression::kNone});
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code() == Code::kIo);
  CHECK(full.error().message() == "disk full");

  fs::path bad = f.dir.path() / "missing" / "initrd.img";
  Status st = WriteCpioFile(f.tree, bad, {});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIo);
  CHECK(st.error().Render().find(fmt::format("writing initramfs '{}': cannot create a file in "
                                             "output directory '{}'",
                                             bad.string(), bad.parent_path().string())) == 0);
  CHECK_FALSE(fs::exists(bad.parent_path()));

  // A failed write leaves nothing under the final name, nor a temporary beside it.
  fs::path dir = f.dir.path() / "out";
  REQUIRE(MakeDirs(dir).ok());
  rootfs::Tree broken(*f.store);
  REQUIRE(broken.AddFile("a", "x").ok());
  REQUIRE(WriteCpioFile(broken, dir / "ok.img", {.compression = CpioCompression::kZstd,
                                                 .level = 40})
              .error()
              .code() == Code::kUsage);
  CHECK(fs::is_empty(dir));
}

}  // namespace
}  // namespace cairn::initramfs
