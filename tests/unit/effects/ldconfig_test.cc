#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cairn/effects/ldconfig.h"
#include "support/test_support.h"
#include "unit/effects/synthetic_elf.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;
using effects::testing::ElfSpec;
using effects::testing::MakeElf;

struct Fixture {
  cairn::testing::ScratchDir dir{"ldconfig"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  RecordingReporter reporter;

  void Lib(const std::string& path, const std::string& soname, uint16_t machine = 62,
           bool big = false) {
    ElfSpec spec;
    spec.soname = soname;
    spec.machine = machine;
    spec.big_endian = big;
    REQUIRE(tree.AddFile(path, MakeElf(spec), 0755).ok());
  }
  void File(const std::string& path, const std::string& text) {
    REQUIRE(tree.AddFile(path, text).ok());
  }
  void Link(const std::string& path, const std::string& target) {
    REQUIRE(tree.AddSymlink(path, target).ok());
  }
  std::string LinkTarget(const std::string& path) {
    const rootfs::Node* n = tree.Find(path);
    if (!n || n->meta.type != rootfs::FileType::kSymlink) return "<not a symlink>";
    return n->meta.link_target;
  }
  // "soname flags path" for every entry, in file order (little-endian caches).
  std::vector<std::string> Listing() {
    std::vector<std::string> out;
    auto bytes = tree.ReadFile("etc/ld.so.cache");
    REQUIRE(bytes.ok());
    const std::string& b = *bytes;
    auto u32 = [&](size_t at) {
      uint32_t v = 0;
      for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
      return v;
    };
    for (uint32_t i = 0; i < u32(20); ++i) {
      size_t e = 48 + 24 * i;
      out.push_back(fmt::format("{} {:#x} {}", b.c_str() + u32(e + 4), u32(e),
                                b.c_str() + u32(e + 8)));
    }
    return out;
  }
};

TEST_CASE("ldconfig does nothing without etc/ld.so.conf", "[effects][ldconfig]") {
  Fixture f;
  f.Lib("usr/lib/libz.so.1.3", "libz.so.1");
  REQUIRE(WriteLdSoCache(f.tree, 100, f.reporter).ok());
  CHECK(f.tree.Find("etc/ld.so.cache") == nullptr);
  CHECK(f.tree.Find("usr/lib/libz.so.1") == nullptr);
  CHECK(f.reporter.lines().empty());
}

TEST_CASE("ldconfig indexes configured and trusted directories and makes soname links",
          "[effects][ldconfig]") {
  Fixture f;
  f.Link("lib", "usr/lib");
  f.Link("lib64", "usr/lib");
  f.File("etc/ld.so.conf",
         "# comment line\n"
         "include /etc/ld.so.conf.d/*.conf\n"
         "  /opt/extra/  # trailing comment\n");
  f.File("etc/ld.so.conf.d/10-local.conf", "/usr/local/lib=libc6\n/does/not/exist\n");
  f.File("etc/ld.so.conf.d/.hidden.conf", "/opt/hidden\n");
  f.File("etc/ld.so.conf.d/20-local.txt", "/opt/txt\n");
  f.Lib("usr/lib/libc.so.6", "libc.so.6");
  f.Lib("usr/lib/libz.so.1.3.1", "libz.so.1");    // no soname link yet
  f.Link("usr/lib/libz.so", "libz.so.1.3.1");     // development link
  f.Lib("usr/lib/libcrypt.so.1.1.0", "libcrypt.so.1");
  f.Link("usr/lib/libcrypt.so.1", "libcrypt.so.1.1.0");  // already right
  f.Lib("usr/lib/libssl.so.3.0", "libssl.so.3");
  f.Link("usr/lib/libssl.so.3", "missing.so");            // dangling: replaced
  f.Lib("usr/lib/libold.so.2.0", "libold.so.2");
  f.Lib("usr/lib/libold.so.2.10", "libold.so.2");         // newer by number
  f.Lib("usr/lib/libnoname.so.5", "");
  f.File("usr/lib/libc.so", "/* GNU ld script */\nGROUP ( /usr/lib/libc.so.6 )\n");
  f.File("usr/lib/notalib.txt", "x");
  f.Lib("usr/local/lib/libz.so.1.2", "libz.so.1");        // shadowed in lookups by order
  f.Lib("opt/extra/libextra.so.7", "libextra.so.7");
  f.Lib("opt/hidden/libhidden.so.1", "libhidden.so.1");
  f.Lib("opt/txt/libtxt.so.1", "libtxt.so.1");
  f.Lib("usr/lib/libfoo.so.1", "libfoo.so.1", /*machine=*/183);  // aarch64 in an x86_64 root
  f.File("etc/apk/arch", "x86_64\n");

  REQUIRE(WriteLdSoCache(f.tree, 1700000000, f.reporter).ok());

  CHECK(f.Listing() == std::vector<std::string>{
                           "libz.so.1 0x303 /usr/local/lib/libz.so.1",
                           "libz.so.1 0x303 /lib/libz.so.1",
                           "libz.so 0x303 /lib/libz.so",
                           "libssl.so.3 0x303 /lib/libssl.so.3",
                           "libold.so.2 0x303 /lib/libold.so.2",
                           "libnoname.so.5 0x303 /lib/libnoname.so.5",
                           "libextra.so.7 0x303 /opt/extra/libextra.so.7",
                           "libcrypt.so.1 0x303 /lib/libcrypt.so.1",
                           "libc.so.6 0x303 /lib/libc.so.6",
                       });
  CHECK(f.LinkTarget("usr/lib/libz.so.1") == "libz.so.1.3.1");
  CHECK(f.LinkTarget("usr/lib/libcrypt.so.1") == "libcrypt.so.1.1.0");
  CHECK(f.LinkTarget("usr/lib/libssl.so.3") == "libssl.so.3.0");
  CHECK(f.LinkTarget("usr/lib/libold.so.2") == "libold.so.2.10");
  CHECK(f.LinkTarget("usr/local/lib/libz.so.1") == "libz.so.1.2");
  CHECK(f.tree.Find("usr/lib/libfoo.so.1")->meta.type == rootfs::FileType::kRegular);
  const rootfs::Node* created = f.tree.Find("usr/lib/libz.so.1");
  CHECK(created->meta.mtime == 1700000000);
  CHECK(created->owner == -1);
  const rootfs::Node* cache = f.tree.Find("etc/ld.so.cache");
  REQUIRE(cache);
  CHECK(cache->meta.mode == 0644);
  CHECK(cache->meta.uid == 0);
  CHECK(cache->meta.mtime == 1700000000);
  CHECK(f.reporter.lines() == std::vector<std::string>{
                                  "ldconfig: /usr/local/lib/libz.so.1 -> libz.so.1.2",
                                  "ldconfig: skipping '/lib/libc.so': file is too small to be "
                                  "a shared object",
                                  "ldconfig: skipping '/lib/libfoo.so.1': ELF machine 183 is "
                                  "not indexed",
                                  "ldconfig: removed stale link '/lib/libssl.so.3'",
                                  "ldconfig: /lib/libold.so.2 -> libold.so.2.10",
                                  "ldconfig: /lib/libssl.so.3 -> libssl.so.3.0",
                                  "ldconfig: /lib/libz.so.1 -> libz.so.1.3.1",
                                  "ldconfig: 9 libraries from 3 directories in etc/ld.so.cache",
                              });
}

TEST_CASE("ldconfig leaves a regular file at the soname alone and warns", "[effects][ldconfig]") {
  Fixture f;
  f.File("etc/ld.so.conf", "");
  f.Lib("usr/lib/libbar.so.2.0", "libbar.so.2");
  f.File("usr/lib/libbar.so.2", "not a link");
  REQUIRE(WriteLdSoCache(f.tree, 5, f.reporter).ok());
  CHECK(f.tree.Find("usr/lib/libbar.so.2")->meta.type == rootfs::FileType::kRegular);
  CHECK(f.Listing() == std::vector<std::string>{"libbar.so.2 0x303 /usr/lib/libbar.so.2"});
  auto lines = f.reporter.lines();
  CHECK(std::count(lines.begin(), lines.end(),
                   "warning: ldconfig: '/usr/lib/libbar.so.2' is not a symbolic link, so it was "
                   "not pointed at 'libbar.so.2.0'") == 1);
}

TEST_CASE("ldconfig writes a big-endian cache for big-endian libraries", "[effects][ldconfig]") {
  Fixture f;
  f.File("etc/ld.so.conf", "\n");
  f.Lib("lib/libc.so.6", "libc.so.6", 183, /*big=*/true);
  LdSoCacheOptions options;
  options.arch = "aarch64";
  REQUIRE(WriteLdSoCache(f.tree, 0, options, f.reporter).ok());
  auto bytes = f.tree.ReadFile("etc/ld.so.cache");
  REQUIRE(bytes.ok());
  CHECK((*bytes)[28] == 3);
  CHECK(bytes->substr(48, 4) == std::string("\0\0\x0a\x03", 4));
}

TEST_CASE("an ld.so.conf include loop is an error, not a hang", "[effects][ldconfig]") {
  Fixture f;
  f.File("etc/ld.so.conf", "include /etc/ld.so.conf\n");
  auto status = WriteLdSoCache(f.tree, 0, f.reporter);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == Code::kIntegrity);
  CHECK(status.error().message() ==
        "'/etc/ld.so.conf': ld.so.conf includes are nested more than 16 deep (an include loop?)");
}

