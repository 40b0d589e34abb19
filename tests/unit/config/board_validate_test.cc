// ValidateBoard / ValidateLayer and Validate(image) over the loaded layers
// and boards: the partition rules, enums with did-you-mean, bootloader vs.
// partition table, and layer self-references (exact rendered text).
#include <catch2/catch.hpp>

#include "cairn/config/loader.h"
#include "cairn/config/validate.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;

using test::Layered;

// Loads boards/b.yaml of a scratch project with `text` and validates it;
// returns the error.
Error BoardError(const test::Project& p, const std::string& text) {
  auto b = LoadBoard(p.Write("boards/b.yaml", text));
  if (!b.ok()) FAIL(b.error().Render());
  Status st = ValidateBoard(*b);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kConfig);
  return std::move(st).error();
}

const char* kGptHead =
    "arch: x86_64\nbootloader: {type: systemd-boot}\nlayout:\n  table: gpt\n"
    "  partitions:\n";

TEST_CASE("the fixture boards, layers and images validate", "[config][validate][boards]") {
  for (const char* b : {"rpi4.yaml", "qemu-x86_64.yaml"}) {
    INFO(b);
    auto r = LoadBoard(Layered() + "/boards/" + b);
    REQUIRE(r.ok());
    Status st = ValidateBoard(*r);
    if (!st.ok()) FAIL(st.error().Render());
  }
  for (const char* l : {"core.yaml", "systemd.yaml", "kernel.yml", "ssh.yaml"}) {
    INFO(l);
    auto r = LoadLayer(Layered() + "/layers/" + l);
    REQUIRE(r.ok());
    CHECK(ValidateLayer(*r).ok());
  }
  // Images whose packages all come from layers need no contents.packages.
  for (const char* i : {"server.yaml", "debian-server.yaml", "bare.yaml", "plain.yaml"}) {
    INFO(i);
    auto r = LoadImage(Layered() + "/images/" + i);
    REQUIRE(r.ok());
    Status st = Validate(*r);
    if (!st.ok()) FAIL(st.error().Render());
  }
}

TEST_CASE("board enums are checked with a suggestion", "[config][validate][boards]") {
  test::Project p;
  const std::string f = p.Path("boards/b.yaml");
  SECTION("bootloader type") {
    Error e = BoardError(p, "arch: x86_64\nbootloader:\n  type: systemd-bot\n");
    CHECK(e.Render() == f + ":3:9: error: unknown bootloader type 'systemd-bot'\n"
                            "    type: systemd-bot\n"
                            "          ^\n"
                            "hint: did you mean 'systemd-boot'?");
  }
  SECTION("bootloader without a type") {
    Error e = BoardError(p, "arch: x86_64\nbootloader:\n  packages: {apk: [grub]}\n");
    CHECK(e.Render() == f + ":2:1: error: 'bootloader' has no 'type'\n"
                            "  bootloader:\n"
                            "  ^\n"
                            "hint: expected 'systemd-boot', 'grub-efi', 'uki', "
                            "'u-boot-extlinux' "
                            "or 'rpi-firmware'");
  }
  SECTION("partition table") {
    Error e = BoardError(p,
                         "arch: x86_64\nlayout:\n  table: dos\n  partitions:\n"
                         "    - {role: root, size: 1G, filesystem: ext4}\n");
    CHECK(e.Render() == f + ":3:10: error: unknown partition table 'dos'\n"
                            "    table: dos\n"
                            "           ^\n"
                            "hint: expected 'gpt' or 'mbr'");
  }
  SECTION("role") {
    Error e =
        BoardError(p, std::string(kGptHead) + "    - {role: espp, size: 1G, filesystem: vfat}\n");
    CHECK(e.Render() == f + ":6:14: error: unknown partition role 'espp'\n"
                            "      - {role: espp, size: 1G, filesystem: vfat}\n"
                            "               ^\n"
                            "hint: did you mean 'esp'?");
    Error far =
        BoardError(p, std::string(kGptHead) + "    - {role: efi, size: 1G, filesystem: vfat}\n");
    CHECK(far.hint() == "expected 'esp', 'boot', 'firmware', 'root' or 'data'");
  }
  SECTION("filesystem") {
    Error e =
        BoardError(p, std::string(kGptHead) + "    - {role: esp, size: 1G, filesystem: fat32}\n");
    CHECK(e.Render() == f + ":6:41: error: unknown filesystem 'fat32'\n"
                            "      - {role: esp, size: 1G, filesystem: fat32}\n"
                            "                                          ^\n"
                            "hint: expected 'vfat', 'ext4', 'xfs', 'btrfs', 'squashfs', 'erofs' or 'none'");
  }
  SECTION("qemu firmware") {
    Error e = BoardError(p, "arch: x86_64\nqemu:\n  firmware: ovmff\n");
    CHECK(e.Render() == f + ":3:13: error: unknown qemu firmware 'ovmff'\n"
                            "    firmware: ovmff\n"
                            "              ^\n"
                            "hint: did you mean 'ovmf'?");
    Error far = BoardError(p, "arch: x86_64\nqemu:\n  firmware: bios\n");
    CHECK(far.hint() == "expected 'ovmf', 'aavmf', 'u-boot', 'none' or an absolute path");
  }
  SECTION("device tree") {
    Error e = BoardError(p, "arch: aarch64\ndevice-trees: [/boot/dtbs/x.dtb]\n");
    CHECK(e.message() ==
          "device tree '/boot/dtbs/x.dtb' must be a path "
          "relative to the kernel's "
          "dtb directory, without '..'");
  }
}

