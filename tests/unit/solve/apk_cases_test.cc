// Text-fixture solver cases (tests/unit/solve/cases/*.test), after apk-tools'
// test/solver/*.test. Each file has:
//   @arch ARCH                 (optional, default x86_64; records without A: match any)
//   @repo [tag=TAG]            followed by APKINDEX records
//   @world ATOM...             the request
//   @pin NAME=VERSION          (repeatable) lock pins
//   @expect NAME-VER...        the installed set, any order
//   @order NAME-VER...         the exact install order
//   @error                     followed by the exact failure text
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "cairn/apk/index_text.h"
#include "cairn/file_util.h"
#include "cairn/solve/apk_resolver.h"

namespace cairn::solve {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::vector<ApkRepository> repos;
  ApkResolveRequest request;
  std::vector<std::string> expect;
  bool has_expect = false;
  std::vector<std::string> order;
  bool has_order = false;
  std::string error;
  bool has_error = false;
};

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Case Load(const fs::path& path) {
  auto text = ReadFile(path);
  REQUIRE(text.ok());
  Case c;
  c.request.arch = "x86_64";
  std::istringstream in(*text);
  std::string line, section, body;
  std::vector<std::string> repo_texts;
  auto flush = [&]() {
    if (section == "repo") {
      auto pkgs = apk::ParseApkIndexText(body, path.filename().string());
      INFO((pkgs ? "" : pkgs.error().message()));
      REQUIRE(pkgs.ok());
      c.repos.back().packages = std::move(pkgs).value();
    } else if (section == "error") {
      while (!body.empty() && body.back() == '\n') body.pop_back();
      c.error = body;
    }
    body.clear();
  };
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0 && section != "error") continue;
    if (line.rfind("@", 0) != 0) {
      body += line + "\n";
      continue;
    }
    flush();
    auto words = Words(line.substr(1));
    section = words.empty() ? "" : words[0];
    std::vector<std::string> args(words.begin() + (words.empty() ? 0 : 1), words.end());
    if (section == "repo") {
      ApkRepository repo;
      repo.url = "repo" + std::to_string(c.repos.size());
      for (const auto& a : args) {
        if (a.rfind("tag=", 0) == 0) repo.tag = a.substr(4);
      }
      c.repos.push_back(repo);
    } else if (section == "arch") {
      c.request.arch = args.at(0);
    } else if (section == "world") {
      for (const auto& a : args) {
        auto d = apk::Dependency::Parse(a);
        REQUIRE(d.ok());
        c.request.world.push_back(*d);
      }
    } else if (section == "pin") {
      std::string a = args.at(0);
      c.request.pinned[a.substr(0, a.find('='))] = a.substr(a.find('=') + 1);
    } else if (section == "expect") {
      c.expect = args;
      c.has_expect = true;
    } else if (section == "order") {
      c.order = args;
      c.has_order = true;
    } else if (section == "error") {
      c.has_error = true;
    } else {
      FAIL("unknown section @" << section);
    }
  }
  flush();
  return c;
}

TEST_CASE("solver text cases", "[solve][apk][cases]") {
  fs::path dir = fs::path(CAIRN_SOURCE_DIR) / "tests/unit/solve/cases";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".test") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 15);
  for (const auto& file : files) {
    INFO(file.filename().string());
    Case c = Load(file);
    REQUIRE((c.has_error || c.has_expect || c.has_order));
    auto res = ResolveApk(c.repos, c.request);
    if (c.has_error) {
      REQUIRE_FALSE(res.ok());
      CHECK(res.error().code() == Code::kUnsatisfiable);
      CHECK(res.error().message() == c.error);
      continue;
    }
    INFO((res ? "" : res.error().message()));
    REQUIRE(res.ok());
    std::vector<std::string> got;
    for (const auto* p : res->install_order) got.push_back(p->name + "-" + p->version);
    if (c.has_order) CHECK(got == c.order);
    if (c.has_expect) {
      CHECK(std::set<std::string>(got.begin(), got.end()) ==
            std::set<std::string>(c.expect.begin(), c.expect.end()));
    }
    // Same answer twice: resolution is deterministic.
    auto again = ResolveApk(c.repos, c.request);
    REQUIRE(again.ok());
    CHECK(again->install_order == res->install_order);
  }
}

}  // namespace
}  // namespace cairn::solve
