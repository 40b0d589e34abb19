// The resolver against apk-tools' own answers on real Alpine indexes
// (shared/fixtures/apk-real/expected-resolution).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cairn/apk/index_text.h"
#include "cairn/solve/apk_resolver.h"
#include "support/test_support.h"

namespace cairn::solve {
namespace {

namespace fs = std::filesystem;
using cairn::testing::RunCommand;
using cairn::testing::SharedFixtures;

const std::vector<apk::PackageInfo>& Index(const std::string& dir) {
  static std::map<std::string, std::vector<apk::PackageInfo>> cache;
  auto it = cache.find(dir);
  if (it != cache.end()) return it->second;
  auto path = SharedFixtures() / "apk-real/apko-testdata" / dir / "APKINDEX.tar.gz";
  auto r = RunCommand({"tar", "-xzOf", path.string(), "APKINDEX"});
  REQUIRE(r.exit_code == 0);
  auto pkgs = apk::ParseApkIndexText(r.out, dir);
  REQUIRE(pkgs.ok());
  return cache[dir] = std::move(pkgs).value();
}

struct Expected {
  std::string arch;
  std::vector<std::string> world;
  std::set<std::string> installs;  // "name version"
  std::string error;               // without "ERROR: "
};

Expected ReadExpected(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  Expected e;
  std::getline(in, line);
  std::istringstream words(line.substr(line.find("--arch")));
  std::string w;
  words >> w >> e.arch >> w;  // "--arch", ARCH, "<index>"
  while (words >> w) e.world.push_back(w);
  bool in_error = false;
  while (std::getline(in, line)) {
    if (line.rfind("ERROR: ", 0) == 0) {
      e.error = line.substr(7);
      in_error = true;
    } else if (in_error) {
      e.error += "\n" + line;
    } else if (line.find(") Installing ") != std::string::npos) {
      std::string rest = line.substr(line.find("Installing ") + 11);
      std::string name = rest.substr(0, rest.find(' '));
      std::string version = rest.substr(rest.find('(') + 1);
      version.pop_back();
      e.installs.insert(name + " " + version);
    }
  }
  return e;
}

TEST_CASE("apk-tools' answers on real Alpine indexes", "[solve][apk]") {
  fs::path dir = SharedFixtures() / "apk-real/expected-resolution";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 8);
  for (const auto& file : files) {
    std::string stem = file.filename().string();
    INFO(stem);
    std::string index_dir = stem.rfind("v3.17-", 0) == 0 ? "alpine-v3.17-aarch64-index"
                                                         : "alpine-v3.16-x86_64-index";
    Expected e = ReadExpected(file);
    std::vector<ApkRepository> repos{{"https://example/main", "", Index(index_dir)}};
    ApkResolveRequest req;
    req.arch = e.arch;
    for (const auto& atom : e.world) req.world.push_back(*apk::Dependency::Parse(atom));
    auto start = std::chrono::steady_clock::now();
    auto res = ResolveApk(repos, req);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start).count();
    CHECK(ms < 1000);
    if (!e.error.empty()) {
      REQUIRE_FALSE(res.ok());
      CHECK(res.error().code() == Code::kUnsatisfiable);
      CHECK(res.error().message() == e.error);
      continue;
    }
    INFO((res ? "" : res.error().message()));
    REQUIRE(res.ok());
    std::set<std::string> got;
    for (const auto* p : res->install_order) got.insert(p->name + " " + p->version);
    CHECK(got == e.installs);
    // Dependencies come before their dependents.
    std::map<std::string, size_t> pos;
    for (size_t i = 0; i < res->install_order.size(); ++i) pos[res->install_order[i]->name] = i;
    CHECK(pos.size() == res->install_order.size());
  }
}

TEST_CASE("install order puts dependencies first on a real index", "[solve][apk]") {
  std::vector<ApkRepository> repos{{"main", "", Index("alpine-v3.16-x86_64-index")}};
  ApkResolveRequest req;
  req.arch = "x86_64";
  req.world = {*apk::Dependency::Parse("alpine-base")};
  auto res = ResolveApk(repos, req);
  REQUIRE(res.ok());
  std::map<std::string, size_t> pos;
  for (size_t i = 0; i < res->install_order.size(); ++i) pos[res->install_order[i]->name] = i;
  // Every dependency is installed before the package that needs it.
  for (size_t i = 0; i < res->install_order.size(); ++i) {
    for (const auto& d : res->install_order[i]->depends) {
      if (d.conflict) continue;
      for (size_t j = 0; j < res->install_order.size(); ++j) {
        const auto* q = res->install_order[j];
        bool provides = q->name == d.name;
        for (const auto& pr : q->provides) provides |= pr.name == d.name;
        if (provides) {
          INFO(res->install_order[i]->name << " needs " << d.Format());
          CHECK(j < i);
        }
      }
    }
  }
  CHECK(pos["musl"] < pos["busybox"]);
  CHECK(pos["libcrypto1.1"] < pos["libssl1.1"]);
  CHECK(pos["libssl1.1"] < pos["apk-tools"]);
  CHECK(pos["alpine-baselayout-data"] < pos["alpine-baselayout"]);
}

