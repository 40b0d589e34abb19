// Stacked resolution with a toy solver: each layer adds only what is new, a
// lower layer's packages are pinned, and a layer that needs to change one is
// refused with both layers named.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "pipeline/stack_resolve.h"

namespace cairn::pipeline {
namespace {

// A universe where each name has versions (highest last) and dependencies;
// a request "name=version" demands that version.
struct ToySolver {
  std::map<std::string, std::vector<std::string>> versions;
  std::map<std::string, std::vector<std::string>> deps;
  int calls = 0;

  Result<std::vector<lock::LockedPackage>> operator()(
      const std::vector<config::LString>& requests, const std::vector<lock::LockedPackage>& pinned) {
    ++calls;
    std::map<std::string, std::string> want;
    for (const auto& p : pinned) want[p.name] = p.version;
    std::vector<lock::LockedPackage> out;
    std::set<std::string> done;
    std::function<Status(const std::string&, std::string)> add = [&](const std::string& name,
                                                                   std::string version) -> Status {
      if (!versions.count(name)) return NotFoundError("no package '" + name + "'");
      if (auto it = want.find(name); it != want.end()) {
        if (!version.empty() && version != it->second)
          return Error(Code::kUnsatisfiable, name + "=" + version + " conflicts with " + name +
                                                 "=" + it->second);
        version = it->second;
      }
      if (version.empty()) version = versions[name].back();
      want[name] = version;
      if (!done.insert(name).second) return {};
      for (const auto& d : deps[name]) CAIRN_TRY(add(d, ""));
      out.push_back({name, version, "x86_64", "u/" + name, "", 1, "", "r", ""});
      return {};
    };
    // Exact requests first, so "libc" and "libc=1" together choose 1.
    for (bool exact : {true, false}) {
      for (const auto& r : requests) {
        auto eq = r.value.find('=');
        if ((eq != std::string::npos) != exact) continue;
        CAIRN_TRY(add(r.value.substr(0, eq), exact ? r.value.substr(eq + 1) : ""));
      }
    }
    for (const auto& p : pinned) CAIRN_TRY(add(p.name, p.version));
    return out;
  }
};

config::LString L(std::string v, int line) { return {std::move(v), {"img.yaml", line, 3}}; }

std::vector<std::string> Names(const lock::LockedLayer& l) {
  std::vector<std::string> out;
  for (const auto& p : l.packages) out.push_back(p.name + "-" + p.version);
  return out;
}

TEST_CASE("each layer gets exactly the packages it adds", "[pipeline][stack]") {
  ToySolver toy;
  toy.versions = {{"libc", {"1"}}, {"busybox", {"1"}}, {"ssl", {"3"}}, {"ssh", {"9"}},
                  {"curl", {"8"}}};
  toy.deps = {{"busybox", {"libc"}}, {"ssh", {"ssl", "libc"}}, {"curl", {"ssl"}}};
  std::vector<LayerRequests> layers = {{"core", {"img.yaml", 2, 3}, {L("busybox", 2)}},
                                       {"ssh", {"img.yaml", 3, 3}, {L("ssh", 3)}},
                                       {"files-only", {"img.yaml", 4, 3}, {}},
                                       {"app", {"img.yaml", 5, 3}, {L("curl", 5), L("busybox", 5)}}};
  auto res = ResolveStack(layers, std::ref(toy));
  REQUIRE(res.ok());
  REQUIRE(res->size() == 4);
  CHECK(Names((*res)[0]) == std::vector<std::string>{"libc-1", "busybox-1"});
  CHECK(Names((*res)[1]) == std::vector<std::string>{"ssl-3", "ssh-9"});
  CHECK((*res)[2].packages.empty());
  CHECK((*res)[2].name == "files-only");
  CHECK(Names((*res)[3]) == std::vector<std::string>{"curl-8"});
  CHECK(toy.calls == 3);  // the files-only layer is not solved
}

TEST_CASE("a layer that would change a lower package names both layers", "[pipeline][stack]") {
  ToySolver toy;
  toy.versions = {{"libc", {"1", "2"}}, {"app", {"1"}}};
  std::vector<LayerRequests> layers = {{"core", {"layers/core.yaml", 1, 1}, {L("libc", 2)}},
                                       {"app", {"img.yaml", 7, 5}, {L("libc=1", 8)}}};
  auto res = ResolveStack(layers, std::ref(toy));
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code() == Code::kUnsatisfiable);
  CHECK(res.error().message() ==
        "layer 'app' (img.yaml:7:5) needs 'libc' 1, but layer 'core' (layers/core.yaml:1:1) "
        "installed 'libc' 2");
}

TEST_CASE("a solver failure unrelated to lower layers keeps its own explanation",
          "[pipeline][stack]") {
  ToySolver toy;
  toy.versions = {{"libc", {"1"}}};
  std::vector<LayerRequests> layers = {{"core", {"c.yaml", 1, 1}, {L("libc", 2)}},
                                       {"app", {"img.yaml", 7, 5}, {L("nosuch", 8)}}};
  auto res = ResolveStack(layers, std::ref(toy));
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code() == Code::kNotFound);
  CHECK(res.error().Render().find("resolving layer 'app' (img.yaml:7:5) on the layers below it") !=
        std::string::npos);
  CHECK(res.error().Render().find("no package 'nosuch'") != std::string::npos);
}

}  // namespace
}  // namespace cairn::pipeline
