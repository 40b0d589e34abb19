// Docker config parsing and credential lookup, with a fake credential helper
// (a shell script on PATH in the test's scratch directory).
#include "cairn/publish/credentials.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using cairn::Code;
using namespace cairn::publish;

namespace {

/// Sets an environment variable for the test's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void WriteExecutable(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), 0755);
}

/// A helper that answers for "r.example" and "https://index.docker.io/v1/",
/// says "not found" otherwise, and logs what it was asked.
void WriteFakeHelper(const fs::path& dir, const std::string& name) {
  WriteExecutable(dir / ("docker-credential-" + name), R"(#!/bin/sh
[ "$1" = get ] || exit 3
read server
echo "$server" >> "$(dirname "$0")/asked.log"
case "$server" in
  r.example) echo '{"ServerURL":"r.example","Username":"helper-user","Secret":"helper-pass"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"hub","Username":"<token>","Secret":"refresh-123"}' ;;
  broken.example) echo 'helper exploded' >&2; exit 2 ;;
  garbage.example) echo 'not json' ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
)");
}

}  // namespace

TEST_CASE("auths entries decode base64 auth and normalise their keys", "[publish][credentials]") {
  std::string json = R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                     cairn::Base64Encode("hubuser:hub:pass") + R"("},
      "http://localhost:5000/": {"auth": ")" +
                     cairn::Base64Encode("u:p") + R"("},
      "ghcr.io": {"username": "gu", "password": "gp"},
      "quay.io": {"identitytoken": "idt"},
      "marker.example": {}
    },
    "credHelpers": {"https://helped.example": "pass"},
    "credsStore": "desktop",
    "psFormat": "ignored"
  })";
  auto c = ParseDockerConfig(json, "/home/u/.docker/config.json");
  REQUIRE(c.ok());
  CHECK(c->auths.at("docker.io").username == "hubuser");
  CHECK(c->auths.at("docker.io").password == "hub:pass");  // split at the first colon
  CHECK(c->auths.at("localhost:5000").password == "p");
  CHECK(c->auths.at("ghcr.io").username == "gu");
  CHECK(c->auths.at("ghcr.io").password == "gp");
  CHECK(c->auths.at("quay.io").identity_token == "idt");
  CHECK(c->cred_helpers.at("helped.example") == "pass");
  CHECK(c->creds_store == "desktop");
}

TEST_CASE("NormalizeRegistryKey and HelperServerUrl", "[publish][credentials]") {
  CHECK(NormalizeRegistryKey("https://index.docker.io/v1/") == "docker.io");
  CHECK(NormalizeRegistryKey("registry-1.docker.io") == "docker.io");
  CHECK(NormalizeRegistryKey("http://localhost:5000/v2/") == "localhost:5000");
  CHECK(NormalizeRegistryKey("ghcr.io") == "ghcr.io");
  CHECK(HelperServerUrl("docker.io") == "https://index.docker.io/v1/");
  CHECK(HelperServerUrl("localhost:5000") == "localhost:5000");
}

TEST_CASE("malformed config files are kConfig errors naming the file", "[publish][credentials]") {
  auto not_json = ParseDockerConfig("{", "/x/config.json");
  REQUIRE_FALSE(not_json.ok());
  CHECK(not_json.error().code() == Code::kConfig);
  CHECK(not_json.error().Render() ==
        "/x/config.json: error: not a JSON object (expected Docker's config.json)");
  auto bad_auth =
      ParseDockerConfig(R"({"auths": {"r.io": {"auth": "bm9jb2xvbg=="}}})", "/x/config.json");
  REQUIRE_FALSE(bad_auth.ok());
  CHECK(bad_auth.error().message() ==
        "auths entry 'r.io': 'auth' is not base64 of 'user:password'");
  auto bad_helper = ParseDockerConfig(R"({"credHelpers": {"r.io": 3}})", "/x/config.json");
  REQUIRE_FALSE(bad_helper.ok());
  CHECK(bad_helper.error().message() == "credHelpers entry 'r.io' must name a helper");
}

TEST_CASE("LoadDockerConfig reads $DOCKER_CONFIG/config.json and no file is an empty config",
          "[publish][credentials]") {
  cairn::testing::ScratchDir dir("docker-config");
  ScopedEnv env("DOCKER_CONFIG", dir.path().string());
  CHECK(DockerConfigPath() == dir.path() / "config.json");
  auto empty = LoadDockerConfig();
  REQUIRE(empty.ok());
  CHECK(empty->auths.empty());
  CHECK(empty->path.empty());
  std::ofstream(dir.path() / "config.json")
      << R"({"auths": {"localhost:5000": {"auth": ")" + cairn::Base64Encode("a:b") + R"("}}})";
  auto loaded = LoadDockerConfig();
  REQUIRE(loaded.ok());
  CHECK(loaded->path == dir.path() / "config.json");
  auto cred = FindCredential(*loaded, "localhost:5000");
  REQUIRE(cred.ok());
  REQUIRE(cred->has_value());
  CHECK((*cred)->username == "a");
  CHECK((*cred)->password == "b");
  auto none = FindCredential(*loaded, "other.example");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("credential helpers: credHelpers then credsStore then auths", "[publish][credentials]") {
  cairn::testing::ScratchDir dir("cred-helper");
  WriteFakeHelper(dir.path(), "fake");
  ScopedEnv path("PATH", dir.path().string() + ":" + std::getenv("PATH"));
  DockerConfig config;
  config.cred_helpers["r.example"] = "fake";
  config.cred_helpers["broken.example"] = "fake";
  config.cred_helpers["garbage.example"] = "fake";
  config.cred_helpers["missing.example"] = "absent";

  auto helped = FindCredential(config, "r.example");
  REQUIRE(helped.ok());
  REQUIRE(helped->has_value());
  CHECK((*helped)->username == "helper-user");
  CHECK((*helped)->password == "helper-pass");

  // The store answers for Docker Hub with an identity token ("<token>" user).
  config.creds_store = "fake";
  auto hub = FindCredential(config, "docker.io");
  REQUIRE(hub.ok());
  REQUIRE(hub->has_value());
  CHECK((*hub)->username.empty());
  CHECK((*hub)->identity_token == "refresh-123");

  // Not found in the store: the auths entry is used.
  config.auths["plain.example"] = {"pu", "pp", ""};
  auto fallback = FindCredential(config, "plain.example");
  REQUIRE(fallback.ok());
  REQUIRE(fallback->has_value());
  CHECK((*fallback)->username == "pu");
  auto nothing = FindCredential(config, "nowhere.example");
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->has_value());
  CHECK(cairn::ReadFile(dir.path() / "asked.log").value() ==
        "r.example\nhttps://index.docker.io/v1/\nplain.example\nnowhere.example\n");

  auto broken = FindCredential(config, "broken.example");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code() == Code::kTool);
  CHECK(broken.error().Render().find("asking credential helper 'fake' for 'broken.example'") == 0);
  CHECK(broken.error().Render().find("helper exploded") != std::string::npos);
  auto garbage = FindCredential(config, "garbage.example");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().message() ==
        "credential helper 'docker-credential-fake' printed no JSON object with a \"Secret\" for "
        "'garbage.example'");
  auto absent = FindCredential(config, "missing.example");
  REQUIRE_FALSE(absent.ok());
  CHECK(absent.error().code() == Code::kTool);
  CHECK(absent.error().Render().find("docker-credential-absent") != std::string::npos);
}
