// Layered images end to end on the project's demo repository: each cairn
// layer is one OCI layer holding only what it added (checked by listing the
// layer blobs with tar), the lock lists per layer exactly what it added, an
// app image on the same lower layers shares their digests, umoci unpacks the
// stack, and a layer that would change a lower layer's file is refused with
// both layers named.
#include <catch2/catch.hpp>

#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

// A project with layers/ and images/ in a scratch directory.
struct Project {
  ScratchDir scratch{"layered"};
  fs::path root = scratch.path() / "project";
  fs::path cache = scratch.path() / "cache";

  Project() {
    WriteText(root / "layers/base.yaml",
              "description: the demo root skeleton\n"
              "packages:\n"
              "  apk: [cairn-baselayout]\n"
              "  debian: [base-files]\n");
    WriteText(root / "layers/greeter.yaml",
              "description: hello and its config\n"
              "requires: [base]\n"
              "packages: {apk: [hello]}\n"
              "files:\n"
              "  - path: /etc/greeter.conf\n"
              "    content: \"greeting=hi\\n\"\n");
    WriteText(root / "layers/motd-a.yaml", "packages: {apk: [motd]}\n");
    WriteText(root / "layers/motd-b.yaml", "packages: {apk: [motd-minimal]}\n");
  }

  fs::path Image(const std::string& name, const std::string& body,
                 const std::string& packages = "") {
    fs::path p = root / "images" / (name + ".yaml");
    WriteText(p, "contents:\n  repositories: [" + DemoRepo().string() + "]\n  keyring: [" +
                     DemoKey().string() + "]\n" +
                     (packages.empty() ? "" : "  packages: " + packages + "\n") + body);
    return p;
  }

  CommandResult Build(const fs::path& yaml, const fs::path& out,
                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"build", yaml.string(), "-o", out.string(), "--cache-dir",
                                     cache.string(), "--source-date-epoch", "1700000000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cairn(args);
  }
};

// Names of the entries of one layer blob (tar -tz, an independent reader).
std::set<std::string> LayerEntries(const fs::path& oci, const std::string& digest) {
  auto r = RunCommand({"tar", "-tzf", Blob(oci, digest).string()});
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  std::set<std::string> out;
  for (auto line : Lines(r.out)) {
    while (!line.empty() && line.back() == '/') line.pop_back();
    out.insert(line);
  }
  return out;
}

std::vector<std::string> ManifestLayers(const fs::path& oci, const std::string& ref) {
  std::string manifest =
      Jq(".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"" + ref +
             "\") | .digest",
         oci / "index.json");
  return Lines(Jq(".layers[].digest", Blob(oci, manifest)));
}

TEST_CASE("each cairn layer is one OCI layer with only what it added", "[e2e][layers]") {
  Project p;
  // The image's own contents.packages make its top layer.
  fs::path yaml = p.Image("device", "layers: [base, greeter]\narchs: [x86_64]\n",
                          "[cairn-motd]");
  fs::path out = p.scratch.path() / "out-device";

  auto r = p.Build(yaml, out);
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  fs::path oci = out / "oci";
  auto layers = ManifestLayers(oci, "device");
  REQUIRE(layers.size() == 3);  // base, greeter, the image's own

  auto base = LayerEntries(oci, layers[0]);
  CHECK(base.count("etc/passwd"));
  CHECK(base.count("lib/apk/db/installed"));
  CHECK_FALSE(base.count("usr/bin/hello"));
  auto greeter = LayerEntries(oci, layers[1]);
  CHECK(greeter.count("usr/bin/hello"));
  CHECK(greeter.count("etc/greeter.conf"));
  CHECK(greeter.count("lib/apk/db/installed"));  // the updated database
  CHECK_FALSE(greeter.count("etc/passwd"));       // nothing of the layer below
  CHECK_FALSE(greeter.count("etc/motd"));
  auto own = LayerEntries(oci, layers[2]);
  CHECK(own.count("etc/motd"));
  CHECK_FALSE(own.count("usr/bin/hello"));

  // The lock lists, per layer, exactly the packages that layer added.
  fs::path lock = out / "cairn.lock";
  CHECK(Jq("[.archs.x86_64.layers[] | .name + \":\" + ([.packages[].name] | join(\",\"))] | "
           "join(\" \")",
           lock) == "base:cairn-baselayout greeter:hello device:motd");

  // umoci applies the stack: everything is there.
  fs::path bundle = p.scratch.path() / "bundle";
  auto un = RunCommand({"umoci", "unpack", "--rootless", "--image", oci.string() + ":device",
                        bundle.string()});
  INFO(Tail(un.err));
  REQUIRE(un.exit_code == 0);
  CHECK(fs::is_regular_file(bundle / "rootfs/usr/bin/hello"));
  CHECK(ReadText(bundle / "rootfs/etc/greeter.conf") == "greeting=hi\n");
  std::string installed = ReadText(bundle / "rootfs/lib/apk/db/installed");
  for (const char* name : {"P:cairn-baselayout", "P:hello", "P:motd"})
    CHECK(installed.find(name) != std::string::npos);

  SECTION("an app image on the same lower layers shares their blobs byte for byte") {
    fs::path app = p.Image("app", "layers: [base]\narchs: [x86_64]\n", "[hello]");
    fs::path app_out = p.scratch.path() / "out-app";
    auto ra = p.Build(app, app_out);
    INFO(Tail(ra.err));
    REQUIRE(ra.exit_code == 0);
    auto app_layers = ManifestLayers(app_out / "oci", "app");
    REQUIRE(app_layers.size() == 2);
    CHECK(app_layers[0] == layers[0]);
    CHECK(app_layers[1] != layers[1]);
  }
}

