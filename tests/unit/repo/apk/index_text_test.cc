#include <catch2/catch.hpp>

#include "cairn/apk/index_text.h"
#include "support/test_support.h"

namespace cairn::apk {
namespace {

using cairn::testing::RunCommand;
using cairn::testing::SharedFixtures;

std::string TarMember(const std::string& rel, const std::string& member) {
  auto r = RunCommand({"tar", "-xzOf", (SharedFixtures() / "apk-real/apko-testdata" / rel).string(), member});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

TEST_CASE("real Alpine indexes parse and format back byte for byte", "[repo][apk][index]") {
  for (const char* rel : {"alpine-v3.17-aarch64-index/APKINDEX.tar.gz",
                          "alpine-v3.16-x86_64-index/APKINDEX.tar.gz"}) {
    INFO(rel);
    std::string text = TarMember(rel, "APKINDEX");
    auto pkgs = ParseApkIndexText(text, "APKINDEX");
    INFO((pkgs ? "" : pkgs.error().message()));
    REQUIRE(pkgs.ok());
    std::string back;
    for (const auto& p : *pkgs) back += FormatIndexRecord(p) + "\n";
    CHECK(back == text);
  }
  auto pkgs = ParseApkIndexText(TarMember("alpine-v3.17-aarch64-index/APKINDEX.tar.gz", "APKINDEX"), "x");
  REQUIRE(pkgs.ok());
  CHECK(pkgs->size() == 5004);
  size_t with_k = 0, with_iif = 0;
  for (const auto& p : *pkgs) {
    with_k += p.has_provider_priority;
    with_iif += !p.install_if.empty();
  }
  CHECK(with_k == 120);
  CHECK(with_iif == 1553);
}

TEST_CASE("every field letter lands in its PackageInfo member", "[repo][apk][index]") {
  const char* text =
      "C:Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=\nP:foo\nV:1.0-r0\nA:x86_64\nS:123\nI:456\nT:a foo\n"
      "U:https://foo\nL:MIT\no:foo-src\nm:Me <me@x>\nt:1700000000\nc:abc\nk:10\n"
      "D:bar>=1 !baz so:libc.musl-x86_64.so.1\np:cmd:foo=1.0-r0 virt\ni:bar docs\n"
      "r:old\nq:5\nZ:unknown-letter-ignored\n";
  auto pkgs = ParseApkIndexText(text, "t");
  REQUIRE(pkgs.ok());
  REQUIRE(pkgs->size() == 1);
  const PackageInfo& p = (*pkgs)[0];
  CHECK(p.checksum == "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=");
  CHECK(p.name == "foo");
  CHECK(p.version == "1.0-r0");
  CHECK(p.arch == "x86_64");
  CHECK(p.size == 123);
  CHECK(p.installed_size == 456);
  CHECK(p.description == "a foo");
  CHECK(p.url == "https://foo");
  CHECK(p.license == "MIT");
  CHECK(p.origin == "foo-src");
  CHECK(p.maintainer == "Me <me@x>");
  CHECK(p.build_time == 1700000000);
  CHECK(p.commit == "abc");
  CHECK(p.provider_priority == 10);
  CHECK(p.has_provider_priority);
  REQUIRE(p.depends.size() == 3);
  CHECK(p.depends[1].conflict);
  CHECK(p.provides == std::vector<Provide>{{"cmd:foo", "1.0-r0"}, {"virt", ""}});
  REQUIRE(p.install_if.size() == 2);
  REQUIRE(p.replaces.size() == 1);
  CHECK(p.replaces[0].name == "old");
  CHECK(p.replaces_priority == 5);
  CHECK(FormatIndexRecord(p) ==
        "C:Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=\nP:foo\nV:1.0-r0\nA:x86_64\nS:123\nI:456\nT:a foo\n"
        "U:https://foo\nL:MIT\no:foo-src\nm:Me <me@x>\nt:1700000000\nc:abc\nk:10\n"
        "D:bar>=1 !baz so:libc.musl-x86_64.so.1\np:cmd:foo=1.0-r0 virt\ni:bar docs\n");
}

TEST_CASE("index atoms keep versions apk-tools would mark broken", "[repo][apk][index]") {
  // Alpine 3.17 really has "p:pc:jemalloc=5.3.0_"; apk-tools reads it.
  auto pkgs = ParseApkIndexText("P:jemalloc-dev\nV:5.3.0-r1\np:pc:jemalloc=5.3.0_\nD:x>=1.0_\n", "t");
  REQUIRE(pkgs.ok());
  CHECK((*pkgs)[0].provides == std::vector<Provide>{{"pc:jemalloc", "5.3.0_"}});
  CHECK((*pkgs)[0].depends[0].version == "1.0_");
  CHECK_FALSE(ParseDependencyList("x>=1.0_").ok());
  CHECK(ParseIndexDependencyList("x>=1.0_").ok());
}

TEST_CASE("several records, blank-line runs and a missing final newline", "[repo][apk][index]") {
  auto pkgs = ParseApkIndexText("\n\nP:a\nV:1\n\n\n\nP:b\nV:2", "t");
  REQUIRE(pkgs.ok());
  REQUIRE(pkgs->size() == 2);
  CHECK((*pkgs)[1].name == "b");
  CHECK(ParseApkIndexText("", "t")->empty());
}

TEST_CASE("malformed index records report source and line", "[repo][apk][index]") {
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"P:a\nV:1\n\nV:2\nA:x\n", "main/APKINDEX:4: record has no package name (expected a P: line)"},
      {"P:a\nV:1\n\nP:b\nA:x\n", "main/APKINDEX:4: package 'b' has no version (expected a V: line)"},
      {"P:a\nV:1\nS:12x\n", "main/APKINDEX:3: bad number '12x' for S: (size) (expected decimal digits)"},
      {"P:a\nV:1\nI:-1\n", "main/APKINDEX:3: bad number '-1' for I: (installed size) (expected decimal digits)"},
      {"P:a\nV:1\nt:\n", "main/APKINDEX:3: bad number '' for t: (build time) (expected decimal digits)"},
      {"P:a\nV:1\nk:high\n", "main/APKINDEX:3: bad number 'high' for k: (provider priority) (expected decimal digits)"},
      {"P:a\nV:1\nD:ok bad>=\n", "main/APKINDEX:3: invalid dependency 'bad>=': expected a version after '>='"},
      {"P:a\nV:1\np:x>=1\n", "main/APKINDEX:3: invalid provide 'x>=1' (expected name or name=version)"},
      {"P:a\nnonsense\n", "main/APKINDEX:2: malformed line 'nonsense' (expected 'X:value')"},
  };
  for (const auto& c : cases) {
    auto r = ParseApkIndexText(c.text, "main/APKINDEX");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == c.message);
    CHECK(r.error().code() == Code::kIntegrity);
  }
}

