// Bootable images end to end: `cairn build` of the shipped demo image
// (images/demo-boot.yaml: Debian busybox init on the qemu-x86_64,
// qemu-aarch64 and qemu-aarch64-uboot boards, from the archive via
// build/test-cache/debian, --offline) writes per board a disk: GPT with an
// ESP (systemd-boot, kernel, cairn's initramfs) and an ext4 root, or MBR
// with a U-Boot extlinux boot partition; checked with sfdisk and mtools.
// `cairn run --check` boots each under QEMU (OVMF / AAVMF / U-Boot, TCG, no
// network) to the marker its init prints. The disks are reproducible, and
// the same whether cairn runs as root or as an unprivileged user.
#include <sys/stat.h>
#include <unistd.h>

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

// The "sha256:... name" lines `cairn build` prints: the image digests.
std::vector<std::string> ImageDigests(const std::string& build_stdout) {
  std::vector<std::string> out;
  for (const auto& l : Lines(build_stdout))
    if (l.rfind("sha256:", 0) == 0) out.push_back(l);
  return out;
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
  INFO(Tail(build.err));
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

  // The U-Boot board: MBR, the boot partition flagged bootable (U-Boot's
  // distro boot scans those first) holding u-boot.bin for `cairn run` and an
  // extlinux.conf without an fdt line (U-Boot passes QEMU's device tree).
  const fs::path uboot_disk = out / "disk" / "qemu-aarch64-uboot.img";
  auto mbr = RunCommand({"sfdisk", "--json", uboot_disk.string()});
  REQUIRE(mbr.exit_code == 0);
  fs::path mbr_json = scratch.path() / "mbr.json";
  WriteText(mbr_json, mbr.out);
  CHECK(Jq(".partitiontable.label", mbr_json) == "dos");
  CHECK(Jq(".partitiontable.partitions[0].bootable", mbr_json) == "true");
  CHECK(Lines(Jq(".partitiontable.partitions[].type", mbr_json)) ==
        std::vector<std::string>{"c", "83"});
  const std::string boot_part =
      uboot_disk.string() + "@@" +
      std::to_string(std::stoull(Jq(".partitiontable.partitions[0].start", mbr_json)) * 512);
  auto uboot_listing =
      RunCommand({"mdir", "-/", "-b", "-i", boot_part, "::/"}, {"MTOOLS_SKIP_CHECK=1"});
  for (const char* f : {"::/u-boot.bin", "::/extlinux/extlinux.conf", "::/vmlinuz", "::/initrd.img"})
    CHECK(uboot_listing.out.find(f) != std::string::npos);
  auto extlinux = RunCommand({"mtype", "-i", boot_part, "::/extlinux/extlinux.conf"},
                             {"MTOOLS_SKIP_CHECK=1"});
  CHECK(extlinux.out.find("append console=ttyAMA0 rw rootwait root=LABEL=root rootfstype=ext4") !=
        std::string::npos);
  CHECK(extlinux.out.find("fdt") == std::string::npos);

  // cairn run --check reaches the marker the image's init prints.
  for (const char* board : {"qemu-x86_64", "qemu-aarch64", "qemu-aarch64-uboot"}) {
    INFO(board);
    auto run = Cairn({"-v", "run", DemoBoot().string(), "-o", out.string(), "--board", board,
                      "--check", kMarker, "--timeout", "400"});
    INFO(run.err.substr(run.err.size() > 4000 ? run.err.size() - 4000 : 0));
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("appeared after") != std::string::npos);
    // The U-Boot board really went through U-Boot and extlinux.
    if (std::string(board) == "qemu-aarch64-uboot") {
      CHECK(run.err.find("U-Boot 2023.01") != std::string::npos);
      CHECK(run.err.find("extlinux/extlinux.conf") != std::string::npos);
    }
  }
  // A marker that never comes fails, with the console's tail.
  auto never = Cairn({"run", DemoBoot().string(), "-o", out.string(), "--board", "qemu-x86_64",
                      "--check", "no such line", "--timeout", "8"});
  CHECK(never.exit_code == 1);
  CHECK(never.err.find("'no such line' did not appear on the console within 8 s") !=
        std::string::npos);
  CHECK(never.err.find("console tail:") != std::string::npos);

  // The same inputs give the same images and disks, byte for byte, also when
  // an unprivileged user builds them (uid/gid 65534, a cache of its own made
  // of hard links to the root build's packages and no cached layers).
  // The first build's disks are hashed and removed first: three more disks
  // and their staging trees are already gigabytes on a CI machine's disk.
  std::map<std::string, std::string> first_disks;
  for (const char* board : {"qemu-x86_64", "qemu-aarch64", "qemu-aarch64-uboot"})
    first_disks[board] = Sha256Of(out / "disk" / (std::string(board) + ".img"));
  fs::remove_all(out / "disk");
  ScratchDir unprivileged("e2e-boot-unprivileged", /*outside_project=*/true);
  const fs::path cache = unprivileged.path() / "cache";
  const fs::path again = unprivileged.path() / "again";
  fs::create_directories(cache);
  for (const char* sub : {"deb", "url"})
    REQUIRE(RunCommand({"cp", "-al", (DebianCache() / sub).string(), cache.string()}).exit_code ==
            0);
  // Directories become the user's; the hard-linked files stay root's, read-only.
  REQUIRE(RunCommand({"find", unprivileged.path().string(), "-type", "d", "-exec", "chown",
                      "65534:65534", "{}", "+"})
              .exit_code == 0);
  std::vector<std::string> as_user = {"setpriv", "--reuid=65534", "--regid=65534",
                                      "--clear-groups", CAIRN_BINARY};
  const bool root = ::geteuid() == 0;
  if (!root) {
    WARN("not running as root: the second build runs as this user, not as 65534");
    as_user = {CAIRN_BINARY};
  }
  for (const std::string& a : {std::string("build"), DemoBoot().string(),
                               std::string("--cache-dir"), cache.string(), std::string("-o"),
                               again.string(), std::string("--offline")})
    as_user.push_back(a);
  auto second = RunCommand(as_user, {"HOME=" + unprivileged.path().string(),
                                     "TMPDIR=" + unprivileged.path().string()});
  INFO(Tail(second.err));
  REQUIRE(second.exit_code == 0);
  CHECK(ImageDigests(second.out) == ImageDigests(build.out));
  CHECK(ImageDigests(build.out).size() == 3);
  for (const char* board : {"qemu-x86_64", "qemu-aarch64", "qemu-aarch64-uboot"})
    CHECK(Sha256Of(again / "disk" / (std::string(board) + ".img")) == first_disks[board]);
  if (root) {
    struct stat st {};
    REQUIRE(::stat((again / "disk" / "qemu-x86_64.img").c_str(), &st) == 0);
    CHECK(st.st_uid == 65534);
  }
}

}  // namespace cairn::e2e

