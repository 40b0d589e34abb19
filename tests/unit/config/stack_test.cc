// PlanTargets: one target per board (or arch), the stack of each in the
// spec's order (base, layers, board layers, board-<board>, the image's own),
// ${} expansion, and the located stack errors (exact rendered text): a layer
// listed twice, requires, conflicts, archs, a missing package source, a file
// declared by two layers.
#include "cairn/config/stack.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;
using test::Values;
using Strings = std::vector<std::string>;

using test::Layered;

Image MustLoad(const fs::path& file) {
  auto r = LoadImage(file);
  if (!r.ok()) FAIL(r.error().Render());
  return std::move(r).value();
}

Strings Names(const BuildTarget& t) {
  Strings out;
  for (const StackLayer& l : t.layers) out.push_back(l.name + ":" + l.kind);
  return out;
}

const StackLayer& Find(const BuildTarget& t, const std::string& name) {
  for (const StackLayer& l : t.layers) {
    if (l.name == name) return l;
  }
  FAIL("no layer " + name);
  throw 0;
}

TEST_CASE("one target per board, stacked base, layers, board layers, board, image",
          "[config][stack]") {
  const std::string d = Layered();
  Image img = MustLoad(d + "/images/server.yaml");
  auto r = PlanTargets(img, "apk", {});
  if (!r.ok()) FAIL(r.error().Render());
  REQUIRE(r->size() == 2);
  const BuildTarget& pc = (*r)[0];
  const BuildTarget& pi = (*r)[1];
  CHECK(pc.name == "qemu-x86_64");
  CHECK(pc.arch == "x86_64");
  CHECK(pc.board == &img.board_defs[0]);
  CHECK(Names(pc) == Strings{"core:layer", "container-base:image", "systemd:layer",
                             "networking:layer", "ssh:layer", "kernel:layer",
                             "board-qemu-x86_64:board", "server:image"});
  CHECK(pi.name == "rpi4");
  CHECK(pi.arch == "aarch64");
  CHECK(pi.board == &img.board_defs[1]);
  // rpi4's `networking` is already in the stack: only `kernel` is added.
  CHECK(Names(pi) == Strings{"core:layer", "container-base:image", "systemd:layer",
                             "networking:layer", "ssh:layer", "kernel:layer", "board-rpi4:board",
                             "server:image"});

  // Packages: the target's source, `all` plus the arch's, expanded.
  CHECK(Values(Find(pc, "systemd").packages) == Strings{"openrc", "intel-ucode"});
  CHECK(Values(Find(pi, "systemd").packages) == Strings{"openrc"});
  CHECK(Values(Find(pc, "kernel").packages) == Strings{"linux-lts"});
  CHECK(Values(Find(pi, "kernel").packages) ==
        Strings{"linux-lts", "linux-firmware-aarch64", "dtb-arm64"});
  // An expanded name keeps the location of what was written.
  CHECK(Find(pi, "kernel").packages[1].loc.ToString() == d + "/layers/kernel.yml:8:9");
  CHECK(Values(Find(pc, "container-base").packages) == Strings{"ca-certificates"});
  CHECK(Values(Find(pc, "board-qemu-x86_64").packages) == Strings{"systemd-boot"});
  CHECK(Values(Find(pi, "board-rpi4").packages) == Strings{"raspberrypi-bootloader"});
  REQUIRE(Find(pi, "board-rpi4").files.size() == 1);
  CHECK(Find(pi, "board-rpi4").files[0].path.value == "/boot/firmware/config.txt");
  const StackLayer& own = Find(pc, "server");
  CHECK(Values(own.packages) == Strings{"htop"});
  REQUIRE(own.files.size() == 1);
  CHECK(own.files[0].path.value == "/etc/motd");
  // The rest of a layer comes along.
  const StackLayer& sd = Find(pc, "systemd");
  CHECK(Values(sd.services) == Strings{"systemd-networkd.service"});
  CHECK(Values(sd.kernel_cmdline) == Strings{"quiet"});
  CHECK(sd.accounts.users.size() == 1);
  CHECK(sd.paths.size() == 1);
  CHECK(Find(pc, "container-base").accounts.users.size() == 1);
  // Each layer is located where it was put in the stack.
  CHECK(sd.loc.ToString() == d + "/images/server.yaml:3:10");
  CHECK(Find(pi, "kernel").loc.ToString() == d + "/boards/rpi4.yaml:5:10");
  CHECK(Find(pi, "board-rpi4").loc.ToString() == d + "/images/server.yaml:4:23");
  CHECK(own.loc.file == d + "/images/server.yaml");
}

