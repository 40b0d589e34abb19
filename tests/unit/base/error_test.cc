#include <catch2/catch.hpp>

#include "cairn/result.h"

namespace cairn {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Error(Code::kUsage, "odd number " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  CAIRN_ASSIGN_OR_RETURN(int h, Half(x));
  auto q = Half(h);
  if (!q) return std::move(q).error().Context("halving " + std::to_string(h));
  return *q;
}

TEST_CASE("located errors render file:line:col, the line and a caret", "[base]") {
  SourceLoc loc{"images/demo.yaml", 3, 7, "  pakages: [busybox]"};
  Error e = ConfigError(loc, "unknown key 'pakages'").Hint("did you mean 'packages'?");
  CHECK(e.Render() ==
        "images/demo.yaml:3:7: error: unknown key 'pakages'\n"
        "    pakages: [busybox]\n"
        "        ^\n"
        "hint: did you mean 'packages'?");
  CHECK(e.code() == Code::kConfig);
}

TEST_CASE("context chains outermost first", "[base]") {
  auto r = Quarter(6);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() == "halving 3: odd number 3");
  CHECK(r.error().code() == Code::kUsage);
  CHECK(*Quarter(8) == 2);
}

}  // namespace
}  // namespace cairn