namespace cairn::e2e {
namespace {

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string X86Board() { return ReadText(SourceDir() / "boards" / "qemu-x86_64.yaml"); }

// A project with the repository's layers, `board` as boards/qemu-x86_64.yaml
// and the demo image for that board alone, `image_extra` appended after its
// boards line; returns the image's path.
fs::path WriteX86Variant(const fs::path& project, const std::string& board,
                         const std::string& image_extra = "") {
  for (const auto& e : fs::directory_iterator(SourceDir() / "layers"))
    WriteText(project / "layers" / e.path().filename(), ReadText(e.path()));
  WriteText(project / "boards" / "qemu-x86_64.yaml", board);
  std::string image = ReadText(DemoBoot());
  image = Replaced(image, "archs: [x86_64, aarch64]", "archs: [x86_64]");
  image = Replaced(image, "boards: [qemu-x86_64, qemu-aarch64, qemu-aarch64-uboot]",
                   "boards: [qemu-x86_64]" + image_extra);
  const fs::path yaml = project / "images" / "demo-boot.yaml";
  WriteText(yaml, image);
  return yaml;
}

}  // namespace

TEST_CASE("squashfs and erofs roots boot read-only under a tmpfs overlay", "[e2e][debian][boot]") {
  // The demo image on a variant of qemu-x86_64 whose root partition is a
  // squashfs or an erofs image.
  const std::string fs_type = GENERATE(as<std::string>(), "squashfs", "erofs");
  SECTION(fs_type) {
  ScratchDir scratch("e2e-boot-" + fs_type, /*outside_project=*/true);
  std::string board =
      Replaced(X86Board(), "{role: root, size: 2G, filesystem: ext4, label: root}",
               "{role: root, size: 1G, filesystem: " + fs_type + ", label: root}");
  // squashfs names its device; erofs gets cairn's default, its GPT partition name.
  const std::string root_arg = fs_type == "squashfs" ? "/dev/vda2" : "PARTLABEL=root";
  board = Replaced(board, "root=LABEL=root, ", fs_type == "squashfs" ? "root=/dev/vda2, " : "");
  const fs::path yaml = WriteX86Variant(scratch.path() / "project", board);

  const fs::path out = scratch.path() / "out";
  auto build = Cairn({"build", yaml.string(), "--cache-dir", DebianCache().string(), "-o",
                      out.string(), "--offline"});
  INFO(Tail(build.err));
  REQUIRE(build.exit_code == 0);
  // The root partition holds the image, as the filesystem's own tools read it.
  const fs::path disk = out / "disk" / "qemu-x86_64.img";
  auto table = RunCommand({"sfdisk", "--json", disk.string()});
  fs::path table_json = scratch.path() / "table.json";
  WriteText(table_json, table.out);
  const uint64_t start = std::stoull(Jq(".partitiontable.partitions[1].start", table_json)) * 512;
  const uint64_t size = std::stoull(Jq(".partitiontable.partitions[1].size", table_json)) * 512;
  const fs::path part = scratch.path() / ("root." + fs_type);
  REQUIRE(RunCommand({"sh", "-c", "dd if=" + Q(disk.string()) + " of=" + Q(part.string()) +
                                      " bs=1M iflag=skip_bytes,count_bytes skip=" +
                                      std::to_string(start) + " count=" + std::to_string(size) +
                                      " status=none"})
              .exit_code == 0);
  if (fs_type == "squashfs") {
    auto list = RunCommand({"unsquashfs", "-lln", part.string(), "etc/rc.d/S99started"});
    INFO(Tail(list.err));
    CHECK(list.out.find(" 0/0 ") != std::string::npos);
    CHECK(list.out.find("squashfs-root/etc/rc.d/S99started\n") != std::string::npos);
  } else {
    auto fsck = RunCommand({"fsck.erofs", part.string()});
    INFO(fsck.out << fsck.err);
    CHECK(fsck.exit_code == 0);
    auto busybox = RunCommand({"dump.erofs", "--path=/usr/bin/busybox", part.string()});
    INFO(Tail(busybox.err));
    CHECK(busybox.out.find("Uid: 0   Gid: 0  Access: 0755") != std::string::npos);
  }

  auto run = Cairn({"-v", "run", yaml.string(), "-o", out.string(), "--check", kMarker,
                    "--timeout", "300"});
  INFO(Tail(run.err));
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("cairn-initramfs: switching to root " + root_arg) != std::string::npos);
  CHECK(run.err.find(" root=" + root_arg + " ") != std::string::npos);
  CHECK(run.err.find(" rootfstype=" + fs_type) != std::string::npos);
  }
}

}  // namespace cairn::e2e