TEST_CASE("partition rules", "[config][validate][boards]") {
  test::Project p;
  const std::string f = p.Path("boards/b.yaml");
  SECTION("rest only on the last partition") {
    Error e = BoardError(p, std::string(kGptHead) +
                                "    - {role: esp, size: rest, filesystem: vfat}\n"
                                "    - {role: root, size: 1G, filesystem: ext4}\n");
    CHECK(e.Render() == f +
                            ":6:25: error: only the last partition can have size 'rest'\n"
                            "      - {role: esp, size: rest, filesystem: vfat}\n"
                            "                          ^\n"
                            "hint: the last partition is at " +
                            f + ":7:7");
  }
  SECTION("at most one ESP") {
    Error e = BoardError(p, std::string(kGptHead) +
                                "    - {role: esp, size: 1G, filesystem: vfat}\n"
                                "    - {role: esp, size: 1G, filesystem: vfat}\n");
    CHECK(e.Render() == f +
                            ":7:14: error: a disk has at most one EFI system partition\n"
                            "      - {role: esp, size: 1G, filesystem: vfat}\n"
                            "               ^\n"
                            "hint: the first 'role: esp' is at " +
                            f + ":6:14");
  }
  SECTION("the ESP is vfat") {
    Error e =
        BoardError(p, std::string(kGptHead) + "    - {role: esp, size: 1G, filesystem: ext4}\n");
    CHECK(e.message() == "the EFI system partition must be vfat, not 'ext4'");
    CHECK(e.loc().ToString() == f + ":6:41");
  }
  SECTION("a partition needs a size and a filesystem") {
    Error e = BoardError(p, std::string(kGptHead) + "    - {role: esp, filesystem: vfat}\n");
    CHECK(e.message() == "'layout.partitions[0]' has no 'size'");
    Error e2 = BoardError(p, std::string(kGptHead) + "    - {role: esp, size: 1G}\n");
    CHECK(e2.message() == "'layout.partitions[0]' has no 'filesystem'");
    Error e3 = BoardError(p, "arch: x86_64\nlayout: {partitions: [{role: root}]}\n");
    CHECK(e3.Render() == f + ":2:1: error: 'layout' has no 'table'\n"
                             "  layout: {partitions: [{role: root}]}\n"
                             "  ^\n"
                             "hint: expected 'gpt' or 'mbr'");
  }
  SECTION("a slot only on a root partition") {
    Error e = BoardError(
        p, std::string(kGptHead) + "    - {role: esp, size: 1G, filesystem: vfat, slot: a}\n");
    CHECK(e.Render() == f + ":6:53: error: 'slot' is for root partitions, not 'esp'\n"
                            "      - {role: esp, size: 1G, filesystem: vfat, slot: a}\n"
                            "                                                      ^\n"
                            "hint: A/B updates switch between two root partitions, 'slot: a' "
                            "and "
                            "'slot: b'");
  }
  SECTION("A/B: both or neither") {
    Error e = BoardError(p, std::string(kGptHead) +
                                "    - {role: esp, size: 1G, filesystem: vfat}\n"
                                "    - {role: root, size: 1G, filesystem: ext4, slot: a}\n");
    CHECK(e.Render() == f + ":7:54: error: root slot 'a' has no partner slot 'b'\n"
                            "      - {role: root, size: 1G, filesystem: ext4, slot: a}\n"
                            "                                                       ^\n"
                            "hint: A/B needs both 'slot: a' and 'slot: b' root partitions, or "
                            "neither");
    Error twice = BoardError(p, std::string(kGptHead) +
                                    "    - {role: esp, size: 1G, filesystem: vfat}\n"
                                    "    - {role: root, size: 1G, filesystem: ext4, slot: a}\n"
                                    "    - {role: root, size: 1G, filesystem: ext4, slot: a}\n");
    CHECK(twice.message() == "two root partitions have slot 'a'");
    Error c = BoardError(p, std::string(kGptHead) +
                                "    - {role: esp, size: 1G, filesystem: vfat}\n"
                                "    - {role: root, size: 1G, filesystem: ext4, slot: x}\n");
    CHECK(c.message() == "unknown slot 'x'");
    Error mixed = BoardError(p, std::string(kGptHead) +
                                    "    - {role: esp, size: 1G, filesystem: vfat}\n"
                                    "    - {role: root, size: 1G, filesystem: ext4, slot: a}\n"
                                    "    - {role: root, size: 1G, filesystem: ext4, slot: b}\n"
                                    "    - {role: root, size: 1G, filesystem: ext4}\n");
    CHECK(mixed.message() == "root partition without a slot beside A/B root partitions");
    CHECK(mixed.loc().ToString() == f + ":9:14");
    Error two = BoardError(p, std::string(kGptHead) +
                                  "    - {role: esp, size: 1G, filesystem: vfat}\n"
                                  "    - {role: root, size: 1G, filesystem: ext4}\n"
                                  "    - {role: root, size: 1G, filesystem: ext4}\n");
    CHECK(two.message() == "a second root partition without slots");
  }
  SECTION("EFI bootloaders need gpt and an ESP") {
    Error e = BoardError(p,
                         "arch: x86_64\nbootloader: {type: uki}\nlayout:\n  table: mbr\n"
                         "  partitions:\n    - {role: esp, size: 1G, filesystem: vfat}\n");
    CHECK(e.Render() == f +
                            ":4:10: error: bootloader 'uki' needs a 'gpt' partition table, not "
                            "'mbr'\n"
                            "    table: mbr\n"
                            "           ^\n"
                            "hint: the bootloader is declared at " +
                            f + ":2:20");
    Error no_esp =
        BoardError(p, std::string(kGptHead) + "    - {role: root, size: 1G, filesystem: ext4}\n");
    CHECK(no_esp.Render() == f + ":3:1: error: bootloader 'systemd-boot' needs an EFI system "
                                 "partition\n"
                                 "  layout:\n"
                                 "  ^\n"
                                 "hint: add a partition with 'role: esp' and 'filesystem: vfat'");
  }
  SECTION("rpi-firmware needs mbr") {
    Error e = BoardError(p,
                         "arch: aarch64\nbootloader: {type: rpi-firmware}\nlayout:\n"
                         "  table: gpt\n  partitions:\n"
                         "    - {role: firmware, size: 256M, filesystem: vfat}\n");
    CHECK(e.message() == "bootloader 'rpi-firmware' needs an 'mbr' partition table, not 'gpt'");
    CHECK(e.loc().ToString() == f + ":4:10");
  }
}

