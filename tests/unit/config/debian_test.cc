// contents.debian: loading, merging through includes, show, and the
// validation rules that tie it to the rest of the declaration.
#include <catch2/catch.hpp>

#include "cairn/config/show.h"
#include "cairn/config/validate.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

using test::LoadText;
using test::WriteDecl;

constexpr const char* kDebian =
    "contents:\n"
    "  debian:\n"
    "    sources:\n"
    "      - suites: [bookworm, bookworm-updates]\n"
    "        components: [main, non-free-firmware]\n"
    "      - url: http://archive.example/debian-security/\n"
    "        suites: [bookworm-security]\n"
    "        keyring: [keys/archive.gpg]\n"
    "    recommends: true\n"
    "  packages: [systemd, 'libc6=2.36-9+deb12u9']\n"
    "archs: [x86_64, aarch64]\n";

TEST_CASE("a Debian declaration loads with sources, switches and packages", "[config][debian]") {
  testing::ScratchDir dir("config-debian");
  auto img = LoadText(dir, kDebian);
  REQUIRE(img.ok());
  const Debian& d = img->contents.debian;
  REQUIRE(d.sources.size() == 2);
  CHECK(d.sources[0].url.value.empty());
  CHECK(d.sources[0].suites.size() == 2);
  CHECK(d.sources[0].suites[1].value == "bookworm-updates");
  CHECK(d.sources[0].components[1].value == "non-free-firmware");
  CHECK(d.sources[1].url.value == "http://archive.example/debian-security");
  CHECK(d.sources[1].keyring[0].value == (dir.path() / "keys/archive.gpg").string());
  CHECK(d.sources[1].suites[0].loc.line == 7);
  CHECK(d.recommends == std::optional<bool>(true));
  CHECK_FALSE(d.essential.has_value());
  CHECK(Validate(*img).ok());
  CHECK(ShowImage(*img) ==
        "name: image\n"
        "contents:\n"
        "  packages:\n"
        "    - systemd\n"
        "    - libc6=2.36-9+deb12u9\n"
        "  debian:\n"
        "    sources:\n"
        "      - suites:\n"
        "          - bookworm\n"
        "          - bookworm-updates\n"
        "        components:\n"
        "          - main\n"
        "          - non-free-firmware\n"
        "      - url: http://archive.example/debian-security\n"
        "        suites:\n"
        "          - bookworm-security\n"
        "        keyring:\n"
        "          - " + (dir.path() / "keys/archive.gpg").string() + "\n"
        "    recommends: true\n"
        "archs:\n"
        "  - x86_64\n"
        "  - aarch64\n");
}

TEST_CASE("an included file's Debian sources come first, and the includer's switches win",
          "[config][debian]") {
  testing::ScratchDir dir("config-debian");
  WriteDecl(dir, "base.yaml",
            "contents:\n"
            "  debian:\n"
            "    sources: [{suites: [bookworm]}]\n"
            "    essential: true\n"
            "  packages: [base-files]\n");
  auto img = LoadText(dir,
                      "include: base.yaml\n"
                      "contents:\n"
                      "  debian:\n"
                      "    sources: [{suites: [bookworm-security]}]\n"
                      "    essential: false\n"
                      "  packages: [systemd]\n");
  REQUIRE(img.ok());
  const Debian& d = img->contents.debian;
  REQUIRE(d.sources.size() == 2);
  CHECK(d.sources[0].suites[0].value == "bookworm");
  CHECK(d.sources[1].suites[0].value == "bookworm-security");
  CHECK(d.essential == std::optional<bool>(false));
  CHECK(img->contents.packages.size() == 2);
}

TEST_CASE("Debian declaration errors are located", "[config][debian]") {
  testing::ScratchDir dir("config-debian");
  SECTION("unknown key with a suggestion") {
    auto img = LoadText(dir, "contents:\n  debian:\n    sources: []\n    recomends: true\n");
    REQUIRE_FALSE(img.ok());
    CHECK(test::RenderedAsF(img.error(), dir) ==
          "F:4:5: error: unknown key 'recomends' in 'contents.debian'\n"
          "      recomends: true\n"
          "      ^\n"
          "hint: did you mean 'recommends'?");
  }
  SECTION("a source without suites") {
    auto img = LoadText(dir, "contents:\n  debian:\n    sources:\n      - components: [main]\n");
    REQUIRE_FALSE(img.ok());
    CHECK(test::RenderedAsF(img.error(), dir) ==
          "F:4:9: error: 'contents.debian.sources[0]' names no suites\n"
          "        - components: [main]\n"
          "          ^\n"
          "hint: add e.g. 'suites: [bookworm, bookworm-updates]'");
  }
  SECTION("APK repositories and Debian sources together") {
    auto img = LoadText(dir,
                        "contents:\n"
                        "  repositories: [https://example.com/alpine/main]\n"
                        "  debian:\n"
                        "    sources: [{suites: [bookworm]}]\n"
                        "  packages: [busybox]\n");
    REQUIRE(img.ok());
    Status s = Validate(*img);
    REQUIRE_FALSE(s.ok());
    CHECK(test::RenderedAsF(s.error(), dir) ==
          "F:2:18: error: an image takes its packages either from APK repositories or from "
          "Debian sources, not both\n"
          "    repositories: [https://example.com/alpine/main]\n"
          "                   ^\n"
          "hint: 'contents.debian' is declared at F:3:3");
  }
  SECTION("a suite name with a slash") {
    auto img = LoadText(dir,
                        "contents:\n"
                        "  debian:\n"
                        "    sources: [{suites: [bookworm/updates]}]\n"
                        "  packages: [busybox]\n");
    REQUIRE(img.ok());
    Status s = Validate(*img);
    REQUIRE_FALSE(s.ok());
    CHECK(test::RenderedAsF(s.error(), dir) ==
          "F:3:25: error: 'bookworm/updates' is not a suite or component name\n"
          "      sources: [{suites: [bookworm/updates]}]\n"
          "                          ^");
  }
}

}  // namespace
}  // namespace cairn::config

namespace cairn::config {
namespace {

TEST_CASE("a Debian image may be the essential set alone, not nothing", "[config][debian]") {
  testing::ScratchDir dir("config-debian");
  auto essential = LoadText(dir, "contents:\n  debian:\n    sources: [{suites: [bookworm]}]\n");
  REQUIRE(essential.ok());
  CHECK(Validate(*essential).ok());
  auto nothing = LoadText(dir,
                          "contents:\n  debian:\n    sources: [{suites: [bookworm]}]\n"
                          "    essential: false\n");
  REQUIRE(nothing.ok());
  Status s = Validate(*nothing);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message() == "no packages declared");
}

}  // namespace
}  // namespace cairn::config
