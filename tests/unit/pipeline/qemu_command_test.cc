// `cairn run`'s QEMU command lines for the shipped boards: TCG, the board's
// machine, firmware and memory, the disk as virtio, a fresh AAVMF variable
// store, and with --check no network at all.
#include <catch2/catch.hpp>

#include <algorithm>

#include "cairn/config/loader.h"
#include "cairn/run.h"

namespace cairn {
namespace {

config::Board Shipped(const std::string& name) {
  auto b = config::LoadBoard(std::filesystem::path(CAIRN_SOURCE_DIR) / "boards" / (name + ".yaml"));
  REQUIRE(b.ok());
  return std::move(*b);
}

bool Has(const std::vector<std::string>& argv, std::vector<std::string> run) {
  return std::search(argv.begin(), argv.end(), run.begin(), run.end()) != argv.end();
}

TEST_CASE("qemu-x86_64 boots with OVMF, its disk on virtio", "[pipeline][run]") {
  auto argv = QemuCommand(Shipped("qemu-x86_64"), {.disk = "/d/disk.img"}, "tcg", true);
  REQUIRE(argv.ok());
  CHECK(argv->front() == "qemu-system-x86_64");
  CHECK(Has(*argv, {"-accel", "tcg", "-M", "q35", "-cpu", "qemu64", "-m", "1G"}));
  CHECK(Has(*argv, {"-nographic", "-no-reboot", "-snapshot"}));
  CHECK(Has(*argv, {"-bios", "/usr/share/ovmf/OVMF.fd"}));
  CHECK(Has(*argv, {"-drive", "file=/d/disk.img,format=raw,if=virtio"}));
  // Headless (--check): the board's user-mode NIC is dropped, no network at all.
  CHECK(Has(*argv, {"-nic", "none"}));
  CHECK(std::count(argv->begin(), argv->end(), "-nic") == 1);

  auto interactive = QemuCommand(Shipped("qemu-x86_64"), {.disk = "/d/disk.img"}, "kvm", false);
  REQUIRE(interactive.ok());
  CHECK(Has(*interactive, {"-accel", "kvm"}));
  CHECK(Has(*interactive, {"-nic", "user,model=virtio-net-pci"}));
}

TEST_CASE("qemu-aarch64 boots AAVMF from flash with a writable variable store",
          "[pipeline][run]") {
  auto argv = QemuCommand(Shipped("qemu-aarch64"), {.disk = "/d/disk.img", .vars = "/t/vars.fd"}, "tcg", true);
  REQUIRE(argv.ok());
  CHECK(argv->front() == "qemu-system-aarch64");
  CHECK(Has(*argv, {"-M", "virt", "-cpu", "cortex-a57"}));
  CHECK(Has(*argv, {"-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd",
                    "-drive", "if=pflash,format=raw,file=/t/vars.fd"}));
}

TEST_CASE("U-Boot boards start the u-boot.bin read from the disk", "[pipeline][run]") {
  auto virt = QemuCommand(Shipped("qemu-aarch64-uboot"),
                          {.disk = "/d/disk.img", .uboot = "/t/u-boot.bin"}, "tcg", true);
  REQUIRE(virt.ok());
  CHECK(Has(*virt, {"-M", "virt", "-cpu", "cortex-a57"}));
  CHECK(Has(*virt, {"-bios", "/t/u-boot.bin"}));
  CHECK(Has(*virt, {"-drive", "file=/d/disk.img,format=raw,if=virtio"}));
  CHECK(std::count(virt->begin(), virt->end(), "-serial") == 0);

  // raspi3b: U-Boot as the kernel (the GPU firmware cannot run), the SD card
  // an overlay, the console on the second UART (the board sends the first to null).
  auto rpi3 = QemuCommand(Shipped("rpi3"),
                          {.disk = "/t/sd.qcow2", .disk_format = "qcow2", .uboot = "/t/u-boot.bin",
                           .dtb = "/t/bcm2837-rpi-3-b.dtb"},
                          "tcg", true);
  REQUIRE(rpi3.ok());
  CHECK(Has(*rpi3, {"-M", "raspi3b", "-m", "1G"}));
  CHECK(Has(*rpi3, {"-kernel", "/t/u-boot.bin", "-dtb", "/t/bcm2837-rpi-3-b.dtb"}));
  CHECK(Has(*rpi3, {"-drive", "file=/t/sd.qcow2,format=qcow2,if=sd"}));
  CHECK(Has(*rpi3, {"-serial", "null", "-serial", "mon:stdio"}));
  CHECK(std::count(rpi3->begin(), rpi3->end(), "-bios") == 0);
}

TEST_CASE("boards QEMU cannot boot are refused with the reason", "[pipeline][run]") {
  auto rpi4 = QemuCommand(Shipped("rpi4"), {.disk = "/d/disk.img"}, "tcg", true);
  REQUIRE(!rpi4.ok());
  CHECK(rpi4.error().code() == Code::kConfig);
  CHECK_THAT(rpi4.error().message(), Catch::Contains("has no qemu settings"));
  config::Board pi = Shipped("rpi3");
  pi.qemu.firmware.value = "none";
  auto no_uboot = QemuCommand(pi, {.disk = "/d/disk.img"}, "tcg", true);
  REQUIRE(!no_uboot.ok());
  CHECK_THAT(no_uboot.error().message(), Catch::Contains("GPU firmware"));
}

}  // namespace
}  // namespace cairn
