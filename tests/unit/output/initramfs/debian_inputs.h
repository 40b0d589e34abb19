// Test inputs from real Debian packages (header-only: tests/CMakeLists.txt
// compiles *_test.cc files only): the bookworm cloud-amd64 kernel and
// busybox-static, unpacked once per test process.
//
// Where the .debs are looked for, first hit wins:
//   $CAIRN_TEST_KERNEL_DEB / $CAIRN_TEST_BUSYBOX_DEB (a .deb file),
//   <build>/test-cache/debian/deb/pool and <source>/build/test-cache/debian/deb/pool
//   (cairn's package cache: files named by digest, so the control field decides),
//   $CAIRN_TEST_DEB_DIR (any directory of .debs).
// A test that needs one calls Kernel()/Busybox() and skips with a WARN when
// it is absent, unless CAIRN_REQUIRE_BOOT_INPUTS=1, where absence fails.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/rootfs/tree.h"
#include "support/test_support.h"

namespace cairn::initramfs::testing_inputs {

namespace fs = std::filesystem;

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

inline std::string DebField(const fs::path& deb, const std::string& field) {
  auto r = cairn::testing::RunCommand({"dpkg-deb", "-f", deb.string(), field});
  return r.exit_code == 0 ? Trim(r.out) : std::string();
}

// The first amd64 .deb of at least `min_size` bytes whose Package field
// `accept`s, in the places above ($`env` first).
template <typename Accept>
std::optional<fs::path> FindDeb(const char* env, Accept accept, uintmax_t min_size) {
  if (const char* p = std::getenv(env); p && *p) {
    if (fs::exists(p)) return fs::path(p);
    return std::nullopt;
  }
  std::vector<fs::path> dirs = {fs::path(CAIRN_BINARY_DIR) / "test-cache/debian/deb/pool",
                                fs::path(CAIRN_SOURCE_DIR) / "build/test-cache/debian/deb/pool"};
  if (const char* d = std::getenv("CAIRN_TEST_DEB_DIR"); d && *d) dirs.emplace_back(d);
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> debs;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".deb" && e.file_size(ec) >= min_size) debs.push_back(e.path());
    std::sort(debs.begin(), debs.end());
    for (const auto& deb : debs)
      if (accept(DebField(deb, "Package")) && DebField(deb, "Architecture") == "amd64") return deb;
  }
  return std::nullopt;
}

// A .deb unpacked with dpkg-deb -x into a directory that lives until exit.
struct Unpacked {
  fs::path deb;
  std::unique_ptr<cairn::testing::ScratchDir> dir;
  fs::path root() const { return dir->path(); }
};

inline std::optional<Unpacked> Unpack(const fs::path& deb, const std::string& name) {
  Unpacked u{deb, std::make_unique<cairn::testing::ScratchDir>(name)};
  auto r = cairn::testing::RunCommand({"dpkg-deb", "-x", deb.string(), u.root().string()});
  if (r.exit_code != 0) {
    FAIL("dpkg-deb -x " << deb << ": " << r.err);
    return std::nullopt;
  }
  return u;
}

inline void Missing(const std::string& what) {
  if (const char* req = std::getenv("CAIRN_REQUIRE_BOOT_INPUTS"); req && std::string(req) == "1")
    FAIL(what << " is missing and CAIRN_REQUIRE_BOOT_INPUTS=1");
  else
    WARN("SKIPPED: " << what << " is missing");
}

// The unpacked cloud-amd64 kernel with modules.dep (depmod -b), or null.
struct KernelInputs {
  Unpacked unpacked;
  std::string version;  // "6.1.0-57-cloud-amd64"
  fs::path vmlinuz;
};

inline const KernelInputs* Kernel() {
  static std::optional<KernelInputs> kernel;
  static bool tried = false;
  if (tried) return kernel ? &*kernel : nullptr;
  tried = true;
  // The kernel .deb is ~25 MB; smaller files are not even opened.
  auto deb = FindDeb(
      "CAIRN_TEST_KERNEL_DEB",
      [](const std::string& pkg) {
        const std::string suffix = "-cloud-amd64";
        return pkg.rfind("linux-image-", 0) == 0 && pkg.size() > suffix.size() &&
               pkg.compare(pkg.size() - suffix.size(), suffix.size(), suffix) == 0;
      },
      5u << 20);
  if (!deb) {
    Missing("the Debian linux-image-*-cloud-amd64 .deb (set CAIRN_TEST_KERNEL_DEB)");
    return nullptr;
  }
  auto unpacked = Unpack(*deb, "kernel-deb");
  if (!unpacked) return nullptr;
  fs::path modules = unpacked->root() / "lib/modules";
  std::string version;
  for (const auto& e : fs::directory_iterator(modules)) version = e.path().filename().string();
  if (version.empty()) {
    FAIL(*deb << " has no lib/modules/<version>");
    return nullptr;
  }
  // The .deb ships no modules.dep: its postinst runs depmod, and so do we.
  auto dep = cairn::testing::RunCommand({"depmod", "-b", unpacked->root().string(), version});
  if (dep.exit_code != 0) {
    FAIL("depmod: " << dep.err);
    return nullptr;
  }
  fs::path vmlinuz = unpacked->root() / "boot" / ("vmlinuz-" + version);
  kernel = KernelInputs{std::move(*unpacked), version, vmlinuz};
  return &*kernel;
}

inline const Unpacked* Busybox() {
  static std::optional<Unpacked> busybox;
  static bool tried = false;
  if (tried) return busybox ? &*busybox : nullptr;
  tried = true;
  auto deb = FindDeb(
      "CAIRN_TEST_BUSYBOX_DEB", [](const std::string& pkg) { return pkg == "busybox-static"; },
      100u << 10);
  if (!deb) {
    Missing("the Debian busybox-static amd64 .deb (set CAIRN_TEST_BUSYBOX_DEB)");
    return nullptr;
  }
  busybox = Unpack(*deb, "busybox-deb");
  return busybox ? &*busybox : nullptr;
}

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Adds the host directory `dir` below tree path `at` ("" = root): files with
// their content and permission bits, symlinks, directories; owners root.
inline void AddHostDir(rootfs::Tree& tree, const fs::path& dir, const std::string& at) {
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir)) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::string rel = fs::relative(p, dir).string();
    std::string path = at.empty() ? rel : at + "/" + rel;
    struct stat st;
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    Status added;
    if (S_ISDIR(st.st_mode))
      added = tree.AddDirectory(path, st.st_mode & 07777);
    else if (S_ISLNK(st.st_mode))
      added = tree.AddSymlink(path, fs::read_symlink(p).string());
    else if (S_ISREG(st.st_mode))
      added = tree.AddFile(path, Slurp(p), st.st_mode & 07777);
    INFO(path);
    REQUIRE(added.ok());
  }
}

}  // namespace cairn::initramfs::testing_inputs
