// ListDeclarations: images/, layers/ and boards/ with their descriptions.
#include <catch2/catch.hpp>

#include "cairn/config/list.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;

TEST_CASE("list finds images, layers and boards sorted by name", "[config][list]") {
  fs::path root = testing::TestData() / "config" / "project";
  auto d = ListDeclarations(root);
  REQUIRE(d.ok());
  REQUIRE(d->size() == 4);
  const auto& all = *d;
  CHECK(all[0].kind == "images");
  CHECK(all[0].name == "app");
  CHECK(all[0].file == root / "images" / "app.yml");
  CHECK(all[0].description == "an application image");  // first line only
  CHECK(all[1].kind == "images");
  CHECK(all[1].name == "minimal");
  CHECK(all[1].description == "the smallest image");
  CHECK(all[2].kind == "layers");
  CHECK(all[2].name == "kernel");
  CHECK(all[2].description == "the linux kernel and modules");
  CHECK(all[3].kind == "boards");
  CHECK(all[3].name == "rpi4");
  CHECK(all[3].description.empty());
}

TEST_CASE("list reports a syntax error and a missing root", "[config][list]") {
  testing::ScratchDir dir("config-list");
  test::WriteDecl(dir, "layers/bad.yaml", "description: [unclosed\n");
  auto d = ListDeclarations(dir.path());
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code() == Code::kConfig);
  CHECK(d.error().loc().file == (dir.path() / "layers" / "bad.yaml").string());

  auto missing = ListDeclarations(dir.path() / "nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
}

TEST_CASE("an empty project lists nothing", "[config][list]") {
  testing::ScratchDir dir("config-list");
  auto d = ListDeclarations(dir.path());
  REQUIRE(d.ok());
  CHECK(d->empty());
}

}  // namespace
}  // namespace cairn::config