// ----- Against glibc's own ldconfig, on real host libraries. -----

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes the tree's directories, files and symlinks below `root`.
void Materialize(const rootfs::Tree& tree, const fs::path& root) {
  for (const auto& [path, node] : tree.nodes()) {
    fs::path p = root / path;
    switch (node.meta.type) {
      case rootfs::FileType::kDirectory:
        fs::create_directories(p);
        break;
      case rootfs::FileType::kSymlink:
        fs::create_symlink(node.meta.link_target, p);
        break;
      case rootfs::FileType::kRegular: {
        std::ofstream out(p, std::ios::binary);
        out << tree.ReadFile(path).value();
        break;
      }
      default:
        break;
    }
  }
}

// Every symlink below root as "path -> target", sorted.
std::vector<std::string> Symlinks(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_symlink())
      out.push_back(fs::relative(e.path(), root).string() + " -> " +
                    fs::read_symlink(e.path()).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("ldconfig output matches glibc's ldconfig byte for byte on real libraries",
          "[effects][ldconfig]") {
  // The generator string the host's ldconfig writes, from its own cache.
  auto host = cairn::testing::RunCommand({"/sbin/ldconfig", "-p"});
  REQUIRE(host.exit_code == 0);
  const std::string marker = "Cache generated by: ";
  size_t at = host.out.find(marker);
  REQUIRE(at != std::string::npos);
  std::string generator = host.out.substr(at + marker.size());
  generator = generator.substr(0, generator.find('\n'));

  Fixture f;
  auto host_lib = [&](const std::string& key, const std::string& host_path) {
    REQUIRE(f.tree.AddFile(key, Slurp(host_path), 0755).ok());
  };
  // A usr-merged, Wolfi-like root.
  f.Link("lib", "usr/lib");
  f.Link("lib64", "usr/lib");
  f.File("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  f.File("etc/ld.so.conf.d/local.conf", "/usr/local/lib\n");
  host_lib("usr/lib/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6");
  host_lib("usr/lib/libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6");
  host_lib("usr/lib/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  host_lib("usr/lib/libz.so.1.2.13", "/lib/x86_64-linux-gnu/libz.so.1.2.13");
  f.Link("usr/lib/libz.so", "libz.so.1.2.13");
  host_lib("usr/lib/libcrypt.so.1.1.0", "/lib/x86_64-linux-gnu/libcrypt.so.1.1.0");
  f.Link("usr/lib/libcrypt.so.1", "libcrypt.so.1.1.0");
  host_lib("usr/lib/libstdc++.so.6.0.30", "/lib/x86_64-linux-gnu/libstdc++.so.6.0.30");
  f.Link("usr/lib/libstdc++.so.6", "libstdc++.so.5.0.0");  // stale
  f.Link("usr/lib/libgone.so.3", "libgone.so.3.0");       // dangling: removed
  f.Link("usr/lib/libgone.so", "libgone.so.3");            // dangling dev link: kept
  host_lib("usr/local/lib/libyaml-0.so.2.0.9", "/usr/lib/x86_64-linux-gnu/libyaml-0.so.2.0.9");
  host_lib("usr/local/lib/libz.so.1.2.13", "/lib/x86_64-linux-gnu/libz.so.1.2.13");
  f.File("usr/lib/libc.so", "/* GNU ld script */\nGROUP ( /lib/libc.so.6 )\n");
  REQUIRE(f.tree.AddDirectory("var/cache/ldconfig", 0700).ok());

  cairn::testing::ScratchDir scratch("ldconfig-host");
  const fs::path root = scratch.path() / "root";
  Materialize(f.tree, root);
  auto run = cairn::testing::RunCommand({"/sbin/ldconfig", "-r", root.string()});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);

  LdSoCacheOptions options;
  options.arch = "x86_64";
  options.generator = generator;
  REQUIRE(WriteLdSoCache(f.tree, 0, options, f.reporter).ok());
  const fs::path ours = scratch.path() / "ours";
  Materialize(f.tree, ours);

  std::string theirs_cache = Slurp(root / "etc/ld.so.cache");
  std::string ours_cache = f.tree.ReadFile("etc/ld.so.cache").value();
  auto listing = [](const fs::path& cache) {
    return cairn::testing::RunCommand({"/sbin/ldconfig", "-p", "-C", cache.string()}).out;
  };
  std::string theirs_list = listing(root / "etc/ld.so.cache");
  std::string ours_list = listing(ours / "etc/ld.so.cache");
  CHECK(ours_list.substr(ours_list.find('\n')) == theirs_list.substr(theirs_list.find('\n')));
  CHECK(ours_list.find("libz.so (libc6,x86-64) => /lib/libz.so") != std::string::npos);
  CHECK(ours_cache == theirs_cache);
  CHECK(Symlinks(ours) == Symlinks(root));
  CHECK(f.tree.Find("usr/lib/libgone.so.3") == nullptr);
  CHECK(f.tree.Find("usr/lib/libgone.so") != nullptr);
}

}  // namespace
}  // namespace cairn::effects