TEST_CASE("a layer that would change a lower layer's file names both layers", "[e2e][layers]") {
  Project p;
  fs::path yaml = p.Image("clash", "layers: [base, motd-a, motd-b]\narchs: [x86_64]\n");
  auto r = p.Build(yaml, p.scratch.path() / "out");
  CHECK(r.exit_code != 0);
  INFO(Tail(r.err));
  CHECK(r.err.find("'motd-minimal-1.0-r0' of layer 'motd-b' would change '/etc/motd', which "
                   "'motd-1.0-r0' of layer 'motd-a' installed") != std::string::npos);
  CHECK_FALSE(fs::exists(p.scratch.path() / "out"));
}

}  // namespace
}  // namespace cairn::e2e

namespace cairn::e2e {
namespace {

TEST_CASE("a board gets its own layer and its device trees must be installed",
          "[e2e][layers][boards]") {
  Project p;
  auto board = [&](const std::string& dtb) {
    WriteText(p.root / "boards/devkit.yaml",
              "description: a test board\n"
              "arch: x86_64\n"
              "bootloader: {type: systemd-boot}\n"
              "files:\n"
              "  - path: /usr/lib/linux-image-6.1.0-test/vendor/devkit.dtb\n"
              "    content: \"dtb\"\n"
              "device-trees: [" + dtb + "]\n"
              "layout:\n"
              "  table: gpt\n"
              "  partitions:\n"
              "    - {role: esp, size: 64M, filesystem: vfat, label: ESP}\n"
              "    - {role: root, size: rest, filesystem: ext4, label: root}\n");
  };
  fs::path yaml = p.Image("kit", "layers: [base, greeter]\nboards: [devkit]\n");
  board("vendor/devkit.dtb");
  fs::path out = p.scratch.path() / "out";
  // The board has a layout, so by default its disk is written: the stack has
  // no kernel to boot, which is a located error.
  auto no_kernel = p.Build(yaml, p.scratch.path() / "out-disk");
  CHECK(no_kernel.exit_code == 2);
  CHECK(no_kernel.err.find("images/kit.yaml:5:10: error: board 'devkit' boots a kernel, but the "
                           "image has no /boot/vmlinuz-*") != std::string::npos);
  CHECK_FALSE(fs::exists(p.scratch.path() / "out-disk"));
  auto r = p.Build(yaml, out, {"--no-disk"});
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  auto lines = Lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" ") == std::string::npos);  // one board: just the digest
  auto layers = ManifestLayers(out / "oci", "kit-devkit");
  REQUIRE(layers.size() == 3);  // base, greeter, board-devkit
  CHECK(LayerEntries(out / "oci", layers[2]).count("usr/lib/linux-image-6.1.0-test/vendor/devkit.dtb"));
  CHECK(Jq("[.archs.devkit.arch, (.archs.devkit.layers | map(.name) | join(\",\"))] | join(\" \")",
           out / "cairn.lock") == "x86_64 base,greeter,board-devkit");

  board("vendor/other.dtb");
  auto bad = p.Build(yaml, p.scratch.path() / "out-bad", {"--no-disk"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("boards/devkit.yaml:7:16: error: board 'devkit' names device tree "
                     "'vendor/other.dtb', which no installed kernel ships (looked in "
                     "/usr/lib/linux-image-6.1.0-test)") != std::string::npos);
}

}  // namespace
}  // namespace cairn::e2e

namespace cairn::e2e {
namespace {

TEST_CASE("a layer's inline file may not replace a lower layer's package file",
          "[e2e][layers]") {
  Project p;
  WriteText(p.root / "layers/rebrand.yaml",
            "requires: [base]\n"
            "files:\n"
            "  - path: /etc/os-release\n"
            "    content: \"ID=mine\\n\"\n");
  fs::path yaml = p.Image("rebrand", "layers: [base, rebrand]\narchs: [x86_64]\n");
  auto r = p.Build(yaml, p.scratch.path() / "out");
  CHECK(r.exit_code != 0);
  INFO(Tail(r.err));
  CHECK(r.err.find("layers/rebrand.yaml:3:5: error: composing layer 'rebrand' for x86_64: layer "
                   "'rebrand' writes '/etc/os-release', which package 'cairn-baselayout' of "
                   "layer 'base' installed") != std::string::npos);
}

}  // namespace
}  // namespace cairn::e2e
