// ShowImage / ImageToJson: stable output that loads back to the same model.
#include <catch2/catch.hpp>

#include "cairn/config/show.h"
#include "cairn/config/loader.h"
#include "cairn/config/validate.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;

TEST_CASE("show output round-trips through LoadImage", "[config][show]") {
  for (const char* rel : {"wolfi-base.yaml", "complete.yaml", "merge/top.yaml"}) {
    INFO(rel);
    auto first = LoadImage(testing::TestData() / "config" / rel);
    REQUIRE(first.ok());
    std::string shown = ShowImage(*first);
    testing::ScratchDir dir("config-show");
    // complete.yaml and merge/ name layers and boards: give the copy the same project.
    for (const char* kind : {"layers", "boards"}) {
      fs::copy(testing::TestData() / "config" / kind, dir.path() / kind);
    }
    auto second = test::LoadText(dir, shown, "shown.yaml");
    if (!second.ok()) FAIL(second.error().Render() + "\n" + shown);
    nlohmann::json a = ImageToJson(*second), b = ImageToJson(*first);
    // The loaded layers and boards are the same files' copies: compare them without paths.
    for (nlohmann::json* j : {&a, &b}) {
      for (auto& l : (*j)["stack"]) l.erase("file");
      for (auto& bd : (*j)["board-defs"]) bd.erase("file");
    }
    CHECK(a == b);
    CHECK(ShowImage(*second) == shown);
    CHECK(Validate(*second).ok());
  }
}

TEST_CASE("show writes apko key names in a fixed order", "[config][show]") {
  testing::ScratchDir dir("config-show");
  auto img = test::LoadText(dir,
                            "work-dir: /srv\n"
                            "files:\n"
                            "  - path: /etc/motd\n"
                            "    content: \"no newline\\nat the end\"\n"
                            "  - path: /etc/issue\n"
                            "    content: |\n"
                            "      hello\n"
                            "environment: {B: \"2\", A: \"yes\"}\n"
                            "accounts: {run-as: \"65532\"}\n"
                            "archs: [arm64, amd64, arm64]\n"
                            "contents:\n"
                            "  packages: [busybox]\n"
                            "  repositories: [\"@edge https://example.com/edge\"]\n",
                            "shown.yaml");
  REQUIRE(img.ok());
  CHECK(ShowImage(*img) ==
        "name: shown\n"
        "contents:\n"
        "  repositories:\n"
        "    - \"@edge https://example.com/edge\"\n"
        "  packages:\n"
        "    - busybox\n"
        "archs:\n"
        "  - aarch64\n"
        "  - x86_64\n"
        "accounts:\n"
        "  run-as: \"65532\"\n"
        "work-dir: /srv\n"
        "environment:\n"
        "  A: \"yes\"\n"
        "  B: \"2\"\n"
        "files:\n"
        "  - path: /etc/motd\n"
        "    mode: 0o644\n"
        "    uid: 0\n"
        "    gid: 0\n"
        "    content: \"no newline\\nat the end\"\n"
        "  - path: /etc/issue\n"
        "    mode: 0o644\n"
        "    uid: 0\n"
        "    gid: 0\n"
        "    content: |\n"
        "      hello\n");
}

TEST_CASE("ImageToJson carries modes as integers", "[config][show]") {
  auto img = LoadImage(testing::TestData() / "config" / "complete.yaml");
  REQUIRE(img.ok());
  nlohmann::json j = ImageToJson(*img);
  CHECK(j["paths"][0]["permissions"] == 0750);
  CHECK(j["files"][1]["mode"] == 0600);
  CHECK(j["archs"] == nlohmann::json::array({"x86_64", "aarch64"}));
  CHECK(j["accounts"]["users"][0]["uid"] == 1000);
  CHECK(j["layering"]["budget"] == 10);
}

