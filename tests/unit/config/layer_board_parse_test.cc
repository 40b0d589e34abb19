// LoadLayer / LoadBoard: every key of a layer and a board file, sizes in
// bytes, arch normalisation, and the located errors of the strict parser
// (exact rendered text).
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cairn/config/loader.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;
using test::Values;
using Strings = std::vector<std::string>;

using test::Layered;

TEST_CASE("every key of a layer file is read", "[config][layers]") {
  auto r = LoadLayer(Layered() + "/layers/systemd.yaml");
  if (!r.ok()) FAIL(r.error().Render());
  const Layer& l = *r;
  CHECK(l.source_file == Layered() + "/layers/systemd.yaml");
  CHECK(l.kind == "layer");
  CHECK(l.name.value == "systemd");
  CHECK(l.description.value == "systemd as init, udev, networkd, journald");
  CHECK(Values(l.required) == Strings{"core"});
  CHECK(l.required[0].loc.ToString() == Layered() + "/layers/systemd.yaml:3:12");
  CHECK(Values(l.provides) == Strings{"init"});
  CHECK(Values(l.conflicts) == Strings{"init-busybox"});
  CHECK(Values(l.archs) == Strings{"x86_64", "aarch64"});  // arm64 normalised
  REQUIRE(l.packages.size() == 2);
  CHECK(Values(l.packages.at("debian").all) == Strings{"systemd", "systemd-sysv", "udev"});
  CHECK(l.packages.at("debian").by_arch.empty());
  const PackageList& apk = l.packages.at("apk");
  CHECK(Values(apk.all) == Strings{"openrc"});
  REQUIRE(apk.by_arch.size() == 1);
  CHECK(Values(apk.by_arch.at("x86_64")) == Strings{"intel-ucode"});  // from the key amd64
  CHECK(apk.loc.ToString() == Layered() + "/layers/systemd.yaml:9:3");
  REQUIRE(l.accounts.groups.size() == 1);
  CHECK(l.accounts.groups[0].groupname.value == "systemd-journal");
  CHECK(l.accounts.groups[0].gid == 190u);
  REQUIRE(l.accounts.users.size() == 1);
  CHECK(l.accounts.users[0].username.value == "systemd-network");
  CHECK(l.accounts.users[0].shell == "/usr/sbin/nologin");
  REQUIRE(l.files.size() == 1);
  CHECK(l.files[0].path.value == "/etc/systemd/network/20-wired.network");
  CHECK(l.files[0].content == "[Match]\nName=en*\n");
  CHECK(l.files[0].mode == 0644);
  REQUIRE(l.paths.size() == 1);
  CHECK(l.paths[0].path.value == "/var/log/journal");
  CHECK(l.paths[0].permissions == 02755);
  CHECK(l.paths[0].gid == 190u);
  CHECK(Values(l.services) == Strings{"systemd-networkd.service"});
  CHECK(Values(l.kernel_cmdline) == Strings{"quiet"});
  // Loaded on its own, a layer points at its file.
  CHECK(l.loc.ToString() == Layered() + "/layers/systemd.yaml:1:1");
}

TEST_CASE("a layer's name defaults to the file stem, .yml included", "[config][layers]") {
  auto r = LoadLayer(Layered() + "/layers/kernel.yml");
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(r->name.value == "kernel");
  CHECK(r->name.loc.ToString() == Layered() + "/layers/kernel.yml:1:1");
  CHECK(Values(r->packages.at("debian").all) == Strings{"linux-image-${kernel-flavour}"});
  CHECK(Values(r->packages.at("apk").by_arch.at("aarch64")) ==
        Strings{"linux-firmware-${arch}", "dtb-${debian-arch}"});
}