TEST_CASE("the archs only filter boards", "[config][stack]") {
  Image img = MustLoad(Layered() + "/images/server.yaml");
  auto r = PlanTargets(img, "apk", {"arm64"});
  if (!r.ok()) FAIL(r.error().Render());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].name == "rpi4");

  auto none = PlanTargets(img, "apk", {"riscv64"});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code() == Code::kUsage);
  CHECK(none.error().Render() ==
        "no board of image 'server' is for 'riscv64'\n"
        "hint: its boards are 'qemu-x86_64 (x86_64)' and 'rpi4 (aarch64)'");

  auto bad = PlanTargets(img, "apk", {"amd46"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Code::kUsage);
  CHECK(bad.error().Render() ==
        "unknown architecture 'amd46'\nhint: expected one of 'x86_64', "
        "'aarch64', 'x86', 'armhf', 'armv7', 'loongarch64', 'ppc64le', "
        "'riscv64' or 's390x'");
}

TEST_CASE("Debian targets use the debian packages and the board's kernel flavour",
          "[config][stack]") {
  Image img = MustLoad(Layered() + "/images/debian-server.yaml");
  REQUIRE(PackageSourceOf(img) == "debian");
  auto r = PlanTargets(img, "debian", {});
  if (!r.ok()) FAIL(r.error().Render());
  REQUIRE(r->size() == 2);
  const BuildTarget& pi = (*r)[0];
  const BuildTarget& pc = (*r)[1];
  // No contents of its own: no image layer.
  CHECK(Names(pi) == Strings{"core:layer", "systemd:layer", "kernel:layer", "networking:layer",
                             "board-rpi4:board"});
  CHECK(Names(pc) ==
        Strings{"core:layer", "systemd:layer", "kernel:layer", "board-qemu-x86_64:board"});
  CHECK(Values(Find(pi, "core").packages) == Strings{"base-files"});
  CHECK(Values(Find(pi, "systemd").packages) == Strings{"systemd", "systemd-sysv", "udev"});
  CHECK(Values(Find(pi, "kernel").packages) == Strings{"linux-image-arm64"});  // kernel.flavour
  CHECK(Values(Find(pc, "kernel").packages) == Strings{"linux-image-amd64"});  // the default
  CHECK(Values(Find(pi, "board-rpi4").packages) == Strings{"raspi-firmware", "firmware-brcm80211"});
  CHECK(Values(Find(pc, "board-qemu-x86_64").packages) == Strings{"systemd-boot"});
}

TEST_CASE("without boards: one target per arch, and a plain image is one layer", "[config][stack]") {
  Image img = MustLoad(Layered() + "/images/plain.yaml");
  auto r = PlanTargets(img, "apk", {});
  if (!r.ok()) FAIL(r.error().Render());
  REQUIRE(r->size() == 1);  // the image's archs
  CHECK((*r)[0].name == "x86_64");
  CHECK((*r)[0].board == nullptr);
  CHECK(Names((*r)[0]) == Strings{"plain:image"});
  CHECK(Values((*r)[0].layers[0].packages) == Strings{"busybox"});

  auto two = PlanTargets(img, "apk", {"amd64", "aarch64", "x86_64"});
  if (!two.ok()) FAIL(two.error().Render());
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].arch == "x86_64");
  CHECK((*two)[1].arch == "aarch64");

  // Layers only: no image layer.
  Image bare = MustLoad(Layered() + "/images/bare.yaml");
  auto b = PlanTargets(bare, "apk", {"x86_64"});
  if (!b.ok()) FAIL(b.error().Render());
  CHECK(Names((*b)[0]) == Strings{"core:layer", "init-busybox:layer"});

  // Nothing at all: still one (empty) image layer.
  testing::ScratchDir dir("config-stack");
  auto empty = test::LoadText(dir, "archs: [x86_64]\n", "nothing.yaml");
  REQUIRE(empty.ok());
  auto e = PlanTargets(*empty, "apk", {});
  if (!e.ok()) FAIL(e.error().Render());
  CHECK(Names((*e)[0]) == Strings{"nothing:image"});
}

// A scratch project with the layers every error case below picks from.
struct ErrorProject : test::Project {
  ErrorProject() {
    Write("layers/core.yaml", "packages: {apk: [busybox]}\n");
    Write("layers/systemd.yaml",
          "provides: [init]\nconflicts: "
          "[init-busybox]\npackages: {apk: [openrc]}\n");
    Write("layers/init-busybox.yaml", "provides: [init]\npackages: {apk: [busybox-openrc]}\n");
    Write("layers/sysv.yaml", "conflicts:\n  - init\npackages: {apk: [sysvinit]}\n");
    Write("layers/net.yaml", "requires:\n  - init\npackages: {apk: [ifupdown-ng]}\n");
    Write("layers/x86-only.yaml", "archs: [amd64]\npackages: {apk: [cpuid]}\n");
    Write("layers/debian-only.yaml", "packages:\n  debian: [systemd]\n");
    Write("layers/motd.yaml", "files:\n  - {path: /etc/motd, content: a}\n");
    Write("boards/pi.yaml", "arch: aarch64\nlayers: [core]\n");
  }
  Error PlanError(const std::string& image_text, std::vector<std::string> archs = {"x86_64"}) {
    Write("images/i.yaml", "contents: {repositories: [https://example.com/main]}\n" + image_text);
    auto img = Load("images/i.yaml");
    if (!img.ok()) FAIL(img.error().Render());
    auto r = PlanTargets(*img, "apk", archs);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    return std::move(r).error();
  }
};

