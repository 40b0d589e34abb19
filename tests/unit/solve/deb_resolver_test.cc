// The Debian resolver on small synthetic universes, written as Packages
// stanzas. The stanzas are read by a small parser here (not repo/deb's), so
// these tests depend only on deb::Package's layout.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <sstream>

#include "cairn/solve/deb_resolver.h"

namespace cairn::solve {
namespace {

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\n"));
  s.erase(s.find_last_not_of(" \t\n") + 1);
  return s;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(Trim(part));
  return out;
}

// "a (>= 1) | b:any, c" -> RelationList.
deb::RelationList Relations(const std::string& text) {
  deb::RelationList out;
  for (const auto& group : Split(text, ',')) {
    deb::Alternatives alts;
    for (const auto& atom : Split(group, '|')) {
      deb::Relation r;
      std::string name = atom;
      if (auto paren = atom.find('('); paren != std::string::npos) {
        name = Trim(atom.substr(0, paren));
        std::string inner = atom.substr(paren + 1, atom.find(')') - paren - 1);
        auto words = Split(Trim(inner), ' ');
        static const std::map<std::string, deb::RelationOp> kOps = {
            {"<<", deb::RelationOp::kLess},      {"<=", deb::RelationOp::kLessEq},
            {"=", deb::RelationOp::kEqual},      {">=", deb::RelationOp::kGreaterEq},
            {">>", deb::RelationOp::kGreater}};
        r.op = kOps.at(words.front());
        r.version = words.back();
      }
      if (auto colon = name.find(':'); colon != std::string::npos) {
        r.arch_qualifier = name.substr(colon + 1);
        name = name.substr(0, colon);
      }
      r.name = name;
      alts.push_back(r);
    }
    out.push_back(alts);
  }
  return out;
}

// Stanzas separated by blank lines; Architecture defaults to amd64 and
// Repository (not a Packages field) to "bookworm".
std::vector<deb::Package> Universe(const std::string& text) {
  std::vector<deb::Package> out;
  std::istringstream in(text);
  std::string line;
  deb::Package p;
  auto flush = [&] {
    if (p.name.empty()) return;
    if (p.architecture.empty()) p.architecture = "amd64";
    if (p.repository.empty()) p.repository = "bookworm";
    out.push_back(p);
    p = deb::Package();
  };
  while (std::getline(in, line)) {
    if (Trim(line).empty()) {
      flush();
      continue;
    }
    auto colon = line.find(':');
    std::string key = Trim(line.substr(0, colon)), value = Trim(line.substr(colon + 1));
    if (key == "Package") p.name = value;
    else if (key == "Version") p.version = value;
    else if (key == "Architecture") p.architecture = value;
    else if (key == "Multi-Arch") p.multi_arch = value;
    else if (key == "Essential") p.essential = value == "yes";
    else if (key == "Priority") p.priority = value;
    else if (key == "Repository") p.repository = value;
    else if (key == "Depends") p.depends = Relations(value);
    else if (key == "Pre-Depends") p.pre_depends = Relations(value);
    else if (key == "Recommends") p.recommends = Relations(value);
    else if (key == "Provides") p.provides = Relations(value);
    else if (key == "Conflicts") p.conflicts = Relations(value);
    else if (key == "Breaks") p.breaks = Relations(value);
    else FAIL("unknown field " << key);
  }
  flush();
  return out;
}

DebRequest Req(const std::string& name, deb::RelationOp op = deb::RelationOp::kAny,
               const std::string& version = "", int line = 0) {
  DebRequest r{name, op, version, {}};
  if (line > 0) r.loc = SourceLoc{"images/x.yaml", line, 7, "  - " + name};
  return r;
}

DebResolveOptions Opts(std::vector<std::string> foreign = {}) {
  DebResolveOptions o;
  o.architecture = "amd64";
  o.foreign_architectures = std::move(foreign);
  return o;
}

// "name version" (":arch" for non-amd64, non-all) in install order.
std::vector<std::string> Names(const DebResolution& res) {
  std::vector<std::string> out;
  for (const deb::Package* p : res.packages) {
    std::string arch = p->architecture == "amd64" || p->architecture == "all"
                           ? "" : ":" + p->architecture;
    out.push_back(p->name + arch + " " + p->version);
  }
  return out;
}

std::vector<std::string> Resolve(const std::vector<deb::Package>& universe,
                                 const std::vector<DebRequest>& requests,
                                 const DebResolveOptions& options = Opts()) {
  auto res = ResolveDeb(universe, requests, options);
  INFO((res ? "" : res.error().Render()));
  REQUIRE(res.ok());
  return Names(*res);
}

Error Failure(const std::vector<deb::Package>& universe, const std::vector<DebRequest>& requests,
              const DebResolveOptions& options = Opts()) {
  auto res = ResolveDeb(universe, requests, options);
  REQUIRE_FALSE(res.ok());
  return res.error();
}

using V = std::vector<std::string>;

TEST_CASE("a simple chain installs dependencies first", "[solve][deb]") {
  auto u = Universe(R"(
Package: app
Version: 1.0-1
Depends: libfoo1 (>= 1.2)

Package: libfoo1
Version: 1.4-2
Depends: libc6

Package: libc6
Version: 2.36-9

Package: unrelated
Version: 1
)");
  CHECK(Resolve(u, {Req("app")}) == V{"libc6 2.36-9", "libfoo1 1.4-2", "app 1.0-1"});
  // The pointers point into the universe.
  auto res = ResolveDeb(u, {Req("app")}, Opts());
  REQUIRE(res.ok());
  CHECK(res->packages.back() == &u[0]);
}

TEST_CASE("the first installable alternative is preferred, as apt does", "[solve][deb]") {
  auto u = Universe(R"(
Package: app
Version: 1
Depends: zlib-ng | alpha-zlib

Package: zlib-ng
Version: 1

Package: alpha-zlib
Version: 1

Package: tool
Version: 1
Depends: missing | nonexistent (>= 9) | old-lib (>= 2) | alpha-zlib

Package: old-lib
Version: 1

Package: strict
Version: 1
Conflicts: zlib-ng
)");
  // libsolv on its own would take the alphabetically first name.
  CHECK(Resolve(u, {Req("app")}) == V{"zlib-ng 1", "app 1"});
  // Missing names and unmet versions are skipped.
  CHECK(Resolve(u, {Req("tool")}) == V{"alpha-zlib 1", "tool 1"});
  // A first alternative that conflicts with the rest of the request gives way.
  CHECK(Resolve(u, {Req("app"), Req("strict")}) == V{"alpha-zlib 1", "app 1", "strict 1"});
  // An alternative already chosen elsewhere satisfies the group.
  CHECK(Resolve(u, {Req("app"), Req("alpha-zlib")}) == V{"alpha-zlib 1", "app 1"});
}

TEST_CASE("virtual packages through Provides", "[solve][deb]") {
  auto u = Universe(R"(
Package: mailer
Version: 1
Depends: mail-transport-agent

Package: postfix
Version: 3.7
Priority: optional
Provides: mail-transport-agent

Package: exim4-daemon-light
Version: 4.96
Priority: standard
Provides: mail-transport-agent

Package: awk-user
Version: 1
Depends: awk

Package: mawk
Version: 1.3.4
Provides: awk

Package: needs-new-api
Version: 1
Depends: libapi (>= 2)

Package: libapi-impl
Version: 5
Provides: libapi (= 2.1)

Package: needs-versioned
Version: 1
Depends: unversioned-virtual (>= 1)

Package: provider
Version: 1
Provides: unversioned-virtual
)");
  SECTION("one provider") {
    CHECK(Resolve(u, {Req("awk-user")}) == V{"mawk 1.3.4", "awk-user 1"});
    CHECK(Resolve(u, {Req("awk")}) == V{"mawk 1.3.4"});
  }
  SECTION("several providers: the higher Priority, or the one already chosen") {
    CHECK(Resolve(u, {Req("mailer")}) == V{"exim4-daemon-light 4.96", "mailer 1"});
    CHECK(Resolve(u, {Req("mailer"), Req("postfix")}) == V{"postfix 3.7", "mailer 1"});
  }
  SECTION("requesting a virtual package with several providers") {
    Error e = Failure(u, {Req("mail-transport-agent", deb::RelationOp::kAny, "", 4)});
    CHECK(e.code() == Code::kUnsatisfiable);
    CHECK(e.message() ==
          "package 'mail-transport-agent' is virtual and provided by 'exim4-daemon-light', "
          "'postfix'");
    CHECK(e.hint() == "request one of the providers");
    CHECK(e.loc().line == 4);
  }
  SECTION("versioned provides satisfy versioned dependencies, unversioned ones do not") {
    CHECK(Resolve(u, {Req("needs-new-api")}) == V{"libapi-impl 5", "needs-new-api 1"});
    Error e = Failure(u, {Req("needs-versioned")});
    CHECK(e.message() ==
          "unable to select packages:\n"
          "  problem 1: nothing provides 'unversioned-virtual (>= 1)' needed by "
          "'needs-versioned 1'\n"
          "    required by: request 'needs-versioned'\n"
          "    solution 1: do not ask to install needs-versioned");
  }
}

TEST_CASE("versioned constraints follow dpkg's ordering", "[solve][deb]") {
  // dpkg order: 0.9 < 1.0~rc1 < 1.0 < 1.0-1 < 1:0.5
  std::string libs = R"(
Package: lib
Version: 1.0

Package: lib
Version: 1:0.5

Package: lib
Version: 0.9

Package: lib
Version: 1.0-1

Package: lib
Version: 1.0~rc1
)";
  struct Case {
    std::string dep;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"lib", "1:0.5"},
      {"lib (<< 1.0)", "1.0~rc1"},
      {"lib (<= 1.0)", "1.0"},
      {"lib (= 1.0)", "1.0"},
      {"lib (= 1.0-1)", "1.0-1"},
      {"lib (>= 1.0)", "1:0.5"},
      {"lib (>> 1.0-1)", "1:0.5"},
      {"lib (<< 1:0)", "1.0-1"},
      {"lib (<= 1.0~)", "0.9"},
      {"lib (>= 1.0~), lib (<< 1.0)", "1.0~rc1"},
      {"lib (>> 0:0.9), lib (<= 0:1.0)", "1.0"},
  };
  for (const auto& c : cases) {
    INFO(c.dep);
    auto u = Universe(libs + "\nPackage: app\nVersion: 1\nDepends: " + c.dep + "\n");
    CHECK(Resolve(u, {Req("app")}) == V{"lib " + c.expect, "app 1"});
  }
}

