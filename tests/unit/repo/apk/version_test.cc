#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "cairn/apk/version.h"

namespace cairn::apk {
namespace {

std::string DataPath() { return std::string(CAIRN_SOURCE_DIR) + "/tests/unit/repo/apk/version_data.txt"; }

VersionOp OpFrom(const std::string& s) {
  if (s == "=") return VersionOp::kEqual;
  if (s == "<") return VersionOp::kLess;
  if (s == "<=") return VersionOp::kLessEq;
  if (s == ">") return VersionOp::kGreater;
  if (s == ">=") return VersionOp::kGreaterEq;
  if (s == "~") return VersionOp::kFuzzy;
  if (s == ">~") return VersionOp::kGreaterFuzzy;
  if (s == "<~") return VersionOp::kLessFuzzy;
  FAIL("unknown operator " << s);
  return VersionOp::kAny;
}

TEST_CASE("version table: ordering, validity and matching", "[repo][apk][version]") {
  std::ifstream in(DataPath());
  REQUIRE(in.good());
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    INFO("line: " << line);
    ++cases;
    if (line.rfind("valid ", 0) == 0) {
      CHECK(IsValidVersion(line.substr(6)));
      continue;
    }
    if (line.rfind("invalid ", 0) == 0) {
      CHECK_FALSE(IsValidVersion(line.substr(8)));
      continue;
    }
    std::istringstream words(line);
    std::string first, a, op, b;
    words >> first;
    if (first == "match" || first == "nomatch") {
      words >> a >> op >> b;
      CHECK(VersionSatisfies(a, OpFrom(op), b) == (first == "match"));
      continue;
    }
    a = first;
    words >> op >> b;
    int expected = op == "<" ? -1 : (op == ">" ? 1 : 0);
    REQUIRE((op == "<" || op == ">" || op == "="));
    int r = CompareVersions(a, b);
    CHECK((r < 0 ? -1 : (r > 0 ? 1 : 0)) == expected);
    int back = CompareVersions(b, a);
    CHECK((back < 0 ? -1 : (back > 0 ? 1 : 0)) == -expected);
  }
  CHECK(cases >= 100);
}

TEST_CASE("kAny matches everything and kChecksum is left to the caller", "[repo][apk][version]") {
  CHECK(VersionSatisfies("anything", VersionOp::kAny, ""));
  CHECK_FALSE(VersionSatisfies("1.0", VersionOp::kChecksum, "Q1abc="));
}

}  // namespace
}  // namespace cairn::apk