TEST_CASE("a layer listed twice names both places", "[config][stack]") {
  ErrorProject p;
  SECTION("in the base and the image") {
    p.Write("images/base.yaml",
            "contents: {repositories: [https://example.com/main]}\nlayers: "
            "[core]\n");
    Error e = p.PlanError("base: base\nlayers: [core]\n");
    CHECK(e.Render() == p.Path("images/i.yaml") +
                            ":3:10: error: layer 'core' is listed twice\n"
                            "  layers: [core]\n"
                            "           ^\n"
                            "hint: it is already in the stack of base image "
                            "'base', listed at " +
                            p.Path("images/base.yaml") + ":2:10");
  }
  SECTION("by name and by path") {
    Error e = p.PlanError("layers: [core, ../layers/core.yaml]\n");
    CHECK(e.Render() == p.Path("images/i.yaml") +
                            ":2:16: error: layer 'core' is listed twice\n"
                            "  layers: [core, ../layers/core.yaml]\n"
                            "                 ^\n"
                            "hint: first listed at " +
                            p.Path("images/i.yaml") + ":2:10");
  }
}

TEST_CASE("requires must be met by a layer below", "[config][stack]") {
  ErrorProject p;
  SECTION("provided above") {
    Error e = p.PlanError("layers: [core, net, systemd]\n");
    CHECK(e.Render() == p.Path("layers/net.yaml") +
                            ":2:5: error: layer 'net' requires 'init', which no layer below it "
                            "provides\n"
                            "    - init\n"
                            "      ^\n"
                            "hint: 'net' is listed at " +
                            p.Path("images/i.yaml") + ":2:16; 'systemd' is above it, listed at " +
                            p.Path("images/i.yaml") + ":2:21: move it below 'net'");
  }
  SECTION("not provided at all") {
    Error e = p.PlanError("layers: [core, net]\n");
    CHECK(e.Render() == p.Path("layers/net.yaml") +
                            ":2:5: error: layer 'net' requires 'init', which no layer below it "
                            "provides\n"
                            "    - init\n"
                            "      ^\n"
                            "hint: 'net' is listed at " +
                            p.Path("images/i.yaml") + ":2:16");
  }
  SECTION("provided below, by `provides`") {
    p.Write("images/i.yaml", "contents: {repositories: [x]}\nlayers: [init-busybox, net]\n");
    auto img = p.Load("images/i.yaml");
    REQUIRE(img.ok());
    CHECK(PlanTargets(*img, "apk", {"x86_64"}).ok());
  }
}

TEST_CASE("conflicts name both layers", "[config][stack]") {
  ErrorProject p;
  SECTION("by name") {
    Error e = p.PlanError("layers: [init-busybox, systemd]\n");
    CHECK(e.Render() == p.Path("layers/systemd.yaml") +
                            ":2:13: error: layer 'systemd' conflicts with 'init-busybox'\n"
                            "  conflicts: [init-busybox]\n"
                            "              ^\n"
                            "hint: 'systemd' is listed at " +
                            p.Path("images/i.yaml") + ":2:24 and 'init-busybox' at " +
                            p.Path("images/i.yaml") + ":2:10");
  }
  SECTION("by a capability another layer provides") {
    Error e = p.PlanError("layers: [sysv, systemd]\n");
    CHECK(e.Render() == p.Path("layers/sysv.yaml") +
                            ":2:5: error: layer 'sysv' conflicts with 'init', which 'systemd' "
                            "provides\n"
                            "    - init\n"
                            "      ^\n"
                            "hint: 'sysv' is listed at " +
                            p.Path("images/i.yaml") + ":2:10 and 'systemd' at " +
                            p.Path("images/i.yaml") + ":2:16");
  }
}

TEST_CASE("a layer's archs must include the target's", "[config][stack]") {
  ErrorProject p;
  SECTION("no boards") {
    Error e = p.PlanError("layers: [core, x86-only]\n", {"x86_64", "aarch64"});
    CHECK(e.Render() == p.Path("images/i.yaml") +
                            ":2:16: error: layer 'x86-only' does not support aarch64 (building "
                            "aarch64)\n"
                            "  layers: [core, x86-only]\n"
                            "                 ^\n"
                            "hint: its 'archs' at " +
                            p.Path("layers/x86-only.yaml") + ":1:9 are 'x86_64'");
  }
  SECTION("a board") {
    Error e = p.PlanError("layers: [x86-only]\nboards: [pi]\n", {});
    CHECK(e.message() == "layer 'x86-only' does not support aarch64 (building board 'pi')");
    CHECK(e.loc().ToString() == p.Path("images/i.yaml") + ":2:10");
  }
}

