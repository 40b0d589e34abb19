// PercentEncode against Python's urllib.parse.quote(s, safe='~'), which
// keeps exactly RFC 3986's unreserved characters.
#include <catch2/catch.hpp>

#include "cairn/percent_encode.h"

namespace cairn {
namespace {

TEST_CASE("PercentEncode keeps unreserved characters and encodes every other byte",
          "[base][percent]") {
  CHECK(PercentEncode("") == "");
  CHECK(PercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(PercentEncode("repository:cairn/demo:pull,push") ==
        "repository%3Acairn%2Fdemo%3Apull%2Cpush");
  CHECK(PercentEncode("a b+c&d=e?f#g%") == "a%20b%2Bc%26d%3De%3Ff%23g%25");
  CHECK(PercentEncode(std::string("\0\x7f\xff\xc3\xa9", 5)) == "%00%7F%FF%C3%A9");
}

}  // namespace
}  // namespace cairn