TEST_CASE("Conflicts and Breaks", "[solve][deb]") {
  auto u = Universe(R"(
Package: sysvinit-core
Version: 3.06
Conflicts: systemd-sysv

Package: systemd-sysv
Version: 252

Package: newtool
Version: 2
Breaks: oldlib (<< 2)

Package: oldlib
Version: 1

Package: oldlib
Version: 2

Package: pinned-user
Version: 1
Depends: oldlib (= 1)
)");
  SECTION("Conflicts") {
    Error e = Failure(u, {Req("sysvinit-core", deb::RelationOp::kAny, "", 3),
                          Req("systemd-sysv", deb::RelationOp::kAny, "", 4)});
    CHECK(e.code() == Code::kUnsatisfiable);
    CHECK(e.message() ==
          "unable to select packages:\n"
          "  problem 1: package 'sysvinit-core 3.06' conflicts with 'systemd-sysv' provided by "
          "'systemd-sysv 252'\n"
          "    required by: request 'sysvinit-core' (images/x.yaml:3:7)\n"
          "    required by: request 'systemd-sysv' (images/x.yaml:4:7)\n"
          "    solution 1: do not ask to install systemd-sysv\n"
          "    solution 2: do not ask to install sysvinit-core");
    CHECK(e.loc().line == 3);
  }
  SECTION("Breaks steers the version") {
    CHECK(Resolve(u, {Req("newtool"), Req("oldlib")}) == V{"newtool 2", "oldlib 2"});
  }
  SECTION("Breaks that cannot be avoided") {
    Error e = Failure(u, {Req("newtool"), Req("pinned-user")});
    CHECK(e.message() ==
          "unable to select packages:\n"
          "  problem 1: package 'pinned-user 1' depends on 'oldlib (= 1)', but none of the "
          "providers can be installed\n"
          "    package 'newtool 2' breaks 'oldlib (<< 2)' provided by 'oldlib 1'\n"
          "    required by: request 'newtool'\n"
          "    required by: request 'pinned-user'\n"
          "    solution 1: do not ask to install pinned-user\n"
          "    solution 2: do not ask to install newtool");
  }
}

