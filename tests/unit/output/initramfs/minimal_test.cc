#include "cairn/initramfs/minimal.h"

#include <catch2/catch.hpp>
#include <cstring>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/subprocess.h"
#include "support/test_support.h"

namespace cairn::initramfs {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using testing::RunCommand;

constexpr const char* kKver = "6.1.0-test";

// A minimal ELF64 x86-64 executable image: header plus program headers
// (PT_LOAD, and PT_INTERP naming `interp` when given). Never run, only inspected.
std::string Elf(const std::string& interp = "") {
  std::string b(64, '\0');
  std::memcpy(b.data(), "\x7f" "ELF\x02\x01\x01", 7);
  auto put = [&](size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  const int phnum = interp.empty() ? 1 : 2;
  put(16, 2, 2);       // ET_EXEC
  put(18, 62, 2);      // EM_X86_64
  put(32, 64, 8);      // e_phoff
  put(52, 64, 2);      // e_ehsize
  put(54, 56, 2);      // e_phentsize
  put(56, phnum, 2);   // e_phnum
  b.resize(64 + 56 * phnum);
  put(64, 1, 4);       // PT_LOAD
  if (!interp.empty()) {
    size_t ph = 64 + 56;
    put(ph, 3, 4);                // PT_INTERP
    put(ph + 8, b.size(), 8);     // p_offset
    put(ph + 32, interp.size() + 1, 8);
    b += interp;
    b += '\0';
  }
  return b;
}

struct Image {
  testing::ScratchDir dir{"minimal"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};

  explicit Image(const std::string& busybox = Elf()) {
    REQUIRE(tree.AddSymlink("bin", "usr/bin").ok());
    REQUIRE(tree.AddSymlink("lib", "usr/lib").ok());
    REQUIRE(tree.AddFile("bin/busybox", busybox, 0755).ok());
    std::string m = std::string("lib/modules/") + kKver + "/";
    REQUIRE(tree.AddFile(m + "modules.dep",
                         "kernel/fs/overlayfs/overlay.ko:\n"
                         "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko\n"
                         "kernel/drivers/virtio/virtio.ko:\n")
                .ok());
    REQUIRE(tree.AddFile(m + "modules.builtin", "kernel/fs/ext4/ext4.ko\n").ok());
    for (const char* ko : {"kernel/fs/overlayfs/overlay.ko", "kernel/drivers/block/virtio_blk.ko",
                           "kernel/drivers/virtio/virtio.ko"})
      REQUIRE(tree.AddFile(m + ko, std::string("module ") + ko).ok());
  }
};

MinimalInitramfsSpec Spec() {
  MinimalInitramfsSpec spec;
  spec.kernel_version = kKver;
  spec.modules = {"virtio-blk", "ext4", "overlay"};
  spec.on_failure = OnFailure::kPoweroff;
  spec.epoch = 1700000000;
  return spec;
}

TEST_CASE("BuildMinimalInitramfs lays out busybox, modules and /init", "[initramfs][minimal]") {
  Image image;
  auto store = rootfs::ContentStore::Create(image.dir.path());
  REQUIRE(store.ok());
  rootfs::Tree out(**store);
  auto modules = BuildMinimalInitramfs(image.tree, Spec(), out);
  INFO((modules.ok() ? "" : modules.error().Render()));
  REQUIRE(modules.ok());
  CHECK(modules->builtin == std::vector<std::string>{"ext4"});
  REQUIRE(modules->load_order.size() == 3);

  std::vector<std::string> listing;
  for (const auto& [path, node] : out.nodes())
    listing.push_back(fmt::format("{} {} {:o} {}", path, rootfs::FileTypeName(node.meta.type),
                                  node.meta.mode, node.meta.mtime));
  CHECK(listing == std::vector<std::string>{
                       "bin directory 755 1700000000",
                       "bin/busybox regular file 755 1700000000",
                       "bin/sh symlink 777 1700000000",
                       "dev directory 755 1700000000",
                       "dev/console character device 600 1700000000",
                       "init regular file 755 1700000000",
                       "lib directory 755 1700000000",
                       "lib/modules directory 755 1700000000",
                       "lib/modules/6.1.0-test directory 755 1700000000",
                       "lib/modules/6.1.0-test/kernel directory 755 1700000000",
                       "lib/modules/6.1.0-test/kernel/drivers directory 755 1700000000",
                       "lib/modules/6.1.0-test/kernel/drivers/block directory 755 1700000000",
                       "lib/modules/6.1.0-test/kernel/drivers/block/virtio_blk.ko regular file "
                       "644 1700000000",
                       "lib/modules/6.1.0-test/kernel/drivers/virtio directory 755 1700000000",
                       "lib/modules/6.1.0-test/kernel/drivers/virtio/virtio.ko regular file 644 "
                       "1700000000",
                       "lib/modules/6.1.0-test/kernel/fs directory 755 1700000000",
                       "lib/modules/6.1.0-test/kernel/fs/overlayfs directory 755 1700000000",
                       "lib/modules/6.1.0-test/kernel/fs/overlayfs/overlay.ko regular file 644 "
                       "1700000000",
                       "newroot directory 755 1700000000",
                       "proc directory 755 1700000000",
                       "run directory 755 1700000000",
                       "sys directory 755 1700000000",
                       "tmp directory 755 1700000000"});
  CHECK(out.Find("bin/sh")->meta.link_target == "busybox");
  CHECK(out.Find("dev/console")->meta.dev_major == 5);
  CHECK(*out.ReadFile("bin/busybox") == Elf());
  CHECK(*out.ReadFile("lib/modules/6.1.0-test/kernel/drivers/virtio/virtio.ko") ==
        "module kernel/drivers/virtio/virtio.ko");

  // The modules load in closure order, by absolute path.
  std::string init = *out.ReadFile("init");
  size_t a = init.find("\nload /lib/modules/6.1.0-test/kernel/drivers/virtio/virtio.ko\n");
  size_t b = init.find("\nload /lib/modules/6.1.0-test/kernel/drivers/block/virtio_blk.ko\n");
  size_t c = init.find("\nload /lib/modules/6.1.0-test/kernel/fs/overlayfs/overlay.ko\n");
  CHECK(a != std::string::npos);
  CHECK(a < b);
  CHECK(b < c);
  CHECK(c != std::string::npos);
  CHECK(init.find("\nWAIT=10\nINIT=/sbin/init\n") != std::string::npos);
  CHECK(init.find("/bin/busybox poweroff -f") != std::string::npos);
}

TEST_CASE("the generated /init is valid POSIX shell in both failure modes",
          "[initramfs][minimal]") {
  testing::ScratchDir dir("init-script");
  for (OnFailure mode : {OnFailure::kPoweroff, OnFailure::kShell}) {
    MinimalInitramfsSpec spec = Spec();
    spec.on_failure = mode;
    spec.init = "/lib/systemd/systemd";
    spec.root_wait_seconds = 30;
    std::string script = InitScript(spec, {"/lib/modules/x/a b.ko", "/lib/modules/x/c.ko"});
    CHECK(script.rfind("#!/bin/sh\n", 0) == 0);
    CHECK(script.find("\nload '/lib/modules/x/a b.ko'\nload /lib/modules/x/c.ko\n") !=
          std::string::npos);
    CHECK(script.find("\nWAIT=30\nINIT=/lib/systemd/systemd\n") != std::string::npos);
    CHECK((script.find("starting a shell") != std::string::npos) ==
          (mode == OnFailure::kShell));
    fs::path file = dir.path() / "init";
    REQUIRE(WriteFileAtomic(file, script, 0755).ok());
    auto dash = RunCommand({"sh", "-n", file.string()});
    INFO(dash.err);
    CHECK(dash.exit_code == 0);
  }
  CHECK(InitScript(Spec(), {}).find("load") == std::string::npos);
}

TEST_CASE("WriteMinimalInitramfs is a reproducible gzip newc cpio", "[initramfs][minimal]") {
  Image image;
  fs::path one = image.dir.path() / "one.img";
  fs::path two = image.dir.path() / "two.img";
  REQUIRE(WriteMinimalInitramfs(image.tree, Spec(), image.dir.path(), one).ok());
  REQUIRE(WriteMinimalInitramfs(image.tree, Spec(), image.dir.path(), two).ok());
  CHECK(Sha256Hex(*ReadFile(one)) == Sha256Hex(*ReadFile(two)));
  auto list = RunCommand({"sh", "-c", "gzip -dc " + one.string() + " | cpio -it --quiet"});
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.rfind(".\nbin\nbin/busybox\nbin/sh\ndev\ndev/console\ninit\nlib\n", 0) == 0);
}

TEST_CASE("BuildMinimalInitramfs rejects a busybox that cannot run there",
          "[initramfs][minimal]") {
  auto build = [](const Image& image, MinimalInitramfsSpec spec) {
    auto store = rootfs::ContentStore::Create(image.dir.path());
    REQUIRE(store.ok());
    rootfs::Tree out(**store);
    auto r = BuildMinimalInitramfs(image.tree, spec, out);
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  Image dynamic(Elf("/lib64/ld-linux-x86-64.so.2"));
  Error dyn = build(dynamic, Spec());
  CHECK(dyn.code() == Code::kConfig);
  CHECK(dyn.Render() ==
        "'bin/busybox' is dynamically linked (it needs '/lib64/ld-linux-x86-64.so.2'), but an "
        "initramfs has no shared libraries\n"
        "hint: use a static busybox, e.g. Debian's 'busybox-static' package");

  Image script("#!/bin/sh\n");
  CHECK(build(script, Spec()).message() == "'bin/busybox' is not an ELF executable");

  Image image;
  MinimalInitramfsSpec missing = Spec();
  missing.busybox = "usr/sbin/busybox";
  Error nf = build(image, missing);
  CHECK(nf.code() == Code::kNotFound);
  CHECK(nf.Render() ==
        "'usr/sbin/busybox' is not in the image; the initramfs runs a static busybox\n"
        "hint: install the 'busybox-static' package (Debian) in the image");

  MinimalInitramfsSpec no_kernel = Spec();
  no_kernel.kernel_version.clear();
  CHECK(build(image, no_kernel).message() == "the initramfs modules need a kernel version");
  MinimalInitramfsSpec wait = Spec();
  wait.root_wait_seconds = 0;
  CHECK(build(image, wait).code() == Code::kUsage);
  MinimalInitramfsSpec bad_module = Spec();
  bad_module.modules.push_back("zfs");
  CHECK(build(image, bad_module).message() ==
        "kernel module 'zfs' is neither a module nor built into kernel '6.1.0-test'");
}

}  // namespace
}  // namespace cairn::initramfs
