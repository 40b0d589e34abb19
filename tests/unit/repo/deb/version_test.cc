#include "cairn/deb/version.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace cairn::deb {
namespace {

std::string DataPath() {
  return std::string(CAIRN_SOURCE_DIR) + "/tests/unit/repo/deb/version_data.txt";
}

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

TEST_CASE("version table generated with dpkg --compare-versions", "[repo][deb][version]") {
  std::ifstream in(DataPath());
  REQUIRE(in.good());
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    INFO("line: " << line);
    std::istringstream words(line);
    std::string a, op, b, extra;
    words >> a >> op >> b;
    REQUIRE_FALSE(b.empty());
    REQUIRE_FALSE(words >> extra);
    REQUIRE((op == "<<" || op == "=" || op == ">>"));
    int expected = op == "<<" ? -1 : (op == ">>" ? 1 : 0);
    ++cases;
    CHECK(Sign(CompareVersions(a, b)) == expected);
    CHECK(Sign(CompareVersions(b, a)) == -expected);
    // The parsed form orders the same way, and formats back to an equal version.
    auto va = Version::Parse(a);
    auto vb = Version::Parse(b);
    REQUIRE(va.ok());
    REQUIRE(vb.ok());
    CHECK(Sign(CompareVersions(*va, *vb)) == expected);
    CHECK(CompareVersions(va->Format(), a) == 0);
  }
  CHECK(cases >= 150);
}

TEST_CASE("versions split into epoch, upstream and revision like dpkg", "[repo][deb][version]") {
  struct Case {
    const char* text;
    unsigned long epoch;
    const char* upstream;
    const char* revision;
    const char* formatted;
  };
  for (const Case& c : {
           Case{"1:2.30-1+b1", 1, "2.30", "1+b1", "1:2.30-1+b1"},
           Case{"1.0", 0, "1.0", "", "1.0"},
           Case{"0:1.0", 0, "1.0", "", "1.0"},
           Case{"1-2-3", 0, "1-2", "3", "1-2-3"},
           Case{"1:2:3", 1, "2:3", "", "1:2:3"},
           Case{"0:2:3-4", 0, "2:3", "4", "0:2:3-4"},  // epoch kept: "2:3-4" would read as epoch 2
           Case{" \t1.0-1 ", 0, "1.0", "1", "1.0-1"},
           Case{"+1:2", 1, "2", "", "1:2"},  // strtol() takes a sign
           Case{"-0:2", 0, "2", "", "2"},
           Case{"00:1", 0, "1", "", "1"},
           Case{"2147483647:1", 2147483647, "1", "", "2147483647:1"},
           Case{"1.0-~", 0, "1.0", "~", "1.0-~"},
       }) {
    INFO(c.text);
    auto v = Version::Parse(c.text);
    REQUIRE(v.ok());
    CHECK(v->epoch == c.epoch);
    CHECK(v->upstream == c.upstream);
    CHECK(v->revision == c.revision);
    CHECK(v->Format() == c.formatted);
  }
}

TEST_CASE("dpkg's hard version errors are errors, with dpkg's reason", "[repo][deb][version]") {
  // Reasons as printed by dpkg 1.21.22: dpkg --compare-versions -- V eq V.
  for (auto [text, reason] : std::initializer_list<std::pair<const char*, const char*>>{
           {"", "version string is empty"},
           {"  ", "version string is empty"},
           {"1 0", "version string has embedded spaces"},
           {"1: 2", "version string has embedded spaces"},
           {":1", "epoch in version is empty"},
           {"a:1", "epoch in version is empty"},
           {"1a:1", "epoch in version is not number"},
           {"0x1:2", "epoch in version is not number"},
           {"-1:2", "epoch in version is negative"},
           {"2147483648:1", "epoch in version is too big"},
           {"99999999999999999999:1", "epoch in version is too big"},
           {"1:", "nothing after colon in version number"},
           {"1.0-", "revision number is empty"},
           {"1.0-1-", "revision number is empty"},
           {"-", "revision number is empty"},
           {"-1", "version number is empty"},
           {"1:-1", "version number is empty"},
       }) {
    INFO("'" << text << "'");
    auto v = Version::Parse(text);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code() == Code::kIntegrity);
    CHECK(v.error().message() == "bad version '" + std::string(text) + "': " + reason);
  }
}

TEST_CASE("dpkg's version warnings are accepted", "[repo][deb][version]") {
  // dpkg warns ("does not start with digit", "invalid character") but uses them.
  for (const char* text : {"a1", "~", "1:a", "1_2", "1.0-a_b", "1:2-3:4", "1\xc3\xa9"}) {
    INFO(text);
    CHECK(Version::Parse(text).ok());
  }
  CHECK(Version::Parse("1:2-3:4")->revision == "3:4");
}

TEST_CASE("non-ASCII bytes sort after letters and before punctuation", "[repo][deb][version]") {
  // Measured with dpkg 1.21.22 on amd64: 1é >> 1z, 1é << 1+, 1é >> 1~.
  CHECK(CompareVersions("1\xc3\xa9", "1z") > 0);
  CHECK(CompareVersions("1\xc3\xa9", "1+") < 0);
  CHECK(CompareVersions("1\xc3\xa9", "1~") > 0);
}

TEST_CASE("an unparsable version compares as a raw string with epoch 0", "[repo][deb][version]") {
  // "2:" is invalid; read as epoch 2 it would sort above "10", raw it sorts below.
  CHECK(CompareVersions("2:", "10") < 0);
  CHECK(CompareVersions("2:", "2:") == 0);
  CHECK(CompareVersions("1.0-", "1.0") > 0);  // raw "1.0-" vs "1.0": '-' after the end
}

}  // namespace
}  // namespace cairn::deb