TEST_CASE("world sources label world atoms in failures", "[solve][apk]") {
  std::vector<ApkRepository> repos{{"main", "", Index("alpine-v3.16-x86_64-index")}};
  ApkResolveRequest req;
  req.arch = "x86_64";
  req.world = {*apk::Dependency::Parse("busybox"), *apk::Dependency::Parse("does-not-exist")};
  req.world_sources = {"images/x.yaml:4:7", "images/x.yaml:5:7"};
  auto res = ResolveApk(repos, req);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().message() ==
        "unable to select packages:\n"
        "  does-not-exist (no such package):\n"
        "    required by: world[does-not-exist] (images/x.yaml:5:7)");
}

TEST_CASE("wrong-arch indexes offer nothing", "[solve][apk]") {
  std::vector<ApkRepository> repos{{"main", "", Index("alpine-v3.16-x86_64-index")}};
  ApkResolveRequest req;
  req.arch = "aarch64";
  req.world = {*apk::Dependency::Parse("musl")};
  auto res = ResolveApk(repos, req);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().message() ==
        "unable to select packages:\n  musl (no such package):\n    required by: world[musl]");
}

}  // namespace
}  // namespace cairn::solve

namespace cairn::solve {
namespace {

TEST_CASE("a large world on a 5000-package index resolves quickly", "[solve][apk]") {
  const auto& pkgs = Index("alpine-v3.17-aarch64-index");
  std::vector<ApkRepository> repos{{"main", "", pkgs}};
  ApkResolveRequest req;
  req.arch = "aarch64";
  // Every 20th package that is not a -doc/-dev/-dbg subpackage.
  for (size_t i = 0; i < pkgs.size(); i += 20) {
    const std::string& n = pkgs[i].name;
    if (n.find("-doc") != std::string::npos || n.find("-dev") != std::string::npos ||
        n.find("-dbg") != std::string::npos) {
      continue;
    }
    req.world.push_back(*apk::Dependency::Parse(n));
  }
  auto start = std::chrono::steady_clock::now();
  auto res = ResolveApk(repos, req);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start).count();
  INFO(req.world.size() << " atoms, " << ms << " ms, "
       << (res ? std::to_string(res->install_order.size()) + " packages" : res.error().message()));
  CHECK(ms < 1000);
  CHECK(res.ok());

  // With a second repository offering an older build of everything, every
  // name is a choice; an impossible atom must still fail fast, not try every
  // combination.
  std::vector<apk::PackageInfo> older = pkgs;
  for (auto& p : older) {
    p.version += "_pre1";
    p.checksum += "old";
  }
  repos.push_back(ApkRepository{"old", "", older});
  req.world.push_back(*apk::Dependency::Parse("so:libnothing.so.1"));
  start = std::chrono::steady_clock::now();
  auto bad = ResolveApk(repos, req);
  ms = std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now() - start).count();
  INFO(ms << " ms");
  CHECK(ms < 1000);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() ==
        "unable to select packages:\n"
        "  so:libnothing.so.1 (no such package):\n"
        "    required by: world[so:libnothing.so.1]");

  // Same for a dead end deep below the world.
  req.world.pop_back();
  apk::PackageInfo broken;
  broken.name = "broken-app";
  broken.version = "1";
  broken.depends = {*apk::Dependency::Parse("zlib"), *apk::Dependency::Parse("so:libnothing.so.1")};
  repos.push_back(ApkRepository{"extra", "", {broken}});
  req.world.push_back(*apk::Dependency::Parse("broken-app"));
  start = std::chrono::steady_clock::now();
  auto deep = ResolveApk(repos, req);
  ms = std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now() - start).count();
  INFO(ms << " ms");
  CHECK(ms < 1000);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message() ==
        "unable to select packages:\n"
        "  so:libnothing.so.1 (no such package):\n"
        "    required by: broken-app-1[so:libnothing.so.1]");
}

}  // namespace
}  // namespace cairn::solve
