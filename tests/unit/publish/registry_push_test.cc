// Publish against a real registry: Debian's docker-registry (distribution
// 2.8.2) on 127.0.0.1, checked with independent tools: skopeo pulls the image
// back into an OCI layout (every digest must be unchanged) and curl reads the
// referrers tag and the SBOM blob through the registry's own HTTP API.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/publish/credentials.h"
#include "cairn/publish/publish.h"
#include "support/publish_fixture.h"
#include "support/registry_server.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using cairn::Code;
using namespace cairn::publish;
using cairn::testing::BuiltOutput;
using cairn::testing::RegistryServer;
using cairn::testing::RunCommand;
using cairn::testing::ScratchDir;

namespace {

// bcrypt of "s3cret" (cost 4, made with Python's crypt module); docker-registry
// reads only bcrypt htpasswd entries.
const char* kHtpasswd = "cairn:$2b$04$IVz2TUEsbtgQEko57Hwj5uzj6jZuWAx499mfLSUgg68lBZNfFnQqO";

PublishOptions Options(const fs::path& dir) {
  PublishOptions o;
  o.dir = dir;
  o.registry.plain_http = true;
  o.registry.retries = 1;
  o.registry.retry_backoff = std::chrono::milliseconds(10);
  return o;
}

cairn::Result<PublishReport> Push(const std::string& ref, const PublishOptions& o) {
  auto target = ParseReference(ref);
  REQUIRE(target.ok());
  auto transport = MakeCurlTransport();
  cairn::RecordingReporter reporter;
  return Publish(*target, o, *transport, reporter);
}

PublishReport PushOk(const std::string& ref, const PublishOptions& o) {
  auto r = Push(ref, o);
  INFO((r.ok() ? "" : r.error().Render()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

/// skopeo copy from the registry into a fresh OCI layout; its blob digests.
std::vector<std::string> PullBack(const std::string& ref, const fs::path& into,
                                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {
      "skopeo", "copy", "--quiet", "--all", "--preserve-digests", "--src-tls-verify=false"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("docker://" + ref);
  argv.push_back("oci:" + into.string() + ":pulled");
  auto r = RunCommand(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return cairn::testing::LayoutBlobDigests(into);
}

/// GET through the registry's API with curl (not cairn's client).
std::string Curl(const std::string& url, const std::string& accept = "") {
  std::vector<std::string> argv = {"curl", "-sS", "--fail"};
  if (!accept.empty()) argv.insert(argv.end(), {"-H", "Accept: " + accept});
  argv.push_back(url);
  auto r = RunCommand(argv);
  INFO(url << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

int CurlStatus(const std::string& url, bool head = false) {
  std::vector<std::string> argv = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url};
  if (head) argv.insert(argv.begin() + 1, "--head");
  auto r = RunCommand(argv);
  REQUIRE(r.exit_code == 0);
  return std::stoi(r.out);
}

std::string Hex(const std::string& digest) { return digest.substr(7); }

}  // namespace

TEST_CASE("push then pull back keeps every digest and each SBOM is a referrer of its image",
          "[publish][registry]") {
  ScratchDir scratch("publish-roundtrip");
  BuiltOutput built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  auto before = cairn::testing::TreeHashes(built.dir);
  RegistryServer registry(scratch.path() / "registry");
  const std::string ref = registry.host() + "/cairn/demo:1.0";

  PublishOptions o = Options(built.dir);
  o.registry.chunk_size = 100;  // every layer and config goes in several PATCH chunks
  PublishReport report = PushOk(ref, o);
  REQUIRE(report.tags.size() == 1);
  CHECK(report.tags[0].tag == "1.0");
  CHECK(report.tags[0].descriptor.digest == built.index_digest);
  CHECK(report.blobs_uploaded == 4);
  CHECK(report.blobs_existing == 0);
  // 3 image manifests/index, 3 SBOM artifacts, 3 referrers tags, the tag.
  CHECK(report.manifests == 10);
  CHECK(cairn::testing::TreeHashes(built.dir) == before);  // nothing written under DIR

  // skopeo's copy has exactly our blobs: the index, both manifests, configs and layers.
  fs::path pulled = scratch.path() / "pulled";
  CHECK(PullBack(ref, pulled) == cairn::testing::LayoutBlobDigests(built.dir / "oci"));
  auto pulled_index = nlohmann::json::parse(cairn::ReadFile(pulled / "index.json").value());
  CHECK(pulled_index["manifests"][0]["digest"] == built.index_digest);

  // docker-registry 2.8 has no referrers API (404), so the fallback tag lists each SBOM.
  REQUIRE(report.sboms.size() == 3);
  const std::string api = "http://" + registry.host() + "/v2/cairn/demo/";
  CHECK(CurlStatus(api + "referrers/" + built.manifests["x86_64"]) == 404);
  for (const auto& [arch, manifest] : built.manifests) {
    INFO(arch);
    const PublishedSbom* sbom = nullptr;
    for (const auto& s : report.sboms)
      if (s.subject == manifest) sbom = &s;
    REQUIRE(sbom != nullptr);
    CHECK_FALSE(sbom->referrers_api);
    CHECK(sbom->file == built.dir / "sbom" / ("sbom-" + arch + ".spdx.json"));
    auto referrers = nlohmann::json::parse(
        Curl(api + "manifests/sha256-" + Hex(manifest), "application/vnd.oci.image.index.v1+json"));
    CHECK(referrers["mediaType"] == "application/vnd.oci.image.index.v1+json");
    REQUIRE(referrers["manifests"].size() == 1);
    CHECK(referrers["manifests"][0]["digest"] == sbom->artifact);
    CHECK(referrers["manifests"][0]["artifactType"] == "application/spdx+json");
    // The artifact, as skopeo reads it: the SBOM as its layer, the image as its subject.
    auto raw = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false",
                           "docker://" + registry.host() + "/cairn/demo@" + sbom->artifact});
    REQUIRE(raw.exit_code == 0);
    CHECK("sha256:" + cairn::Sha256Hex(raw.out) == sbom->artifact);
    auto artifact = nlohmann::json::parse(raw.out);
    CHECK(artifact["artifactType"] == "application/spdx+json");
    CHECK(artifact["subject"]["digest"] == manifest);
    CHECK(artifact["config"]["mediaType"] == "application/vnd.oci.empty.v1+json");
    std::string sbom_bytes = cairn::ReadFile(sbom->file).value();
    CHECK(artifact["layers"][0]["digest"] == "sha256:" + cairn::Sha256Hex(sbom_bytes));
    CHECK(Curl(api + "blobs/" + artifact["layers"][0]["digest"].get<std::string>()) == sbom_bytes);
  }
  // The index SBOM refers to the index.
  auto index_referrers =
      nlohmann::json::parse(Curl(api + "manifests/sha256-" + Hex(built.index_digest),
                                 "application/vnd.oci.image.index.v1+json"));
  CHECK(index_referrers["manifests"].size() == 1);

  // cairn's client sees the same: no referrers API.
  auto transport = MakeCurlTransport();
  cairn::RecordingReporter reporter;
  RegistryClient client(ParseReference(ref).value(), o.registry, *transport, reporter);
  auto api_answer = client.GetReferrers(built.manifests["x86_64"]);
  REQUIRE(api_answer.ok());
  CHECK_FALSE(api_answer->has_value());
}

TEST_CASE(
    "a second push sends no blob and another repository mounts them and no tag pushes every ref",
    "[publish][registry]") {
  ScratchDir scratch("publish-again");
  BuiltOutput built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  RegistryServer registry(scratch.path() / "registry");
  PublishOptions o = Options(built.dir);
  o.mount_record = scratch.path() / "cache" / "mounts.json";
  const std::string ref = registry.host() + "/cairn/demo:1.0";
  PushOk(ref, o);

  PublishReport again = PushOk(ref, o);
  CHECK(again.blobs_existing == 4);
  CHECK(again.blobs_uploaded == 0);
  CHECK(again.client.uploads_started == 0);
  CHECK(again.client.bytes_uploaded == 0);
  CHECK(again.tags[0].descriptor.digest == built.index_digest);
  // The referrers tag still lists each SBOM once.
  auto referrers =
      nlohmann::json::parse(Curl("http://" + registry.host() + "/v2/cairn/demo/manifests/sha256-" +
                                     Hex(built.manifests["aarch64"]),
                                 "application/vnd.oci.image.index.v1+json"));
  CHECK(referrers["manifests"].size() == 1);

  // Another repository of the same registry: the layers and configs are mounted.
  PublishReport other = PushOk(registry.host() + "/team/copy:2", o);
  CHECK(other.blobs_mounted == 4);
  CHECK(other.blobs_uploaded == 0);
  CHECK(other.blobs_existing == 0);
  fs::path pulled = scratch.path() / "pulled";
  CHECK(PullBack(registry.host() + "/team/copy:2", pulled) ==
        cairn::testing::LayoutBlobDigests(built.dir / "oci"));

  // A mount source that lacks the blobs: the registry opens an upload instead, which is used.
  PublishOptions guess = Options(built.dir);
  guess.mount_from = {"nobody/here"};
  PublishReport fallback = PushOk(registry.host() + "/team/third:1", guess);
  CHECK(fallback.blobs_mounted == 0);
  CHECK(fallback.blobs_uploaded == 4);

  // No tag in the reference: every ref of index.json under its own name.
  PublishReport each = PushOk(registry.host() + "/cairn/each", o);
  std::vector<std::string> tags;
  for (const auto& t : each.tags) tags.push_back(t.tag);
  CHECK(tags == std::vector<std::string>{"demo", "demo-amd64", "demo-arm64"});
  CHECK(each.tags[1].descriptor.digest == built.manifests["x86_64"]);
  auto list = nlohmann::json::parse(Curl("http://" + registry.host() + "/v2/cairn/each/tags/list"));
  CHECK(list["tags"].size() == 3 + 3);  // three images and three referrers tags
}

TEST_CASE(
    "a registry that goes away mid-push gives a clear error and the repeat sends only what is "
    "missing",
    "[publish][registry]") {
  ScratchDir scratch("publish-interrupted");
  BuiltOutput built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  auto before = cairn::testing::TreeHashes(built.dir);
  RegistryServer registry(scratch.path() / "registry");
  const std::string ref = registry.host() + "/cairn/demo:1.0";
  PublishOptions o = Options(built.dir);
  size_t seen = 0;
  o.after_blob = [&](const cairn::oci::Descriptor&) {
    if (++seen == 2) registry.Stop();
  };
  auto failed = Push(ref, o);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code() == Code::kIo);
  std::string text = failed.error().Render();
  INFO(text);
  CHECK(text.find("pushing blob " + built.blobs[2] + " to '" + ref + "': HEAD http://" +
                  registry.host() + "/v2/cairn/demo/blobs/" + built.blobs[2] + ": ") == 0);
  CHECK(text.find("Couldn't connect to server") != std::string::npos);
  CHECK(text.find("hint: gave up after 2 attempts") != std::string::npos);
  CHECK(cairn::testing::TreeHashes(built.dir) == before);

  registry.Start();
  o.after_blob = nullptr;
  PublishReport repeat = PushOk(ref, o);
  CHECK(repeat.blobs_existing == 2);
  CHECK(repeat.blobs_uploaded == 2);
  CHECK(repeat.client.uploads_started == 2 + 4);  // two blobs, the empty config, three SBOMs
  fs::path pulled = scratch.path() / "pulled";
  CHECK(PullBack(ref, pulled) == cairn::testing::LayoutBlobDigests(built.dir / "oci"));
}

TEST_CASE("Basic auth refuses wrong credentials clearly and uses the Docker config's",
          "[publish][registry][auth]") {
  ScratchDir scratch("publish-auth");
  BuiltOutput built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  RegistryServer registry(scratch.path() / "registry", kHtpasswd);
  const std::string ref = registry.host() + "/cairn/demo:1.0";

  // The credentials come from a Docker config file, as the CLI reads them.
  auto config_with = [&](const std::string& password) {
    std::string json = R"({"auths": {")" + registry.host() + R"(": {"auth": ")" +
                       cairn::Base64Encode("cairn:" + password) + R"("}}})";
    return ParseDockerConfig(json, scratch.path() / "config.json").value();
  };
  PublishOptions o = Options(built.dir);
  DockerConfig wrong = config_with("guess");
  o.registry.credentials = [&](std::string_view r) { return FindCredential(wrong, r); };
  auto refused = Push(ref, o);
  REQUIRE_FALSE(refused.ok());
  CHECK(
      refused.error().Render() ==
      "checking the API of registry '" + registry.host() + "': registry '" + registry.host() +
          "' answered HTTP 401 Unauthorized (UNAUTHORIZED: authentication required)\n"
          "hint: check the credentials for '" +
          registry.host() +
          "' in the Docker config file (or its credential helper) and the rights on 'cairn/demo'");
  CHECK_FALSE(fs::exists(registry.storage() / "docker" / "registry" / "v2" / "repositories"));

  o.registry.credentials = nullptr;
  auto anonymous = Push(ref, o);
  REQUIRE_FALSE(anonymous.ok());
  CHECK(anonymous.error().message() ==
        "registry '" + registry.host() + "' needs a user name and password");

  DockerConfig right = config_with("s3cret");
  o.registry.credentials = [&](std::string_view r) { return FindCredential(right, r); };
  PublishReport report = PushOk(ref, o);
  CHECK(report.blobs_uploaded == 4);
  fs::path pulled = scratch.path() / "pulled";
  CHECK(PullBack(ref, pulled, {"--src-creds", "cairn:s3cret"}) ==
        cairn::testing::LayoutBlobDigests(built.dir / "oci"));
}

