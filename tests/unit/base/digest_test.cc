#include <catch2/catch.hpp>

#include "cairn/digest.h"

namespace cairn {
namespace {

TEST_CASE("sha256 and sha1 match known vectors", "[base]") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("base64 round-trips with padding", "[base]") {
  for (std::string s : {"", "a", "ab", "abc", "abcd"}) {
    auto enc = Base64Encode(s);
    auto dec = Base64Decode(enc);
    REQUIRE(dec.ok());
    CHECK(*dec == s);
  }
  CHECK(Base64Encode("ab") == "YWI=");
  CHECK_FALSE(Base64Decode("YWI").ok());
}

}  // namespace
}  // namespace cairn

TEST_CASE("MD5 as md5sum(1) prints it", "[base][digest]") {
  CHECK(cairn::Md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(cairn::Md5Hex("hello\n") == "b1946ac92492d2347c6235b4d2611184");
  cairn::Hasher h = cairn::Hasher::Md5();
  h.Update("hel");
  h.Update("lo\n");
  CHECK(cairn::HexEncode(h.Finish()) == "b1946ac92492d2347c6235b4d2611184");
}
