// Bootable images end to end: `cairn build` of the shipped demo image
// (images/demo-boot.yaml: Debian busybox init on the qemu-x86_64 and
// qemu-aarch64 boards, from the archive via build/test-cache/debian,
// --offline) writes per board a GPT disk with an ESP (systemd-boot, kernel,
// cairn's initramfs) and an ext4 root, checked with sfdisk and mtools;
// `cairn run --check` boots each under QEMU (OVMF / AAVMF, TCG, no network)
// to the marker its init prints; the disks are reproducible.
#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

fs::path DebianCache() { return fs::path(CAIRN_BINARY_DIR) / "test-cache" / "debian"; }
fs::path DemoBoot() { return SourceDir() / "images" / "demo-boot.yaml"; }
constexpr const char* kMarker = "cairn-demo: system started";

CommandResult BuildDemo(const fs::path& out) {
  return Cairn({"build", DemoBoot().string(), "--cache-dir", DebianCache().string(), "-o",
                out.string(), "--offline"});
}

std::string Sha256Of(const fs::path& file) {
  auto r = RunCommand({"sha256sum", file.string()});
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, 64);
}

}  // namespace

TEST_CASE("the demo image's disks boot on qemu-x86_64 and qemu-aarch64 to its init's marker",
          "[e2e][debian][boot]") {
  ScratchDir scratch("e2e-boot");
  const fs::path out = scratch.path() / "demo";
  auto build = BuildDemo(out);
  INFO(build.err);
  REQUIRE(build.exit_code == 0);
  const fs::path disk = out / "disk" / "qemu-x86_64.img";
  REQUIRE(fs::exists(disk));

  // The partition table, as an independent tool reads it.
  auto table = RunCommand({"sfdisk", "--json", disk.string()});
  REQUIRE(table.exit_code == 0);
  fs::path table_json = scratch.path() / "table.json";
  WriteText(table_json, table.out);
  CHECK(Jq(".partitiontable.label", table_json) == "gpt");
  CHECK(Lines(Jq(".partitiontable.partitions[].type", table_json)) ==
        std::vector<std::string>{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
                                 "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"});
  // The ESP, read with mtools: the boot chain cairn put there.
  const std::string start = Jq(".partitiontable.partitions[0].start", table_json);
  const std::string esp = disk.string() + "@@" + std::to_string(std::stoull(start) * 512);
  auto listing = RunCommand({"mdir", "-/", "-b", "-i", esp, "::/"}, {"MTOOLS_SKIP_CHECK=1"});
  INFO(listing.out << listing.err);
  REQUIRE(listing.exit_code == 0);
  for (const char* f : {"::/EFI/BOOT/BOOTX64.EFI", "::/loader/loader.conf",
                        "::/loader/entries/cairn.conf", "::/vmlinuz", "::/initrd.img"})
    CHECK(listing.out.find(f) != std::string::npos);
  auto entry = RunCommand({"mtype", "-i", esp, "::/loader/entries/cairn.conf"},
                          {"MTOOLS_SKIP_CHECK=1"});
  CHECK(entry.out.find("options console=ttyS0,115200 root=LABEL=root rw rootwait "
                       "rootfstype=ext4") != std::string::npos);

  // cairn run --check reaches the marker the image's init prints.
  for (const char* board : {"qemu-x86_64", "qemu-aarch64"}) {
    INFO(board);
    auto run = Cairn({"run", DemoBoot().string(), "-o", out.string(), "--board", board,
                      "--check", kMarker, "--timeout", "400"});
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("appeared after") != std::string::npos);
  }
  // A marker that never comes fails, with the console's tail.
  auto never = Cairn({"run", DemoBoot().string(), "-o", out.string(), "--board", "qemu-x86_64",
                      "--check", "no such line", "--timeout", "8"});
  CHECK(never.exit_code == 1);
  CHECK(never.err.find("'no such line' did not appear on the console within 8 s") !=
        std::string::npos);
  CHECK(never.err.find("console tail:") != std::string::npos);

  // The same inputs give the same disk, byte for byte.
  const fs::path again = scratch.path() / "again";
  auto second = BuildDemo(again);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  for (const char* board : {"qemu-x86_64", "qemu-aarch64"})
    CHECK(Sha256Of(again / "disk" / (std::string(board) + ".img")) ==
          Sha256Of(out / "disk" / (std::string(board) + ".img")));
}

}  // namespace cairn::e2e

namespace cairn::e2e {
namespace {

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a squashfs root boots read-only under a tmpfs overlay", "[e2e][debian][boot]") {
  // The demo image on a variant of qemu-x86_64 whose root partition is squashfs.
  ScratchDir scratch("e2e-boot-squashfs", /*outside_project=*/true);
  const fs::path project = scratch.path() / "project";
  for (const auto& e : fs::directory_iterator(SourceDir() / "layers"))
    WriteText(project / "layers" / e.path().filename(), ReadText(e.path()));
  std::string board = ReadText(SourceDir() / "boards" / "qemu-x86_64.yaml");
  board = Replaced(board, "{role: root, size: 2G, filesystem: ext4, label: root}",
                   "{role: root, size: 1G, filesystem: squashfs, label: root}");
  board = Replaced(board, "root=LABEL=root", "root=/dev/vda2");
  WriteText(project / "boards" / "qemu-x86_64.yaml", board);
  std::string image = ReadText(DemoBoot());
  image = Replaced(image, "archs: [x86_64, aarch64]", "archs: [x86_64]");
  image = Replaced(image, "boards: [qemu-x86_64, qemu-aarch64]", "boards: [qemu-x86_64]");
  const fs::path yaml = project / "images" / "demo-boot.yaml";
  WriteText(yaml, image);

  const fs::path out = scratch.path() / "out";
  auto build = Cairn({"build", yaml.string(), "--cache-dir", DebianCache().string(), "-o",
                      out.string(), "--offline"});
  INFO(build.err);
  REQUIRE(build.exit_code == 0);
  // The root partition holds a squashfs, as unsquashfs reads it.
  auto table = RunCommand({"sfdisk", "--json", (out / "disk" / "qemu-x86_64.img").string()});
  fs::path table_json = scratch.path() / "table.json";
  WriteText(table_json, table.out);
  const uint64_t start = std::stoull(Jq(".partitiontable.partitions[1].start", table_json)) * 512;
  auto magic = RunCommand({"sh", "-c", "dd if=" + Q((out / "disk" / "qemu-x86_64.img").string()) +
                                           " bs=1 skip=" + std::to_string(start) +
                                           " count=4 status=none"});
  CHECK(magic.out == "hsqs");

  auto run = Cairn({"-v", "run", yaml.string(), "-o", out.string(), "--check", kMarker,
                    "--timeout", "300"});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("cairn-initramfs: switching to root /dev/vda2") != std::string::npos);
}

}  // namespace cairn::e2e