TEST_CASE("TLS to a plain-HTTP registry fails at once and names --plain-http",
          "[publish][registry]") {
  ScratchDir scratch("publish-tls-to-plain");
  BuiltOutput built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  RegistryServer registry(scratch.path() / "registry");
  PublishOptions o = Options(built.dir);
  o.registry.plain_http = false;
  o.registry.retries = 3;
  auto target = ParseReference(registry.host() + "/cairn/demo:1.0");
  REQUIRE(target.ok());
  auto transport = MakeCurlTransport();
  cairn::RecordingReporter reporter;
  auto r = Publish(*target, o, *transport, reporter);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().Render());
  CHECK(r.error().message().find("wrong version number") != std::string::npos);
  CHECK(r.error().hint() == "for a registry that speaks plain HTTP, pass --plain-http");
  for (const auto& line : reporter.lines()) CHECK(line.find("retrying") == std::string::npos);
  // The same registry over plain HTTP takes the push: the refusal was the scheme.
  o.registry.plain_http = true;
  CHECK(PushOk(registry.host() + "/cairn/demo:1.0", o).blobs_uploaded == 4);
}

TEST_CASE("a corrupt local blob is an integrity error and is not pushed", "[publish][registry]") {
  ScratchDir scratch("publish-corrupt");
  BuiltOutput built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  const std::string layer = built.blobs[1];  // the amd64 layer
  fs::path file = built.dir / "oci" / "blobs" / "sha256" / Hex(layer);
  std::string bytes = cairn::ReadFile(file).value();
  bytes[bytes.size() / 2] ^= 0x20;
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  auto before = cairn::testing::TreeHashes(built.dir);
  RegistryServer registry(scratch.path() / "registry");
  auto r = Push(registry.host() + "/cairn/demo:1.0", Options(built.dir));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().Render() == "pushing blob " + layer + " to '" + registry.host() +
                                  "/cairn/demo:1.0': blob '" + file.string() +
                                  "' hashes to sha256:" + cairn::Sha256Hex(bytes) + ", not " +
                                  layer + ": the layout is corrupt");
  const std::string api = "http://" + registry.host() + "/v2/cairn/demo/";
  CHECK(CurlStatus(api + "blobs/" + layer, true) == 404);
  CHECK(CurlStatus(api + "blobs/" + built.blobs[0], true) == 200);  // the config before it
  CHECK(CurlStatus(api + "manifests/1.0", true) == 404);            // no tag names a broken image
  CHECK(cairn::testing::TreeHashes(built.dir) == before);
}

