#include "cairn/initramfs/modules.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "debian_inputs.h"
#include "support/test_support.h"

namespace cairn::initramfs {
namespace {

namespace fs = std::filesystem;
namespace inputs = testing_inputs;

constexpr const char* kKver = "6.1.0-test";

// A usr-merged image (lib -> usr/lib) with a small, hand-written depmod output.
struct SyntheticKernel {
  testing::ScratchDir dir{"modules"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  std::string mdir = std::string("usr/lib/modules/") + kKver;

  SyntheticKernel() {
    REQUIRE(tree.AddSymlink("lib", "usr/lib").ok());
    File("modules.dep",
         "kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz "
         "kernel/fs/jbd2/jbd2.ko.xz\n"
         "kernel/fs/jbd2/jbd2.ko.xz:\n"
         "kernel/fs/mbcache.ko.xz:\n"
         "kernel/lib/crc16.ko.xz:\n"
         "kernel/crypto/crc32c_generic.ko.xz:\n"
         "kernel/drivers/virtio/virtio_pci.ko.xz: "
         "kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz "
         "kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz kernel/drivers/virtio/virtio.ko.xz "
         "kernel/drivers/virtio/virtio_ring.ko.xz\n"
         "kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz:\n"
         "kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz:\n"
         "kernel/drivers/virtio/virtio.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz\n"
         "kernel/drivers/virtio/virtio_ring.ko.xz:\n"
         "kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko.xz "
         "kernel/drivers/virtio/virtio_ring.ko.xz\n"
         "kernel/fs/loop_a.ko.xz: kernel/fs/loop_b.ko.xz\n"
         "kernel/fs/loop_b.ko.xz: kernel/fs/loop_a.ko.xz\n"
         "kernel/fs/ghost.ko.xz:\n");
    File("modules.builtin", "kernel/fs/squashfs/squashfs.ko\nkernel/drivers/block/virtio_blk.ko\n");
    // Words before pre:/post: mean nothing (depmod copies malformed softdeps).
    File("modules.softdep",
         "# Soft dependencies extracted from modules themselves.\n"
         "softdep ext4 pre: crc32c\n"
         "softdep virtio_pci junk post: no_such_module\n");
    File("modules.alias", "alias crc32c crc32c_generic\nalias fs-ext4 ext4\n"
                          "alias virtio:d00000004v* virtio_rng\n");
    for (const char* ko :
         {"kernel/fs/ext4/ext4.ko.xz", "kernel/fs/jbd2/jbd2.ko.xz", "kernel/fs/mbcache.ko.xz",
          "kernel/lib/crc16.ko.xz", "kernel/crypto/crc32c_generic.ko.xz",
          "kernel/drivers/virtio/virtio_pci.ko.xz",
          "kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz",
          "kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz", "kernel/drivers/virtio/virtio.ko.xz",
          "kernel/drivers/virtio/virtio_ring.ko.xz",
          "kernel/drivers/char/hw_random/virtio-rng.ko.xz", "kernel/fs/loop_a.ko.xz",
          "kernel/fs/loop_b.ko.xz"})
      File(ko, "ko");
  }
  void File(const std::string& rel, const std::string& content) {
    // Added through the lib -> usr/lib link, as a package would.
    REQUIRE(tree.AddFile(std::string("lib/modules/") + kKver + "/" + rel, content).ok());
  }
};

std::vector<std::string> Names(const ModuleSet& set) {
  std::vector<std::string> out;
  for (const auto& m : set.load_order) out.push_back(m.name);
  return out;
}

TEST_CASE("ModuleName treats - and _ alike and drops .ko suffixes", "[initramfs][modules]") {
  CHECK(ModuleName("virtio-blk") == "virtio_blk");
  CHECK(ModuleName("virtio_blk.ko") == "virtio_blk");
  CHECK(ModuleName("kernel/drivers/char/hw_random/virtio-rng.ko.xz") == "virtio_rng");
  CHECK(ModuleName("zram.ko.zst") == "zram");
  CHECK(ModuleName("a.ko.gz") == "a");
  CHECK(ModuleName("ext4") == "ext4");
}

TEST_CASE("ModuleClosure orders dependencies first, through usr-merge", "[initramfs][modules]") {
  SyntheticKernel k;
  auto set = ModuleClosure(k.tree, kKver, {"virtio_pci", "virtio-rng.ko", "squashfs", "ext4"});
  INFO((set.ok() ? "" : set.error().Render()));
  REQUIRE(set.ok());
  CHECK(set->kernel_version == kKver);
  CHECK(set->module_dir == k.mdir);
  // modprobe's order: a module's modules.dep list from its end; the ext4
  // pre: softdep (crc32c, an alias) before ext4's own dependencies.
  CHECK(Names(*set) == std::vector<std::string>{
                           "virtio_ring", "virtio", "virtio_pci_modern_dev",
                           "virtio_pci_legacy_dev", "virtio_pci", "virtio_rng",
                           "crc32c_generic", "jbd2", "mbcache", "crc16", "ext4"});
  CHECK(set->builtin == std::vector<std::string>{"squashfs"});
  const KernelModule& rng = set->load_order[5];
  CHECK(rng.dep_path == "kernel/drivers/char/hw_random/virtio-rng.ko.xz");
  CHECK(rng.tree_path == k.mdir + "/kernel/drivers/char/hw_random/virtio-rng.ko.xz");

  // Aliases name modules too; built-ins need nothing; repeats load once.
  auto alias = ModuleClosure(k.tree, kKver, {"fs-ext4", "virtio-blk", "ext4", "virtio_blk"});
  REQUIRE(alias.ok());
  CHECK(Names(*alias) ==
        std::vector<std::string>{"crc32c_generic", "jbd2", "mbcache", "crc16", "ext4"});
  CHECK(alias->builtin == std::vector<std::string>{"virtio_blk"});

  auto none = ModuleClosure(k.tree, kKver, {});
  REQUIRE(none.ok());
  CHECK(none->load_order.empty());
}

TEST_CASE("ModuleClosure errors name the module and the kernel", "[initramfs][modules]") {
  SyntheticKernel k;
  auto unknown = ModuleClosure(k.tree, kKver, {"virtio_blk", "nvme_fabrics"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code() == Code::kNotFound);
  CHECK(unknown.error().message() ==
        "kernel module 'nvme_fabrics' is neither a module nor built into kernel '6.1.0-test'");

  auto kernel = ModuleClosure(k.tree, "5.10.0-9-amd64", {"ext4"});
  REQUIRE_FALSE(kernel.ok());
  CHECK(kernel.error().code() == Code::kNotFound);
  CHECK(kernel.error().message() ==
        "kernel '5.10.0-9-amd64' has no module directory 'lib/modules/5.10.0-9-amd64' in the "
        "image (kernels there: 6.1.0-test)");

  auto cycle = ModuleClosure(k.tree, kKver, {"loop_a"});
  REQUIRE_FALSE(cycle.ok());
  CHECK(cycle.error().code() == Code::kIntegrity);
  CHECK(cycle.error().message() ==
        "kernel '6.1.0-test' has a module dependency cycle: loop_a -> loop_b -> loop_a");

  auto ghost = ModuleClosure(k.tree, kKver, {"ghost"});
  REQUIRE_FALSE(ghost.ok());
  CHECK(ghost.error().message() ==
        "kernel module 'ghost' ('kernel/fs/ghost.ko.xz' in modules.dep of kernel '6.1.0-test') "
        "is not in the image");

  CHECK(ModuleClosure(k.tree, "../etc", {}).error().code() == Code::kUsage);

  k.tree.Remove(k.mdir + "/modules.dep");
  auto nodep = ModuleClosure(k.tree, kKver, {"ext4"});
  REQUIRE_FALSE(nodep.ok());
  CHECK(nodep.error().Render() ==
        "kernel '6.1.0-test' has no 'lib/modules/6.1.0-test/modules.dep'\n"
        "hint: depmod writes it (the kernel package's postinst runs it)");
}

TEST_CASE("ModuleClosure on Debian's cloud-amd64 kernel matches modprobe", "[initramfs][modules]") {
  const inputs::KernelInputs* kernel = inputs::Kernel();
  if (!kernel) return;
  testing::ScratchDir dir("modules-real");
  auto store = rootfs::ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  rootfs::Tree tree(**store);
  REQUIRE(tree.AddSymlink("lib", "usr/lib").ok());
  auto start = std::chrono::steady_clock::now();
  inputs::AddHostDir(tree, kernel->unpacked.root() / "lib/modules", "lib/modules");
  auto loaded = std::chrono::steady_clock::now();

  const std::vector<std::string> wanted = {"virtio_pci", "virtio_blk", "ext4", "squashfs",
                                           "overlay", "erofs"};
  auto set = ModuleClosure(tree, kernel->version, wanted);
  auto done = std::chrono::steady_clock::now();
  INFO((set.ok() ? "" : set.error().Render()));
  REQUIRE(set.ok());
  WARN(fmt::format("timing: loading {} into a tree {:.2f} s, closure {:.3f} s",
                   kernel->version, std::chrono::duration<double>(loaded - start).count(),
                   std::chrono::duration<double>(done - loaded).count()));
  CHECK(set->module_dir == "usr/lib/modules/" + kernel->version);
  CHECK(set->builtin == std::vector<std::string>{"ext4"});  // EXT4_FS=y on the cloud kernel

  // kmod's own answer, module by module, first occurrence kept.
  std::vector<std::string> expected;
  std::set<std::string> seen;
  for (const auto& m : wanted) {
    auto r = testing::RunCommand({"modprobe", "-d", kernel->unpacked.root().string(), "-S",
                                  kernel->version, "--show-depends", m});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::string word, path;
    while (lines >> word) {
      if (word == "builtin") {
        lines >> path;
        continue;
      }
      REQUIRE(word == "insmod");
      lines >> path;
      std::string rel = path.substr(path.find("/kernel/") + 1);
      if (seen.insert(rel).second) expected.push_back(rel);
    }
  }
  std::vector<std::string> got;
  for (const auto& m : set->load_order) got.push_back(m.dep_path);
  CHECK(got == expected);
  CHECK(Names(*set) == std::vector<std::string>{"virtio_ring", "virtio", "virtio_pci_modern_dev",
                                                "virtio_pci_legacy_dev", "virtio_pci",
                                                "virtio_blk", "squashfs", "overlay",
                                                // libcrc32c's softdep pre: crc32c (an alias)
                                                "crc32c_intel", "libcrc32c", "erofs"});
}

}  // namespace
}  // namespace cairn::initramfs