TEST_CASE("a layer with packages only for another source", "[config][stack]") {
  ErrorProject p;
  Error e = p.PlanError("layers: [core, debian-only]\n");
  CHECK(e.Render() == p.Path("images/i.yaml") +
                          ":2:16: error: layer 'debian-only' has no packages for source 'apk'\n"
                          "  layers: [core, debian-only]\n"
                          "                 ^\n"
                          "hint: it declares packages for 'debian' only (at " +
                          p.Path("layers/debian-only.yaml") + ":2:3); add 'packages.apk' to it");
}

TEST_CASE("the same file from two layers names both", "[config][stack]") {
  ErrorProject p;
  SECTION("a layer and the image") {
    Error e = p.PlanError("layers: [motd]\nfiles:\n  - {path: /etc/motd, content: b}\n");
    CHECK(e.Render() == p.Path("images/i.yaml") +
                            ":4:12: error: file '/etc/motd' is declared by "
                            "both 'motd' and 'i'\n"
                            "    - {path: /etc/motd, content: b}\n"
                            "             ^\n"
                            "hint: 'motd' declares it at " +
                            p.Path("layers/motd.yaml") + ":2:12; keep one of them");
  }
  SECTION("a layer and a board") {
    p.Write("boards/pc.yaml", "arch: x86_64\nfiles:\n  - {path: /etc/motd, content: c}\n");
    Error e = p.PlanError("layers: [motd]\nboards: [pc]\n", {});
    CHECK(e.message() == "file '/etc/motd' is declared by both 'motd' and 'board-pc'");
    CHECK(e.loc().ToString() == p.Path("boards/pc.yaml") + ":3:12");
  }
}

TEST_CASE("package names expand ${arch}, ${debian-arch} and ${kernel-flavour}", "[config][stack]") {
  LString in{"linux-image-${kernel-flavour}+${arch}/${debian-arch}", SourceLoc{"f.yaml", 3, 5}};
  auto r = ExpandPackageName(in, "aarch64", "arm64", "rt-arm64");
  REQUIRE(r.ok());
  CHECK(r->value == "linux-image-rt-arm64+aarch64/arm64");
  CHECK(r->loc.ToString() == "f.yaml:3:5");
  CHECK(ExpandPackageName(LString{"plain"}, "x", "y", "z")->value == "plain");

  auto unknown = ExpandPackageName(LString{"linux-${kernel-flavor}", SourceLoc{"f.yaml", 1, 2}},
                                   "x86_64", "amd64", "amd64");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().Render() ==
        "f.yaml:1:2: error: unknown variable '${kernel-flavor}' in "
        "'linux-${kernel-flavor}'\n"
        "hint: did you mean '${kernel-flavour}'?");
  auto open = ExpandPackageName(LString{"linux-${arch", SourceLoc{"f.yaml", 1, 2}}, "x86_64",
                                "amd64", "amd64");
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().message() == "unterminated '${' in 'linux-${arch'");

  // Through PlanTargets, located at the package entry.
  ErrorProject p;
  p.Write("layers/k.yaml", "packages:\n  apk:\n    - linux-${flavour}\n");
  Error e = p.PlanError("layers: [k]\n");
  CHECK(e.Render() == p.Path("layers/k.yaml") +
                          ":3:7: error: unknown variable '${flavour}' in 'linux-${flavour}'\n"
                          "      - linux-${flavour}\n"
                          "        ^\n"
                          "hint: expected ${arch}, ${debian-arch} or ${kernel-flavour}");
}

TEST_CASE("Debian architecture names", "[config][stack]") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"x86_64", "amd64"}, {"aarch64", "arm64"},   {"armv7", "armhf"},
      {"armhf", "armel"},  {"x86", "i386"},        {"ppc64le", "ppc64el"},
      {"s390x", "s390x"},  {"riscv64", "riscv64"}, {"amd64", "amd64"}};
  for (const auto& [apk, deb] : table) {
    INFO(apk);
    auto r = DebianArchOf(apk);
    REQUIRE(r.ok());
    CHECK(*r == deb);
  }
  auto bad = DebianArchOf("sparc");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "architecture 'sparc' has no Debian name");
}

TEST_CASE("an unknown package source is a bug in the caller", "[config][stack]") {
  Image img = MustLoad(Layered() + "/images/plain.yaml");
  auto r = PlanTargets(img, "rpm", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kInternal);
}

}  // namespace
}  // namespace cairn::config
