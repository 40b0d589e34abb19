#include "cairn/extract/gzip_members.h"

#include <catch2/catch.hpp>

#include "extract_test_util.h"

namespace cairn::extract {
namespace {

using testing::AlpineApk;
using testing::Slurp;
using testing::Spit;

TEST_CASE("FindGzipMembers splits a real Alpine package into its three members",
          "[extract][gzip]") {
  auto members = FindGzipMembers(AlpineApk());
  REQUIRE(members.ok());
  REQUIRE(members->size() == 3);
  // Sizes measured in formats.md §1.1.
  CHECK((*members)[0].offset == 0);
  CHECK((*members)[0].size == 666);
  CHECK((*members)[1].offset == 666);
  CHECK((*members)[1].size == 1563);
  CHECK((*members)[2].offset == 2229);
  CHECK((*members)[2].size == 8783);
  CHECK((*members)[0].uncompressed_size == 1024);
  CHECK((*members)[1].uncompressed_size == 12288);
  CHECK((*members)[2].uncompressed_size == 153600);
  CHECK((*members)[2].end() == 11012);
}

TEST_CASE("FindGzipMembers agrees with gzip on each member", "[extract][gzip]") {
  cairn::testing::ScratchDir dir("gzip-members");
  auto members = FindGzipMembers(AlpineApk());
  REQUIRE(members.ok());
  std::string bytes = Slurp(AlpineApk());
  for (const auto& m : *members) {
    auto slice = dir.path() / "member.gz";
    Spit(slice, bytes.substr(m.offset, m.size));
    // gzip -t accepts exactly one complete member; -l reports its size.
    testing::MustRun({"gzip", "-t", slice.string()});
    std::string out = testing::MustRun({"sh", "-c", "gzip -dc " + slice.string() + " | wc -c"});
    CHECK(std::stoull(out) == m.uncompressed_size);
  }
}

TEST_CASE("FindGzipMembers honours start and max_members", "[extract][gzip]") {
  auto one = FindGzipMembers(AlpineApk(), 0, 1);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].size == 666);
  auto from = FindGzipMembers(AlpineApk(), 666, 1);
  REQUIRE(from.ok());
  REQUIRE(from->size() == 1);
  CHECK((*from)[0].offset == 666);
  CHECK((*from)[0].size == 1563);
  auto none = FindGzipMembers(AlpineApk(), 11012);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("FindGzipMembers reports truncation, corruption and trailing bytes", "[extract][gzip]") {
  cairn::testing::ScratchDir dir("gzip-bad");
  std::string bytes = Slurp(AlpineApk());

  auto truncated = dir.path() / "truncated.apk";
  Spit(truncated, bytes.substr(0, 1000));
  auto r = FindGzipMembers(truncated);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() ==
        "'" + truncated.string() + "' is truncated: the gzip member at offset 666 has no end");

  auto trailing = dir.path() / "trailing.apk";
  Spit(trailing, bytes + "junk");
  r = FindGzipMembers(trailing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() ==
        "'" + trailing.string() + "': the bytes at offset 11012 are not a gzip member");

  // The first byte after the 10-byte gzip header of the control member is
  // the start of the deflate stream; 0x07 makes its block type invalid.
  auto corrupt = dir.path() / "corrupt.apk";
  std::string bad = bytes;
  bad[666 + 10] = static_cast<char>(0x07);
  Spit(corrupt, bad);
  r = FindGzipMembers(corrupt);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "'" + corrupt.string() +
                                   "': the gzip member at offset 666 is corrupt (zlib: invalid "
                                   "block type)");

  auto missing = FindGzipMembers(dir.path() / "nope.apk");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() ==
        "file '" + (dir.path() / "nope.apk").string() + "' does not exist");
}

TEST_CASE("GzipMemberOf writes a deterministic member that gzip reads back", "[extract][gzip]") {
  cairn::testing::ScratchDir dir("gzip-write");
  std::string payload(200000, 'x');
  for (size_t i = 0; i < payload.size(); i += 7) payload[i] = static_cast<char>('a' + i % 26);
  auto a = GzipMemberOf(payload);
  auto b = GzipMemberOf(payload);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  // Header: magic, deflate, no flags, MTIME 0, XFL 2 (level 9), OS 3.
  CHECK(a->substr(0, 10) == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10));
  auto file = dir.path() / "payload.gz";
  Spit(file, *a + *a);
  auto members = FindGzipMembers(file);
  REQUIRE(members.ok());
  REQUIRE(members->size() == 2);
  CHECK((*members)[1].offset == a->size());
  CHECK((*members)[1].uncompressed_size == payload.size());
  CHECK(testing::MustRun({"gzip", "-dc", file.string()}) == payload + payload);
}

}  // namespace
}  // namespace cairn::extract
