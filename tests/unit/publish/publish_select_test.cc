// What Publish refuses before it sends anything: references, layouts and
// image selections that do not say what to push.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cairn/file_util.h"
#include "cairn/publish/publish.h"
#include "support/publish_fixture.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using cairn::Code;
using namespace cairn::publish;

namespace {

/// Fails the test on any request: these cases must be refused before the network.
class NoNetwork : public HttpTransport {
 public:
  HttpExchange Send(const HttpRequest& r) override {
    FAIL("unexpected request " << r.method << " " << r.url);
    return {};
  }
};

cairn::Error Refused(const std::string& ref, const PublishOptions& o) {
  NoNetwork transport;
  cairn::RecordingReporter reporter;
  auto r = Publish(ParseReference(ref).value(), o, transport, reporter);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

}  // namespace

TEST_CASE("publish refuses what does not name one image to push", "[publish][select]") {
  cairn::testing::ScratchDir scratch("publish-select");
  auto built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  PublishOptions o;
  o.dir = built.dir;
  const std::string index = (built.dir / "oci" / "index.json").string();

  auto digest = Refused("r.example/a@" + built.index_digest, o);
  CHECK(digest.code() == Code::kUsage);
  CHECK(digest.message() == "cannot publish to 'r.example/a@" + built.index_digest +
                                "': a reference to push to names a tag, not a digest");

  o.ref_name = "demo-s390x";
  auto unknown = Refused("r.example/a:1", o);
  CHECK(unknown.code() == Code::kNotFound);
  CHECK(unknown.message() == "'" + index +
                                 "' has no image named 'demo-s390x' (it has: demo, "
                                 "demo-amd64, demo-arm64)");
  o.ref_name.clear();

  // One image per board, as `cairn build` tags them: no single image to tag.
  auto j = nlohmann::json::parse(cairn::ReadFile(index).value());
  nlohmann::json boards = nlohmann::json::array();
  for (const auto& m : j["manifests"])
    if (m["annotations"]["org.opencontainers.image.ref.name"] != "demo") boards.push_back(m);
  j["manifests"] = boards;
  fs::permissions(index, fs::perms::owner_write, fs::perm_options::add);
  REQUIRE(cairn::WriteFileAtomic(index, j.dump()).ok());
  auto several = Refused("r.example/a:1", o);
  CHECK(several.code() == Code::kUsage);
  CHECK(several.Render() == "'" + index +
                                "' holds 2 separate images (demo-amd64, demo-arm64); "
                                "choose one with --ref NAME\n"
                                "hint: or leave the tag out of the reference to push "
                                "each image under its own name");

  auto nothing = Refused("r.example/a:1", [&] {
    PublishOptions n;
    n.dir = scratch.path() / "empty";
    return n;
  }());
  CHECK(nothing.code() == Code::kNotFound);
  CHECK(nothing.message() == "'" + (scratch.path() / "empty").string() +
                                 "' is neither a cairn build output (with oci/) nor an OCI image "
                                 "layout (no oci-layout file)");
}

TEST_CASE("a manifest that is not what index.json says is refused", "[publish][select]") {
  cairn::testing::ScratchDir scratch("publish-mismatch");
  auto built = cairn::testing::MakeBuiltOutput(scratch.path() / "out", "demo");
  // index.json claims a size the manifest blob does not have.
  const fs::path index = built.dir / "oci" / "index.json";
  auto j = nlohmann::json::parse(cairn::ReadFile(index).value());
  for (auto& m : j["manifests"])
    if (m["annotations"]["org.opencontainers.image.ref.name"] == "demo-amd64") m["size"] = 1;
  fs::permissions(index, fs::perms::owner_write, fs::perm_options::add);
  REQUIRE(cairn::WriteFileAtomic(index, j.dump()).ok());
  PublishOptions o;
  o.dir = built.dir;
  o.ref_name = "demo-amd64";
  auto e = Refused("r.example/a:1", o);
  CHECK(e.code() == Code::kIntegrity);
  const std::string blob =
      (built.dir / "oci" / "blobs" / "sha256" / built.manifests["x86_64"].substr(7)).string();
  CHECK(e.message().find("blob '" + blob + "' holds ") == 0);
  CHECK(e.message().find(" bytes but its descriptor says 1") != std::string::npos);
}
