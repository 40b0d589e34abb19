// The shipped device image (images/device.yaml) for every shipped board, and
// the app images on images/container-base.yaml, built from the real Debian
// archive (tools/test.sh fills build/test-cache/debian first; here --offline):
// each board's OCI image has exactly one layer per cairn layer of its stack,
// each layer's tar (read with tar(1)) holds dpkg's info files for exactly the
// packages the lock says that layer added, dpkg-query reads the stacked
// database, and the core layer is byte-identical (same digest) in the device
// images, the container base and both app images.
#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

fs::path DebianCache() { return fs::path(CAIRN_BINARY_DIR) / "test-cache" / "debian"; }

CommandResult BuildShipped(const std::string& image, const fs::path& out) {
  return Cairn({"build", (SourceDir() / "images" / (image + ".yaml")).string(), "--cache-dir",
                DebianCache().string(), "-o", out.string(), "--offline"});
}

std::string RefDigest(const fs::path& oci, const std::string& ref) {
  return Jq(".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"" +
                ref + "\") | .digest",
            oci / "index.json");
}

std::vector<std::string> LayersOf(const fs::path& oci, const std::string& manifest) {
  return Lines(Jq(".layers[].digest", Blob(oci, manifest)));
}

// Packages whose dpkg file list is in a layer blob: "var/lib/dpkg/info/<pkg>[:arch].list".
std::set<std::string> DpkgListsIn(const fs::path& blob) {
  auto r = RunCommand({"tar", "-tzf", blob.string()});
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  std::set<std::string> out;
  const std::string prefix = "var/lib/dpkg/info/";
  for (const auto& line : Lines(r.out)) {
    if (line.rfind(prefix, 0) != 0 || line.size() < 5 || line.substr(line.size() - 5) != ".list")
      continue;
    std::string name = line.substr(prefix.size(), line.size() - prefix.size() - 5);
    out.insert(name.substr(0, name.find(':')));
  }
  return out;
}

}  // namespace

