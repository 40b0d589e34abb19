// Edit distance, suggestions and architecture names.
#include <catch2/catch.hpp>

#include "cairn/config/arch.h"
#include "cairn/config/did_you_mean.h"

namespace cairn::config {
namespace {

TEST_CASE("edit distance counts insertions, deletions and replacements", "[config][didyoumean]") {
  CHECK(EditDistance("", "") == 0);
  CHECK(EditDistance("packages", "packages") == 0);
  CHECK(EditDistance("pakages", "packages") == 1);
  CHECK(EditDistance("kitten", "sitting") == 3);
  CHECK(EditDistance("kitten", "sitting", false) == 5);
  CHECK(EditDistance("abc", "") == 3);
  CHECK(EditDistance("completely", "different", true, 2) == 3);  // capped at max + 1
}

TEST_CASE("suggestions need a plausible typo", "[config][didyoumean]") {
  std::vector<std::string> keys = {"cmd", "work-dir", "packages", "archs"};
  CHECK(SuggestClosest("pakages", keys) == "packages");
  CHECK(SuggestClosest("workdir", keys) == "work-dir");
  CHECK(SuggestClosest("arch", keys) == "archs");
  CHECK_FALSE(SuggestClosest("foo", keys).has_value());  // 3 edits from "cmd" is not a typo
  CHECK(QuoteList({"a", "b", "c"}) == "'a', 'b' or 'c'");
  CHECK(QuoteList({"a"}) == "'a'");
}

TEST_CASE("apko and apk architecture names normalise to apk names", "[config][arch]") {
  CHECK(NormalizeArch("amd64") == "x86_64");
  CHECK(NormalizeArch("x86_64") == "x86_64");
  CHECK(NormalizeArch("arm64") == "aarch64");
  CHECK(NormalizeArch("386") == "x86");
  CHECK(NormalizeArch("arm/v6") == "armhf");
  CHECK(NormalizeArch("arm/v7") == "armv7");
  CHECK(NormalizeArch("loong64") == "loongarch64");
  CHECK(NormalizeArch("ppc64le") == "ppc64le");
  CHECK(NormalizeArch("s390x") == "s390x");
  CHECK(NormalizeArch("riscv64") == "riscv64");
  CHECK_FALSE(NormalizeArch("all").has_value());
  CHECK_FALSE(NormalizeArch("sparc").has_value());
  CHECK(ExpandArch("all") == std::vector<std::string>{"x86_64", "aarch64"});
  auto oci = ApkArchToOci("armv7");
  REQUIRE(oci.has_value());
  CHECK(oci->architecture == "arm");
  CHECK(oci->variant == "v7");
  CHECK(ApkArchToOci("x86_64")->architecture == "amd64");
  CHECK(ApkArchToOci("x86_64")->variant.empty());
}

}  // namespace
}  // namespace cairn::config