TEST_CASE("layer checks: self-references, duplicate files", "[config][validate][layers]") {
  test::Project p;
  auto check = [&](const std::string& text) {
    auto l = LoadLayer(p.Write("layers/l.yaml", text));
    if (!l.ok()) FAIL(l.error().Render());
    Status st = ValidateLayer(*l);
    REQUIRE_FALSE(st.ok());
    return std::move(st).error();
  };
  CHECK(check("requires: [l]\n").Render() == p.Path("layers/l.yaml") +
                                                 ":1:12: error: layer 'l' requires itself\n"
                                                 "  requires: [l]\n"
                                                 "             ^");
  CHECK(check("provides: [init]\nconflicts: [init]\n").message() ==
        "layer 'l' conflicts with 'init', which it is or provides itself");
  Error dup = check(
      "files:\n  - {path: /etc/a, content: x}\n  - {path: "
      "/etc/a, content: y}\n");
  CHECK(dup.Render() == p.Path("layers/l.yaml") +
                            ":3:12: error: file '/etc/a' is declared twice\n"
                            "    - {path: /etc/a, content: y}\n"
                            "             ^\n"
                            "hint: first declared at " +
                            p.Path("layers/l.yaml") + ":2:12");
  CHECK(check("packages:\n  apk:\n    all: [\"two words\"]\n").message() ==
        "package 'two words' contains whitespace");
}

TEST_CASE("Validate(image) checks the loaded boards and layers", "[config][validate]") {
  test::Project p;
  p.Write("layers/l.yaml", "requires: [l]\n");
  p.Write("boards/b.yaml", "arch: x86_64\nbootloader: {type: grub}\n");
  p.Write("images/with-layer.yaml", "contents: {repositories: [x]}\nlayers: [l]\n");
  p.Write("images/with-board.yaml", "contents: {repositories: [x]}\nboards: [b]\n");
  auto a = p.Load("images/with-layer.yaml");
  REQUIRE(a.ok());
  Status sa = Validate(*a);
  REQUIRE_FALSE(sa.ok());
  CHECK(sa.error().message() == "layer 'l' requires itself");
  auto b = p.Load("images/with-board.yaml");
  REQUIRE(b.ok());
  Status sb = Validate(*b);
  REQUIRE_FALSE(sb.ok());
  CHECK(sb.error().message() == "unknown bootloader type 'grub'");
  CHECK(sb.error().hint() ==
        "expected 'systemd-boot', 'grub-efi', 'uki', "
        "'u-boot-extlinux' or 'rpi-firmware'");
}

}  // namespace
}  // namespace cairn::config
