// Boots the generated initramfs under QEMU (TCG) with Debian's cloud-amd64
// kernel: ext4 root, squashfs root with a tmpfs overlay, an ext4 root found
// by its GPT partition name, and a missing root.
// Needs the kernel and busybox-static .debs (see debian_inputs.h) and
// qemu-system-x86_64; each boot takes about 5-10 s.
#include <catch2/catch.hpp>
#include <chrono>

#include <fmt/format.h>

#include "cairn/file_util.h"
#include "cairn/initramfs/minimal.h"
#include "cairn/squashfs/squashfs.h"
#include "cairn/subprocess.h"
#include "debian_inputs.h"
#include "support/test_support.h"

namespace cairn::initramfs {
namespace {

namespace fs = std::filesystem;
namespace inputs = testing_inputs;
using Clock = std::chrono::steady_clock;

constexpr int64_t kEpoch = 1700000000;

// The real root's /sbin/init: reports how / is mounted and whether it is writable.
constexpr const char* kRootInit = R"(#!/bin/busybox sh
b=/bin/busybox
if $b touch /cairn-rw-probe 2>/dev/null; then rw=rw; else rw=ro; fi
echo "CAIRN-ROOT-MARKER $($b awk '$2=="/"{print $1":"$3}' /proc/mounts | $b tail -1):$rw pid=$$"
$b poweroff -f
)";

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct BootResult {
  std::string console;
  double seconds = 0;
  bool ok = false;  // exited 0 (power-off), not killed
};

BootResult Boot(const fs::path& vmlinuz, const fs::path& initrd, const fs::path& disk,
                const std::string& append) {
  ProcessOptions opts;
  opts.argv = {"qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-nographic", "-no-reboot",
               "-nic", "none", "-snapshot", "-kernel", vmlinuz.string(), "-initrd",
               initrd.string(), "-append", "console=ttyS0 panic=-1 " + append, "-drive",
               "file=" + disk.string() + ",format=raw,if=virtio"};
  opts.timeout = std::chrono::seconds(60);
  auto start = Clock::now();
  auto r = RunProcess(opts);
  BootResult out;
  out.seconds = Since(start);
  if (!r.ok()) {
    FAIL(r.error().Render());
    return out;
  }
  out.console = r->stdout_data + r->stderr_data;
  out.ok = r->ok();
  if (!out.ok) WARN(FailedProcessError(opts, *r).Render());
  return out;
}

TEST_CASE("the minimal initramfs boots Debian's cloud kernel into ext4 and squashfs roots",
          "[initramfs][boot]") {
  const inputs::KernelInputs* kernel = inputs::Kernel();
  const inputs::Unpacked* busybox = inputs::Busybox();
  if (!kernel || !busybox) return;
  if (!FindProgram("qemu-system-x86_64")) {
    inputs::Missing("qemu-system-x86_64 (Debian package qemu-system-x86)");
    return;
  }
  testing::ScratchDir dir("boot");
  const fs::path busybox_bin = busybox->root() / "bin/busybox";

  // The image: usr-merged, with the kernel's modules and busybox-static.
  auto store = rootfs::ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  rootfs::Tree image(**store);
  REQUIRE(image.AddSymlink("bin", "usr/bin").ok());
  REQUIRE(image.AddSymlink("lib", "usr/lib").ok());
  inputs::AddHostDir(image, kernel->unpacked.root() / "lib/modules", "lib/modules");
  REQUIRE(image.AddFile("bin/busybox", inputs::Slurp(busybox_bin), 0755).ok());

  MinimalInitramfsSpec spec;
  spec.kernel_version = kernel->version;
  spec.modules = {"virtio_pci", "virtio_blk", "ext4", "squashfs", "overlay"};
  spec.on_failure = OnFailure::kPoweroff;
  spec.epoch = kEpoch;
  fs::path initrd = dir.path() / "initrd.img";
  auto start = Clock::now();
  auto modules = WriteMinimalInitramfs(image, spec, dir.path(), initrd);
  double build_s = Since(start);
  INFO((modules.ok() ? "" : modules.error().Render()));
  REQUIRE(modules.ok());
  CHECK(modules->builtin == std::vector<std::string>{"ext4"});

  // The root, twice: as an ext4 image from a directory, and as squashfs from a tree.
  fs::path stage = dir.path() / "root";
  for (const char* d : {"bin", "sbin", "dev", "proc", "sys"}) REQUIRE(MakeDirs(stage / d).ok());
  fs::copy_file(busybox_bin, stage / "bin/busybox");
  REQUIRE(WriteFileAtomic(stage / "sbin/init", kRootInit, 0755).ok());
  fs::path ext4 = dir.path() / "root.ext4";
  auto mke2fs = testing::RunCommand({"mke2fs", "-q", "-t", "ext4", "-d", stage.string(), "-E",
                                     "root_owner=0:0", ext4.string(), "16M"});
  INFO(mke2fs.err);
  REQUIRE(mke2fs.exit_code == 0);

  rootfs::Tree root(**store);
  for (const char* d : {"dev", "proc", "sys"}) REQUIRE(root.AddDirectory(d).ok());
  REQUIRE(root.AddFile("bin/busybox", inputs::Slurp(busybox_bin), 0755).ok());
  REQUIRE(root.AddFile("sbin/init", kRootInit, 0755).ok());
  fs::path sqfs = dir.path() / "root.squashfs";
  REQUIRE(squashfs::WriteSquashfs(root, sqfs, {.epoch = kEpoch, .compressor = "zstd"}).ok());

  BootResult e = Boot(kernel->vmlinuz, initrd, ext4, "root=/dev/vda rootfstype=ext4");
  INFO("ext4 boot console:\n" << e.console);
  CHECK(e.ok);
  CHECK(e.console.find("cairn-initramfs: switching to root /dev/vda, init /sbin/init") !=
        std::string::npos);
  CHECK(e.console.find("CAIRN-ROOT-MARKER /dev/vda:ext4:ro pid=1") != std::string::npos);

  BootResult s = Boot(kernel->vmlinuz, initrd, sqfs,
                      "root=/dev/vda rootfstype=squashfs cairn.overlay=tmpfs");
  INFO("squashfs boot console:\n" << s.console);
  CHECK(s.ok);
  CHECK(s.console.find("CAIRN-ROOT-MARKER cairn-root:overlay:rw pid=1") != std::string::npos);

  // The ext4 root as the second partition of a GPT disk, found by its
  // partition name (the first partition has a name that only starts alike).
  fs::path gpt = dir.path() / "gpt.img";
  REQUIRE(testing::RunCommand({"truncate", "-s", "24M", gpt.string()}).exit_code == 0);
  auto sfdisk = testing::RunCommand(
      {"sh", "-c", "printf 'label: gpt\nstart=2048, size=2048, name=sysroot-old\n"
                   "start=4096, size=32768, name=sysroot\n' | sfdisk -q " + gpt.string()});
  INFO(sfdisk.err);
  REQUIRE(sfdisk.exit_code == 0);
  REQUIRE(testing::RunCommand({"dd", "if=" + ext4.string(), "of=" + gpt.string(), "bs=1M",
                               "seek=2", "conv=notrunc", "status=none"})
              .exit_code == 0);
  BootResult p = Boot(kernel->vmlinuz, initrd, gpt, "root=PARTLABEL=sysroot rootfstype=ext4");
  INFO("PARTLABEL boot console:\n" << p.console);
  CHECK(p.ok);
  CHECK(p.console.find("CAIRN-ROOT-MARKER /dev/vda2:ext4:ro pid=1") != std::string::npos);

  BootResult f = Boot(kernel->vmlinuz, initrd, ext4, "root=/dev/vdz cairn.rootwait=2");
  INFO("missing-root boot console:\n" << f.console);
  CHECK(f.ok);
  CHECK(f.console.find("cairn-initramfs: waiting for root device /dev/vdz") != std::string::npos);
  CHECK(f.console.find("cairn-initramfs: root device /dev/vdz did not appear within 2 s\r\n"
                       "cairn-initramfs: powering off") != std::string::npos);
  CHECK(f.console.find("CAIRN-ROOT-MARKER") == std::string::npos);

  WARN(fmt::format("timing: initramfs build {:.2f} s ({} bytes, {} modules); boots: ext4 {:.1f} s, "
                   "squashfs+overlay {:.1f} s, missing root {:.1f} s",
                   build_s, fs::file_size(initrd), modules->load_order.size(), e.seconds,
                   s.seconds, f.seconds));
}

}  // namespace
}  // namespace cairn::initramfs