TEST_CASE("Pre-Depends come first, even inside a cycle", "[solve][deb]") {
  auto u = Universe(R"(
Package: app
Version: 1
Pre-Depends: zz-pre
Depends: aa-dep

Package: zz-pre
Version: 1

Package: aa-dep
Version: 1

Package: cyc-a
Version: 1
Depends: cyc-b

Package: cyc-b
Version: 1
Pre-Depends: cyc-a
)");
  CHECK(Resolve(u, {Req("app")}) == V{"aa-dep 1", "zz-pre 1", "app 1"});
  // cyc-a <-> cyc-b: the Depends edge is broken, never the Pre-Depends one.
  CHECK(Resolve(u, {Req("cyc-b")}) == V{"cyc-a 1", "cyc-b 1"});
}

TEST_CASE("a dependency cycle has a deterministic order", "[solve][deb]") {
  auto u = Universe(R"(
Package: base
Version: 1

Package: perl-base
Version: 5.36
Depends: base

Package: cyc-c
Version: 1
Depends: cyc-a, perl-base

Package: cyc-a
Version: 1
Depends: cyc-b

Package: cyc-b
Version: 1
Depends: cyc-c

Package: top
Version: 1
Depends: cyc-b, base
)");
  // The cycle a -> b -> c -> a is broken at its first member by name: cyc-a
  // goes first, then cyc-c (whose cyc-a is in place), then cyc-b.
  const V expected{"base 1", "perl-base 5.36", "cyc-a 1", "cyc-c 1", "cyc-b 1", "top 1"};
  CHECK(Resolve(u, {Req("top")}) == expected);
  std::mt19937 rng(42);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(u.begin(), u.end(), rng);
    CHECK(Resolve(u, {Req("top")}) == expected);
  }
}

