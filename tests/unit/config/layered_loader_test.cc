// LoadImage with `base:`, `layers:` and `boards:`: names resolved under the
// project root, paths relative to the declaring file, the base's stack first,
// every file read recorded, and the located errors (unknown names with
// did-you-mean, cycles, a base with boards or another package source).
#include <catch2/catch.hpp>

#include "cairn/config/loader.h"
#include "cairn/config/validate.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;
using test::Values;
using Strings = std::vector<std::string>;

using test::Layered;

Strings Names(const std::vector<Layer>& layers) {
  Strings out;
  for (const Layer& l : layers) out.push_back(l.name.value);
  return out;
}

TEST_CASE("an image loads its base's stack, its layers and its boards", "[config][stack]") {
  const std::string d = Layered();
  auto r = LoadImage(d + "/images/server.yaml");
  if (!r.ok()) FAIL(r.error().Render());
  const Image& img = *r;
  CHECK(img.base.value == "container-base");
  // The base's layer, the base's own contents, then this image's layers.
  CHECK(Names(img.stack) == Strings{"core", "container-base", "systemd", "networking", "ssh"});
  CHECK(img.base_layer_count == 2);
  CHECK(img.stack[0].kind == "layer");
  CHECK(img.stack[1].kind == "image");
  CHECK(img.stack[2].kind == "layer");
  // Each entry is located where it was put in the stack.
  CHECK(img.stack[0].loc.ToString() == d + "/images/container-base.yaml:7:10");
  CHECK(img.stack[1].loc.ToString() == d + "/images/server.yaml:2:7");  // the `base:` node
  CHECK(img.stack[2].loc.ToString() == d + "/images/server.yaml:3:10");
  CHECK(img.stack[4].loc.ToString() == d + "/images/server.yaml:3:31");
  CHECK(img.stack[2].source_file == d + "/layers/systemd.yaml");
  // The base's own contents, under its package source.
  const Layer& own = img.stack[1];
  CHECK(own.source_file == d + "/images/container-base.yaml");
  REQUIRE(own.packages.count("apk"));
  CHECK(Values(own.packages.at("apk").all) == Strings{"ca-certificates"});
  REQUIRE(own.accounts.users.size() == 1);
  CHECK(own.accounts.users[0].username.value == "app");
  // The image has no package source of its own: it takes the base's, and its
  // archs.
  CHECK(Values(img.contents.repositories) == Strings{"https://example.com/alpine/main"});
  CHECK(Values(img.contents.keyring) == Strings{d + "/keys/test.rsa.pub"});
  CHECK(Values(img.archs) == Strings{"x86_64", "aarch64"});
  // Boards with their layers, located at the `boards:` entries.
  REQUIRE(img.board_defs.size() == 2);
  CHECK(img.board_defs[0].name.value == "qemu-x86_64");
  CHECK(img.board_defs[0].loc.ToString() == d + "/images/server.yaml:4:10");
  CHECK(Names(img.board_defs[0].layer_defs) == Strings{"kernel"});
  CHECK(img.board_defs[0].layer_defs[0].source_file == d + "/layers/kernel.yml");
  CHECK(img.board_defs[1].name.value == "rpi4");
  CHECK(Names(img.board_defs[1].layer_defs) == Strings{"kernel", "networking"});
  CHECK(img.board_defs[1].layer_defs[1].loc.ToString() == d + "/boards/rpi4.yaml:5:18");
  // Every file read, each once, in order: for the lock's config hash.
  CHECK(img.included_files == Strings{d + "/images/server.yaml", d + "/images/container-base.yaml",
                                      d + "/layers/core.yaml", d + "/layers/systemd.yaml",
                                      d + "/layers/networking.yaml", d + "/layers/ssh.yaml",
                                      d + "/boards/qemu-x86_64.yaml", d + "/layers/kernel.yml",
                                      d + "/boards/rpi4.yaml"});
  CHECK(Validate(img).ok());
}