namespace cairn::e2e {

TEST_CASE("a UKI boots from the ESP, and the image's outputs: squashfs, erofs, cpio, qcow2 disk",
          "[e2e][debian][boot]") {
  // The demo image on a variant of qemu-x86_64 whose bootloader is a unified
  // kernel image, with every kind of extra output declared.
  ScratchDir scratch("e2e-boot-uki", /*outside_project=*/true);
  const fs::path yaml = WriteX86Variant(scratch.path() / "project",
                   Replaced(X86Board(), "type: systemd-boot", "type: uki"),
                   "\n"
                   "outputs:\n"
                   "  - squashfs\n"
                   "  - {type: squashfs, layer: core, compression: xz}\n"
                   "  - {type: erofs, level: 9}\n"
                   "  - {type: cpio, compression: zstd}\n"
                   "  - {type: cpio, contents: initramfs}\n"
                   "  - {type: disk, format: qcow2}");

  const fs::path out = scratch.path() / "out";
  auto build = Cairn({"build", yaml.string(), "--cache-dir", DebianCache().string(), "-o",
                      out.string(), "--offline", "--json"});
  INFO(Tail(build.err));
  REQUIRE(build.exit_code == 0);
  fs::path result = scratch.path() / "result.json";
  WriteText(result, build.out);
  CHECK(Lines(Jq(".archs[0].files[]", result)) ==
        std::vector<std::string>{(out / "squashfs/qemu-x86_64.squashfs").string(),
                                 (out / "squashfs/qemu-x86_64-core.squashfs").string(),
                                 (out / "erofs/qemu-x86_64.erofs").string(),
                                 (out / "cpio/qemu-x86_64-initramfs.cpio.gz").string(),
                                 (out / "cpio/qemu-x86_64.cpio.zst").string()});
  const fs::path qcow2 = out / "disk" / "qemu-x86_64.qcow2";
  CHECK(Jq(".archs[0].disk", result) == qcow2.string());

  // squashfs: the merged root with the tree's owners (zstd, the default),
  // and the core layer alone (xz), as unsquashfs reads them.
  auto merged = RunCommand({"unsquashfs", "-lln", (out / "squashfs/qemu-x86_64.squashfs").string()});
  REQUIRE(merged.exit_code == 0);
  CHECK(merged.out.find("squashfs-root/etc/rc.d/S99started") != std::string::npos);
  CHECK(merged.out.find("squashfs-root/usr/bin/busybox") != std::string::npos);
  auto stats = RunCommand({"unsquashfs", "-s", (out / "squashfs/qemu-x86_64.squashfs").string()});
  CHECK(stats.out.find("Compression zstd") != std::string::npos);
  auto core = RunCommand({"unsquashfs", "-lln", (out / "squashfs/qemu-x86_64-core.squashfs").string()});
  REQUIRE(core.exit_code == 0);
  CHECK(core.out.find("squashfs-root/etc/os-release") != std::string::npos);
  CHECK(core.out.find("squashfs-root/boot/vmlinuz") == std::string::npos);  // kernel layer
  CHECK(core.out.size() < merged.out.size());
  auto core_stats = RunCommand({"unsquashfs", "-s", (out / "squashfs/qemu-x86_64-core.squashfs").string()});
  CHECK(core_stats.out.find("Compression xz") != std::string::npos);

  // erofs: the merged root, checked and read by erofs-utils' own tools.
  const fs::path erofs = out / "erofs/qemu-x86_64.erofs";
  auto erofs_fsck = RunCommand({"fsck.erofs", erofs.string()});
  INFO(erofs_fsck.out << erofs_fsck.err);
  CHECK(erofs_fsck.exit_code == 0);
  auto started = RunCommand({"dump.erofs", "--path=/etc/rc.d/S99started", erofs.string()});
  CHECK(started.out.find("regular file") != std::string::npos);

  // cpio: the whole root (zstd) with /init added for the kernel to run, and
  // the generated initramfs, as GNU cpio lists them.
  auto root_cpio = RunCommand({"sh", "-c", "zstd -dc " + Q((out / "cpio/qemu-x86_64.cpio.zst").string()) +
                                               " | cpio -t --quiet"});
  REQUIRE(root_cpio.exit_code == 0);
  const auto root_list = Lines(root_cpio.out);
  CHECK(std::count(root_list.begin(), root_list.end(), "init") == 1);
  CHECK(std::count(root_list.begin(), root_list.end(), "etc/rc.d/S99started") == 1);
  auto initrd = RunCommand({"sh", "-c", "zcat " + Q((out / "cpio/qemu-x86_64-initramfs.cpio.gz").string()) +
                                            " | cpio -t --quiet"});
  REQUIRE(initrd.exit_code == 0);
  CHECK(initrd.out.find("virtio_blk.ko") != std::string::npos);
  CHECK(initrd.out.size() < root_cpio.out.size() / 10);

  // The disk: qcow2, its ESP holding only the UKI (no separate kernel).
  auto info = RunCommand({"qemu-img", "info", "--output=json", qcow2.string()});
  fs::path info_json = scratch.path() / "info.json";
  WriteText(info_json, info.out);
  CHECK(Jq(".format", info_json) == "qcow2");
  const fs::path raw = scratch.path() / "disk.raw";
  REQUIRE(RunCommand({"qemu-img", "convert", "-O", "raw", qcow2.string(), raw.string()}).exit_code == 0);
  auto table = RunCommand({"sfdisk", "--json", raw.string()});
  fs::path table_json = scratch.path() / "table.json";
  WriteText(table_json, table.out);
  const std::string esp = raw.string() + "@@" +
      std::to_string(std::stoull(Jq(".partitiontable.partitions[0].start", table_json)) * 512);
  auto listing = RunCommand({"mdir", "-/", "-b", "-i", esp, "::/"}, {"MTOOLS_SKIP_CHECK=1"});
  CHECK(listing.out.find("::/EFI/BOOT/BOOTX64.EFI") != std::string::npos);
  CHECK(listing.out.find("::/vmlinuz") == std::string::npos);
  const fs::path uki = scratch.path() / "uki.efi";
  REQUIRE(RunCommand({"mcopy", "-n", "-i", esp, "::/EFI/BOOT/BOOTX64.EFI", uki.string()},
                     {"MTOOLS_SKIP_CHECK=1"}).exit_code == 0);
  auto sections = RunCommand({"objdump", "-h", uki.string()});
  for (const char* s : {".osrel", ".cmdline", ".uname", ".initrd", ".linux"})
    CHECK(sections.out.find(s) != std::string::npos);
  const fs::path cmdline = scratch.path() / "cmdline";
  REQUIRE(RunCommand({"objcopy", "-O", "binary", "--only-section=.cmdline", uki.string(),
                      cmdline.string()}).exit_code == 0);
  CHECK(ReadText(cmdline) == "console=ttyS0,115200 root=LABEL=root rw rootwait rootfstype=ext4");

  // cairn inspect (libguestfs) reads the qcow2 disk back: GPT, the ESP's UKI,
  // the root's OS and as many installed dpkg packages as the build installed.
  auto inspect = Cairn({"inspect", "--json", qcow2.string()});
  INFO(Tail(inspect.err));
  REQUIRE(inspect.exit_code == 0);
  fs::path report = scratch.path() / "inspect.json";
  WriteText(report, inspect.out);
  CHECK(Jq(".table", report) == "gpt");
  CHECK(Jq("[.partitions[].filesystem.efi_binaries[]? | select(.uki) | .path] | .[0]", report) ==
        "/EFI/BOOT/BOOTX64.EFI");
  CHECK(Jq(".partitions[1].filesystem.label", report) == "root");
  CHECK_THAT(Jq(".partitions[1].filesystem.os.pretty_name", report),
             Catch::Contains("Debian GNU/Linux 12"));
  CHECK(Jq(".partitions[1].filesystem.os.dpkg | length", report) ==
        Jq(".archs[0].packages", result));

  // OVMF starts the UKI; the stub hands the kernel its initrd and command line.
  auto run = Cairn({"-v", "run", yaml.string(), "-o", out.string(), "--check", kMarker,
                    "--timeout", "300"});
  INFO(run.err.substr(run.err.size() > 4000 ? run.err.size() - 4000 : 0));
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("EFI stub: Loaded initrd") != std::string::npos);
}

}  // namespace cairn::e2e