TEST_CASE("the essential set pulls in its dependencies", "[solve][deb]") {
  auto u = Universe(R"(
Package: base-files
Version: 12.4
Essential: yes
Priority: required
Pre-Depends: awk

Package: mawk
Version: 1.3.4
Priority: required
Provides: awk

Package: gawk
Version: 5.2
Priority: optional
Provides: awk

Package: ncurses-base
Version: 6.4
Architecture: all
Essential: yes

Package: coreutils
Version: 9.1
Architecture: i386
Essential: yes

Package: adduser
Version: 3.134
Priority: important

Package: apt
Version: 2.6.1
Priority: required
Depends: adduser
)");
  SECTION("essential") {
    CHECK(Resolve(u, {}, Opts({"i386"})) == V{"mawk 1.3.4", "base-files 12.4", "ncurses-base 6.4"});
  }
  SECTION("essential off, Priority: required on") {
    DebResolveOptions o = Opts();
    o.with_essential = false;
    o.with_required = true;
    CHECK(Resolve(u, {}, o) == V{"adduser 3.134", "apt 2.6.1", "mawk 1.3.4", "base-files 12.4"});
    o.with_required = false;
    CHECK(Resolve(u, {}, o).empty());
  }
}

TEST_CASE("Recommends on and off", "[solve][deb]") {
  auto u = Universe(R"(
Package: app
Version: 1
Recommends: helper | other-helper, unavailable

Package: helper
Version: 1
Recommends: extra

Package: other-helper
Version: 1

Package: extra
Version: 1
Conflicts: app
)");
  CHECK(Resolve(u, {Req("app")}) == V{"app 1"});
  DebResolveOptions o = Opts();
  o.with_recommends = true;
  // Recommends are weak: "extra" conflicts and "unavailable" does not exist.
  CHECK(Resolve(u, {Req("app")}, o) == V{"app 1", "helper 1"});
}

