// Lock files: exact formatting, round trips, strict reading and its errors.
#include <catch2/catch.hpp>

#include <fstream>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/lock/lock.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using cairn::Code;
using namespace cairn::lock;

namespace {

Lock SampleLock() {
  Lock lock;
  lock.config.files = {{"images/base.yaml", std::string(64, 'a')},
                       {"layers/core.yaml", std::string(64, 'b')}};
  lock.config.sha256 = ConfigDigest(lock.config.files);
  lock.keyring = {{"alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub", std::string(64, 'c')}};
  lock.repositories = {{"https://dl-cdn.alpinelinux.org/alpine/v3.20/main", ""},
                       {"https://example.org/edge/testing", "testing"}};
  std::string main = lock.repositories[0].url;
  lock.archs["x86_64"].packages = {
      {"musl", "1.2.5-r0", "x86_64", main + "/x86_64/musl-1.2.5-r0.apk",
       "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", 411234, std::string(64, 'd'), main},
      {"busybox", "1.36.1-r29", "x86_64", main + "/x86_64/busybox-1.36.1-r29.apk",
       "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 500000, "", main}};
  lock.archs["aarch64"].packages = {{"musl", "1.2.5-r0", "aarch64",
                                     main + "/aarch64/musl-1.2.5-r0.apk",
                                     "Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB=", 400000, "", main}};
  return lock;
}

const char* kMinimal = R"({
  "version": 1,
  "config": {
    "files": [
      {
        "path": "a.yaml",
        "sha256": "00"
      }
    ],
    "sha256": "11"
  },
  "keyring": [],
  "repositories": [
    {
      "url": "https://r",
      "tag": ""
    }
  ],
  "archs": {
    "x86_64": {
      "packages": [
        {
          "name": "zlib",
          "version": "1.3-r0",
          "arch": "x86_64",
          "url": "https://r/x86_64/zlib-1.3-r0.apk",
          "checksum": "Q1x=",
          "size": 7,
          "repository": "https://r"
        }
      ]
    }
  }
}
)";

Lock MinimalLock() {
  Lock lock;
  lock.config = {{{"a.yaml", "00"}}, "11"};
  lock.repositories = {{"https://r", ""}};
  lock.archs["x86_64"].packages = {
      {"zlib", "1.3-r0", "x86_64", "https://r/x86_64/zlib-1.3-r0.apk", "Q1x=", 7, "", "https://r"}};
  return lock;
}

cairn::Error ParseError(const std::string& text) {
  auto r = ParseLock(text, "img.lock.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kConfig);
  return r.error();
}

/// kMinimal with one substring replaced.
std::string Edit(const std::string& from, const std::string& to) {
  std::string text = kMinimal;
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("FormatLock writes the documented layout", "[lock]") {
  CHECK(FormatLock(MinimalLock()) == kMinimal);
  auto parsed = ParseLock(kMinimal, "x");
  REQUIRE(parsed.ok());
  CHECK(*parsed == MinimalLock());
}

TEST_CASE("a lock round-trips through a file and keeps install order", "[lock]") {
  cairn::testing::ScratchDir dir("lock");
  Lock lock = SampleLock();
  std::string text = FormatLock(lock);
  CHECK(text.back() == '\n');
  REQUIRE(cairn::WriteFileAtomic(dir.path() / "img.lock.json", text).ok());
  auto read = ReadLock(dir.path() / "img.lock.json");
  REQUIRE(read.ok());
  CHECK(*read == lock);
  CHECK(FormatLock(*read) == text);

  // Independent reader: archs sorted, packages in install order, datahash only when known.
  auto jq = cairn::testing::RunCommand(
      {"jq", "-c",
       "[(.archs | keys), [.archs.x86_64.packages[].name], "
       "[.archs.x86_64.packages[] | has(\"datahash\")], .version]",
       (dir.path() / "img.lock.json").string()});
  REQUIRE(jq.exit_code == 0);
  CHECK(jq.out == "[[\"aarch64\",\"x86_64\"],[\"musl\",\"busybox\"],[true,false],1]\n");
}

TEST_CASE("ConfigDigest hashes sha256sum-style lines sorted by path", "[lock]") {
  cairn::testing::ScratchDir dir("lock");
  std::ofstream(dir.path() / "b.yaml") << "b: 1\n";
  std::ofstream(dir.path() / "a.yaml") << "a: 1\n";
  std::vector<LockedFile> files = {{"b.yaml", cairn::Sha256Hex("b: 1\n")},
                                   {"a.yaml", cairn::Sha256Hex("a: 1\n")}};
  auto sh = cairn::testing::RunCommand(
      {"sh", "-c", "sha256sum a.yaml b.yaml | sha256sum | cut -d' ' -f1"}, {}, dir.path());
  REQUIRE(sh.exit_code == 0);
  CHECK(ConfigDigest(files) + "\n" == sh.out);
  std::swap(files[0], files[1]);
  CHECK(ConfigDigest(files) + "\n" == sh.out);
}

TEST_CASE("PackageInfo converts to and from a locked package", "[lock]") {
  cairn::apk::PackageInfo info;
  info.name = "musl";
  info.version = "1.2.5-r0";
  info.arch = "x86_64";
  info.checksum = "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=";
  info.size = 42;
  info.datahash = std::string(64, 'e');
  info.repository = "https://r";
  info.description = "not kept";
  LockedPackage p = FromPackageInfo(info, "https://r/x86_64/musl-1.2.5-r0.apk");
  CHECK(p == LockedPackage{"musl", "1.2.5-r0", "x86_64", "https://r/x86_64/musl-1.2.5-r0.apk",
                           info.checksum, 42, info.datahash, "https://r"});
  cairn::apk::PackageInfo back = ToPackageInfo(p);
  CHECK(back.name == "musl");
  CHECK(back.checksum == info.checksum);
  CHECK(back.size == 42);
  CHECK(back.datahash == info.datahash);
  CHECK(back.description.empty());
}

TEST_CASE("reading a lock names the missing or mistyped field and the file", "[lock]") {
  CHECK(ParseError(Edit("\"checksum\": \"Q1x=\",\n", "")).Render() ==
        "img.lock.json: error: missing field 'archs.x86_64.packages[0].checksum' "
        "(expected a string)");
  CHECK(ParseError(Edit("\"size\": 7", "\"size\": \"7\"")).Render() ==
        "img.lock.json: error: field 'archs.x86_64.packages[0].size' is a string "
        "(expected a non-negative integer)");
  CHECK(ParseError(Edit("\"size\": 7", "\"size\": -7")).message() ==
        "field 'archs.x86_64.packages[0].size' is a negative number "
        "(expected a non-negative integer)");
  CHECK(ParseError(Edit("\"sha256\": \"00\"", "\"sha256\": 0")).message() ==
        "field 'config.files[0].sha256' is a number (expected a string)");
  CHECK(ParseError(Edit("\"keyring\": []", "\"keyring\": {}")).message() ==
        "field 'keyring' is an object (expected an array)");
  CHECK(ParseError(Edit("\"keyring\": []", "\"keyring\": [\"k\"]")).message() ==
        "field 'keyring[0]' is a string (expected an object)");
  CHECK(ParseError(Edit("\"tag\": \"\"", "\"tag\": null")).message() ==
        "field 'repositories[0].tag' is null (expected a string)");
  CHECK(ParseError(Edit("\"tag\": \"\"", "\"tag\": \"\", \"pin\": true")).message() ==
        "unknown field 'repositories[0].pin'");
  CHECK(ParseError(Edit("\"version\": 1", "\"version\": 2")).message() ==
        "unsupported lock version 2 (expected 1)");
  CHECK(ParseError(Edit("\"version\": 1", "\"version\": 1.5")).message() ==
        "field 'version' is a fractional number (expected an integer)");
  CHECK(ParseError(Edit("\"version\": 1,\n", "")).message() ==
        "missing field 'version' (expected an integer)");
  CHECK(ParseError(Edit("\"x86_64\": {", "\"x86_64\": {\"pkgs\": [],")).message() ==
        "unknown field 'archs.x86_64.pkgs'");
  CHECK(ParseError("[]").message() == "the lock is an array (expected an object)");
}

TEST_CASE("a JSON syntax error points at its line and column", "[lock]") {
  CHECK(ParseError(Edit("\"keyring\": [],", "\"keyring\": [],,")).Render() ==
        "img.lock.json:12:17: error: invalid JSON: syntax error while parsing object key - "
        "unexpected ','; expected string literal\n"
        "    \"keyring\": [],,\n"
        "                  ^");
}

TEST_CASE("reading a missing lock file is kNotFound", "[lock]") {
  auto r = ReadLock("/nonexistent/img.lock.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kNotFound);
  CHECK(r.error().message() == "lock file '/nonexistent/img.lock.json' does not exist");
}

TEST_CASE("a layered target records what each layer added, keyed by board", "[lock]") {
  cairn::testing::ScratchDir dir("lock");
  Lock lock = SampleLock();
  LockedArch& board = lock.archs["qemu-x86_64"];
  board.arch = "x86_64";
  board.layers = {{"core", {lock.archs["x86_64"].packages[0]}},
                  {"ssh", {lock.archs["x86_64"].packages[1]}},
                  {"board-qemu-x86_64", {}}};
  board.packages = lock.archs["x86_64"].packages;  // the layers' concatenation
  std::string text = FormatLock(lock);
  REQUIRE(cairn::WriteFileAtomic(dir.path() / "img.lock.json", text).ok());
  auto read = ReadLock(dir.path() / "img.lock.json");
  REQUIRE(read.ok());
  CHECK(*read == lock);
  CHECK(FormatLock(*read) == text);

  auto jq = cairn::testing::RunCommand(
      {"jq", "-c",
       ".archs[\"qemu-x86_64\"] | [.arch, [.layers[] | [.name, [.packages[].name]]], has(\"packages\")]",
       (dir.path() / "img.lock.json").string()});
  REQUIRE(jq.exit_code == 0);
  CHECK(jq.out ==
        "[\"x86_64\",[[\"core\",[\"musl\"]],[\"ssh\",[\"busybox\"]],[\"board-qemu-x86_64\",[]]],false]\n");

  std::string bad = text;
  bad.replace(bad.find("\"name\": \"ssh\""), 13, "\"nam\": \"ssh\"");
  auto parsed = ParseLock(bad, "img.lock.json");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message() == "unknown field 'archs.qemu-x86_64.layers[1].nam'");
}
