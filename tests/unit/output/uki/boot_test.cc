// Boots UKIs built by WriteUki the way firmware finds them: as
// EFI/BOOT/BOOTX64.EFI (OVMF, q35) or EFI/BOOT/BOOTAA64.EFI (AAVMF, virt) on
// a GPT disk's FAT ESP, no boot loader. The initramfs (made with GNU cpio,
// not cairn) prints a marker with /proc/cmdline and powers off, so the
// marker proves the stub found the kernel, the initrd and the command line.
// The disk is made with sfdisk, mkfs.vfat and mtools. Each boot takes about
// 10-20 s under TCG; QEMU is killed (with its process group) after 90 s.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "cairn/file_util.h"
#include "cairn/subprocess.h"
#include "cairn/uki/uki.h"
#include "support/test_support.h"
#include "uki_inputs.h"

namespace cairn::uki {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// /init: a console on the devtmpfs, then the marker line, then power-off
// (QEMU exits 0 on q35 and virt).
constexpr const char* kInit = R"(#!/bin/busybox sh
/bin/busybox mkdir -p /dev /proc
/bin/busybox mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox mount -t proc proc /proc
echo "CAIRN-UKI-MARKER arch=$(/bin/busybox uname -m) kernel=$(/bin/busybox uname -r) cmdline=[$(/bin/busybox cat /proc/cmdline)]"
/bin/busybox poweroff -f
)";

void Run(const std::vector<std::string>& argv, const fs::path& cwd = {}) {
  auto r = testing::RunCommand(argv, {}, cwd);
  INFO(ShellJoin(argv) << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
}

// An uncompressed newc cpio of /init and /bin/busybox, by GNU cpio.
fs::path MakeInitramfs(const fs::path& dir, const std::string& busybox) {
  const fs::path stage = dir / "initramfs";
  REQUIRE(MakeDirs(stage / "bin").ok());
  REQUIRE(WriteFileAtomic(stage / "init", kInit, 0755).ok());
  REQUIRE(WriteFileAtomic(stage / "bin/busybox", busybox, 0755).ok());
  const fs::path cpio = dir / "initrd.cpio";
  Run({"sh", "-c",
       "find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible > " +
           ShellQuote(cpio.string())},
      stage);
  return cpio;
}

// A 70 MiB GPT disk whose 64 MiB ESP holds only `uki` as EFI/BOOT/<boot_name>.
fs::path MakeEsp(const fs::path& dir, const fs::path& uki, const std::string& boot_name) {
  const fs::path disk = dir / "disk.img";
  Run({"truncate", "-s", "70M", disk.string()});
  auto table =
      RunProcess({.argv = {"sfdisk", "-q", disk.string()},
                  .stdin_data = "label: gpt\nstart=1MiB, size=64MiB, "
                                "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=\"ESP\"\n"});
  REQUIRE(table.ok());
  INFO(table->stderr_data);
  REQUIRE(table->ok());
  Run({"mkfs.vfat", "-F", "32", "-n", "ESP", "--offset=2048", disk.string(), "65536"});
  const std::string esp = disk.string() + "@@1M";
  Run({"mmd", "-i", esp, "::/EFI", "::/EFI/BOOT"});
  Run({"mcopy", "-i", esp, uki.string(), "::/EFI/BOOT/" + boot_name});
  return disk;
}

struct Boot {
  std::string console;
  double seconds = 0;
  bool exited_ok = false;
};

Boot RunQemu(const std::vector<std::string>& argv) {
  ProcessOptions opts{.argv = argv};
  opts.timeout = std::chrono::seconds(90);
  const auto start = Clock::now();
  auto r = RunProcess(opts);
  Boot b;
  b.seconds = Since(start);
  INFO(ShellJoin(argv));
  REQUIRE(r.ok());
  b.console = r->stdout_data + r->stderr_data;
  b.exited_ok = r->ok();
  if (!b.exited_ok) WARN(FailedProcessError(opts, *r).Render());
  return b;
}

struct Machine {
  std::string arch;
  std::string qemu;
  std::string console;    // kernel console device
  std::string boot_name;  // removable-media loader name
};

void BootUki(const Machine& m) {
  const auto* in = testing_inputs::ForArch(m.arch);
  if (!in) return;
  for (const auto& tool : {m.qemu, std::string("mkfs.vfat"), std::string("mcopy"),
                           std::string("sfdisk"), std::string("cpio")})
    if (!FindProgram(tool)) {
      initramfs::testing_inputs::Missing(tool);
      return;
    }
  testing::ScratchDir dir("uki-boot-" + m.arch);
  const fs::path initrd = MakeInitramfs(dir.path(), in->busybox);

  const std::string cmdline = "console=" + m.console + " panic=-1 cairn.test=uki-" + m.arch;
  UkiInputs inputs{.stub = in->stub,
                   .kernel = in->kernel,
                   .initrd = *ReadFile(initrd),
                   .cmdline = cmdline,
                   .os_release = "ID=cairn\nNAME=cairn\nVERSION_ID=1\n"};
  const fs::path uki = dir.path() / "uki.efi";
  auto start = Clock::now();
  auto plan = WriteUki(inputs, uki, {.arch = m.arch});
  const double build_s = Since(start);
  INFO((plan.ok() ? "" : plan.error().Render()));
  REQUIRE(plan.ok());
  start = Clock::now();
  const fs::path disk = MakeEsp(dir.path(), uki, m.boot_name);
  const double disk_s = Since(start);

  std::vector<std::string> argv = {m.qemu,       "-accel",     "tcg",  "-m",   "512",
                                   "-nographic", "-no-reboot", "-nic", "none", "-snapshot"};
  if (m.arch == "x86_64") {
    argv.insert(argv.end(), {"-M", "q35", "-bios", "/usr/share/ovmf/OVMF.fd"});
  } else {
    // AAVMF needs its variable store as a second flash device, of the code's size.
    const fs::path vars = dir.path() / "AAVMF_VARS.fd";
    fs::copy_file("/usr/share/AAVMF/AAVMF_VARS.fd", vars);
    argv.insert(argv.end(), {"-M", "virt", "-cpu", "cortex-a57", "-drive",
                             "if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd",
                             "-drive", "if=pflash,format=raw,file=" + vars.string()});
  }
  argv.insert(argv.end(), {"-drive", "file=" + disk.string() + ",format=raw,if=virtio"});
  Boot b = RunQemu(argv);
  INFO("console:\n" << b.console);
  CHECK(b.exited_ok);
  const std::string marker = fmt::format("CAIRN-UKI-MARKER arch={} kernel={} cmdline=[{}]", m.arch,
                                         in->kernel_version, cmdline);
  CHECK(b.console.find(marker) != std::string::npos);
  WARN(
      fmt::format("timing: {} UKI build {:.2f} s, ESP disk {:.2f} s, firmware boot to the marker "
                  "{:.1f} s",
                  m.arch, build_s, disk_s, b.seconds));
}

TEST_CASE("an x86_64 UKI boots from the ESP under OVMF with its cmdline and initrd",
          "[uki][boot]") {
  BootUki({"x86_64", "qemu-system-x86_64", "ttyS0", "BOOTX64.EFI"});
}

TEST_CASE("an aarch64 UKI boots from the ESP under AAVMF with its cmdline and initrd",
          "[uki][boot]") {
  BootUki({"aarch64", "qemu-system-aarch64", "ttyAMA0", "BOOTAA64.EFI"});
}

}  // namespace
}  // namespace cairn::uki