TEST_CASE("Multi-Arch across architectures", "[solve][deb]") {
  auto u = Universe(R"(
Package: libc6
Version: 2.36-9
Multi-Arch: same

Package: libc6
Version: 2.36-9
Architecture: i386
Multi-Arch: same

Package: libc6
Version: 2.36-8
Architecture: arm64
Multi-Arch: same

Package: gcc-12-base
Version: 12.2
Architecture: i386
Multi-Arch: same

Package: tzdata
Version: 2024a
Architecture: all
Multi-Arch: foreign

Package: make
Version: 4.3
Multi-Arch: foreign

Package: python3
Version: 3.11
Multi-Arch: allowed

Package: wine32
Version: 8.0
Architecture: i386
Depends: libc6, make, python3:any, tzdata

Package: needs-native-only
Version: 1
Architecture: i386
Depends: python3

Package: tool
Version: 1

Package: tool
Version: 1
Architecture: i386
)");
  const auto o = Opts({"i386"});
  SECTION("foreign, allowed with :any, same for two arches") {
    CHECK(Resolve(u, {Req("wine32:i386")}, o) ==
          V{"libc6:i386 2.36-9", "make 4.3", "python3 3.11", "tzdata 2024a", "wine32:i386 8.0"});
    CHECK(Resolve(u, {Req("libc6"), Req("libc6:i386")}, o) ==
          V{"libc6 2.36-9", "libc6:i386 2.36-9"});
  }
  SECTION("a dependency without ':any' needs the same architecture") {
    Error e = Failure(u, {Req("needs-native-only:i386")}, o);
    CHECK(e.message() ==
          "unable to select packages:\n"
          "  problem 1: nothing provides 'python3:i386' needed by 'needs-native-only:i386 1'\n"
          "    required by: request 'needs-native-only:i386'\n"
          "    solution 1: do not ask to install needs-native-only:i386");
  }
  SECTION("a package that is not Multi-Arch: same installs for one architecture") {
    Error e = Failure(u, {Req("tool"), Req("tool:i386")}, o);
    CHECK(e.message() ==
          "unable to select packages:\n"
          "  problem 1: cannot install both 'tool 1' and 'tool:i386 1' "
          "(only Multi-Arch: same packages are co-installable)\n"
          "    required by: request 'tool'\n"
          "    required by: request 'tool:i386'\n"
          "    solution 1: do not ask to install tool:i386\n"
          "    solution 2: do not ask to install tool");
  }
  SECTION("Multi-Arch: same instances share one version") {
    auto v = u;
    v[1].version = "2.36-8";
    Error e = Failure(v, {Req("libc6"), Req("libc6:i386")}, o);
    CHECK(e.message() ==
          "unable to select packages:\n"
          "  problem 1: cannot install both 'libc6 2.36-9' and 'libc6:i386 2.36-8' "
          "(Multi-Arch: same packages must have one version)\n"
          "    required by: request 'libc6'\n"
          "    required by: request 'libc6:i386'\n"
          "    solution 1: do not ask to install libc6:i386\n"
          "    solution 2: do not ask to install libc6");
  }
  SECTION("architectures that are not configured") {
    Error e = Failure(u, {Req("gcc-12-base", deb::RelationOp::kAny, "", 6)});
    CHECK(e.code() == Code::kNotFound);
    CHECK(e.message() == "unknown package 'gcc-12-base'");
    CHECK(e.hint() == "'gcc-12-base' exists for 'i386' only");
    CHECK(e.Render() ==
          "images/x.yaml:6:7: error: unknown package 'gcc-12-base'\n"
          "    - gcc-12-base\n"
          "        ^\n"
          "hint: 'gcc-12-base' exists for 'i386' only");
    Error q = Failure(u, {Req("libc6:arm64", deb::RelationOp::kAny, "", 2)}, o);
    CHECK(q.code() == Code::kConfig);
    CHECK(q.message() ==
          "unknown architecture 'arm64' in 'libc6:arm64' (expected 'amd64' or 'i386')");
  }
}

TEST_CASE("Architecture: all depends on the native architecture", "[solve][deb]") {
  auto u = Universe(R"(
Package: docs
Version: 1
Architecture: all
Depends: viewer

Package: viewer
Version: 2
Architecture: arm64

Package: viewer
Version: 1
)");
  CHECK(Resolve(u, {Req("docs")}) == V{"viewer 1", "docs 1"});
  DebResolveOptions arm = Opts();
  arm.architecture = "arm64";
  auto res = ResolveDeb(u, {Req("docs")}, arm);
  REQUIRE(res.ok());
  REQUIRE(res->packages.size() == 2);
  CHECK(res->packages[0] == &u[1]);
}