TEST_CASE("a base without layers or contents of its own still is one layer", "[config][stack]") {
  test::Project p;
  p.Write("layers/.keep", "");
  p.Write("images/empty.yaml", "contents: {repositories: [https://example.com/main]}\n");
  p.Write("images/top.yaml", "base: empty\ncontents: {packages: [a]}\n");
  auto r = p.Load("images/top.yaml");
  if (!r.ok()) FAIL(r.error().Render());
  REQUIRE(r->stack.size() == 1);
  CHECK(r->stack[0].kind == "image");
  CHECK(r->stack[0].name.value == "empty");
  CHECK(r->stack[0].packages.empty());
  CHECK(r->base_layer_count == 1);
}

TEST_CASE("layer paths are relative to the file that declares them", "[config][stack]") {
  const std::string d = Layered();
  auto r = LoadImage(d + "/images/bare.yaml");
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(Names(r->stack) == Strings{"core", "init-busybox"});
  CHECK(r->stack[1].source_file == d + "/layers/init-busybox.yaml");

  // From an included file in another directory, names resolve under the
  // project and paths against the included file.
  test::Project p;
  p.Write("layers/a.yaml", "packages: {apk: [a]}\n");
  p.Write("images/common/extra/b.yaml", "packages: {apk: [b]}\n");
  p.Write("images/common/shared.yaml", "layers: [a, extra/b.yaml]\n");
  p.Write("images/top.yaml", "include: common/shared.yaml\n");
  auto t = p.Load("images/top.yaml");
  if (!t.ok()) FAIL(t.error().Render());
  CHECK(Names(t->stack) == Strings{"a", "b"});
  CHECK(t->stack[0].source_file == p.Path("layers/a.yaml"));
  CHECK(t->stack[1].source_file == p.Path("images/common/extra/b.yaml"));
}

