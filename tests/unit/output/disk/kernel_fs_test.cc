// xfs and btrfs partitions (kernel_fs.h). The [disk] cases check names,
// labels, ids, sizes and plan errors without an appliance. The [guestfs]
// cases build real disks through WriteDiskImage (one appliance launch each)
// and read them back independently: sfdisk, blkid, xfs_db, xfs_repair,
// btrfs inspect-internal and btrfs check on the host, and a second,
// read-only launch that compares every node of the trees.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <regex>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/ids.h"
#include "cairn/disk/image.h"
#include "cairn/disk/kernel_fs.h"
#include "cairn/disk/layout.h"
#include "support/tree_fixture.h"
#include "unit/output/disk/appliance_test_util.h"
#include "unit/output/disk/disk_test_util.h"

namespace cairn::disk {
namespace {

using namespace testutil;

PartitionSpec Xfs(PartitionSize size = PartitionSize::Auto()) {
  return {.name = "data", .role = PartitionRole::kData, .filesystem = Filesystem::kXfs,
          .size = size};
}
PartitionSpec Btrfs(PartitionSize size = PartitionSize::Auto()) {
  return {.name = "home", .role = PartitionRole::kData, .filesystem = Filesystem::kBtrfs,
          .size = size};
}

std::string ErrorText(const Status& s) {
  REQUIRE_FALSE(s.ok());
  return s.error().Render();
}

// A tree whose only file is a sparse file of `size` bytes, attached to the
// store without copying (size estimates read only the metadata).
void AddSparseFile(rootfs::Tree& tree, const fs::path& dir, const std::string& name,
                   uint64_t size) {
  fs::path file = dir / (name + ".sparse");
  { std::ofstream create(file); }
  REQUIRE(::truncate(file.c_str(), static_cast<off_t>(size)) == 0);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  uint32_t index = RequireValue(tree.store().AttachFile(fd));
  RequireOk(tree.AddStored({.path = name, .size = size},
                           {.blob = {.offset = 0, .size = size, .file = index}}));
}

TEST_CASE("xfs and btrfs: names, label limits and ids", "[disk][kernel_fs]") {
  CHECK(ParseFilesystem("xfs") == Filesystem::kXfs);
  CHECK(ParseFilesystem("btrfs") == Filesystem::kBtrfs);
  CHECK(NeedsKernel(Filesystem::kXfs));
  CHECK(NeedsKernel(Filesystem::kBtrfs));
  CHECK_FALSE(NeedsKernel(Filesystem::kExt4));
  CHECK(MaxLabelBytes(Filesystem::kXfs) == 12);
  CHECK(MaxLabelBytes(Filesystem::kBtrfs) == 255);

  DiskLayout layout;
  layout.partitions = {Xfs(), Btrfs()};
  CHECK(ValidateLayout(layout).ok());
  SECTION("an xfs label holds 12 bytes, a btrfs label 255") {
    layout.partitions[0].label = "twelve-chars";
    layout.partitions[1].label = std::string(255, 'b');
    CHECK(ValidateLayout(layout).ok());
    layout.partitions[0].label = "thirteen-char";
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'data': label 'thirteen-char' is too long for xfs (at most 12 characters)");
    layout.partitions[0].label.clear();
    layout.partitions[1].label = std::string(256, 'b');
    CHECK(ErrorText(ValidateLayout(layout)) ==
          fmt::format("partition 'home': label '{}' is too long for btrfs (at most 255 "
                      "characters)",
                      std::string(256, 'b')));
  }
  SECTION("labels derived from the name are cut to the filesystem's limit") {
    PartitionSpec x = Xfs();
    x.name = "application-data";
    CHECK(EffectiveLabel(x) == "application-");
    PartitionSpec b = Btrfs();
    b.name = "a-rather-long-partition-name-for-btrfs";
    CHECK(EffectiveLabel(b) == b.name);
  }
  SECTION("the filesystem UUID comes from the seed, like ext4's; no hash seed") {
    DiskIds ids = RequireValue(DeriveIds(layout, "kfs-seed"));
    CHECK(ids.partitions.at("data").fs_uuid == DeriveUuid("kfs-seed", "filesystem", "data"));
    CHECK(ids.partitions.at("home").fs_uuid == DeriveUuid("kfs-seed", "filesystem", "home"));
    CHECK(ids.partitions.at("data").fs_uuid != ids.partitions.at("home").fs_uuid);
    CHECK(ids.partitions.at("data").hash_seed.empty());
    CHECK(ids.partitions.at("home").vfat_serial == 0);
  }
}

TEST_CASE("xfs and btrfs: auto sizes, minimums and the reproducibility flag",
          "[disk][kernel_fs]") {
  testing::TreeFixture f("kernel-fs-plan");
  RequireOk(f.tree.AddFile("etc/motd", "hello\n"));
  DiskLayout layout;
  layout.partitions = {Xfs(), Btrfs()};
  PartitionContents contents{{"data", {.tree = &f.tree}}, {"home", {.tree = &f.tree}}};

  SECTION("a small tree gets the smallest filesystem mkfs makes") {
    CHECK(KernelFsSizeFor(Filesystem::kXfs, f.tree) == 300 * kMiB);
    CHECK(KernelFsSizeFor(Filesystem::kBtrfs, f.tree) == 109 * kMiB);
    DiskPlan plan = RequireValue(PlanDisk(layout, contents, "s"));
    CHECK(plan.partitions[0].size == 300 * kMiB);
    CHECK(plan.partitions[1].size == 109 * kMiB);
    CHECK(plan.partitions[0].fs_uuid == DeriveUuid("s", "filesystem", "data"));
    CHECK(plan.partitions[0].label == "data");
    CHECK_FALSE(plan.byte_reproducible);
  }
  SECTION("sizes grow with the content and stay within a margin of it") {
    rootfs::Tree big(*f.store);
    AddSparseFile(big, f.dir.path(), "big", 1024 * kMiB);
    uint64_t x = KernelFsSizeFor(Filesystem::kXfs, big);
    uint64_t b = KernelFsSizeFor(Filesystem::kBtrfs, big);
    INFO("xfs " << FormatSize(x) << ", btrfs " << FormatSize(b));
    CHECK(x > 1024 * kMiB + 64 * kMiB);  // content and the 64 MiB log
    CHECK(x < 1400 * kMiB);
    CHECK(b > 1024 * kMiB + 90 * kMiB);  // content, system and DUP metadata chunks
    CHECK(b < 1400 * kMiB);
    CHECK(x % kMiB == 0);
    CHECK(b % kMiB == 0);
  }
  SECTION("a fixed size below the minimum is a config error before anything runs") {
    layout.partitions[0].size = PartitionSize::Fixed(299 * kMiB);
    auto plan = PlanDisk(layout, contents, "s");
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().code() == Code::kConfig);
    CHECK(plan.error().Render() ==
          "partition 'data': 299 MiB is too small for xfs (mkfs.xfs makes at least 300 MiB)");
    layout.partitions[0].size = PartitionSize::Fixed(300 * kMiB);
    layout.partitions[1].size = PartitionSize::Fixed(108 * kMiB);
    CHECK(PlanDisk(layout, contents, "s").error().Render() ==
          "partition 'home': 108 MiB is too small for btrfs (mkfs.btrfs makes at least 109 "
          "MiB)");
    layout.partitions[1].size = PartitionSize::Fixed(109 * kMiB);
    CHECK(PlanDisk(layout, contents, "s").ok());
  }
  SECTION("so is a fill partition that gets too little") {
    layout.size = 400 * kMiB;
    layout.partitions[1].size = PartitionSize::Fill();
    CHECK(PlanDisk(layout, contents, "s").error().Render() ==
          "partition 'home': 98 MiB is too small for btrfs (mkfs.btrfs makes at least 109 MiB)");
  }
  SECTION("a tree is required, an image is not accepted") {
    contents["home"] = {.image = f.dir.path() / "home.img"};
    CHECK(PlanDisk(layout, contents, "s").error().Render() ==
          "partition 'home': filesystem 'btrfs' needs a tree to build from");
  }
  SECTION("a disk without xfs or btrfs stays byte-reproducible") {
    layout.partitions[0].filesystem = Filesystem::kExt4;
    layout.partitions[1].filesystem = Filesystem::kVfat;
    CHECK(RequireValue(PlanDisk(layout, contents, "s")).byte_reproducible);
  }
}

// What blkid says about the filesystem at `offset` of the image.
std::map<std::string, std::string> BlkidAt(const fs::path& image, uint64_t offset) {
  auto r = RunCommand({"blkid", "-p", "-o", "export", "-O", std::to_string(offset),
                       image.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, std::string> tags;
  std::regex line(R"(^(\w+)=(.*)$)", std::regex::multiline);
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it)
    tags[(*it)[1]] = (*it)[2];
  return tags;
}

TEST_CASE("WriteDiskImage builds xfs and btrfs partitions in one appliance launch",
          "[disk][kernel_fs][guestfs]") {
  testing::TreeFixture f("kernel-fs-disk");
  rootfs::Tree esp(*f.store), data(*f.store), home(*f.store);
  FillEspTree(esp);
  FillRootTree(data);
  FillRootTree(home);
  RequireOk(home.AddFile("only-on-btrfs/small", "inline in the metadata\n", 0640, 7, 8,
                         1600000000));

  DiskLayout layout{.table = TableType::kGpt, .arch = "x86_64"};
  layout.partitions = {
      {.name = "esp", .role = PartitionRole::kEsp, .filesystem = Filesystem::kVfat,
       .size = PartitionSize::Fixed(40 * kMiB)},
      {.name = "data", .role = PartitionRole::kData, .filesystem = Filesystem::kXfs,
       .label = "cairn-data"},
      {.name = "home", .role = PartitionRole::kData, .filesystem = Filesystem::kBtrfs,
       .label = "cairn-home"},
  };
  fs::path img = f.dir.path() / "disk.img";
  auto started = std::chrono::steady_clock::now();
  auto written = WriteDiskImage(
      layout, {{"esp", {.tree = &esp}}, {"data", {.tree = &data}}, {"home", {.tree = &home}}},
      img, {.epoch = kEpoch, .seed = "kernel-fs-seed", .work_dir = f.dir.path()});
  if (!written.ok() && SkipForLaunch(written.error())) return;
  WARN("WriteDiskImage with xfs and btrfs took " << SecondsSince(started) << " s");
  const DiskPlan plan = RequireValue(std::move(written));
  CHECK_FALSE(plan.byte_reproducible);
  CHECK(Listing(f.dir.path()) == std::vector<std::string>{"disk.img"});  // no temporaries
  const PartitionPlan& x = plan.partitions[1];
  const PartitionPlan& b = plan.partitions[2];
  CHECK(x.size == 300 * kMiB);
  CHECK(b.size == 109 * kMiB);

  // The table, as sfdisk reads it.
  nlohmann::json table = SfdiskJson(img);
  REQUIRE(table["partitions"].size() == 3);
  for (int i = 1; i <= 2; ++i) {
    const auto& jp = table["partitions"][i];
    const PartitionPlan& p = plan.partitions[i];
    CHECK(jp["type"] == "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
    CHECK(Lower(jp["uuid"]) == p.part_uuid);
    CHECK(jp["start"].get<uint64_t>() * 512 == p.offset);
    CHECK(jp["size"].get<uint64_t>() * 512 == p.size);
  }
  // Type, label and UUID, as blkid reads them on the host.
  for (const PartitionPlan* p : {&x, &b}) {
    auto tags = BlkidAt(img, p->offset);
    CHECK(tags["TYPE"] == FilesystemName(p->spec.filesystem));
    CHECK(tags["LABEL"] == p->label);
    CHECK(tags["UUID"] == p->fs_uuid);
  }
  CHECK(x.fs_uuid == DeriveUuid("kernel-fs-seed", "filesystem", "data"));

  // Each filesystem is consistent for its own tools, which agree on the ids.
  fs::path xfs_img = f.dir.path() / "data.xfs";
  ExtractRange(img, x.offset, x.size, xfs_img);
  auto repair = RunCommand({"xfs_repair", "-n", "-f", xfs_img.string()});
  INFO(repair.out << repair.err);
  CHECK(repair.exit_code == 0);
  auto db = RunCommand({"xfs_db", "-r", "-c", "uuid", "-c", "label", xfs_img.string()});
  CHECK(db.exit_code == 0);
  CHECK(db.out.find("UUID = " + x.fs_uuid) != std::string::npos);
  CHECK(db.out.find("label = \"cairn-data\"") != std::string::npos);
  fs::remove(xfs_img);

  fs::path btrfs_img = f.dir.path() / "home.btrfs";
  ExtractRange(img, b.offset, b.size, btrfs_img);
  auto check = RunCommand({"btrfs", "check", "--readonly", btrfs_img.string()});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  auto super = RunCommand({"btrfs", "inspect-internal", "dump-super", btrfs_img.string()});
  CHECK(super.exit_code == 0);
  CHECK(std::regex_search(super.out, std::regex("\nfsid\\s+" + b.fs_uuid + "\n")));
  CHECK(std::regex_search(super.out, std::regex("\nlabel\\s+cairn-home\n")));
  fs::remove(btrfs_img);

  // The ESP the userspace path wrote before the appliance ran is intact.
  fs::path esp_img = f.dir.path() / "esp.vfat";
  ExtractRange(img, plan.partitions[0].offset, plan.partitions[0].size, esp_img);
  auto fsck = RunCommand({"fsck.vfat", "-n", esp_img.string()});
  INFO(fsck.out << fsck.err);
  CHECK(fsck.exit_code == 0);
  fs::remove(esp_img);

  // Every node, read back through a second, read-only appliance.
  const std::string sha_before = Sha256Of(img);
  started = std::chrono::steady_clock::now();
  GuestfsHandle g = RequireValue(GuestfsHandle::Open());
  RequireOk(g.AddDriveReadOnly(img, ""));
  RequireOk(g.Launch());
  for (const auto& [device, tree] :
       {std::pair{std::string("/dev/sda2"), &data}, std::pair{std::string("/dev/sda3"), &home}}) {
    INFO("device " << device);
    RequireOk(g.MountReadOnly(device, "/"));
    GuestfsStat root = RequireValue(g.Lstat("/"));
    CHECK((root.mode & 07777) == 0755);
    CHECK(root.uid == 0);
    CHECK(root.mtime == kEpoch);
    CheckTreeInGuest(g, *tree, "/", kEpoch);
    // Nothing but the tree (xfs and btrfs have no lost+found).
    std::vector<std::string> top = RequireValue(g.List("/"));
    std::sort(top.begin(), top.end());
    std::vector<std::string> want;
    for (const auto& [path, node] : tree->nodes())
      if (path.find('/') == std::string::npos) want.push_back(path);
    CHECK(top == want);
    RequireOk(g.UnmountAll());
  }
  RequireOk(g.Shutdown());
  WARN("reading both back took " << SecondsSince(started) << " s (one launch)");
  CHECK(Sha256Of(img) == sha_before);
}

TEST_CASE("a tree too big for a fixed btrfs partition is a config error and leaves nothing",
          "[disk][kernel_fs][guestfs]") {
  testing::TreeFixture f("kernel-fs-full");
  // 40 MiB of incompressible data; 109 MiB of btrfs keeps about 20 MiB for data.
  for (int i = 0; i < 4; ++i)
    RequireOk(f.tree.AddFile(fmt::format("blob-{}", i), Payload(10 * kMiB, 100 + i)));
  DiskLayout layout{.table = TableType::kGpt};
  layout.partitions = {Btrfs(PartitionSize::Fixed(109 * kMiB))};
  fs::path out_dir = f.dir.path() / "out";
  auto written = WriteDiskImage(layout, {{"home", {.tree = &f.tree}}}, out_dir / "disk.img",
                                {.epoch = kEpoch, .seed = "full", .work_dir = f.dir.path()});
  REQUIRE_FALSE(written.ok());
  if (SkipForLaunch(written.error())) return;
  CHECK(written.error().code() == Code::kConfig);
  CHECK(written.error().Render() ==
        fmt::format("writing '{}': partition 'home' (109 MiB) is too small for the tree (needs "
                    "about {})\nhint: give the partition a larger size, or size 'auto'",
                    (out_dir / "disk.img").string(),
                    FormatSize(KernelFsSizeFor(Filesystem::kBtrfs, f.tree))));
  CHECK(Listing(out_dir).empty());
}

}  // namespace
}  // namespace cairn::disk
