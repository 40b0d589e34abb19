// ShowImage / ImageToJson: stable output that loads back to the same model.
#include <catch2/catch.hpp>

#include "cairn/config/show.h"
#include "cairn/config/validate.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;

TEST_CASE("show output round-trips through LoadImage", "[config][show]") {
  for (const char* rel : {"wolfi-base.yaml", "complete.yaml", "merge/top.yaml"}) {
    INFO(rel);
    auto first = LoadImage(testing::TestData() / "config" / rel);
    REQUIRE(first.ok());
    std::string shown = ShowImage(*first);
    testing::ScratchDir dir("config-show");
    auto second = test::LoadText(dir, shown, "shown.yaml");
    if (!second.ok()) FAIL(second.error().Render() + "\n" + shown);
    CHECK(ImageToJson(*second) == ImageToJson(*first));
    CHECK(ShowImage(*second) == shown);
    CHECK(Validate(*second).ok());
  }
}

TEST_CASE("show writes apko key names in a fixed order", "[config][show]") {
  testing::ScratchDir dir("config-show");
  auto img = test::LoadText(dir,
                            "work-dir: /srv\n"
                            "files:\n"
                            "  - path: /etc/motd\n"
                            "    content: \"no newline\\nat the end\"\n"
                            "  - path: /etc/issue\n"
                            "    content: |\n"
                            "      hello\n"
                            "environment: {B: \"2\", A: \"yes\"}\n"
                            "accounts: {run-as: \"65532\"}\n"
                            "archs: [arm64, amd64, arm64]\n"
                            "contents:\n"
                            "  packages: [busybox]\n"
                            "  repositories: [\"@edge https://example.com/edge\"]\n",
                            "shown.yaml");
  REQUIRE(img.ok());
  CHECK(ShowImage(*img) ==
        "name: shown\n"
        "contents:\n"
        "  repositories:\n"
        "    - \"@edge https://example.com/edge\"\n"
        "  packages:\n"
        "    - busybox\n"
        "archs:\n"
        "  - aarch64\n"
        "  - x86_64\n"
        "accounts:\n"
        "  run-as: \"65532\"\n"
        "work-dir: /srv\n"
        "environment:\n"
        "  A: \"yes\"\n"
        "  B: \"2\"\n"
        "files:\n"
        "  - path: /etc/motd\n"
        "    mode: 0o644\n"
        "    uid: 0\n"
        "    gid: 0\n"
        "    content: \"no newline\\nat the end\"\n"
        "  - path: /etc/issue\n"
        "    mode: 0o644\n"
        "    uid: 0\n"
        "    gid: 0\n"
        "    content: |\n"
        "      hello\n");
}

TEST_CASE("ImageToJson carries modes as integers", "[config][show]") {
  auto img = LoadImage(testing::TestData() / "config" / "complete.yaml");
  REQUIRE(img.ok());
  nlohmann::json j = ImageToJson(*img);
  CHECK(j["paths"][0]["permissions"] == 0750);
  CHECK(j["files"][1]["mode"] == 0600);
  CHECK(j["archs"] == nlohmann::json::array({"x86_64", "aarch64"}));
  CHECK(j["accounts"]["users"][0]["uid"] == 1000);
  CHECK(j["layering"]["budget"] == 10);
}

}  // namespace
}  // namespace cairn::config
