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
  auto argv = QemuCommand(Shipped("qemu-x86_64"), "/d/disk.img", "/t/vars.fd", "tcg", true);
  REQUIRE(argv.ok());
  CHECK(argv->front() == "qemu-system-x86_64");
  CHECK(Has(*argv, {"-accel", "tcg", "-M", "q35", "-cpu", "qemu64", "-m", "1G"}));
  CHECK(Has(*argv, {"-nographic", "-no-reboot", "-snapshot"}));
  CHECK(Has(*argv, {"-bios", "/usr/share/ovmf/OVMF.fd"}));
  CHECK(Has(*argv, {"-drive", "file=/d/disk.img,format=raw,if=virtio"}));
  // Headless (--check): the board's user-mode NIC is dropped, no network at all.
  CHECK(Has(*argv, {"-nic", "none"}));
  CHECK(std::count(argv->begin(), argv->end(), "-nic") == 1);

  auto interactive = QemuCommand(Shipped("qemu-x86_64"), "/d/disk.img", "", "kvm", false);
  REQUIRE(interactive.ok());
  CHECK(Has(*interactive, {"-accel", "kvm"}));
  CHECK(Has(*interactive, {"-nic", "user,model=virtio-net-pci"}));
}

TEST_CASE("qemu-aarch64 boots AAVMF from flash with a writable variable store",
          "[pipeline][run]") {
  auto argv = QemuCommand(Shipped("qemu-aarch64"), "/d/disk.img", "/t/vars.fd", "tcg", true);
  REQUIRE(argv.ok());
  CHECK(argv->front() == "qemu-system-aarch64");
  CHECK(Has(*argv, {"-M", "virt", "-cpu", "cortex-a57"}));
  CHECK(Has(*argv, {"-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd",
                    "-drive", "if=pflash,format=raw,file=/t/vars.fd"}));
}

TEST_CASE("boards QEMU cannot boot yet are refused with the reason", "[pipeline][run]") {
  auto rpi3 = QemuCommand(Shipped("rpi3"), "/d/disk.img", "", "tcg", true);
  REQUIRE(!rpi3.ok());
  CHECK(rpi3.error().code() == Code::kConfig);
  CHECK_THAT(rpi3.error().message(), Catch::Contains("raspi3b"));
  auto rpi4 = QemuCommand(Shipped("rpi4"), "/d/disk.img", "", "tcg", true);
  REQUIRE(!rpi4.ok());
  CHECK_THAT(rpi4.error().message(), Catch::Contains("has no qemu settings"));
}

}  // namespace
}  // namespace cairn