TEST_CASE(".PKGINFO of a real Alpine package", "[repo][apk][pkginfo]") {
  auto p = ParsePkgInfo(TarMember("alpine-v3.16-aarch64/alpine-baselayout-3.2.0-r23.apk", ".PKGINFO"));
  REQUIRE(p.ok());
  CHECK(p->name == "alpine-baselayout");
  CHECK(p->version == "3.2.0-r23");
  CHECK(p->description == "Alpine base dir structure and init scripts");
  CHECK(p->build_time == 1662926906);
  CHECK(p->installed_size == 339968);
  CHECK(p->arch == "aarch64");
  CHECK(p->origin == "alpine-baselayout");
  CHECK(p->maintainer == "Natanael Copa <ncopa@alpinelinux.org>");
  CHECK(p->license == "GPL-2.0-only");
  REQUIRE(p->depends.size() == 3);
  CHECK(p->depends[0].Format() == "alpine-baselayout-data=3.2.0-r23");
  CHECK(p->depends[1].Format() == "/bin/sh");
  CHECK(p->depends[2].Format() == "so:libc.musl-aarch64.so.1");
  CHECK(p->provides == std::vector<Provide>{{"cmd:mkmntdirs", "3.2.0-r23"}});
  CHECK(p->datahash == "1a3a8e47d2287da6d505d973412cee1ad64bcc17bc5995069e4e932055ecb0c4");
}

TEST_CASE(".PKGINFO repeatable keys, triggers and priorities", "[repo][apk][pkginfo]") {
  auto rep = ParsePkgInfo(TarMember("melange-unsigned/replaces-0.0.1-r0.apk", ".PKGINFO"));
  REQUIRE(rep.ok());
  REQUIRE(rep->replaces.size() == 2);
  CHECK(rep->replaces[0].name == "foo");
  CHECK(rep->replaces[1].name == "bar");
  CHECK(rep->url.empty());

  auto p = ParsePkgInfo(
      "pkgname = busybox\npkgver = 1.36.1-r0\ntriggers = /bin /usr/bin /lib/modules/*\n"
      "provider_priority = 100\nreplaces_priority = 3\ninstall_if = docs man-pages\n"
      "install_if = foo=1\nprovides = /bin/sh\nprovides = cmd:sh=1.36.1-r0\npkgbase = ignored\n");
  REQUIRE(p.ok());
  CHECK(p->triggers == std::vector<std::string>{"/bin", "/usr/bin", "/lib/modules/*"});
  CHECK(p->provider_priority == 100);
  CHECK(p->has_provider_priority);
  CHECK(p->replaces_priority == 3);
  CHECK(p->install_if.size() == 3);
  CHECK(p->provides == std::vector<Provide>{{"/bin/sh", ""}, {"cmd:sh", "1.36.1-r0"}});
}

TEST_CASE(".PKGINFO errors", "[repo][apk][pkginfo]") {
  auto a = ParsePkgInfo("pkgname = x\nthis is not a pair\n");
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().message() == ".PKGINFO:2: malformed line 'this is not a pair' (expected 'key = value')");
  auto b = ParsePkgInfo("pkgver = 1\n");
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message() == ".PKGINFO: no 'pkgname' (expected 'pkgname = <name>')");
  auto c = ParsePkgInfo("pkgname = x\npkgver = 1\nsize = big\n");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message() == ".PKGINFO:3: bad number 'big' for I: (installed size) (expected decimal digits)");
  CHECK(c.error().code() == Code::kIntegrity);
}

}  // namespace
}  // namespace cairn::apk
