// RunDepmod: the host's depmod (kmod) on a copy of the tree's module
// directory; modules here are tiny relocatable objects built with gcc that
// carry what depmod reads (an exported symbol in __ksymtab_strings, an
// undefined one, a .modinfo alias).
#include <catch2/catch.hpp>

#include <fstream>

#include "cairn/effects/depmod.h"
#include "cairn/file_util.h"
#include "support/test_support.h"

namespace cairn::effects {
namespace {
namespace fs = std::filesystem;

std::string CompileModule(const testing::ScratchDir& dir, const std::string& name,
                          const std::string& source) {
  fs::path c = dir.path() / (name + ".c");
  fs::path o = dir.path() / (name + ".ko");
  std::ofstream(c) << source;
  auto r = testing::RunCommand({"gcc", "-c", "-O2", c.string(), "-o", o.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto bytes = ReadFile(o);
  REQUIRE(bytes.ok());
  return *bytes;
}

TEST_CASE("depmod data is made for each kernel with modules, through merged /usr",
          "[effects][deb][depmod]") {
  testing::ScratchDir dir("depmod");
  std::string mod_a = CompileModule(dir, "modA",
                                    "int foo_fn(void) { return 1; }\n"
                                    "static const char k[] __attribute__((used, "
                                    "section(\"__ksymtab_strings\"), aligned(1))) = \"foo_fn\";\n"
                                    "static const char a[] __attribute__((used, "
                                    "section(\".modinfo\"), aligned(1))) = "
                                    "\"alias=pci:v00001AF4d00001000sv*sd*bc*sc*i*\";\n");
  std::string mod_b = CompileModule(dir, "modB",
                                    "extern int foo_fn(void);\n"
                                    "int bar(void) { return foo_fn(); }\n");
  auto store = rootfs::ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  rootfs::Tree tree(**store);
  REQUIRE(tree.AddDirectory("usr/lib").ok());
  REQUIRE(tree.AddSymlink("lib", "usr/lib").ok());
  const std::string v = "6.1.0-test-amd64";
  rootfs::FsEntry a{"lib/modules/" + v + "/kernel/drivers/modA.ko"};
  a.size = mod_a.size();
  size_t pos = 0;
  rootfs::ContentReader ra = [&](char* buf, size_t cap) -> Result<size_t> {
    size_t n = std::min(cap, mod_a.size() - pos);
    std::copy_n(mod_a.data() + pos, n, buf);
    pos += n;
    return n;
  };
  REQUIRE(tree.Add(a, &ra, /*owner=*/0).ok());
  REQUIRE(tree.AddFile("lib/modules/" + v + "/kernel/drivers/modB.ko", mod_b).ok());
  REQUIRE(tree.AddFile("lib/modules/" + v + "/modules.order", "kernel/drivers/modA.ko\n").ok());
  tree.FindMutable("usr/lib/modules/" + v + "/modules.order")->owner = 0;  // shipped
  REQUIRE(tree.AddDirectory("lib/modules/5.10.0-empty").ok());

  CHECK(KernelVersionsWithModules(tree) == std::vector<std::string>{v});
  std::vector<std::string> log;
  Status st = RunDepmod(tree, dir.path() / "scratch", 1700000000, &log);
  INFO((st.ok() ? "" : st.error().Render()));
  REQUIRE(st.ok());
  const std::string base = "usr/lib/modules/" + v + "/";
  auto dep = tree.ReadFile(base + "modules.dep");
  REQUIRE(dep.ok());
  CHECK(*dep == "kernel/drivers/modA.ko:\nkernel/drivers/modB.ko: kernel/drivers/modA.ko\n");
  auto alias = tree.ReadFile(base + "modules.alias");
  REQUIRE(alias.ok());
  CHECK(alias->find("alias pci:v00001AF4d00001000sv*sd*bc*sc*i* modA\n") != std::string::npos);
  auto symbols = tree.ReadFile(base + "modules.symbols");
  REQUIRE(symbols.ok());
  CHECK(symbols->find("alias symbol:foo_fn modA\n") != std::string::npos);
  for (const char* bin : {"modules.dep.bin", "modules.alias.bin", "modules.symbols.bin"}) {
    const rootfs::Node* n = tree.Find(base + bin);
    REQUIRE(n != nullptr);
    CHECK(n->meta.mode == 0644);
    CHECK(n->meta.mtime == 1700000000);
    CHECK(n->owner == -1);
  }
  // The package's own modules.order is kept; the empty kernel gets nothing.
  CHECK(*tree.ReadFile(base + "modules.order") == "kernel/drivers/modA.ko\n");
  CHECK(tree.Find("usr/lib/modules/5.10.0-empty/modules.dep") == nullptr);
  CHECK(log == std::vector<std::string>{"depmod: 10 index files for kernel " + v});
  CHECK_FALSE(fs::exists(dir.path() / "scratch"));
}

TEST_CASE("no modules, no depmod", "[effects][deb][depmod]") {
  testing::ScratchDir dir("depmod-none");
  auto store = rootfs::ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  rootfs::Tree tree(**store);
  REQUIRE(tree.AddFile("etc/motd", "hi\n").ok());
  std::vector<std::string> log;
  REQUIRE(RunDepmod(tree, dir.path() / "scratch", 0, &log).ok());
  CHECK(log.empty());
  CHECK(tree.nodes().size() == 2);
}

}  // namespace
}  // namespace cairn::effects
