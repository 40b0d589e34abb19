// ReadCompressedFile / Decompressor / CompressBytes, cross-checked with the
// command-line compressors (gzip, xz, lzma, zstd, bzip2, lz4).
#include "cairn/extract/compressed_file.h"

#include <catch2/catch.hpp>

#include "extract_test_util.h"

namespace cairn::extract {
namespace {

namespace fs = std::filesystem;
using testing::MustRun;
using testing::Slurp;
using testing::Spit;

// A Packages-like text of about 300 KiB: compressible, and longer than one
// 64 KiB read on both sides of the decompressor.
std::string IndexText() {
  std::string s;
  for (int i = 0; s.size() < 300 * 1024; ++i)
    s += "Package: pkg" + std::to_string(i) + "\nVersion: 1." + std::to_string(i * 7 % 13) +
         "\nArchitecture: amd64\n\n";
  return s;
}

struct Tool {
  std::string compression;
  std::vector<std::string> compress;  // reads stdin-less: file argument appended
  std::vector<std::string> decompress;
};

const std::vector<Tool> kTools = {
    {"gzip", {"gzip", "-nc"}, {"gzip", "-dc"}},
    {"xz", {"xz", "-c"}, {"xz", "-dc"}},
    {"lzma", {"xz", "--format=lzma", "-c"}, {"xz", "--format=lzma", "-dc"}},
    {"zstd", {"zstd", "-qc"}, {"zstd", "-qdc"}},
    {"bzip2", {"bzip2", "-c"}, {"bzip2", "-dc"}},
    {"lz4", {"lz4", "-qc"}, {"lz4", "-qdc"}},
};

fs::path CompressWithTool(const Tool& tool, const fs::path& plain, const fs::path& out) {
  std::vector<std::string> argv = tool.compress;
  argv.push_back(plain.string());
  Spit(out, MustRun(argv));
  return out;
}

std::string Expect(Result<std::string> r) {
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

TEST_CASE("ReadCompressedFile undoes every supported compressor", "[extract][deb]") {
  cairn::testing::ScratchDir dir("compressed-read");
  const std::string text = IndexText();
  fs::path plain = dir.path() / "Packages";
  Spit(plain, text);
  CHECK(Expect(ReadCompressedFile(plain, text.size())) == text);
  for (const Tool& tool : kTools) {
    SECTION(tool.compression) {
      fs::path file = CompressWithTool(tool, plain, dir.path() / ("Packages." + tool.compression));
      CHECK(Expect(ReadCompressedFile(file, text.size())) == text);

      // The streaming form delivers the same bytes in several chunks and
      // reports the detected format.
      std::string joined;
      int chunks = 0;
      Status st = StreamCompressedFile(file, [&](std::string_view chunk) -> Status {
        ++chunks;
        CHECK_FALSE(chunk.empty());
        joined.append(chunk);
        return {};
      });
      REQUIRE(st.ok());
      CHECK(joined == text);
      // lz4 decodes a whole block (the CLI writes 4 MiB blocks) at a time.
      if (tool.compression != "lz4") CHECK(chunks > 1);

      std::string bytes = Slurp(file);
      auto d = Decompressor::OpenMemory(bytes, "mem");
      REQUIRE(d.ok());
      CHECK(CompressionName(d->compression()) == tool.compression);
      auto skipped = d->Drain();
      REQUIRE(skipped.ok());
      CHECK(*skipped == text.size());
    }
  }
}

TEST_CASE("CompressBytes output is read back by the command-line tools", "[extract][deb]") {
  cairn::testing::ScratchDir dir("compressed-write");
  const std::string text = IndexText();
  for (const Tool& tool : kTools) {
    SECTION(tool.compression) {
      auto c = ParseCompression(tool.compression);
      REQUIRE(c.ok());
      std::string packed = Expect(CompressBytes(text, *c));
      CHECK(packed.size() < text.size() / 4);
      // Deterministic: the same input gives the same bytes (gzip stores no time).
      CHECK(Expect(CompressBytes(text, *c)) == packed);
      fs::path file = dir.path() / ("out." + tool.compression);
      Spit(file, packed);
      std::vector<std::string> argv = tool.decompress;
      argv.push_back(file.string());
      CHECK(MustRun(argv) == text);
      CHECK(Expect(ReadCompressedFile(file, text.size())) == text);
    }
  }
  SECTION("gzip header: no name, MTIME 0") {
    std::string packed = Expect(CompressBytes("x", Compression::kGzip));
    REQUIRE(packed.size() > 10);
    CHECK(packed.substr(0, 4) == std::string("\x1f\x8b\x08\x00", 4));  // FLG: no FNAME
    CHECK(packed.substr(4, 4) == std::string(4, '\0'));
  }
  SECTION("none and empty input") {
    CHECK(Expect(CompressBytes(text, Compression::kNone)) == text);
    std::string empty_xz = Expect(CompressBytes("", Compression::kXz));
    CHECK_FALSE(empty_xz.empty());
    auto d = Decompressor::OpenMemory(empty_xz, "empty.xz", Compression::kXz);
    REQUIRE(d.ok());
    auto chunk = d->Read();
    REQUIRE(chunk.ok());
    CHECK(chunk->empty());
  }
}

TEST_CASE("compression names", "[extract][deb]") {
  for (std::string name : {"none", "gzip", "xz", "lzma", "zstd", "bzip2", "lz4"}) {
    auto c = ParseCompression(name);
    REQUIRE(c.ok());
    CHECK(CompressionName(*c) == name);
  }
  auto bad = ParseCompression("gz");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Code::kUsage);
  CHECK(bad.error().message() ==
        "unknown compression 'gz' (expected 'none', 'gzip', 'xz', 'lzma', 'zstd', 'bzip2' or "
        "'lz4')");
}

TEST_CASE("ReadCompressedFile rejects bombs, truncation and corruption", "[extract][deb]") {
  cairn::testing::ScratchDir dir("compressed-bad");
  const std::string text = IndexText();
  fs::path plain = dir.path() / "Packages";
  Spit(plain, text);
  fs::path xz = CompressWithTool(kTools[1], plain, dir.path() / "Packages.xz");
  fs::path bad = dir.path() / "bad";

  SECTION("output larger than max_bytes") {
    auto r = ReadCompressedFile(xz, text.size() - 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() == "'" + xz.string() + "' decompresses to more than " +
                                     std::to_string(text.size() - 1) + " bytes");
    // A plain file is held to the same bound.
    auto p = ReadCompressedFile(plain, 1000);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message() == "'" + plain.string() + "' decompresses to more than 1000 bytes");
  }
  SECTION("a 1 GiB bomb stops at the bound") {
    // 64 concatenated xz streams of 16 MiB of zeros: 1 GiB from 165 KB.
    // Only max_bytes are ever decompressed and held.
    fs::path zeros = dir.path() / "zeros";
    Spit(zeros, std::string(16 << 20, '\0'));
    std::string one = MustRun({"xz", "-c", zeros.string()});
    std::string bytes;
    for (int i = 0; i < 64; ++i) bytes += one;
    fs::path bomb = dir.path() / "bomb.xz";
    Spit(bomb, bytes);
    auto r = ReadCompressedFile(bomb, 1 << 20);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "'" + bomb.string() + "' decompresses to more than 1048576 bytes");
  }
  SECTION("truncated streams") {
    struct Case {
      size_t tool;
      std::string text;
    };
    // libarchive's own words for each format's premature end.
    for (const Case& c : std::vector<Case>{
             {0, "truncated or corrupt gzip data (truncated gzip input)"},
             {1, "truncated or corrupt xz data (Lzma library error:  No progress is possible)"},
             {3, "truncated or corrupt zstd data (Truncated zstd input)"},
             // bzip2 fails while libarchive is still detecting the format.
             {4, "truncated or corrupt compressed data (truncated bzip2 input)"},
         }) {
      const Tool& tool = kTools[c.tool];
      std::string full = Slurp(CompressWithTool(tool, plain, dir.path() / "full"));
      Spit(bad, full.substr(0, full.size() / 2));
      auto r = ReadCompressedFile(bad, text.size());
      INFO(tool.compression);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code() == Code::kIntegrity);
      CHECK(r.error().message() == "'" + bad.string() + "': " + c.text);
    }
  }
  SECTION("gzip cut inside its trailer") {
    std::string full = Slurp(CompressWithTool(kTools[0], plain, dir.path() / "full"));
    Spit(bad, full.substr(0, full.size() - 3));
    auto r = ReadCompressedFile(bad, text.size());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message().rfind("'" + bad.string() + "': truncated or corrupt gzip data (",
                                    0) == 0);
  }
  SECTION("a flipped byte") {
    testing::CopyFlipped(xz, bad, Slurp(xz).size() / 2);
    auto r = ReadCompressedFile(bad, text.size());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() ==
          "'" + bad.string() +
              "': truncated or corrupt xz data (Lzma library error: Corrupted input data)");
  }
  SECTION("missing file") {
    auto r = ReadCompressedFile(dir.path() / "absent", 10);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kNotFound);
    CHECK(r.error().message() == "file '" + (dir.path() / "absent").string() + "' does not exist");
  }
  SECTION("an empty file is an empty stream") {
    Spit(bad, "");
    CHECK(Expect(ReadCompressedFile(bad, 10)).empty());
    auto d = Decompressor::OpenMemory("", "empty", Compression::kXz);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().message() == "'empty' is not compressed (expected xz data)");
    auto none = Decompressor::OpenMemory("", "empty", Compression::kNone);
    REQUIRE(none.ok());
    auto chunk = none->Read();
    REQUIRE(chunk.ok());
    CHECK(chunk->empty());
  }
  SECTION("a sink's error is returned unchanged") {
    Status st = StreamCompressedFile(
        xz, [](std::string_view) -> Status { return NotFoundError("sink says no"); });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kNotFound);
    CHECK(st.error().message() == "sink says no");
  }
}

