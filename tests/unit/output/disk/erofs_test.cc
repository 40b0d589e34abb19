// WriteErofs, read back with erofs-utils' own fsck.erofs and dump.erofs and,
// where the tests run as root, by the kernel through a read-only loop mount.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cairn/disk/erofs.h"
#include "unit/output/disk/disk_test_util.h"

namespace cairn::disk {
namespace {

using namespace testutil;

constexpr char kUuid[] = "4f1d2c3b-5a69-4788-9a0b-1c2d3e4f5a6b";

struct ErofsFixture {
  ErofsFixture() : dir("erofs") {
    store = std::move(rootfs::ContentStore::Create(dir.path()).value());
    tree = std::make_unique<rootfs::Tree>(*store);
    FillRootTree(*tree);
  }
  fs::path Write(const std::string& name, ErofsOptions o = {}) {
    o.epoch = kEpoch;
    if (o.uuid.empty()) o.uuid = kUuid;
    o.work_dir = dir.path() / "work";
    fs::path out = dir.path() / "out" / name;
    fs::create_directories(out.parent_path());
    auto r = WriteErofs(*tree, out, o);
    INFO((r.ok() ? std::string() : r.error().Render()));
    REQUIRE(r.ok());
    return out;
  }
  testing::ScratchDir dir;
  std::unique_ptr<rootfs::ContentStore> store;
  std::unique_ptr<rootfs::Tree> tree;
};

// What `dump.erofs --path=P` says about one inode.
struct DumpInfo {
  std::string kind;  // "regular file", "directory", "char dev", ...
  uint32_t uid = 0, gid = 0, perms = 0;
  std::string timestamp;
  std::string text;
};

DumpInfo Dump(const fs::path& image, const std::string& path) {
  auto r = RunCommand({"dump.erofs", "--path=" + path, image.string()});
  INFO(path << ": " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  DumpInfo d;
  d.text = r.out;
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(On-disk size: \d+\s+(.+)\n)")));
  d.kind = m[1];
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(Uid: (\d+)\s+Gid: (\d+)\s+Access: ([0-7]+))")));
  d.uid = static_cast<uint32_t>(std::stoul(m[1]));
  d.gid = static_cast<uint32_t>(std::stoul(m[2]));
  d.perms = static_cast<uint32_t>(std::stoul(m[3], nullptr, 8));
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(Timestamp: (.+)\n)")));
  d.timestamp = m[1];
  return d;
}

TEST_CASE("erofs holds the tree's owners, modes, links, devices and times", "[disk][erofs]") {
  ErofsFixture f;
  fs::path img = f.Write("root.erofs");

  auto fsck = RunCommand({"fsck.erofs", "--extract", img.string()});
  INFO(fsck.out << fsck.err);
  CHECK(fsck.exit_code == 0);
  auto sb = RunCommand({"dump.erofs", "-s", img.string()});
  CHECK(sb.out.find(std::string("Filesystem UUID:                              ") + kUuid) !=
        std::string::npos);
  CHECK(sb.out.find("Filesystem created:                           Tue Nov 14 22:13:20 2023") !=
        std::string::npos);

  // Owners come from the tree whoever builds it.
  CHECK(Dump(img, "/home/user/notes.txt").uid == 1000);
  CHECK(Dump(img, "/home/user/notes.txt").perms == 0600);
  CHECK(Dump(img, "/home/user").kind == "directory");
  CHECK(Dump(img, "/home/user").gid == 1000);
  CHECK(Dump(img, "/usr/bin/big-uid").uid == 70000);
  CHECK(Dump(img, "/usr/bin/big-uid").gid == 70001);
  CHECK(Dump(img, "/usr/bin/wall").gid == 5);
  CHECK(Dump(img, "/etc/shadow").gid == 42);
  CHECK(Dump(img, "/etc/secret").perms == 0);
  CHECK(Dump(img, "/").uid == 0);
  CHECK(Dump(img, "/").perms == 0755);
  // Devices and fifos were empty files while staged.
  CHECK(Dump(img, "/dev/null").kind == "char dev");
  CHECK(Dump(img, "/dev/sda").kind == "block dev");
  CHECK(Dump(img, "/dev/sda").gid == 6);
  CHECK(Dump(img, "/dev/initctl").kind == "FIFO file");
  CHECK(Dump(img, "/bin").kind == "symlink file");
  // Hard links share one inode.
  std::smatch m;
  std::string su = Dump(img, "/usr/bin/su").text;
  REQUIRE(std::regex_search(su, m, std::regex(R"(NID: (\d+)\s+Links: (\d+))")));
  CHECK(m[2] == "3");
  CHECK(Dump(img, "/usr/bin/a-su").text.find("NID: " + m[1].str() + " ") != std::string::npos);
  // mtimes clamped to the epoch; older ones kept.
  CHECK(Dump(img, "/etc/future").timestamp == "2023-11-14 22:13:20.000000000");
  CHECK(Dump(img, "/etc/motd").timestamp == "2020-09-13 12:26:40.000000000");
  CHECK(Dump(img, "/home/user").timestamp == "2020-09-13 12:28:20.000000000");
  CHECK(Dump(img, "/dev").timestamp == "2020-09-13 12:26:40.000000000");
  CHECK(Dump(img, "/usr/bin/ping").text.find("Xattr size: 0") == std::string::npos);
  CHECK(Listing(f.dir.path() / "work").empty());
  CHECK(Listing(img.parent_path()).size() == 1);

  SECTION("the kernel reads setuid bits, device numbers, xattrs and content") {
    if (::geteuid() != 0) {
      WARN("not root: no loop mount; fsck.erofs and dump.erofs checked the image");
      return;
    }
    fs::path mnt = f.dir.path() / "mnt";
    fs::create_directories(mnt);
    auto mount = RunCommand({"mount", "-t", "erofs", "-o", "loop,ro", img.string(), mnt.string()});
    if (mount.exit_code != 0) {
      WARN("cannot loop-mount here: " << mount.err);
      return;
    }
    struct Unmount {
      fs::path p;
      ~Unmount() { RunCommand({"umount", p.string()}); }
    } unmount{mnt};
    struct stat st {};
    REQUIRE(::lstat((mnt / "usr/bin/su").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 04755);
    REQUIRE(::lstat((mnt / "usr/bin/wall").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 02755);
    REQUIRE(::lstat((mnt / "tmp").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 01777);
    REQUIRE(::lstat((mnt / "dev/null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(major(st.st_rdev) == 1);
    CHECK(minor(st.st_rdev) == 3);
    CHECK((st.st_mode & 07777) == 0666);
    REQUIRE(::lstat((mnt / "dev/sda").c_str(), &st) == 0);
    CHECK(S_ISBLK(st.st_mode));
    CHECK(major(st.st_rdev) == 8);
    char value[64];
    ssize_t n = ::lgetxattr((mnt / "usr/bin/ping").c_str(), "security.capability", value,
                            sizeof value);
    REQUIRE(n > 0);
    CHECK(std::string(value, static_cast<size_t>(n)) == CapNetRaw());
    n = ::lgetxattr((mnt / "usr/bin/ping").c_str(), "user.comment", value, sizeof value);
    REQUIRE(n > 0);
    CHECK(std::string(value, static_cast<size_t>(n)) == "pong");
    CHECK(ReadAll(mnt / "home/user/big \"quoted\" name") == Payload(300000, 7));
    CHECK(fs::read_symlink(mnt / "usr/bin/long-link") == std::string(100, 'l'));
  }
}

TEST_CASE("erofs images are byte-identical for the same inputs", "[disk][erofs]") {
  ErofsFixture f;
  REQUIRE(f.tree->AddFile("usr/share/doc/words", std::string(200000, 'w'), 0644, 0, 0, 0).ok());
  fs::path a = f.Write("a.erofs");
  fs::path b = f.Write("b.erofs");
  CHECK(Sha256Of(a) == Sha256Of(b));
  fs::path other = f.Write("c.erofs", {.uuid = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"});
  CHECK(Sha256Of(other) != Sha256Of(a));
  fs::path plain = f.Write("plain.erofs", {.compression = "none"});
  CHECK(fs::file_size(plain) >= fs::file_size(a) + 150000);  // the words compress
  CHECK(RunCommand({"fsck.erofs", plain.string()}).exit_code == 0);
}

TEST_CASE("bad erofs options are refused before anything is written", "[disk][erofs]") {
  ErofsFixture f;
  fs::path out = f.dir.path() / "bad.erofs";
  auto r = WriteErofs(*f.tree, out, {.epoch = kEpoch, .uuid = kUuid, .compression = "zstd",
                                     .work_dir = f.dir.path() / "work"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render().find("unknown erofs compression 'zstd' (expected one of: lz4hc, "
                                "lz4, none)") != std::string::npos);
  r = WriteErofs(*f.tree, out, {.epoch = kEpoch, .uuid = kUuid, .compression = "lz4", .level = 3,
                                .work_dir = f.dir.path() / "work"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render().find("takes no level") != std::string::npos);
  r = WriteErofs(*f.tree, out, {.epoch = kEpoch, .uuid = kUuid, .level = 13,
                                .work_dir = f.dir.path() / "work"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render().find("out of range (0..12)") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace cairn::disk