TEST_CASE("every shipped board's device image has one OCI layer per cairn layer",
          "[e2e][debian][layers]") {
  ScratchDir scratch("e2e-device");
  fs::path out = scratch.path() / "device";
  auto build = BuildShipped("device", out);
  INFO(Tail(build.err));
  REQUIRE(build.exit_code == 0);
  fs::path oci = out / "oci";
  fs::path lock = out / "cairn.lock";
  // Nothing else: the Debian unpack and depmod scratch directories are gone.
  std::set<std::string> top;
  for (const auto& e : fs::directory_iterator(out)) top.insert(e.path().filename().string());
  CHECK(top == std::set<std::string>{"cairn.lock", "disk", "oci", "sbom"});
  for (const auto& board : {"qemu-x86_64", "qemu-aarch64", "pc-x86_64", "rpi4", "rpi3"})
    CHECK(fs::exists(out / "disk" / (std::string(board) + ".img")));

  // rpi4: the firmware partition (FAT, the MBR's first) holds what the Pi's
  // boot ROM and GPU firmware read, as mtools reads it back.
  {
    const std::string fat = (out / "disk" / "rpi4.img").string() + "@@1048576";
    auto dir = RunCommand({"mdir", "-/", "-b", "-i", fat, "::/"}, {"MTOOLS_SKIP_CHECK=1"});
    INFO(dir.out << dir.err);
    REQUIRE(dir.exit_code == 0);
    for (const char* f : {"bootcode.bin", "start4.elf", "fixup4.dat", "config.txt", "cmdline.txt",
                          "bcm2711-rpi-4-b.dtb", "vmlinuz", "initrd.img"})
      CHECK(dir.out.find(std::string("::/") + f + "\n") != std::string::npos);
    auto config = RunCommand({"mtype", "-i", fat, "::/config.txt"}, {"MTOOLS_SKIP_CHECK=1"});
    CHECK(config.out.find("kernel=vmlinuz\ninitramfs initrd.img followkernel") != std::string::npos);
    auto cmdline = RunCommand({"mtype", "-i", fat, "::/cmdline.txt"}, {"MTOOLS_SKIP_CHECK=1"});
    CHECK(cmdline.out.find("root=LABEL=root") != std::string::npos);
    // rpi3: the firmware starts U-Boot, which reads extlinux.conf.
    const std::string fat3 = (out / "disk" / "rpi3.img").string() + "@@1048576";
    auto ext = RunCommand({"mtype", "-i", fat3, "::/extlinux/extlinux.conf"}, {"MTOOLS_SKIP_CHECK=1"});
    CHECK(ext.out.find("kernel /vmlinuz") != std::string::npos);
    CHECK(ext.out.find("fdtdir /") != std::string::npos);
    for (const char* f : {"::/u-boot.bin", "::/broadcom/bcm2837-rpi-3-b.dtb",
                          "::/bcm2837-rpi-3-b.dtb"}) {
      auto found = RunCommand({"mdir", "-b", "-i", fat3, f}, {"MTOOLS_SKIP_CHECK=1"});
      CHECK(found.exit_code == 0);
    }
  }
  // rpi3 on QEMU's raspi3b: U-Boot from the SD card's firmware partition
  // reads extlinux.conf and the board's device tree, starts the kernel,
  // cairn's initramfs finds the root on the SD card, and systemd starts.
  {
    auto run = Cairn({"-v", "run", (SourceDir() / "images" / "device.yaml").string(), "-o",
                      out.string(), "--board", "rpi3", "--check", "Welcome to Debian GNU/Linux",
                      "--timeout", "500"});
    INFO(run.err.substr(run.err.size() > 6000 ? run.err.size() - 6000 : 0));
    CHECK(run.exit_code == 0);
    for (const char* line : {"U-Boot 2023.01", "Found /extlinux/extlinux.conf",
                             "Retrieving file: /broadcom/bcm2837-rpi-3-b.dtb", "Starting kernel",
                             "cairn-initramfs: switching to root LABEL=root"})
      CHECK(run.err.find(line) != std::string::npos);
    CHECK(run.err.find("Unable to read file") == std::string::npos);
  }
  // The systemd image boots on qemu-x86_64 until systemd starts the login prompts.
  {
    auto run = Cairn({"run", (SourceDir() / "images" / "device.yaml").string(), "-o", out.string(),
                      "--board", "qemu-x86_64", "--check", "Reached target getty.target",
                      "--timeout", "400"});
    INFO(Tail(run.err));
    CHECK(run.exit_code == 0);
  }
  const std::vector<std::string> boards = {"qemu-x86_64", "qemu-aarch64", "pc-x86_64", "rpi4",
                                           "rpi3"};
  REQUIRE(Lines(build.out).size() == boards.size());  // "<digest> device-<board>" per board

  std::map<std::string, std::string> core_by_arch;
  for (const auto& board : boards) {
    INFO(board);
    std::string manifest = RefDigest(oci, "device-" + board);
    REQUIRE(IsDigest(manifest));
    CHECK(Lines(build.out).end() != std::find(Lines(build.out).begin(), Lines(build.out).end(),
                                              manifest + " device-" + board));
    auto layers = LayersOf(oci, manifest);
    std::string target = ".archs[\"" + board + "\"]";
    auto names = Lines(Jq(target + ".layers[].name", lock));
    // The declared stack, bottom first: the image's layers, the board's
    // `layers:` (kernel), then the board's own layer.
    std::vector<std::string> expected = {"core", "systemd", "networking", "ssh",
                                         "container-runtime", "kernel", "board-" + board};
    CHECK(names == expected);
    REQUIRE(layers.size() == names.size());
    std::string arch = Jq(target + ".arch", lock);
    for (size_t i = 0; i < layers.size(); ++i) {
      INFO("layer " << names[i]);
      auto locked = Lines(Jq(target + ".layers[" + std::to_string(i) + "].packages[].name", lock));
      std::set<std::string> want(locked.begin(), locked.end());
      CHECK(DpkgListsIn(Blob(oci, layers[i])) == want);
    }
    // Same core for every board of an arch.
    auto [it, inserted] = core_by_arch.emplace(arch, layers[0]);
    CHECK(it->second == layers[0]);
  }
  REQUIRE(core_by_arch.size() == 2);

  // dpkg reads the stacked database: every locked package of the board is installed.
  fs::path bundle = scratch.path() / "bundle";
  auto un = RunCommand({"umoci", "unpack", "--rootless", "--image", oci.string() + ":device-qemu-x86_64",
                        bundle.string()});
  INFO(Tail(un.err));
  REQUIRE(un.exit_code == 0);
  auto q = RunCommand({"dpkg-query", "--admindir=" + (bundle / "rootfs/var/lib/dpkg").string(),
                       "-W", "-f", "${Package} ${db:Status-Abbrev}\\n"});
  REQUIRE(q.exit_code == 0);
  std::set<std::string> installed;
  for (const auto& l : Lines(q.out)) {
    CHECK(l.substr(l.size() - 3) == "ii ");
    installed.insert(l.substr(0, l.find(' ')));
  }
  auto all = Lines(Jq(".archs[\"qemu-x86_64\"].layers[].packages[].name", lock));
  CHECK(installed == std::set<std::string>(all.begin(), all.end()));
  CHECK(fs::exists(bundle / "rootfs/usr/sbin/sshd"));
  CHECK(fs::exists(bundle / "rootfs/usr/bin/crun"));

  SECTION("the container base and two app images share the device's core layer") {
    for (const std::string image : {"container-base", "app-hello", "app-shell"}) {
      INFO(image);
      fs::path o = scratch.path() / image;
      auto b = BuildShipped(image, o);
      INFO(Tail(b.err));
      REQUIRE(b.exit_code == 0);
      for (const auto& [arch, oci_arch] :
           std::map<std::string, std::string>{{"x86_64", "amd64"}, {"aarch64", "arm64"}}) {
        auto layers = LayersOf(o / "oci", RefDigest(o / "oci", image + "-" + oci_arch));
        REQUIRE(!layers.empty());
        CHECK(layers[0] == core_by_arch[arch]);
        CHECK(layers.size() == (image == "container-base" ? 1u : 2u));
      }
    }
  }
}


TEST_CASE("a Debian image from cached layers is byte for byte one built from packages",
          "[e2e][debian][layers][incremental]") {
  ScratchDir scratch("e2e-debian-incremental");
  const fs::path yaml = SourceDir() / "images" / "app-shell.yaml";
  auto build = [&](const std::string& out, const std::string& flag) {
    std::vector<std::string> args = {"-v", "build", yaml.string(), "--cache-dir",
                                     DebianCache().string(), "-o",
                                     (scratch.path() / out).string(), "--offline"};
    if (!flag.empty()) args.push_back(flag);
    auto r = Cairn(args);
    INFO(Tail(r.err));
    REQUIRE(r.exit_code == 0);
    return r.err;
  };
  build("first", "");  // fills the layer cache if nothing did yet
  std::string log = build("cached", "");
  CHECK(log.find("layer 'core' from the layer cache") != std::string::npos);
  CHECK(log.find(" fetched ") == std::string::npos);
  build("reference", "--no-layer-cache");
  auto diff = RunCommand({"diff", "-r", (scratch.path() / "reference").string(),
                          (scratch.path() / "cached").string()});
  INFO(diff.out << diff.err);
  CHECK(diff.exit_code == 0);
}

}  // namespace cairn::e2e