TEST_CASE(
    "apko's layout pushes index.json itself as the index with SBOMs found by what they describe",
    "[publish][registry][fixtures]") {
  ScratchDir scratch("publish-apko");
  const fs::path fixture = cairn::testing::SharedFixtures() / "oci-real" / "apko-base-image";
  const fs::path out = scratch.path() / "out";
  fs::create_directories(out / "sbom");
  fs::copy(fixture, out / "oci", fs::copy_options::recursive);
  fs::remove_all(out / "oci" / "sboms");
  for (const char* f : {"sbom-aarch64.spdx.json", "sbom-index.spdx.json", "sbom-x86_64.spdx.json"})
    fs::copy_file(fixture / "sboms" / f, out / "sbom" / f);
  RegistryServer registry(scratch.path() / "registry");
  const std::string ref = registry.host() + "/apko/base:test";

  // apko's sbom-x86_64.spdx.json has a trailing comma: refused before anything is sent.
  auto invalid = Push(ref, Options(out));
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().code() == Code::kIntegrity);
  CHECK(invalid.error().message() ==
        "SBOM '" + (out / "sbom" / "sbom-x86_64.spdx.json").string() + "' is not a JSON document");
  CHECK_FALSE(fs::exists(registry.storage() / "docker"));

  fs::remove(out / "sbom" / "sbom-x86_64.spdx.json");
  PublishReport report = PushOk(ref, Options(out));
  const std::string index_digest =
      "sha256:153e3d9292715569c0c1fcd7f00671e156427e9da285efca4002c580a8cf1694";
  REQUIRE(report.tags.size() == 1);
  CHECK(report.tags[0].descriptor.digest == index_digest);
  REQUIRE(report.sboms.size() == 2);
  CHECK(report.sboms[0].subject ==
        "sha256:5a99438a9ced8193f1d71209d0b558fdc0b184aee5cf258e5f7aa9a6ab0f0671");  // arm64
  CHECK(report.sboms[1].subject == index_digest);

  std::vector<std::string> expected = cairn::testing::LayoutBlobDigests(fixture);
  expected.push_back(index_digest);
  std::sort(expected.begin(), expected.end());
  CHECK(PullBack(ref, scratch.path() / "pulled") == expected);
}

