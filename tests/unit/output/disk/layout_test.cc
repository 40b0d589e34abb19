// DiskLayout validation, partition types, seed-derived ids and PlanDisk
// geometry: everything decided before a byte is written.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <regex>

#include "cairn/byte_size.h"
#include "cairn/disk/ext4.h"
#include "cairn/disk/ids.h"
#include "cairn/disk/image.h"
#include "cairn/disk/layout.h"
#include "support/test_support.h"

namespace cairn::disk {
namespace {

PartitionSpec Esp(PartitionSize size = PartitionSize::Fixed(64 * kMiB)) {
  return {.name = "esp", .role = PartitionRole::kEsp, .filesystem = Filesystem::kVfat, .size = size};
}

PartitionSpec Root(PartitionSize size = PartitionSize::Fixed(256 * kMiB)) {
  return {.name = "root", .role = PartitionRole::kRoot, .filesystem = Filesystem::kExt4, .size = size};
}

std::string ErrorText(const Status& s) {
  REQUIRE_FALSE(s.ok());
  return s.error().Render();
}

TEST_CASE("ValidateLayout rejects bad layouts with messages naming the partition", "[disk]") {
  DiskLayout layout;
  layout.partitions = {Esp(), Root()};
  CHECK(ValidateLayout(layout).ok());

  SECTION("size not a MiB multiple") {
    layout.partitions[1].size = PartitionSize::Fixed(1000000);
    auto s = ValidateLayout(layout);
    CHECK(ErrorText(s) == "partition 'root': size must be a positive multiple of 1 MiB (got "
                          "1000000 bytes)");
    CHECK(s.error().code() == Code::kConfig);
  }
  SECTION("duplicate names") {
    layout.partitions[1].name = "esp";
    CHECK(ErrorText(ValidateLayout(layout)) == "two partitions are named 'esp'");
  }
  SECTION("bad names") {
    layout.partitions[0].name = "a\"b";
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'a\"b': name must be printable ASCII without '\"' or '\\'");
    layout.partitions[0].name = std::string(37, 'n');
    CHECK(ErrorText(ValidateLayout(layout)).find("name is 37 characters long (at most 36)") !=
          std::string::npos);
  }
  SECTION("labels too long for their filesystem") {
    layout.partitions[0].label = "TWELVE_CHARS";
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'esp': label 'TWELVE_CHARS' is too long for vfat (at most 11 characters)");
  }
  SECTION("fill without a disk size, two fills") {
    layout.partitions[1].size = PartitionSize::Fill();
    CHECK(ErrorText(ValidateLayout(layout)) == "partition 'root': size 'fill' needs a disk size");
    layout.size = 1024 * kMiB;
    CHECK(ValidateLayout(layout).ok());
    layout.partitions[0].size = PartitionSize::Fill();
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'root': only one partition can fill the rest of the disk");
  }
  SECTION("auto size with nothing to measure") {
    layout.partitions.push_back({.name = "spare", .filesystem = Filesystem::kNone});
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'spare': size 'auto' needs contents to measure; give a size (filesystem "
          "'none')");
  }
  SECTION("type overrides must match the table") {
    layout.partitions[1].type = "83";
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'root': type '83' is not a GPT type GUID (8-4-4-4-12 hex digits)");
    layout.table = TableType::kMbr;
    CHECK(ValidateLayout(layout).ok());
    layout.partitions[1].type = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'root': type '0FC63DAF-8483-4772-8E79-3D69D8477DE4' is not an MBR type byte "
          "in hex (e.g. 0c or 83)");
  }
  SECTION("bootable only on MBR, at most 4 MBR partitions") {
    layout.partitions[0].bootable = true;
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'esp': the bootable flag exists only on MBR disks");
    layout.table = TableType::kMbr;
    CHECK(ValidateLayout(layout).ok());
    for (int i = 0; i < 3; ++i)
      layout.partitions.push_back({.name = "d" + std::to_string(i), .size = PartitionSize::Fixed(kMiB)});
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "an MBR disk holds at most 4 partitions (the layout has 5)");
  }
  SECTION("root on an architecture without a GPT type") {
    layout.arch = "m68k";
    CHECK(ErrorText(ValidateLayout(layout)) ==
          "partition 'root': no GPT root partition type is known for architecture 'm68k' (known: "
          "x86_64, aarch64, x86, armv7, armhf, riscv64, ppc64le, s390x, loongarch64); give the "
          "type explicitly");
    layout.partitions[1].type = "0fc63daf-8483-4772-8e79-3d69d8477de4";
    CHECK(ValidateLayout(layout).ok());
  }
  SECTION("empty layout") {
    layout.partitions.clear();
    CHECK(ErrorText(ValidateLayout(layout)) == "the disk layout has no partitions");
  }
}

