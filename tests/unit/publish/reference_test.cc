// Reference parsing: Docker's defaulting rules and the distribution grammar.
#include "cairn/publish/reference.h"

#include <catch2/catch.hpp>

using cairn::Code;
using cairn::publish::ParseReference;

namespace {

std::string Parsed(const std::string& text) {
  auto r = ParseReference(text);
  REQUIRE(r.ok());
  return r->registry + "|" + r->repository + "|" + r->tag + "|" + r->digest;
}

std::string ErrorOf(const std::string& text) {
  auto r = ParseReference(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kUsage);
  return r.error().message();
}

const std::string kHex = "2ef91a9967f2e1759ea49a8c01cf6a45dd9f9af71fe09bcf2b86175bc4a71314";

}  // namespace

TEST_CASE("references default to Docker Hub and library/", "[publish][reference]") {
  CHECK(Parsed("alpine") == "docker.io|library/alpine||");
  CHECK(Parsed("alpine:3.20") == "docker.io|library/alpine|3.20|");
  CHECK(Parsed("team/app:1") == "docker.io|team/app|1|");
  CHECK(Parsed("docker.io/alpine") == "docker.io|library/alpine||");
  CHECK(Parsed("index.docker.io/team/app") == "docker.io|team/app||");
  auto hub = ParseReference("alpine");
  REQUIRE(hub.ok());
  CHECK(hub->ApiHost() == "registry-1.docker.io");
  CHECK(hub->ToString() == "docker.io/library/alpine");
}

TEST_CASE("a first component with a dot or a port or localhost names the registry",
          "[publish][reference]") {
  CHECK(Parsed("localhost:5000/demo:1.0") == "localhost:5000|demo|1.0|");
  CHECK(Parsed("localhost/demo") == "localhost|demo||");
  CHECK(Parsed("127.0.0.1:41234/cairn/demo") == "127.0.0.1:41234|cairn/demo||");
  CHECK(Parsed("ghcr.io/org/sub/app:v1-rc.2") == "ghcr.io|org/sub/app|v1-rc.2|");
  CHECK(Parsed("[::1]:5000/demo") == "[::1]:5000|demo||");
  // Without a slash "localhost:5000" is a Hub repository "localhost" with tag "5000", as in Docker.
  CHECK(Parsed("localhost:5000") == "docker.io|library/localhost|5000|");
  auto r = ParseReference("localhost:5000/a/b:t");
  REQUIRE(r.ok());
  CHECK(r->ApiHost() == "localhost:5000");
  CHECK(r->ToString() == "localhost:5000/a/b:t");
}

TEST_CASE("digests follow the tag or replace it", "[publish][reference]") {
  CHECK(Parsed("r.io/a@sha256:" + kHex) == "r.io|a||sha256:" + kHex);
  CHECK(Parsed("r.io/a:t@sha256:" + kHex) == "r.io|a|t|sha256:" + kHex);
  CHECK(ErrorOf("r.io/a@sha512:" + kHex) == "unsupported digest 'sha512:" + kHex +
                                                "' in 'r.io/a@sha512:" + kHex +
                                                "' (expected sha256:<64 hex digits>)");
  CHECK(ErrorOf("r.io/a@sha256:abc") ==
        "invalid digest 'sha256:abc' in 'r.io/a@sha256:abc' (expected sha256:<64 lowercase hex "
        "digits>)");
}

TEST_CASE("invalid references name what is wrong", "[publish][reference]") {
  CHECK(ErrorOf("") == "empty image reference");
  CHECK(ErrorOf("localhost:5000/Demo") ==
        "repository name 'Demo' in 'localhost:5000/Demo' must be lowercase");
  CHECK(
      ErrorOf("r.io/a--b_-c") ==
      "invalid repository name 'a--b_-c' in 'r.io/a--b_-c' (expected lowercase letters and digits "
      "separated by '.', '_', '__', '-' or '/')");
  CHECK(ErrorOf("r.io/a//b").find("invalid repository name 'a//b'") == 0);
  CHECK(ErrorOf("r.io/a:.bad") ==
        "invalid tag '.bad' in 'r.io/a:.bad' (expected up to 128 letters, digits, '_', '.' or '-', "
        "not starting with '.' or '-')");
  CHECK(ErrorOf("r.io/a:" + std::string(129, 'x')).find("invalid tag") == 0);
  CHECK(ErrorOf("bad_host:x/a") ==
        "invalid registry 'bad_host:x' in 'bad_host:x/a' (expected HOST or HOST:PORT)");
  CHECK(ErrorOf("r.io/") == "no repository name in 'r.io/'");
  // "a--b" is valid (runs of '-'); "a.-b" is not.
  CHECK(Parsed("r.io/a--b") == "r.io|a--b||");
  CHECK(ErrorOf("r.io/a.-b").find("invalid repository name") == 0);
}

TEST_CASE("IsValidTag follows the distribution grammar", "[publish][reference]") {
  using cairn::publish::IsValidTag;
  CHECK(IsValidTag("latest"));
  CHECK(IsValidTag("_x.Y-1"));
  CHECK(IsValidTag(std::string(128, 'a')));
  CHECK_FALSE(IsValidTag(std::string(129, 'a')));
  CHECK_FALSE(IsValidTag("-x"));
  CHECK_FALSE(IsValidTag("a/b"));
  CHECK_FALSE(IsValidTag(""));
  CHECK(IsValidTag("sha256-" + kHex));
}