TEST_CASE("publish with files pushes disk images and squashfs files as artifacts of their image",
          "[publish][registry]") {
  ScratchDir scratch("publish-files");
  BuiltOutput built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  // Stand-ins for a build's disk image and squashfs: the bytes matter, not the format.
  std::string disk(300000, '\0');
  for (size_t i = 0; i < disk.size(); i += 4096) disk[i] = static_cast<char>('a' + i % 26);
  std::string squashfs = "hsqs" + std::string(5000, 'q');
  fs::create_directories(built.dir / "disk");
  fs::create_directories(built.dir / "squashfs");
  std::ofstream(built.dir / "disk" / "x86_64.img", std::ios::binary) << disk;
  std::ofstream(built.dir / "squashfs" / "aarch64.squashfs", std::ios::binary) << squashfs;
  std::ofstream(built.dir / "squashfs" / "notes.txt") << "not an output";
  auto before = cairn::testing::TreeHashes(built.dir);
  RegistryServer registry(scratch.path() / "registry");
  const std::string api = "http://" + registry.host() + "/v2/cairn/demo/";

  PublishOptions without = Options(built.dir);
  CHECK(PushOk(registry.host() + "/cairn/demo:0.9", without).files.empty());

  PublishOptions o = Options(built.dir);
  o.files = true;
  PublishReport report = PushOk(registry.host() + "/cairn/demo:1.0", o);
  CHECK(cairn::testing::TreeHashes(built.dir) == before);
  REQUIRE(report.files.size() == 2);
  CHECK(report.files[0].tag == "1.0-disk-x86_64");
  CHECK(report.files[1].tag == "1.0-squashfs-aarch64");

  auto tags = nlohmann::json::parse(Curl(api + "tags/list"))["tags"];
  CHECK(std::find(tags.begin(), tags.end(), "1.0-disk-x86_64") != tags.end());
  CHECK(std::find(tags.begin(), tags.end(), "1.0-squashfs-aarch64") != tags.end());
  CHECK(std::find(tags.begin(), tags.end(), "0.9-disk-x86_64") == tags.end());

  const std::pair<std::string, std::string> expected[] = {
      {"application/vnd.cairn.disk.raw.v1", disk},
      {"application/vnd.cairn.squashfs.v1", squashfs}};
  for (size_t i = 0; i < 2; ++i) {
    const PublishedFile& f = report.files[i];
    INFO(f.tag);
    CHECK(f.subject == built.index_digest);
    // skopeo reads the tagged artifact: its type, its subject, the file as its one layer.
    auto raw = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false",
                           "docker://" + registry.host() + "/cairn/demo:" + f.tag});
    REQUIRE(raw.exit_code == 0);
    auto m = nlohmann::json::parse(raw.out);
    CHECK(m["artifactType"] == expected[i].first);
    CHECK(m["subject"]["digest"] == built.index_digest);
    REQUIRE(m["layers"].size() == 1);
    CHECK(m["layers"][0]["annotations"]["org.opencontainers.image.title"] ==
          f.file.filename().string());
    // The blob, fetched with curl, is the file byte for byte.
    const std::string digest = m["layers"][0]["digest"];
    CHECK(digest == "sha256:" + cairn::Sha256Hex(expected[i].second));
    CHECK(Curl(api + "blobs/" + digest) == expected[i].second);
  }
  // The index's referrers (fallback tag) list both files next to the index's SBOM.
  auto referrers = nlohmann::json::parse(Curl(api + "manifests/sha256-" + Hex(built.index_digest),
                                              "application/vnd.oci.image.index.v1+json"));
  std::set<std::string> types;
  for (const auto& r : referrers["manifests"]) types.insert(r["artifactType"].get<std::string>());
  CHECK(types == std::set<std::string>{"application/spdx+json",
                                       "application/vnd.cairn.disk.raw.v1",
                                       "application/vnd.cairn.squashfs.v1"});
}
