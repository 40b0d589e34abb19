// WriteDiskImage end to end, read back with independent tools: sfdisk --json
// for the table, debugfs and e2fsck for ext4, mtools and fsck.vfat for FAT.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/ext4.h"
#include "cairn/disk/image.h"
#include "cairn/disk/vfat.h"
#include "unit/output/disk/disk_test_util.h"

namespace cairn::disk {
namespace {

using namespace testutil;

struct DiskFixture {
  testing::ScratchDir dir{"disk-image"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree root{*store};
  rootfs::Tree esp{*store};
  DiskLayout layout;
  fs::path out = dir.path() / "out";
  fs::path work = dir.path() / "work";

  DiskFixture() {
    FillRootTree(root);
    FillEspTree(esp);
    layout.partitions = {
        {.name = "esp", .role = PartitionRole::kEsp, .filesystem = Filesystem::kVfat,
         .size = PartitionSize::Fixed(64 * kMiB)},
        {.name = "root", .role = PartitionRole::kRoot, .filesystem = Filesystem::kExt4,
         .size = PartitionSize::Auto()},
    };
  }
  PartitionContents Contents() { return {{"esp", {.tree = &esp}}, {"root", {.tree = &root}}}; }
  Result<DiskPlan> Write(const fs::path& path, const std::string& seed = "seed-1") {
    return WriteDiskImage(layout, Contents(), path,
                          {.epoch = kEpoch, .seed = seed, .work_dir = work});
  }
};

DiskPlan RequireOk(Result<DiskPlan> r) {
  INFO((r.ok() ? std::string() : r.error().Render()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

TEST_CASE("a GPT disk has the declared table, read back by sfdisk", "[disk]") {
  DiskFixture f;
  fs::path img = f.out / "disk.img";
  auto plan = RequireOk(f.Write(img));
  auto table = SfdiskJson(img);
  CHECK(table["label"] == "gpt");
  CHECK(Lower(table["id"]) == plan.disk_id);
  CHECK(table["firstlba"] == 2048);
  REQUIRE(table["partitions"].size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const auto& p = plan.partitions[i];
    const auto& j = table["partitions"][i];
    CHECK(j["start"] == p.offset / 512);
    CHECK(j["size"] == p.size / 512);
    CHECK(j["type"] == p.type);
    CHECK(Lower(j["uuid"]) == p.part_uuid);
    CHECK(j["name"] == p.spec.name);
  }
  CHECK(table["partitions"][0]["type"] == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
  CHECK(table["partitions"][1]["type"] == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
  CHECK(plan.partitions[0].offset == kMiB);
  CHECK(plan.partitions[1].offset == 65 * kMiB);
  CHECK(fs::file_size(img) == plan.size);
  // The backup GPT sits in the last MiB; the image is sparse.
  CHECK(table["lastlba"] == plan.size / 512 - 34);
  struct stat st {};
  REQUIRE(::stat(img.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 < plan.size);
  // Nothing left behind: no temporary image, no staging.
  CHECK(Listing(f.out) == std::vector<std::string>{"disk.img"});
  CHECK(Listing(f.work).empty());
}

TEST_CASE("an MBR disk has the signature, types and bootable flag", "[disk]") {
  DiskFixture f;
  f.layout.table = TableType::kMbr;
  f.layout.partitions[0].role = PartitionRole::kFirmware;
  f.layout.partitions[0].bootable = true;
  f.layout.partitions[0].label = "BOOT";
  fs::path img = f.out / "mbr.img";
  auto plan = RequireOk(f.Write(img));
  auto table = SfdiskJson(img);
  CHECK(table["label"] == "dos");
  CHECK(table["id"] == "0x" + plan.disk_id);
  REQUIRE(table["partitions"].size() == 2);
  CHECK(table["partitions"][0]["type"] == "c");
  CHECK(table["partitions"][0]["bootable"] == true);
  CHECK(table["partitions"][0]["start"] == 2048);
  CHECK(table["partitions"][1]["type"] == "83");
  CHECK_FALSE(table["partitions"][1].contains("bootable"));
  CHECK(plan.partitions[1].part_uuid == plan.disk_id + "-02");
  CHECK(plan.size == plan.partitions[1].offset + plan.partitions[1].size);
  auto r = RunCommand({"mdir", "-i", img.string() + "@@" + std::to_string(kMiB), "::/"},
                      {"MTOOLS_SKIP_CHECK=1"});
  CHECK(r.out.find("Volume in drive : is BOOT") != std::string::npos);
}

TEST_CASE("ext4 holds the tree's owners, modes, times, links, devices and xattrs", "[disk]") {
  DiskFixture f;
  fs::path img = f.out / "disk.img";
  auto plan = RequireOk(f.Write(img));
  const PartitionPlan& root = *plan.Find("root");
  const uint64_t off = root.offset;

  SECTION("e2fsck finds it clean; label and UUID are the derived ones") {
    fs::path part = f.dir.path() / "root.ext4";
    ExtractRange(img, root.offset, root.size, part);
    auto fsck = RunCommand({"e2fsck", "-fn", part.string()});
    INFO(fsck.out << fsck.err);
    CHECK(fsck.exit_code == 0);
    auto dump = RunCommand({"dumpe2fs", "-h", part.string()});
    CHECK(dump.out.find("Filesystem volume name:   root\n") != std::string::npos);
    CHECK(dump.out.find("Filesystem UUID:          " + root.fs_uuid + "\n") != std::string::npos);
    CHECK(dump.out.find("Directory Hash Seed:      " + root.hash_seed + "\n") != std::string::npos);
    CHECK(dump.out.find("Block size:               4096") != std::string::npos);
  }
  SECTION("owners come from the tree, not the builder") {
    auto notes = DebugfsStat(img, off, "/home/user/notes.txt");
    CHECK(notes.uid == 1000);
    CHECK(notes.gid == 1000);
    CHECK(notes.mode == 0600);
    auto home = DebugfsStat(img, off, "/home/user");
    CHECK(home.type == "directory");
    CHECK(home.uid == 1000);
    CHECK(home.mode == 0750);
    auto shadow = DebugfsStat(img, off, "/etc/shadow");
    CHECK(shadow.uid == 0);
    CHECK(shadow.gid == 42);
    CHECK(shadow.mode == 0640);
    auto big = DebugfsStat(img, off, "/usr/bin/big-uid");
    CHECK(big.uid == 70000);
    CHECK(big.gid == 70001);
  }
  SECTION("special modes survive") {
    CHECK(DebugfsStat(img, off, "/usr/bin/su").mode == 04755);
    CHECK(DebugfsStat(img, off, "/usr/bin/wall").mode == 02755);
    CHECK(DebugfsStat(img, off, "/usr/bin/wall").gid == 5);
    CHECK(DebugfsStat(img, off, "/tmp").mode == 01777);
    CHECK(DebugfsStat(img, off, "/etc/secret").mode == 0);
    CHECK(DebugfsStat(img, off, "/proc").mode == 0555);
    CHECK(DebugfsStat(img, off, "/root").mode == 0700);
  }
  SECTION("times: mtime from the tree clamped to the epoch, ctime and crtime the epoch") {
    auto motd = DebugfsStat(img, off, "/etc/motd");
    CHECK(motd.mtime == 1600000000);
    CHECK(motd.atime == 1600000000);
    CHECK(motd.ctime == kEpoch);
    CHECK(motd.crtime == kEpoch);
    auto future = DebugfsStat(img, off, "/etc/future");
    CHECK(future.mtime == kEpoch);
    CHECK(DebugfsStat(img, off, "/home/user").mtime == 1600000100);
    CHECK(DebugfsStat(img, off, "/dev").mtime == 1600000000);  // got mknod children
    CHECK(DebugfsStat(img, off, "/dev").ctime == kEpoch);
    auto rootdir = DebugfsStat(img, off, "/");
    CHECK(rootdir.mtime == kEpoch);
    CHECK(rootdir.ctime == kEpoch);
    CHECK(rootdir.uid == 0);
    CHECK(rootdir.mode == 0755);
    auto link = DebugfsStat(img, off, "/bin");
    CHECK(link.ctime == kEpoch);
    CHECK(link.mtime == 1600000000);
  }
  SECTION("symlinks and hard links") {
    auto bin = DebugfsStat(img, off, "/bin");
    CHECK(bin.type == "symlink");
    CHECK(bin.link_dest == "usr/bin");
    auto long_link = DebugfsStat(img, off, "/usr/bin/long-link");
    CHECK(long_link.type == "symlink");
    CHECK(DebugfsCat(img, off, "/usr/bin/long-link") == std::string(100, 'l'));
    auto su = DebugfsStat(img, off, "/usr/bin/su");
    CHECK(su.links == 3);
    auto ls = RunCommand({"debugfs", "-R", "ls -l /usr/bin", Spec(img, off)});
    std::smatch m;
    REQUIRE(std::regex_search(ls.out, m, std::regex(R"(\n\s*(\d+)\s+104755 \(1\)\s+0\s+0\s+\d+ .* su\n)")));
    std::string su_inode = m[1];
    REQUIRE(std::regex_search(ls.out, m, std::regex(R"(\n\s*(\d+)\s+104755 \(1\)\s+0\s+0\s+\d+ .* su-link\n)")));
    CHECK(m[1] == su_inode);
    REQUIRE(std::regex_search(ls.out, m, std::regex(R"(\n\s*(\d+)\s+104755 \(1\)\s+0\s+0\s+\d+ .* a-su\n)")));
    CHECK(m[1] == su_inode);
  }
  SECTION("device nodes and fifos") {
    auto null = DebugfsStat(img, off, "/dev/null");
    CHECK(null.type == "character special");
    CHECK(null.device == "01:03");
    CHECK(null.mode == 0666);
    CHECK(null.mtime == 1600000000);
    CHECK(null.ctime == kEpoch);
    auto sda = DebugfsStat(img, off, "/dev/sda");
    CHECK(sda.type == "block special");
    CHECK(sda.device == "08:00");
    CHECK(sda.gid == 6);
    CHECK(sda.mode == 0660);
    auto fifo = DebugfsStat(img, off, "/dev/initctl");
    CHECK(fifo.type == "FIFO");
    CHECK(fifo.mode == 0600);
  }
  SECTION("xattrs, binary security.capability included") {
    CHECK(DebugfsXattr(img, off, "/usr/bin/ping", "security.capability", f.dir.path()) ==
          CapNetRaw());
    CHECK(DebugfsXattr(img, off, "/usr/bin/ping", "user.comment", f.dir.path()) == "pong");
    auto list = RunCommand({"debugfs", "-R", "ea_list /etc/motd", Spec(img, off)});
    CHECK(list.out.find("=") == std::string::npos);  // no host xattrs leaked in
  }
  SECTION("content reads back byte for byte") {
    CHECK(DebugfsCat(img, off, "/etc/motd") == "hello from cairn\n");
    CHECK(DebugfsCat(img, off, "/home/user/big \"quoted\" name") == Payload(300000, 7));
    CHECK(DebugfsCat(img, off, "/usr/bin/su-link") == "#!/bin/sh\necho su\n");
  }
}

TEST_CASE("vfat holds the ESP files with long names and fixed times", "[disk]") {
  DiskFixture f;
  fs::path img = f.out / "disk.img";
  auto plan = RequireOk(f.Write(img));
  const PartitionPlan& esp = *plan.Find("esp");
  const std::string mimg = img.string() + "@@" + std::to_string(esp.offset);
  const std::vector<std::string> env = {"MTOOLS_SKIP_CHECK=1", "TZ=UTC"};

  auto tree = RunCommand({"mdir", "-/", "-b", "-i", mimg, "::/"}, env);
  INFO(tree.err);
  REQUIRE(tree.exit_code == 0);
  for (const char* p : {"::/EFI/", "::/EFI/BOOT/", "::/EFI/BOOT/BOOTX64.EFI", "::/loader/",
                        "::/loader/entries/", "::/loader/entries/cairn.conf",
                        "::/loader/loader.conf", "::/vmlinuz", "::/vmlinuz.bak",
                        "::/Long Name With Spaces.txt", "::/old.txt"})
    CHECK(tree.out.find(std::string(p) + "\n") != std::string::npos);

  auto type = [&](const std::string& path) {
    auto r = RunCommand({"mtype", "-i", mimg, path}, env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  CHECK(type("::/loader/entries/cairn.conf") == "title cairn\nlinux /vmlinuz\n");
  CHECK(type("::/EFI/BOOT/BOOTX64.EFI") == Payload(70000, 3));
  CHECK(type("::/vmlinuz.bak") == Payload(50000, 4));
  CHECK(type("::/a-vmlinuz") == Payload(50000, 4));
  CHECK(type("::/Long Name With Spaces.txt") == "spaces\n");

  auto root = RunCommand({"mdir", "-i", mimg, "::/"}, env);
  CHECK(root.out.find(fmt::format("Volume Serial Number is {}", esp.fs_uuid)) != std::string::npos);
  CHECK(root.out.find("Volume in drive : is ESP") != std::string::npos);
  // mtimes: the tree's (2020-09-13 12:26), pre-1980 clamped, directories the epoch.
  CHECK(std::regex_search(root.out, std::regex(R"(vmlinuz\s+50000 2020-09-13\s+12:26)")));
  CHECK(std::regex_search(root.out, std::regex(R"(old\s+txt\s+11 1980-01-01\s+0:00)")));
  CHECK(std::regex_search(root.out, std::regex(R"(EFI\s+<DIR>\s+2023-11-14\s+22:13)")));

  fs::path part = f.dir.path() / "esp.vfat";
  ExtractRange(img, esp.offset, esp.size, part);
  auto fsck = RunCommand({"fsck.vfat", "-n", part.string()});
  INFO(fsck.out << fsck.err);
  CHECK(fsck.exit_code == 0);
  auto info = RunCommand({"minfo", "-i", mimg}, env);
  CHECK(info.out.find("disk type=\"FAT32   \"") != std::string::npos);
  // Hidden sectors = the partition's start, as boot firmware expects.
  CHECK(info.out.find(fmt::format("hidden sectors: {}\n", esp.offset / 512)) != std::string::npos);
  CHECK(info.out.find(fmt::format("serial number: {:08X}\n", esp.vfat_serial)) != std::string::npos);
}

TEST_CASE("a small vfat partition is FAT16 and still checks clean", "[disk]") {
  DiskFixture f;
  f.layout.partitions[0].size = PartitionSize::Fixed(20 * kMiB);
  fs::path img = f.out / "disk.img";
  auto plan = RequireOk(f.Write(img));
  fs::path part = f.dir.path() / "esp.vfat";
  ExtractRange(img, kMiB, 20 * kMiB, part);
  CHECK(RunCommand({"fsck.vfat", "-n", part.string()}).exit_code == 0);
  auto info = RunCommand({"minfo", "-i", img.string() + "@@" + std::to_string(kMiB)},
                         {"MTOOLS_SKIP_CHECK=1"});
  CHECK(info.out.find("disk type=\"FAT16   \"") != std::string::npos);
}

TEST_CASE("the same inputs give the same bytes, and another seed other ids", "[disk]") {
  DiskFixture f;
  fs::path a = f.out / "a.img";
  fs::path b = f.dir.path() / "elsewhere" / "b.img";
  auto plan_a = RequireOk(f.Write(a));
  // A different umask, TZ and output/work directory must not matter.
  mode_t old_umask = ::umask(077);
  const char* old_tz = std::getenv("TZ");
  std::string saved_tz = old_tz ? old_tz : "";
  ::setenv("TZ", "America/New_York", 1);
  f.work = f.dir.path() / "other-work";
  auto plan_b = f.Write(b);
  ::umask(old_umask);
  if (old_tz) ::setenv("TZ", saved_tz.c_str(), 1); else ::unsetenv("TZ");
  RequireOk(std::move(plan_b));
  CHECK(Sha256Of(a) == Sha256Of(b));

  fs::path c = f.out / "c.img";
  auto plan_c = RequireOk(f.Write(c, "seed-2"));
  CHECK(Sha256Of(a) != Sha256Of(c));
  CHECK(plan_a.disk_id != plan_c.disk_id);
  auto table_c = SfdiskJson(c);
  CHECK(Lower(table_c["partitions"][1]["uuid"]) == plan_c.Find("root")->part_uuid);
  CHECK(plan_a.Find("root")->part_uuid != plan_c.Find("root")->part_uuid);
  CHECK(plan_a.Find("root")->fs_uuid != plan_c.Find("root")->fs_uuid);
}

TEST_CASE("raw partitions take a prebuilt image", "[disk]") {
  DiskFixture f;
  fs::path squash = f.dir.path() / "root.squashfs";
  {
    std::ofstream out(squash, std::ios::binary);
    out << "hsqs" << std::string(kMiB, '\0') << Payload(5000, 9);
  }
  f.layout.partitions[1].filesystem = Filesystem::kRaw;
  fs::path img = f.out / "disk.img";
  auto plan = RequireOk(WriteDiskImage(
      f.layout, {{"esp", {.tree = &f.esp}}, {"root", {.image = squash}}}, img,
      {.epoch = kEpoch, .seed = "s", .work_dir = f.work}));
  const auto& root = *plan.Find("root");
  CHECK(root.size == 2 * kMiB);
  fs::path part = f.dir.path() / "back";
  ExtractRange(img, root.offset, root.size, part);
  std::string back = ReadAll(part);
  std::string want = ReadAll(squash);
  CHECK(back.substr(0, want.size()) == want);
  CHECK(back.find_first_not_of('\0', want.size()) == std::string::npos);

  SECTION("an image larger than its partition") {
    f.layout.partitions[1].size = PartitionSize::Fixed(kMiB);
    auto r = WriteDiskImage(f.layout, {{"esp", {.tree = &f.esp}}, {"root", {.image = squash}}},
                            f.out / "small.img", {.epoch = kEpoch, .seed = "s", .work_dir = f.work});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    CHECK(r.error().message() ==
          fmt::format("partition 'root' (1 MiB) is too small for '{}' (1.0 MiB)", squash.string()));
    CHECK_FALSE(fs::exists(f.out / "small.img"));
  }
}

TEST_CASE("a partition too small for its tree is a clear error and leaves nothing", "[disk]") {
  DiskFixture f;
  REQUIRE(f.root.AddFile("var/big", Payload(20 * kMiB, 11)).ok());
  fs::path img = f.out / "disk.img";

  SECTION("content alone exceeds the partition") {
    f.layout.partitions[1].size = PartitionSize::Fixed(16 * kMiB);
  }
  SECTION("content fits, metadata and journal do not (mke2fs runs out of blocks)") {
    f.layout.partitions[1].size = PartitionSize::Fixed(24 * kMiB);
  }
  auto r = f.Write(img);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kConfig);
  CHECK(r.error().message() ==
        fmt::format("partition 'root' ({}) is too small for the tree (needs about {})",
                    FormatSize(f.layout.partitions[1].size.bytes), FormatSize(Ext4SizeFor(f.root))));
  CHECK(r.error().Render().find(img.string()) != std::string::npos);
  CHECK(Listing(f.out).empty());
  CHECK(Listing(f.work).empty());
  // And the auto size it names does work.
  f.layout.partitions[1].size = PartitionSize::Fixed(Ext4SizeFor(f.root));
  RequireOk(f.Write(img));
}

// The inner half of the next case: run by it inside a mount namespace where
// $CAIRN_TEST_SMALL_FS is a 4 MiB tmpfs, too small for the image's data.
TEST_CASE("(inner) an ext4 partition written onto a full host filesystem", "[.][disk-host-full]") {
  const char* small = std::getenv("CAIRN_TEST_SMALL_FS");
  REQUIRE(small != nullptr);
  DiskFixture f;
  REQUIRE(f.root.AddFile("var/big", Payload(8 * kMiB, 11)).ok());
  f.layout.partitions = {{.name = "root", .role = PartitionRole::kRoot,
                          .filesystem = Filesystem::kExt4, .size = PartitionSize::Auto()}};
  const fs::path img = fs::path(small) / "disk.img";
  auto r = WriteDiskImage(f.layout, {{"root", {.tree = &f.root}}}, img,
                          {.epoch = kEpoch, .seed = "seed-1", .work_dir = f.work});
  REQUIRE_FALSE(r.ok());
  INFO(r.error().Render());
  CHECK(r.error().code() == Code::kIo);
  CHECK(r.error().message() == "writing partition 'root': No space left on device");
  CHECK(r.error().Render().find("writing '" + img.string() + "'") != std::string::npos);
  CHECK(r.error().hint() == "the host's filesystem holding '" + std::string(small) +
                                "' is full (0 bytes free): free space there or write the "
                                "image elsewhere");
  CHECK(r.error().Render().find("too small") == std::string::npos);
  CHECK(Listing(small).empty());
  CHECK(Listing(f.work).empty());
}

// mke2fs says "No space left on device" when the host refuses to grow the
// image, and "Could not allocate block" when the partition is full: only the
// second is the declaration's fault (kConfig, exit 2).
TEST_CASE("a full host filesystem is an I/O error and not a partition too small", "[disk]") {
  testing::ScratchDir dir("disk-host-full");
  const fs::path small = dir.path() / "small";
  fs::create_directories(small);
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  auto r = RunCommand({"unshare", "--mount", "--map-root-user", "sh", "-c",
                       "mount -t tmpfs -o size=4m none \"$0\" || exit 99; "
                       "CAIRN_TEST_SMALL_FS=\"$0\" exec \"$1\" \"$2\"",
                       small.string(), self,
                       "(inner) an ext4 partition written onto a full host filesystem"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code != 99);  // the namespace and the mount worked
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("All tests passed") != std::string::npos);
}

TEST_CASE("a vfat partition too small for its tree", "[disk]") {
  DiskFixture f;
  REQUIRE(f.esp.AddFile("big1", Payload(3 * kMiB, 1)).ok());
  REQUIRE(f.esp.AddFile("big2", Payload(3 * kMiB, 2)).ok());
  f.layout.partitions[0].size = PartitionSize::Fixed(6 * kMiB);  // > content, < content + FAT
  auto r = f.Write(f.out / "disk.img");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message() ==
        fmt::format("partition 'esp' (6 MiB) is too small for the tree (needs about {})",
                    FormatSize(VfatSizeFor(f.esp, true))));
  CHECK(Listing(f.out).empty());
  CHECK(Listing(f.work).empty());

  // "auto" fits it; without the ESP's FAT32 floor it is a small FAT12/16.
  f.layout.partitions[0].role = PartitionRole::kFirmware;
  f.layout.partitions[0].size = PartitionSize::Auto();
  fs::path img = f.out / "auto.img";
  auto plan = RequireOk(f.Write(img));
  const auto& fw = *plan.Find("esp");
  CHECK(fw.size == VfatSizeFor(f.esp, false));
  CHECK(fw.size < kFat32MinSize);
  fs::path part = f.dir.path() / "fw.vfat";
  ExtractRange(img, fw.offset, fw.size, part);
  CHECK(RunCommand({"fsck.vfat", "-n", part.string()}).exit_code == 0);
  auto r2 = RunCommand({"mtype", "-i", img.string() + "@@" + std::to_string(fw.offset), "::/big2"},
                       {"MTOOLS_SKIP_CHECK=1"});
  CHECK(r2.out == Payload(3 * kMiB, 2));
}

TEST_CASE("ext4 auto size holds metadata-heavy trees", "[disk]") {
  DiskFixture f;
  for (int d = 0; d < 800; ++d)
    REQUIRE(f.root.AddDirectory(fmt::format("var/lib/d{:04}", d), 0755, 0, 0, 1600000000).ok());
  for (int i = 0; i < 2500; ++i) {
    REQUIRE(f.root.AddFile(fmt::format("usr/share/many/a-rather-long-file-name-{:05}.txt", i),
                           "", 0644, 0, 0, 1600000000).ok());
  }
  for (int i = 0; i < 300; ++i)
    REQUIRE(f.root.AddSymlink(fmt::format("usr/lib/link{:03}", i), std::string(80, 't'), 1).ok());
  fs::path img = f.out / "disk.img";
  auto plan = RequireOk(f.Write(img));
  const auto& root = *plan.Find("root");
  fs::path part = f.dir.path() / "root.ext4";
  ExtractRange(img, root.offset, root.size, part);
  auto fsck = RunCommand({"e2fsck", "-fn", part.string()});
  INFO(fsck.out << fsck.err);
  CHECK(fsck.exit_code == 0);
  CHECK(DebugfsStat(img, root.offset, "/usr/share/many/a-rather-long-file-name-02499.txt").ctime ==
        kEpoch);
}

TEST_CASE("trees FAT cannot hold are rejected before building", "[disk]") {
  DiskFixture f;
  SECTION("symlink") {
    REQUIRE(f.esp.AddSymlink("EFI/link", "BOOT").ok());
    CHECK(CheckVfatTree(f.esp, "esp").error().message() ==
          "partition 'esp' is vfat, which cannot hold symlink 'EFI/link'");
  }
  SECTION("names that differ only in case") {
    REQUIRE(f.esp.AddFile("VMLINUZ", "x").ok());
    CHECK(CheckVfatTree(f.esp, "esp").error().message() ==
          "partition 'esp' is vfat, where names ignore case: 'vmlinuz' clashes with another name "
          "in its directory");
  }
  SECTION("characters FAT forbids") {
    REQUIRE(f.esp.AddFile("a:b", "x").ok());
    CHECK(CheckVfatTree(f.esp, "esp").error().message() ==
          "partition 'esp' is vfat, which cannot name 'a:b' (no control characters or any of \" * "
          ": < > ? \\ |)");
  }
  auto r = f.Write(f.out / "disk.img");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kConfig);
  CHECK(Listing(f.out).empty());
}

TEST_CASE("a missing tool names the Debian package to install", "[disk]") {
  DiskFixture f;
  const char* old_path = std::getenv("PATH");
  std::string saved = old_path ? old_path : "";
  // mtools lives in /usr/bin only; e2fsprogs and fdisk are still found in /usr/sbin.
  ::setenv("PATH", (f.dir.path() / "empty").c_str(), 1);
  auto r = f.Write(f.out / "disk.img");
  ::setenv("PATH", saved.c_str(), 1);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kTool);
  CHECK(r.error().message() == "'mmd' is not installed (install the Debian package 'mtools')");
  CHECK(Listing(f.out).empty());
}

TEST_CASE("qcow2 output converts the raw image reproducibly", "[disk]") {
  DiskFixture f;
  fs::path raw = f.out / "disk.img";
  RequireOk(f.Write(raw));
  DiskOptions opts{.epoch = kEpoch, .seed = "seed-1", .work_dir = f.work,
                   .format = ImageFormat::kQcow2};
  fs::path q1 = f.out / "disk1.qcow2", q2 = f.out / "disk2.qcow2";
  RequireOk(WriteDiskImage(f.layout, f.Contents(), q1, opts));
  RequireOk(WriteDiskImage(f.layout, f.Contents(), q2, opts));
  CHECK(Sha256Of(q1) == Sha256Of(q2));
  auto info = RunCommand({"qemu-img", "info", "--output=json", q1.string()});
  CHECK(nlohmann::json::parse(info.out)["format"] == "qcow2");
  fs::path back = f.dir.path() / "back.img";
  REQUIRE(RunCommand({"qemu-img", "convert", "-f", "qcow2", "-O", "raw", q1.string(),
                      back.string()}).exit_code == 0);
  CHECK(Sha256Of(back) == Sha256Of(raw));
  CHECK(Listing(f.out) == std::vector<std::string>{"disk.img", "disk1.qcow2", "disk2.qcow2"});
}

}  // namespace
}  // namespace cairn::disk