TEST_CASE("partition types follow role, architecture and table", "[disk]") {
  DiskLayout gpt{.arch = "x86_64"};
  CHECK(*PartitionType(gpt, Esp(), 64 * kMiB) == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
  CHECK(*PartitionType(gpt, Root(), kMiB) == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
  PartitionSpec root_b = Root();
  root_b.role = PartitionRole::kRootB;
  CHECK(*PartitionType(gpt, root_b, kMiB) == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
  gpt.arch = "aarch64";
  CHECK(*PartitionType(gpt, Root(), kMiB) == "B921B045-1DF0-41C3-AF44-4C6F280D3FAE");
  CHECK(*PartitionType(gpt, {.role = PartitionRole::kData}, kMiB) ==
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
  CHECK(*PartitionType(gpt, {.role = PartitionRole::kBoot}, kMiB) ==
        "BC13C2FF-59E6-4262-A352-B275FD6F7172");
  CHECK(*PartitionType(gpt, {.role = PartitionRole::kSwap}, kMiB) ==
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F");
  CHECK(*PartitionType(gpt, {.type = "0fc63daf-8483-4772-8e79-3d69d8477de4"}, kMiB) ==
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4");

  DiskLayout mbr{.table = TableType::kMbr};
  PartitionSpec fw{.role = PartitionRole::kFirmware, .filesystem = Filesystem::kVfat};
  CHECK(*PartitionType(mbr, fw, 256 * kMiB) == "0c");
  CHECK(*PartitionType(mbr, fw, 16 * kMiB) == "0e");  // FAT16 below 33 MiB
  CHECK(*PartitionType(mbr, Esp(), 64 * kMiB) == "ef");
  CHECK(*PartitionType(mbr, Root(), kMiB) == "83");
  CHECK(*PartitionType(mbr, {.role = PartitionRole::kSwap}, kMiB) == "82");
  CHECK(*PartitionType(mbr, {.type = "DA"}, kMiB) == "da");
}

TEST_CASE("names parse both ways", "[disk]") {
  for (auto role : {PartitionRole::kEsp, PartitionRole::kBoot, PartitionRole::kRoot,
                    PartitionRole::kRootB, PartitionRole::kData, PartitionRole::kFirmware,
                    PartitionRole::kSwap})
    CHECK(ParseRole(RoleName(role)) == role);
  for (auto fs : {Filesystem::kNone, Filesystem::kVfat, Filesystem::kExt4, Filesystem::kRaw,
                  Filesystem::kXfs, Filesystem::kBtrfs})
    CHECK(ParseFilesystem(FilesystemName(fs)) == fs);
  CHECK(FilesystemName(Filesystem::kXfs) == "xfs");
  CHECK(FilesystemName(Filesystem::kBtrfs) == "btrfs");
  CHECK_FALSE(ParseFilesystem("zfs").has_value());
  CHECK_FALSE(ParseRole("rootfs").has_value());
  CHECK(ParseTableType("gpt") == TableType::kGpt);
  CHECK(ParseTableType("dos") == TableType::kMbr);
}

TEST_CASE("ids derive from the seed alone and look like v4 UUIDs", "[disk]") {
  DiskLayout layout;
  layout.partitions = {Esp(), Root()};
  auto a = DeriveIds(layout, "seed-1");
  auto b = DeriveIds(layout, "seed-1");
  auto c = DeriveIds(layout, "seed-2");
  REQUIRE(a.ok());
  REQUIRE(c.ok());
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  CHECK(std::regex_match(a->disk_id, v4));
  const auto& root = a->partitions.at("root");
  CHECK(std::regex_match(root.part_uuid, v4));
  CHECK(std::regex_match(root.fs_uuid, v4));
  CHECK(std::regex_match(root.hash_seed, v4));
  CHECK(root.part_uuid != root.fs_uuid);
  CHECK(root.fs_uuid != root.hash_seed);
  const auto& esp = a->partitions.at("esp");
  CHECK(std::regex_match(esp.fs_uuid, std::regex("[0-9A-F]{4}-[0-9A-F]{4}")));
  CHECK(esp.fs_uuid == fmt::format("{:04X}-{:04X}", esp.vfat_serial >> 16, esp.vfat_serial & 0xffff));
  CHECK(esp.hash_seed.empty());

  CHECK(a->disk_id == b->disk_id);
  CHECK(root.part_uuid == b->partitions.at("root").part_uuid);
  CHECK(a->disk_id != c->disk_id);
  CHECK(root.part_uuid != c->partitions.at("root").part_uuid);
  CHECK(esp.vfat_serial != c->partitions.at("esp").vfat_serial);
  // The id depends on the name, not on the position in the table.
  std::swap(layout.partitions[0], layout.partitions[1]);
  CHECK(DeriveIds(layout, "seed-1")->partitions.at("root").part_uuid == root.part_uuid);

  layout.table = TableType::kMbr;
  auto mbr = DeriveIds(layout, "seed-1");
  REQUIRE(mbr.ok());
  CHECK(std::regex_match(mbr->disk_id, std::regex("[0-9a-f]{8}")));
  CHECK(mbr->partitions.at("esp").part_uuid == mbr->disk_id + "-02");
  CHECK(mbr->partitions.at("root").part_uuid == mbr->disk_id + "-01");

  CHECK_FALSE(DeriveIds(layout, "").ok());
}

TEST_CASE("PlanDisk aligns partitions and sizes the disk", "[disk]") {
  testing::ScratchDir dir("disk-plan");
  auto store = std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree(*store);
  REQUIRE(tree.AddFile("etc/motd", std::string(3 * kMiB, 'x')).ok());

  DiskLayout layout;
  layout.partitions = {Esp(), Root(PartitionSize::Auto())};
  PartitionContents contents{{"esp", {.tree = &tree}}, {"root", {.tree = &tree}}};

  SECTION("computed disk size: 1 MiB table, partitions, 1 MiB for the backup GPT") {
    auto plan = PlanDisk(layout, contents, "s");
    REQUIRE(plan.ok());
    REQUIRE(plan->partitions.size() == 2);
    const auto& esp = plan->partitions[0];
    const auto& root = plan->partitions[1];
    CHECK(esp.offset == kMiB);
    CHECK(esp.size == 64 * kMiB);
    CHECK(esp.label == "ESP");
    CHECK(esp.number == 1);
    CHECK(root.offset == 65 * kMiB);
    CHECK(root.size == Ext4SizeFor(tree));
    CHECK(root.size % kMiB == 0);
    CHECK(root.label == "root");
    CHECK(root.type == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
    CHECK(plan->size == root.offset + root.size + kMiB);
    CHECK(plan->Find("root") == &plan->partitions[1]);
    CHECK(plan->Find("nope") == nullptr);
  }
  SECTION("fill takes what a fixed disk leaves (GPT keeps its last MiB)") {
    layout.size = 1024 * kMiB;
    layout.partitions[1].size = PartitionSize::Fill();
    auto plan = PlanDisk(layout, contents, "s");
    REQUIRE(plan.ok());
    CHECK(plan->size == 1024 * kMiB);
    CHECK(plan->partitions[1].offset == 65 * kMiB);
    CHECK(plan->partitions[1].size == (1024 - 65 - 1) * kMiB);
    layout.table = TableType::kMbr;
    plan = PlanDisk(layout, contents, "s");
    REQUIRE(plan.ok());
    CHECK(plan->partitions[1].size == (1024 - 65) * kMiB);
  }
  SECTION("a fixed disk too small for its partitions") {
    layout.size = 64 * kMiB;
    auto plan = PlanDisk(layout, contents, "s");
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().code() == Code::kConfig);
    CHECK(plan.error().Render() ==
          fmt::format("the partitions need {} but the disk is 64 MiB",
                      FormatSize(65 * kMiB + Ext4SizeFor(tree) + 33 * 512)));
  }
  SECTION("contents must match the layout") {
    contents.erase("root");
    CHECK(PlanDisk(layout, contents, "s").error().Render() ==
          "partition 'root': filesystem 'ext4' needs a tree to build from");
    contents["root"] = {.tree = &tree};
    contents["swap"] = {.tree = &tree};
    CHECK(PlanDisk(layout, contents, "s").error().Render() ==
          "contents were given for partition 'swap', which the layout does not have");
    contents.erase("swap");
    contents["root"] = {.tree = &tree, .image = dir.path() / "missing.squashfs"};
    CHECK(PlanDisk(layout, contents, "s").error().Render() ==
          "partition 'root': give a tree or an image file, not both");
  }
  SECTION("raw partitions are sized from their image") {
    layout.partitions[1].filesystem = Filesystem::kRaw;
    contents["root"] = {.image = dir.path() / "missing.squashfs"};
    auto plan = PlanDisk(layout, contents, "s");
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().code() == Code::kNotFound);
    CHECK(plan.error().Render() ==
          fmt::format("partition 'root': image '{}' does not exist",
                      (dir.path() / "missing.squashfs").string()));
  }
}

TEST_CASE("ext4 auto size grows with the tree and stays close to it", "[disk]") {
  testing::ScratchDir dir("disk-size");
  auto store = std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree small(*store);
  REQUIRE(small.AddFile("a", "x").ok());
  rootfs::Tree big(*store);
  REQUIRE(big.AddFile("a", std::string(100 * kMiB, 'x')).ok());
  uint64_t s = Ext4SizeFor(small), b = Ext4SizeFor(big);
  CHECK(s == 16 * kMiB);  // the floor: room for a 4 MiB journal
  CHECK(s <= 16 * kMiB);
  CHECK(b > 100 * kMiB);
  CHECK(b < 150 * kMiB);
}

}  // namespace
}  // namespace cairn::disk
