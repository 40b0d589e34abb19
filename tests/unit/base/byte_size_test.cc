#include "cairn/byte_size.h"

#include <catch2/catch.hpp>

namespace cairn {
namespace {

TEST_CASE("FormatSize picks the largest binary unit and drops a whole value's decimal",
          "[base][byte_size]") {
  CHECK(FormatSize(0) == "0 bytes");
  CHECK(FormatSize(1023) == "1023 bytes");
  CHECK(FormatSize(1024) == "1 KiB");
  CHECK(FormatSize(1536) == "1.5 KiB");
  CHECK(FormatSize(64ull << 20) == "64 MiB");
  CHECK(FormatSize((3ull << 30) / 2) == "1.5 GiB");
  CHECK(FormatSize(2ull << 40) == "2 TiB");
  // Past TiB the unit stays TiB.
  CHECK(FormatSize(2048ull << 40) == "2048 TiB");
}

}  // namespace
}  // namespace cairn
