// The host's apt sources: both formats, and the suite -> archive lookup
// cairn uses when a declaration names only suites.
#include <catch2/catch.hpp>

#include <fstream>

#include "cairn/deb/apt_sources.h"
#include "support/test_support.h"

namespace cairn::deb {
namespace {
namespace fs = std::filesystem;

TEST_CASE("one-line sources with options, comments and several components", "[repo][deb][apt]") {
  auto r = ParseOneLineSources(
      "# comment\n"
      "deb http://deb.example/debian/ bookworm main contrib\n"
      "\n"
      "deb-src http://deb.example/debian bookworm main\n"
      "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://sec.example/debian-security "
      "bookworm-security main # trailing\n",
      "sources.list");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].uris == std::vector<std::string>{"http://deb.example/debian"});
  CHECK((*r)[0].components == std::vector<std::string>{"main", "contrib"});
  CHECK((*r)[0].origin == "sources.list:2");
  CHECK((*r)[1].types == std::vector<std::string>{"deb-src"});
  CHECK((*r)[2].signed_by == "/usr/share/keyrings/x.gpg");
  CHECK(FindArchiveForSuite(*r, "bookworm") == "http://deb.example/debian");
  CHECK(FindArchiveForSuite(*r, "bookworm-security") == "http://sec.example/debian-security");
  CHECK_FALSE(FindArchiveForSuite(*r, "trixie").has_value());
}

TEST_CASE("malformed one-line sources are errors naming the line", "[repo][deb][apt]") {
  auto r = ParseOneLineSources("deb http://x\n", "s.list");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() ==
        "s.list:1: expected 'deb [options] uri suite [component...]'");
  auto t = ParseOneLineSources("rpm http://x a b\n", "s.list");
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().Render() ==
        "s.list:1: unknown source type 'rpm' (expected 'deb' or 'deb-src')");
}

TEST_CASE("deb822 sources, as Debian 12 images ship them", "[repo][deb][apt]") {
  auto r = ParseDeb822Sources(
      "Types: deb\n"
      "URIs: http://deb.example/debian\n"
      "Suites: bookworm bookworm-updates\n"
      "Components: main\n"
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
      "\n"
      "Types: deb\n"
      "URIs: http://off.example/debian\n"
      "Suites: trixie\n"
      "Enabled: no\n"
      "\n"
      "Types: deb deb-src\n"
      "URIs: http://deb.example/debian-security/\n"
      "Suites: bookworm-security\n"
      "Components: main\n",
      "debian.sources");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].suites == std::vector<std::string>{"bookworm", "bookworm-updates"});
  CHECK((*r)[1].enabled == false);
  CHECK(FindArchiveForSuite(*r, "bookworm-updates") == "http://deb.example/debian");
  CHECK(FindArchiveForSuite(*r, "bookworm-security") == "http://deb.example/debian-security");
  CHECK_FALSE(FindArchiveForSuite(*r, "trixie").has_value());  // disabled
}

TEST_CASE("the host directory is read in apt's order", "[repo][deb][apt]") {
  testing::ScratchDir dir("apt-sources");
  fs::create_directories(dir.path() / "sources.list.d");
  std::ofstream(dir.path() / "sources.list") << "deb http://first.example/debian bookworm main\n";
  std::ofstream(dir.path() / "sources.list.d/b.sources")
      << "Types: deb\nURIs: http://b.example/debian\nSuites: bookworm trixie\n";
  std::ofstream(dir.path() / "sources.list.d/a.list") << "deb http://a.example/debian trixie main\n";
  std::ofstream(dir.path() / "sources.list.d/ignored.save") << "deb http://no.example x y\n";
  auto r = ReadHostAptSources(dir.path());
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK(FindArchiveForSuite(*r, "bookworm") == "http://first.example/debian");
  CHECK(FindArchiveForSuite(*r, "trixie") == "http://a.example/debian");
  auto none = ReadHostAptSources(dir.path() / "missing");
  REQUIRE(none.ok());
  CHECK(none->empty());
}

}  // namespace
}  // namespace cairn::deb