TEST_CASE("an unknown layer or board name suggests the nearest file", "[config][stack]") {
  test::Project p;
  p.Write("layers/systemd.yaml", "");
  p.Write("layers/ssh.yaml", "");
  p.Write("boards/rpi4.yaml", "arch: aarch64\n");
  SECTION("near a layer") {
    p.Write("images/i.yaml", "layers: [ssh, sytemd]\n");
    auto r = p.Load("images/i.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    CHECK(r.error().Render() == p.Path("images/i.yaml") +
                                    ":1:15: error: unknown layer 'sytemd'\n"
                                    "  layers: [ssh, sytemd]\n"
                                    "                ^\n"
                                    "hint: did you mean 'systemd'?");
  }
  SECTION("far from every layer") {
    p.Write("images/i.yaml", "layers: [kernel]\n");
    auto r = p.Load("images/i.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("images/i.yaml") +
                                    ":1:10: error: unknown layer 'kernel'\n"
                                    "  layers: [kernel]\n"
                                    "           ^\n"
                                    "hint: the layer files in '" +
                                    p.Path("layers") + "' are 'ssh' and 'systemd'");
  }
  SECTION("a board") {
    p.Write("images/i.yaml", "boards:\n  - rpi3\n");
    auto r = p.Load("images/i.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("images/i.yaml") +
                                    ":2:5: error: unknown board 'rpi3'\n"
                                    "    - rpi3\n"
                                    "      ^\n"
                                    "hint: did you mean 'rpi4'?");
  }
  SECTION("a board's layer, located in the board file") {
    p.Write("boards/pc.yaml", "arch: x86_64\nlayers: [sshd]\n");
    p.Write("images/i.yaml", "boards: [pc]\n");
    auto r = p.Load("images/i.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("boards/pc.yaml") +
                                    ":2:10: error: unknown layer 'sshd'\n"
                                    "  layers: [sshd]\n"
                                    "           ^\n"
                                    "hint: did you mean 'ssh'?");
  }
  SECTION("a missing path is not-found at the entry") {
    p.Write("images/i.yaml", "layers: [../layers/gone.yaml]\n");
    auto r = p.Load("images/i.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kNotFound);
    CHECK(r.error().Render() == p.Path("images/i.yaml") + ":1:10: error: layer file '" +
                                    p.Path("layers/gone.yaml") +
                                    "' does not exist\n"
                                    "  layers: [../layers/gone.yaml]\n"
                                    "           ^\n"
                                    "hint: a path is relative to the file that "
                                    "declares it; a name is looked up in "
                                    "<project>/layers/");
  }
  SECTION("an error inside a layer file is located there") {
    p.Write("layers/bad.yaml", "packages:\n  apk: [a]\nservice: [x]\n");
    p.Write("images/i.yaml", "layers: [bad]\n");
    auto r = p.Load("images/i.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("layers/bad.yaml") +
                                    ":3:1: error: unknown key 'service'\n"
                                    "  service: [x]\n"
                                    "  ^\n"
                                    "hint: did you mean 'services'?");
  }
}

TEST_CASE("a name without a project directory is an error with a hint", "[config][stack]") {
  testing::ScratchDir dir("config-noproject", /*outside_project=*/true);
  auto r = test::LoadText(dir, "layers: [core]\n");
  REQUIRE_FALSE(r.ok());
  std::string file = (dir.path() / "image.yaml").string();
  CHECK(r.error().Render() == file +
                                  ":1:10: error: unknown layer 'core'\n"
                                  "  layers: [core]\n"
                                  "           ^\n"
                                  "hint: no project directory (one with layers/ or boards/) "
                                  "contains '" +
                                  file + "'; give a path ending in .yaml instead");
}

TEST_CASE("base cycles, a base with boards and a base of another source are errors",
          "[config][stack]") {
  test::Project p;
  p.Write("layers/core.yaml", "packages: {apk: [busybox], debian: [base-files]}\n");
  SECTION("cycle") {
    p.Write("images/a.yaml", "base: b\n");
    p.Write("images/b.yaml", "description: b\nbase: a.yaml\n");
    auto r = p.Load("images/a.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    CHECK(r.error().Render() == p.Path("images/b.yaml") +
                                    ":2:7: error: base cycle: a.yaml -> b.yaml -> a.yaml\n"
                                    "  base: a.yaml\n"
                                    "        ^\n"
                                    "hint: an image cannot be built on itself; remove one of these "
                                    "'base:' entries");
  }
  SECTION("an image that is its own base") {
    p.Write("images/a.yaml", "base: a\n");
    auto r = p.Load("images/a.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "base cycle: a.yaml -> a.yaml");
  }
  SECTION("boards") {
    p.Write("boards/pc.yaml", "arch: x86_64\n");
    p.Write("images/base.yaml", "layers: [core]\nboards: [pc]\n");
    p.Write("images/top.yaml", "base: base\n");
    auto r = p.Load("images/top.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("images/top.yaml") +
                                    ":1:7: error: base image 'base' declares boards\n"
                                    "  base: base\n"
                                    "        ^\n"
                                    "hint: a base image is built without boards; 'boards:' is at " +
                                    p.Path("images/base.yaml") + ":2:10");
  }
  SECTION("another package source") {
    p.Write("images/deb.yaml",
            "contents:\n  debian: {sources: [{suites: [bookworm]}]}\n"
            "layers: [core]\n");
    p.Write("images/top.yaml", "contents: {repositories: [https://example.com/main]}\nbase: deb\n");
    auto r = p.Load("images/top.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("images/top.yaml") +
                                    ":2:7: error: base image 'deb' takes its "
                                    "packages from Debian sources, this image "
                                    "from APK repositories\n"
                                    "  base: deb\n"
                                    "        ^\n"
                                    "hint: a base and the images built on it "
                                    "use the same package source");
  }
  SECTION("an unknown base suggests an image") {
    p.Write("images/container-base.yaml", "layers: [core]\n");
    p.Write("images/top.yaml", "base: container-bse\n");
    auto r = p.Load("images/top.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().Render() == p.Path("images/top.yaml") +
                                    ":1:7: error: unknown base image 'container-bse'\n"
                                    "  base: container-bse\n"
                                    "        ^\n"
                                    "hint: did you mean 'container-base'?");
  }
}

TEST_CASE("FindProjectRoot walks up to the directory with layers/ or boards/", "[config][stack]") {
  fs::path d = testing::TestData() / "config" / "layered";
  CHECK(FindProjectRoot(d / "images" / "server.yaml") == d);
  CHECK(FindProjectRoot(d / "layers" / "core.yaml") == d);
  testing::ScratchDir dir("config-root", /*outside_project=*/true);
  CHECK_FALSE(FindProjectRoot(dir.path() / "x.yaml").has_value());
}

}  // namespace
}  // namespace cairn::config