TEST_CASE("Decompressor checks the expected format", "[extract][deb]") {
  const std::string text = IndexText();
  auto gz = CompressBytes(text, Compression::kGzip);
  REQUIRE(gz.ok());
  auto wrong = Decompressor::OpenMemory(*gz, "data.tar.xz", Compression::kXz);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code() == Code::kIntegrity);
  CHECK(wrong.error().message() == "'data.tar.xz' is gzip-compressed (expected xz data)");

  auto plain = Decompressor::OpenMemory(text, "data.tar.gz", Compression::kGzip);
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().message() == "'data.tar.gz' is not compressed (expected gzip data)");

  auto packed = Decompressor::OpenMemory(*gz, "data.tar", Compression::kNone);
  REQUIRE_FALSE(packed.ok());
  CHECK(packed.error().message() == "'data.tar' is gzip-compressed (expected uncompressed data)");

  auto xz_of_gz = CompressBytes(*gz, Compression::kXz);
  REQUIRE(xz_of_gz.ok());
  auto twice = Decompressor::OpenMemory(*xz_of_gz, "Packages.xz");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().message() == "'Packages.xz' is compressed more than once (gzip inside xz)");

  // A source error reaches the caller unchanged.
  auto failing = Decompressor::Open(
      []() -> Result<std::string_view> { return IoError("disk on fire"); }, "src");
  REQUIRE_FALSE(failing.ok());
  CHECK(failing.error().code() == Code::kIo);
  CHECK(failing.error().message() == "disk on fire");
}

}  // namespace
}  // namespace cairn::extract
