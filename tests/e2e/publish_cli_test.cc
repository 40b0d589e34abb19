// `cairn publish` and `cairn build --push` as a user runs them, against
// Debian's docker-registry on 127.0.0.1: stdout, exit codes, the hint for a
// plain-HTTP registry, and credentials from a Docker config's credential helper.
#include <sys/stat.h>

#include "e2e/e2e_util.h"
#include "support/publish_fixture.h"
#include "support/registry_server.h"

namespace cairn::e2e {
namespace {

// bcrypt of "s3cret" (cost 4); docker-registry reads only bcrypt htpasswd entries.
const char* kHtpasswd = "cairn:$2b$04$IVz2TUEsbtgQEko57Hwj5uzj6jZuWAx499mfLSUgg68lBZNfFnQqO";

std::string Pulled(const std::string& ref, const fs::path& into, const std::string& creds = "") {
  std::vector<std::string> argv = {
      "skopeo", "copy", "--quiet", "--all", "--preserve-digests", "--src-tls-verify=false"};
  if (!creds.empty()) argv.insert(argv.end(), {"--src-creds", creds});
  argv.insert(argv.end(), {"docker://" + ref, "oci:" + into.string() + ":x"});
  auto r = RunCommand(argv);
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  return Jq(".manifests[0].digest", into / "index.json");
}

}  // namespace

TEST_CASE("cairn publish prints the pushed digest and TLS is the default", "[e2e][cli][publish]") {
  ScratchDir scratch("e2e-publish");
  auto built = testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  testing::RegistryServer registry(scratch.path() / "registry");
  const std::string ref = registry.host() + "/cairn/demo:1.0";
  const std::vector<std::string> env = {"DOCKER_CONFIG=" + (scratch.path() / "docker").string(),
                                        "CAIRN_CACHE_DIR=" + (scratch.path() / "cache").string()};

  auto tls = Cairn({"publish", built.dir.string(), ref}, env);
  CHECK(tls.exit_code == 1);
  CHECK(tls.out.empty());
  CHECK(tls.err.find("cairn: error: cannot reach registry '" + registry.host() + "': GET https://" +
                     registry.host() + "/v2/: ") != std::string::npos);
  CHECK(tls.err.find("hint: for a registry that speaks plain HTTP, pass --plain-http") !=
        std::string::npos);

  auto ok = Cairn({"publish", built.dir.string(), ref, "--plain-http"}, env);
  INFO(Tail(ok.err));
  REQUIRE(ok.exit_code == 0);
  CHECK(ok.out == built.index_digest + " " + ref + "\n");
  CHECK(ok.err.find("(1/4) uploaded " + built.blobs[0]) != std::string::npos);
  CHECK(ok.err.find("attached sbom-x86_64.spdx.json to " + built.manifests["x86_64"]) !=
        std::string::npos);
  CHECK(Pulled(ref, scratch.path() / "pulled") == built.index_digest);
  CHECK(fs::exists(scratch.path() / "cache" / "publish" / "mounts.json"));

  auto one = Cairn({"publish", built.dir.string(), registry.host() + "/cairn/one", "--plain-http",
                    "--ref", "demo-arm64"},
                   env);
  INFO(Tail(one.err));
  REQUIRE(one.exit_code == 0);
  CHECK(one.out == built.manifests["aarch64"] + " " + registry.host() + "/cairn/one:demo-arm64\n");
  CHECK(one.err.find("(1/2) mounted") != std::string::npos);  // from cairn/demo, recorded above

  auto bad =
      Cairn({"publish", built.dir.string(), registry.host() + "/Cairn/Demo", "--plain-http"}, env);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "cairn: error: repository name 'Cairn/Demo' in '" + registry.host() +
                       "/Cairn/Demo' must be lowercase\n");
  auto missing = Cairn({"publish", (scratch.path() / "nothing").string(), ref}, env);
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("is neither a cairn build output (with oci/) nor an OCI image layout") !=
        std::string::npos);
}

TEST_CASE("cairn build --push: credentials from a Docker credential helper",
          "[e2e][cli][publish][build]") {
  ScratchDir scratch("e2e-build-push");
  testing::RegistryServer registry(scratch.path() / "registry", kHtpasswd);
  const fs::path docker = scratch.path() / "docker";
  WriteText(docker / "config.json",
            R"({"auths": {}, "credHelpers": {")" + registry.host() + R"(": "cairntest"}})");
  // The helper answers for this registry only, as docker-credential-* do.
  const fs::path bin = scratch.path() / "bin";
  WriteText(
      bin / "docker-credential-cairntest",
      "#!/bin/sh\nread server\n[ \"$server\" = '" + registry.host() +
          "' ] || { echo 'credentials not found in native keychain'; exit 1; }\n"
          "echo '{\"ServerURL\":\"'$server'\",\"Username\":\"cairn\",\"Secret\":\"s3cret\"}'\n");
  ::chmod((bin / "docker-credential-cairntest").c_str(), 0755);
  const std::vector<std::string> env = {"DOCKER_CONFIG=" + docker.string(),
                                        "PATH=" + bin.string() + ":" + std::getenv("PATH")};
  WriteText(scratch.path() / "demo.yaml", DemoYaml());
  const std::string ref = registry.host() + "/cairn/built:dev";
  auto b = Cairn(
      {"build", "demo.yaml", "--cache-dir", "cache", "-o", "out", "--push", ref, "--plain-http"},
      env, scratch.path());
  INFO(Tail(b.err));
  REQUIRE(b.exit_code == 0);
  auto lines = Lines(b.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == lines[0] + " " + ref);  // the build's digest, then the push of it
  CHECK(Pulled(ref, scratch.path() / "pulled", "cairn:s3cret") == lines[0]);

  auto typo = Cairn({"build", "demo.yaml", "--push", "UPPER/case"}, env, scratch.path());
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("must be lowercase") != std::string::npos);
  CHECK(typo.err.find("loading") == std::string::npos);  // refused before building
}

}  // namespace cairn::e2e