namespace cairn::e2e {

TEST_CASE("an xfs root and a btrfs data partition, filled in the libguestfs appliance, boot",
          "[e2e][debian][boot][guestfs]") {
  // The demo image on a variant of qemu-x86_64 whose root is xfs, with a
  // btrfs data partition: the kernel-only filesystems cairn builds through
  // libguestfs, one appliance launch for both.
  ScratchDir scratch("e2e-boot-xfs", /*outside_project=*/true);
  const fs::path yaml = WriteX86Variant(
      scratch.path() / "project",
      Replaced(X86Board(), "{role: root, size: 2G, filesystem: ext4, label: root}",
               "{role: root, size: 1G, filesystem: xfs, label: root}\n"
               "    - {role: data, size: 200M, filesystem: btrfs, label: data}"));

  const fs::path out = scratch.path() / "out";
  auto build = Cairn({"build", yaml.string(), "--cache-dir", DebianCache().string(), "-o",
                      out.string(), "--offline"});
  INFO(Tail(build.err));
  REQUIRE(build.exit_code == 0);
  CHECK(build.err.find("warning: qemu-x86_64.img: xfs and btrfs partitions are filled by the "
                       "kernel") != std::string::npos);

  // blkid reads each filesystem at its partition's offset.
  const fs::path disk = out / "disk" / "qemu-x86_64.img";
  auto table = RunCommand({"sfdisk", "--json", disk.string()});
  fs::path table_json = scratch.path() / "table.json";
  WriteText(table_json, table.out);
  auto probe = [&](int index) {
    const uint64_t start =
        std::stoull(Jq(".partitiontable.partitions[" + std::to_string(index) + "].start",
                       table_json)) * 512;
    auto r = RunCommand({"blkid", "-p", "-O", std::to_string(start), "-o", "export",
                         disk.string()});
    INFO(Tail(r.err));
    return r.out;
  };
  const std::string root = probe(1);
  CHECK(root.find("TYPE=xfs\n") != std::string::npos);
  CHECK(root.find("LABEL=root\n") != std::string::npos);
  const std::string data = probe(2);
  CHECK(data.find("TYPE=btrfs\n") != std::string::npos);
  CHECK(data.find("LABEL=data\n") != std::string::npos);

  auto run = Cairn({"-v", "run", yaml.string(), "-o", out.string(), "--check", kMarker,
                    "--timeout", "300"});
  INFO(Tail(run.err));
  CHECK(run.exit_code == 0);
  CHECK(run.err.find(" rootfstype=xfs") != std::string::npos);
  CHECK(run.err.find("cairn-initramfs: switching to root LABEL=root") != std::string::npos);
}

}  // namespace cairn::e2e