TEST_CASE("the highest version across repositories wins unless pinned", "[solve][deb]") {
  auto u = Universe(R"(
Package: openssl
Version: 3.0.15-1~deb12u1
Repository: bookworm-security

Package: openssl
Version: 3.0.11-1~deb12u2
Repository: bookworm

Package: openssl
Version: 3.0.11-1~deb12u2
Repository: bookworm-updates

Package: curl
Version: 7.88
Depends: openssl (>= 3.0.12)
)");
  auto res = ResolveDeb(u, {Req("openssl")}, Opts());
  REQUIRE(res.ok());
  REQUIRE(res->packages.size() == 1);
  CHECK(res->packages[0] == &u[0]);
  // A pin selects the lower version; the first of two identical stanzas wins.
  res = ResolveDeb(u, {Req("openssl", deb::RelationOp::kEqual, "3.0.11-1~deb12u2")}, Opts());
  REQUIRE(res.ok());
  REQUIRE(res->packages.size() == 1);
  CHECK(res->packages[0] == &u[1]);
  // A pin that a dependency cannot live with.
  Error e = Failure(u, {Req("openssl", deb::RelationOp::kEqual, "3.0.11-1~deb12u2", 5),
                        Req("curl", deb::RelationOp::kAny, "", 6)});
  CHECK(e.code() == Code::kUnsatisfiable);
  CHECK(e.message() ==
        "unable to select packages:\n"
        "  problem 1: package 'curl 7.88' depends on 'openssl (>= 3.0.12)', but none of the "
        "providers can be installed\n"
        "    cannot install both 'openssl 3.0.11-1~deb12u2' and 'openssl 3.0.15-1~deb12u1'\n"
        "    required by: request 'openssl (= 3.0.11-1~deb12u2)' (images/x.yaml:5:7)\n"
        "    required by: request 'curl' (images/x.yaml:6:7)\n"
        "    solution 1: do not ask to install curl\n"
        "    solution 2: do not ask to install openssl = 3.0.11-1~deb12u2");
  CHECK(e.loc().line == 5);
  // A pinned version that does not exist.
  e = Failure(u, {Req("openssl", deb::RelationOp::kEqual, "3.1", 7)});
  CHECK(e.message() ==
        "unable to select packages:\n"
        "  problem 1: no package matches 'openssl (= 3.1)' (available: '3.0.11-1~deb12u2', "
        "'3.0.15-1~deb12u1')\n"
        "    required by: request 'openssl (= 3.1)' (images/x.yaml:7:7)\n"
        "    solution 1: do not ask to install openssl = 3.1");
}

TEST_CASE("an unsatisfiable request is explained", "[solve][deb]") {
  auto u = Universe(R"(
Package: app
Version: 2.0
Depends: libssl3 (>= 3.2), libc6

Package: libssl3
Version: 3.0.15

Package: libssl3
Version: 3.0.11

Package: libc6
Version: 2.36
)");
  Error e = Failure(u, {Req("app", deb::RelationOp::kAny, "", 9)});
  CHECK(e.code() == Code::kUnsatisfiable);
  CHECK(e.Render() ==
        "images/x.yaml:9:7: error: unable to select packages:\n"
        "  problem 1: nothing provides 'libssl3 (>= 3.2)' needed by 'app 2.0' "
        "(available: '3.0.11', '3.0.15')\n"
        "    required by: request 'app' (images/x.yaml:9:7)\n"
        "    solution 1: do not ask to install app\n"
        "    - app\n"
        "        ^");
  Error unknown = Failure(u, {Req("ap", deb::RelationOp::kAny, "", 3)});
  CHECK(unknown.code() == Code::kNotFound);
  CHECK(unknown.message() == "unknown package 'ap'");
  CHECK(unknown.hint().empty());
  CHECK(unknown.loc().line == 3);
}

TEST_CASE("options are checked", "[solve][deb]") {
  DebResolveOptions o;
  auto res = ResolveDeb({}, {}, o);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code() == Code::kInternal);
  CHECK(res.error().message() == "no native architecture given for Debian resolution (got '')");
}

}  // namespace
}  // namespace cairn::solve