TEST_CASE("ShowStack lists the loaded stack and boards as comments", "[config][show]") {
  const std::string d = (testing::TestData() / "config" / "layered").string();
  auto img = LoadImage(d + "/images/server.yaml");
  if (!img.ok()) FAIL(img.error().Render());
  std::string shown = ShowStack(*img);
  CHECK(shown ==
        "#\n"
        "# stack, bottom first (2 from base image 'container-base'):\n"
        "#   1. core (layer, " + d + "/layers/core.yaml)\n"
        "#        apk: busybox, alpine-baselayout\n"
        "#        debian: base-files\n"
        "#   2. container-base (image, " + d + "/images/container-base.yaml)\n"
        "#        apk: ca-certificates\n"
        "#   3. systemd (layer, " + d + "/layers/systemd.yaml)\n"
        "#        apk: openrc\n"
        "#        apk x86_64: intel-ucode\n"
        "#        debian: systemd, systemd-sysv, udev\n"
        "#   4. networking (layer, " + d + "/layers/networking.yaml)\n"
        "#        apk: ifupdown-ng\n"
        "#        debian: ifupdown\n"
        "#   5. ssh (layer, " + d + "/layers/ssh.yaml)\n"
        "#        apk: openssh-server\n"
        "#        debian: openssh-server\n"
        "#   6. each board's layers not listed above, then board-<board>\n"
        "#   7. server (this image's own contents)\n"
        "#\n"
        "# board qemu-x86_64 (x86_64, " + d + "/boards/qemu-x86_64.yaml)\n"
        "#   layers: kernel\n"
        "#   bootloader: systemd-boot\n"
        "#   bootloader packages apk: systemd-boot\n"
        "#   bootloader packages debian: systemd-boot\n"
        "#   kernel cmdline: console=ttyS0 root=LABEL=root\n"
        "#   console: ttyS0\n"
        "#   layout: gpt\n"
        "#     role        size        bytes filesystem label            slot\n"
        "#     esp         512M    536870912 vfat       ESP\n"
        "#     root        rest            - ext4       root\n"
        "#\n"
        "# board rpi4 (aarch64, " + d + "/boards/rpi4.yaml)\n"
        "#   layers: kernel, networking\n"
        "#   packages apk: raspberrypi-bootloader\n"
        "#   packages debian: raspi-firmware, firmware-brcm80211\n"
        "#   bootloader: rpi-firmware\n"
        "#   kernel flavour: arm64\n"
        "#   kernel cmdline: console=ttyS1,115200 root=LABEL=root-a rootwait\n"
        "#   console: ttyS1\n"
        "#   layout: mbr\n"
        "#     role        size        bytes filesystem label            slot\n"
        "#     firmware    256M    268435456 vfat       RPIBOOT\n"
        "#     root          2G   2147483648 ext4       root-a           a\n"
        "#     root          2G   2147483648 ext4       root-b           b\n"
        "#     data        rest            - ext4       data\n");
  // Comments: the declaration with the stack appended still loads.
  testing::ScratchDir dir("config-show");
  CHECK(test::LoadText(dir, "contents: {packages: [a]}\n" + shown).ok());
  // A plain image has nothing to add.
  auto plain = LoadImage(d + "/images/plain.yaml");
  REQUIRE(plain.ok());
  CHECK(ShowStack(*plain).empty());
}

TEST_CASE("ImageToJson carries the stack and the boards", "[config][show]") {
  const std::string d = (testing::TestData() / "config" / "layered").string();
  auto img = LoadImage(d + "/images/server.yaml");
  REQUIRE(img.ok());
  nlohmann::json j = ImageToJson(*img);
  CHECK(j["base"] == "container-base");
  CHECK(j["base-layer-count"] == 2);
  REQUIRE(j["stack"].size() == 5);
  CHECK(j["stack"][1]["kind"] == "image");
  CHECK(j["stack"][2]["name"] == "systemd");
  CHECK(j["stack"][2]["requires"] == nlohmann::json::array({"core"}));
  CHECK(j["stack"][2]["packages"]["apk"]["by-arch"]["x86_64"] ==
        nlohmann::json::array({"intel-ucode"}));
  REQUIRE(j["board-defs"].size() == 2);
  CHECK(j["board-defs"][1]["layout"]["partitions"][1]["size-bytes"] == 2147483648ull);
  CHECK(j["board-defs"][1]["layer-defs"][0]["name"] == "kernel");
  CHECK(j["board-defs"][0]["bootloader"]["type"] == "systemd-boot");
}

TEST_CASE("ShowLayer and ShowBoard round-trip through LoadLayer and LoadBoard", "[config][show]") {
  const fs::path d = testing::TestData() / "config" / "layered";
  testing::ScratchDir dir("config-show");
  for (const char* name : {"systemd.yaml", "kernel.yml", "core.yaml"}) {
    INFO(name);
    auto first = LoadLayer(d / "layers" / name);
    REQUIRE(first.ok());
    std::string shown = ShowLayer(*first);
    auto second = LoadLayer(test::WriteDecl(dir, std::string("layers/") + name, shown));
    if (!second.ok()) FAIL(second.error().Render() + "\n" + shown);
    nlohmann::json a = LayerToJson(*first), b = LayerToJson(*second);
    a.erase("file");
    b.erase("file");
    CHECK(a == b);
    CHECK(ShowLayer(*second) == shown);
  }
  for (const char* name : {"rpi4.yaml", "qemu-x86_64.yaml"}) {
    INFO(name);
    auto first = LoadBoard(d / "boards" / name);
    REQUIRE(first.ok());
    std::string shown = ShowBoard(*first);
    auto second = LoadBoard(test::WriteDecl(dir, std::string("boards/") + name, shown));
    if (!second.ok()) FAIL(second.error().Render() + "\n" + shown);
    nlohmann::json a = BoardToJson(*first), b = BoardToJson(*second);
    a.erase("file");
    b.erase("file");
    CHECK(a == b);
    CHECK(ShowBoard(*second) == shown);
  }
  auto kernel = LoadLayer(d / "layers" / "kernel.yml");
  REQUIRE(kernel.ok());
  CHECK(ShowLayer(*kernel) ==
        "name: kernel\n"
        "description: the Linux kernel\n"
        "packages:\n"
        "  apk:\n"
        "    all:\n"
        "      - linux-lts\n"
        "    aarch64:\n"
        "      - linux-firmware-${arch}\n"
        "      - dtb-${debian-arch}\n"
        "  debian:\n"
        "    - linux-image-${kernel-flavour}\n"
        "kernel-cmdline:\n"
        "  - rootwait\n");
}

}  // namespace
}  // namespace cairn::config