TEST_CASE("${...} unquoted in a flow list gets a quoting hint", "[config][layers]") {
  test::Project p;
  auto r = LoadLayer(p.Write("layers/k.yaml", "packages:\n  debian: [linux-image-${arch}]\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() == p.Path("layers/k.yaml") +
                                  ":2:25: error: invalid YAML: end of sequence flow not found\n"
                                  "    debian: [linux-image-${arch}]\n"
                                  "                          ^\n"
                                  "hint: in a [...] list, quote names with ${...}: '{' and '}' are "
                                  "YAML syntax there");
}

TEST_CASE("every key of a board file is read, sizes in bytes", "[config][boards]") {
  auto r = LoadBoard(Layered() + "/boards/rpi4.yaml");
  if (!r.ok()) FAIL(r.error().Render());
  const Board& b = *r;
  const std::string f = Layered() + "/boards/rpi4.yaml";
  CHECK(b.source_file == f);
  CHECK(b.name.value == "rpi4");
  CHECK(b.description.value == "Raspberry Pi 4 Model B (arm64), Raspberry Pi firmware boot");
  CHECK(b.arch.value == "aarch64");
  CHECK(b.arch.loc.ToString() == f + ":3:7");
  CHECK(b.variant.value == "v8");
  CHECK(Values(b.layers) == Strings{"kernel", "networking"});
  CHECK(b.layer_defs.empty());  // LoadBoard does not load them
  CHECK(Values(b.packages.at("debian").all) == Strings{"raspi-firmware", "firmware-brcm80211"});
  CHECK(Values(b.packages.at("apk").all) == Strings{"raspberrypi-bootloader"});
  CHECK(b.bootloader.type.value == "rpi-firmware");
  CHECK(b.bootloader.packages.empty());
  CHECK(b.kernel.flavour.value == "arm64");
  CHECK(Values(b.kernel.cmdline) ==
        Strings{"console=ttyS1,115200", "root=LABEL=root-a", "rootwait"});
  CHECK(b.kernel.console.value == "ttyS1");
  CHECK(Values(b.device_trees) == Strings{"broadcom/bcm2711-rpi-4-b.dtb"});
  REQUIRE(b.files.size() == 1);
  CHECK(b.files[0].path.value == "/boot/firmware/config.txt");
  CHECK(b.files[0].content == "arm_64bit=1\n");
  CHECK(b.layout.table.value == "mbr");
  REQUIRE(b.layout.partitions.size() == 4);
  const auto& p = b.layout.partitions;
  CHECK(p[0].role.value == "firmware");
  CHECK(p[0].size.value == "256M");
  CHECK(p[0].size_bytes == 256ull * 1024 * 1024);
  CHECK(p[0].filesystem.value == "vfat");
  CHECK(p[0].label.value == "RPIBOOT");
  CHECK(p[0].slot.value.empty());
  CHECK(p[1].size_bytes == 2ull * 1024 * 1024 * 1024);
  CHECK(p[1].slot.value == "a");
  CHECK(p[2].slot.value == "b");
  CHECK(p[3].size.value == "rest");
  CHECK(p[3].size_bytes == 0);
  CHECK(p[3].loc.ToString() == f + ":26:7");
  CHECK(b.qemu.machine.value == "raspi4b");
  CHECK(b.qemu.cpu.value == "cortex-a72");
  CHECK(b.qemu.firmware.value == "none");
  CHECK(b.qemu.memory.value == "2G");
  CHECK(Values(b.qemu.extra_args) == Strings{"-dtb", "bcm2711-rpi-4-b.dtb"});
}

TEST_CASE("a board's OCI arch name is normalised and bootloader packages are read",
          "[config][boards]") {
  auto r = LoadBoard(Layered() + "/boards/qemu-x86_64.yaml");
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(r->name.value == "qemu-x86_64");  // the file stem
  CHECK(r->arch.value == "x86_64");       // from amd64
  CHECK(Values(r->bootloader.packages.at("debian").all) == Strings{"systemd-boot"});
  CHECK(r->layout.partitions[0].size_bytes == 512ull << 20);
  CHECK(r->kernel.flavour.value.empty());
}

TEST_CASE("sizes: binary suffixes, bytes, and malformed sizes", "[config][boards]") {
  test::Project p;
  auto board = [&](const std::string& size) {
    return LoadBoard(p.Write("boards/b.yaml",
                             "arch: x86_64\nlayout:\n  table: gpt\n  partitions:\n"
                             "    - {role: root, filesystem: ext4, size: " +
                                 size + "}\n"));
  };
  for (auto [text, bytes] : std::vector<std::pair<std::string, uint64_t>>{
           {"1", 1}, {"4K", 4096}, {"4k", 4096}, {"3M", 3ull << 20}, {"1T", 1ull << 40}}) {
    INFO(text);
    auto r = board(text);
    if (!r.ok()) FAIL(r.error().Render());
    CHECK(r->layout.partitions[0].size_bytes == bytes);
  }
  for (const char* bad : {"2GB", "0", "M", "1.5G", "-1M", "99999999999999999999"}) {
    INFO(bad);
    auto r = board(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    CHECK(r.error().message() ==
          fmt::format("invalid size '{}' for 'layout.partitions[0].size'", bad));
  }
  auto r = board("2GB");
  CHECK(r.error().Render() ==
        p.Path("boards/b.yaml") +
            ":5:44: error: invalid size '2GB' for 'layout.partitions[0].size'\n"
            "      - {role: root, filesystem: ext4, size: 2GB}\n"
            "                                             ^\n"
            "hint: expected an integer with a K, M, G or T suffix (1M = "
            "1048576 bytes), e.g. "
            "'256M', or 'rest' for the last partition");
}

TEST_CASE("layer and board files reject unknown keys with a suggestion", "[config][layers]") {
  test::Project p;
  SECTION("top-level key of a layer") {
    auto r = LoadLayer(p.Write("layers/x.yaml", "description: x\npakages:\n  apk: [a]\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    CHECK(r.error().Render() == p.Path("layers/x.yaml") +
                                    ":2:1: error: unknown key 'pakages'\n"
                                    "  pakages:\n"
                                    "  ^\n"
                                    "hint: did you mean 'packages'?");
  }
  SECTION("top-level key of a board, far from any") {
    auto r = LoadBoard(p.Write("boards/x.yaml", "arch: x86_64\nfirmware: [a]\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() ==
          p.Path("boards/x.yaml") +
              ":2:1: error: unknown key 'firmware'\n"
              "  firmware: [a]\n"
              "  ^\n"
              "hint: expected one of 'name', 'description', 'arch', 'variant', "
              "'layers', "
              "'packages', 'bootloader', 'kernel', 'device-trees', 'files', "
              "'layout' or 'qemu'");
  }
  SECTION("a package source") {
    auto r = LoadLayer(p.Write("layers/x.yaml", "packages:\n  debain: [a]\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("layers/x.yaml") +
                                    ":2:3: error: unknown key 'debain' in 'packages'\n"
                                    "    debain: [a]\n"
                                    "    ^\n"
                                    "hint: did you mean 'debian'?");
  }
  SECTION("an arch in a per-arch package map") {
    auto r = LoadLayer(p.Write("layers/x.yaml", "packages:\n  apk:\n    x86-64: [a]\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("layers/x.yaml") +
                                    ":3:5: error: unknown key 'x86-64' in 'packages.apk'\n"
                                    "      x86-64: [a]\n"
                                    "      ^\n"
                                    "hint: did you mean 'x86_64'?");
  }
  SECTION("the same arch twice under two names") {
    auto r =
        LoadLayer(p.Write("layers/x.yaml", "packages:\n  apk:\n    x86_64: [a]\n    amd64: [b]\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("layers/x.yaml") +
                                    ":4:5: error: 'packages.apk.amd64' names architecture "
                                    "'x86_64' again\n"
                                    "      amd64: [b]\n"
                                    "      ^\n"
                                    "hint: first declared at " +
                                    p.Path("layers/x.yaml") + ":3:5");
  }
  SECTION("a partition key") {
    auto r = LoadBoard(p.Write("boards/x.yaml",
                               "arch: x86_64\nlayout:\n  partitions:\n"
                               "    - {role: root, filesytem: ext4}\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("boards/x.yaml") +
                                    ":4:20: error: unknown key 'filesytem' in "
                                    "'layout.partitions[0]'\n"
                                    "      - {role: root, filesytem: ext4}\n"
                                    "                     ^\n"
                                    "hint: did you mean 'filesystem'?");
  }
  SECTION("run-as belongs to images, not layers") {
    auto r = LoadLayer(p.Write("layers/x.yaml", "accounts:\n  run-as: app\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("layers/x.yaml") +
                                    ":2:3: error: unknown key 'run-as' in 'accounts'\n"
                                    "    run-as: app\n"
                                    "    ^\n"
                                    "hint: expected one of 'groups' or 'users'");
  }
  SECTION("a package list of the wrong type") {
    auto r = LoadLayer(p.Write("layers/x.yaml", "packages:\n  apk: busybox\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() ==
          p.Path("layers/x.yaml") +
              ":2:8: error: wrong type for 'packages.apk': expected a list of "
              "packages or a "
              "mapping of 'all' and architectures, got 'busybox'\n"
              "    apk: busybox\n"
              "         ^");
  }
}

TEST_CASE("a board's arch is required and must be one known arch", "[config][boards]") {
  test::Project p;
  SECTION("missing") {
    auto r = LoadBoard(p.Write("boards/pi.yaml", "description: no arch\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    CHECK(r.error().Render() ==
          p.Path("boards/pi.yaml") +
              ":1:1: error: board 'pi' has no 'arch'\n"
              "  description: no arch\n"
              "  ^\n"
              "hint: add e.g. 'arch: aarch64' (apk or OCI architecture name)");
  }
  SECTION("unknown, near a known one") {
    auto r = LoadBoard(p.Write("boards/pi.yaml", "arch: arm64v8\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("boards/pi.yaml") +
                                    ":1:7: error: unknown architecture 'arm64v8'\n"
                                    "  arch: arm64v8\n"
                                    "        ^\n"
                                    "hint: did you mean 'arm64'?");
  }
  SECTION("all") {
    auto r = LoadBoard(p.Write("boards/pi.yaml", "arch: all\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "a board has exactly one architecture, not 'all'");
  }
  SECTION("a layer's archs are checked the same way") {
    auto r = LoadLayer(p.Write("layers/l.yaml", "archs: [x86_64, aarch46]\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("layers/l.yaml") +
                                    ":1:17: error: unknown architecture 'aarch46'\n"
                                    "  archs: [x86_64, aarch46]\n"
                                    "                  ^\n"
                                    "hint: did you mean 'aarch64'?");
  }
}

TEST_CASE("a name listed twice in one list is an error at the second", "[config][layers]") {
  test::Project p;
  auto r = LoadLayer(p.Write("layers/x.yaml", "requires: [core, init, core]\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() == p.Path("layers/x.yaml") +
                                  ":1:24: error: requirement 'core' is listed twice\n"
                                  "  requires: [core, init, core]\n"
                                  "                         ^\n"
                                  "hint: first listed at " +
                                  p.Path("layers/x.yaml") + ":1:12");
  auto img = p.Write("images/i.yaml", "layers:\n  - core\n  - ssh\n  - core\n");
  auto ri = LoadImage(img);
  REQUIRE_FALSE(ri.ok());
  CHECK(ri.error().Render() == p.Path("images/i.yaml") +
                                   ":4:5: error: layer 'core' is listed twice\n"
                                   "    - core\n"
                                   "      ^\n"
                                   "hint: first listed at " +
                                   p.Path("images/i.yaml") + ":2:5");
}

TEST_CASE("qemu firmware paths are relative to the board file", "[config][boards]") {
  test::Project p;
  auto r = LoadBoard(p.Write("boards/b.yaml", "arch: aarch64\nqemu: {firmware: fw/AAVMF.fd}\n"));
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(r->qemu.firmware.value == p.Path("boards/fw/AAVMF.fd"));
  auto bad = LoadBoard(p.Write("boards/b.yaml", "arch: aarch64\nqemu: {memory: lots}\n"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "invalid size 'lots' for 'qemu.memory'");
}

TEST_CASE("LoadLayer and LoadBoard report a missing file", "[config][layers]") {
  auto r = LoadLayer(Layered() + "/layers/nope.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kNotFound);
  CHECK(r.error().Render() == "declaration '" + Layered() + "/layers/nope.yaml' does not exist");
}

}  // namespace
}  // namespace cairn::config
