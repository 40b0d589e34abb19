// LoadImage: strict parsing with located errors (exact rendered text), apko
// files loading as is, include merging and relative path resolution.
#include <catch2/catch.hpp>

#include <string>

#include "cairn/config/loader.h"
#include "support/test_support.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

namespace fs = std::filesystem;

std::string DataDir() { return (testing::TestData() / "config").string(); }

// Loads a file under tests/data/config that must fail; returns the error.
Error LoadError(const std::string& rel) {
  auto r = LoadImage(fs::path(DataDir()) / rel);
  REQUIRE_FALSE(r.ok());
  return std::move(r).error();
}

std::vector<std::string> Values(const std::vector<LString>& v) {
  std::vector<std::string> out;
  for (const LString& s : v) out.push_back(s.value);
  return out;
}

TEST_CASE("unknown key with a near match suggests it", "[config][loader]") {
  Error e = LoadError("errors/unknown_key_suggest.yaml");
  CHECK(e.code() == Code::kConfig);
  CHECK(e.Render() == DataDir() +
                          "/errors/unknown_key_suggest.yaml:4:3: error: unknown key 'pakages' in "
                          "'contents'\n"
                          "    pakages:\n"
                          "    ^\n"
                          "hint: did you mean 'packages'?");
}

TEST_CASE("unknown key without a near match lists the expected keys", "[config][loader]") {
  Error e = LoadError("errors/unknown_key.yaml");
  CHECK(e.code() == Code::kConfig);
  CHECK(e.Render() ==
        DataDir() +
            "/errors/unknown_key.yaml:3:1: error: unknown key 'frobnicate'\n"
            "  frobnicate: true\n"
            "  ^\n"
            "hint: expected one of 'name', 'description', 'include', 'contents', 'archs', "
            "'accounts', 'entrypoint', 'cmd', 'stop-signal', 'work-dir', 'environment', "
            "'annotations', 'volumes', 'paths', 'files', 'base', 'layers', 'boards', "
            "'outputs', 'vcs-url' or 'layering'");
}

TEST_CASE("a mapping where a list is expected is a located type error", "[config][loader]") {
  Error e = LoadError("errors/wrong_type.yaml");
  CHECK(e.code() == Code::kConfig);
  CHECK(e.Render() == DataDir() +
                          "/errors/wrong_type.yaml:3:5: error: wrong type for 'contents.packages': "
                          "expected a list of strings, got a mapping\n"
                          "      name: busybox\n"
                          "      ^");
}

TEST_CASE("an unknown architecture suggests the near one", "[config][loader]") {
  Error e = LoadError("errors/bad_arch.yaml");
  CHECK(e.code() == Code::kConfig);
  CHECK(e.Render() == DataDir() +
                          "/errors/bad_arch.yaml:3:5: error: unknown architecture 'arm64v8'\n"
                          "    - arm64v8\n"
                          "      ^\n"
                          "hint: did you mean 'arm64'?");
}

TEST_CASE("an unknown architecture far from any lists them all", "[config][loader]") {
  Error e = LoadError("errors/bad_arch_far.yaml");
  CHECK(e.Render() ==
        DataDir() +
            "/errors/bad_arch_far.yaml:1:9: error: unknown architecture 'sparc'\n"
            "  archs: [sparc]\n"
            "          ^\n"
            "hint: expected one of 'x86_64', 'aarch64', 'x86', 'armhf', 'armv7', 'loongarch64', "
            "'ppc64le', 'riscv64', 's390x' (apk names), 'amd64', 'arm64', '386', 'arm/v6', "
            "'arm/v7', 'loong64' (apko names) or 'all'");
}

TEST_CASE("a YAML syntax error is located at yaml-cpp's mark", "[config][loader]") {
  Error e = LoadError("errors/syntax.yaml");
  CHECK(e.code() == Code::kConfig);
  CHECK(e.Render() == DataDir() +
                          "/errors/syntax.yaml:4:4: error: invalid YAML: end of map not found\n"
                          "     repositories:\n"
                          "     ^\n"
                          "hint: check this line's indentation against the lines above it");
}

TEST_CASE("hostile YAML: a lone ',' and a second document are located errors, not a hang",
          "[config][loader]") {
  // yaml-cpp 0.7's LoadAll loops forever on "," (found by tests/fuzz/fuzz_config).
  testing::ScratchDir dir("config-hostile");
  auto comma = test::LoadText(dir, ",\n");
  REQUIRE_FALSE(comma.ok());
  CHECK(test::RenderedAsF(comma.error(), dir).rfind("F:1:1: error: expected one YAML document", 0) ==
        0);
  auto two = test::LoadText(dir, "name: a\n---\nname: b\n");
  REQUIRE_FALSE(two.ok());
  CHECK(test::RenderedAsF(two.error(), dir).rfind("F:2:1: error: expected one YAML document", 0) ==
        0);
}

TEST_CASE("a declaration over 4 MiB is refused before parsing", "[config][loader]") {
  testing::ScratchDir dir("config-huge");
  std::string text = "name: big\n# " + std::string((4 << 20), 'x') + "\n";
  auto r = test::LoadText(dir, text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kConfig);
  CHECK_THAT(test::RenderedAsF(r.error(), dir),
             Catch::StartsWith("F: error: the file is 4194317 bytes; a declaration may have at "
                               "most 4194304"));
}

TEST_CASE("an include cycle shows the chain at the closing include", "[config][loader]") {
  Error e = LoadError("errors/cycle_a.yaml");
  CHECK(e.code() == Code::kConfig);
  CHECK(e.Render() ==
        DataDir() +
            "/errors/cycle_b.yaml:3:5: error: include cycle: cycle_a.yaml -> cycle_b.yaml -> "
            "cycle_a.yaml\n"
            "    - cycle_a.yaml\n"
            "      ^\n"
            "hint: remove one of these 'include:' entries");
}

TEST_CASE("'..' in an inline file path is an error", "[config][loader]") {
  Error e = LoadError("errors/dotdot.yaml");
  CHECK(e.code() == Code::kConfig);
  CHECK(e.Render() == DataDir() +
                          "/errors/dotdot.yaml:2:11: error: 'files[0].path' must not contain '..', "
                          "got '/etc/../shadow'\n"
                          "    - path: /etc/../shadow\n"
                          "            ^\n"
                          "hint: write the path from the image root without '..'");
}

TEST_CASE("a missing include is not-found at the include entry", "[config][loader]") {
  Error e = LoadError("errors/missing_include.yaml");
  CHECK(e.code() == Code::kNotFound);
  CHECK(e.Render() == DataDir() +
                          "/errors/missing_include.yaml:1:10: error: included file '" + DataDir() +
                          "/errors/does-not-exist.yaml' does not exist\n"
                          "  include: does-not-exist.yaml\n"
                          "           ^\n"
                          "hint: include paths are relative to the file that includes them");
}

TEST_CASE("a missing top-level file is not-found without a location", "[config][loader]") {
  auto r = LoadImage("/nonexistent/cairn/image.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kNotFound);
  CHECK(r.error().Render() == "declaration '/nonexistent/cairn/image.yaml' does not exist");
}

TEST_CASE("apko's wolfi-base example loads unchanged", "[config][loader]") {
  auto r = LoadImage(fs::path(DataDir()) / "wolfi-base.yaml");
  REQUIRE(r.ok());
  const Image& img = *r;
  CHECK(img.name.value == "wolfi-base");  // defaults to the file stem
  CHECK(Values(img.contents.repositories) == std::vector<std::string>{"https://packages.wolfi.dev/os"});
  CHECK(Values(img.contents.keyring) ==
        std::vector<std::string>{"https://packages.wolfi.dev/os/wolfi-signing.rsa.pub"});
  CHECK(Values(img.contents.packages) == std::vector<std::string>{"wolfi-base"});
  CHECK(img.contents.packages[0].loc.line == 8);
  CHECK(img.contents.packages[0].loc.col == 7);
  CHECK(img.contents.loc.line == 2);
  CHECK(img.entrypoint.command == "/bin/sh -l");
  CHECK(Values(img.archs) == std::vector<std::string>{"x86_64", "aarch64"});
  REQUIRE(img.accounts.groups.size() == 1);
  CHECK(img.accounts.groups[0].groupname.value == "nonroot");
  CHECK(img.accounts.groups[0].gid == 65532u);
  REQUIRE(img.accounts.users.size() == 1);
  CHECK(img.accounts.users[0].uid == 65532u);
  CHECK(img.accounts.users[0].gid == 65532u);
  CHECK(img.accounts.users[0].loc.line == 22);
  CHECK(img.accounts.run_as.value == "65532");
  CHECK(img.environment.at("PATH") == "/usr/sbin:/sbin:/usr/bin:/bin");
  REQUIRE(img.paths.size() == 1);
  CHECK(img.paths[0].type == PathMutation::Type::kDirectory);
  CHECK(img.paths[0].permissions == 0755);
  CHECK(img.annotations.at("org.opencontainers.image.title") == "wolfi-base");
  CHECK(img.key_locs.at("annotations").line == 37);
  CHECK(img.included_files == std::vector<std::string>{DataDir() + "/wolfi-base.yaml"});
}

TEST_CASE("every key of the complete example is read", "[config][loader]") {
  auto r = LoadImage(fs::path(DataDir()) / "complete.yaml");
  REQUIRE(r.ok());
  const Image& img = *r;
  const std::string d = DataDir();
  CHECK(img.name.value == "complete");
  CHECK(img.description.value == "every key cairn reads");
  // Trailing '/' trimmed (as apko does); "@tag ./path" resolved past the tag.
  CHECK(Values(img.contents.repositories) ==
        std::vector<std::string>{"https://dl-cdn.alpinelinux.org/alpine/v3.20/main",
                                 "@local " + d + "/repo"});
  CHECK(Values(img.contents.build_repositories) == std::vector<std::string>{d + "/build-only"});
  CHECK(Values(img.contents.keyring)[0] == d + "/keys/local.rsa.pub");
  CHECK(img.contents.packages.size() == 4);
  CHECK(Values(img.archs) == std::vector<std::string>{"x86_64", "aarch64"});
  CHECK(img.accounts.groups[0].members == std::vector<std::string>{"app"});
  CHECK(img.accounts.users[0].shell == "/bin/false");
  CHECK(img.accounts.users[0].homedir == "/var/lib/app");
  CHECK(img.cmd == "--port 8080");
  CHECK(img.stop_signal == "SIGTERM");
  CHECK(img.work_dir == "/var/lib/app");
  CHECK(img.environment.at("DEBUG") == "false");
  CHECK(img.volumes == std::vector<std::string>{"/var/lib/app/data"});
  REQUIRE(img.paths.size() == 3);
  CHECK(img.paths[0].permissions == 0750);  // YAML 1.1 octal, as yaml.v3 reads it
  CHECK(img.paths[1].type == PathMutation::Type::kSymLink);
  CHECK(img.paths[1].source.value == "/usr/bin/hello");
  CHECK(img.paths[2].permissions == 493);  // decimal
  CHECK(img.paths[2].recursive);
  REQUIRE(img.files.size() == 2);
  CHECK(img.files[0].content == "Welcome to cairn.\nHave a nice day.\n");
  CHECK(img.files[0].mode == 0644);
  CHECK(img.files[1].mode == 0600);
  CHECK(img.files[1].uid == 1000);
  CHECK(Values(img.layers) == std::vector<std::string>{"base", "debug"});
  CHECK(Values(img.boards) == std::vector<std::string>{"rpi4"});
  CHECK(img.vcs_url == "https://example.com/app.git@0123abcd");
  CHECK(img.layering.strategy == "origin");
  CHECK(img.layering.budget == 10);
}

TEST_CASE("includes merge with the including file taking precedence", "[config][loader]") {
  auto r = LoadImage(fs::path(DataDir()) / "merge/top.yaml");
  REQUIRE(r.ok());
  const Image& img = *r;
  const std::string d = DataDir() + "/merge";
  // Then the layers the merged `layers:` name, from the project (tests/data/config).
  CHECK(img.included_files == std::vector<std::string>{d + "/top.yaml", d + "/common/base.yaml",
                                                       d + "/common/extra.yaml",
                                                       DataDir() + "/layers/core.yaml",
                                                       DataDir() + "/layers/extra.yaml"});
  CHECK(img.name.value == "merged");
  CHECK(img.description.value == "shared settings");  // only the include sets it
  // Lists: included first, duplicates dropped; relative paths from their own file.
  CHECK(Values(img.contents.repositories) ==
        std::vector<std::string>{d + "/repo", "https://example.com/alpine/main", d + "/local"});
  CHECK(Values(img.contents.keyring) == std::vector<std::string>{d + "/common/keys/base.rsa.pub"});
  CHECK(Values(img.contents.packages) ==
        std::vector<std::string>{"busybox", "musl", "zlib", "curl"});
  CHECK(img.contents.packages[0].loc.file == d + "/common/base.yaml");
  CHECK(img.contents.packages[3].loc.file == d + "/top.yaml");
  // archs replace (apko), they do not accumulate.
  CHECK(Values(img.archs) == std::vector<std::string>{"aarch64"});
  // Scalars: the including file, else the later include, else the earlier.
  CHECK(img.cmd == "extra-cmd");
  CHECK(img.stop_signal == "SIGQUIT");
  CHECK(img.work_dir == "/srv");
  CHECK(img.entrypoint.command == "/bin/base");
  CHECK(img.accounts.run_as.value == "base");
  // Maps merge key by key.
  CHECK(img.environment ==
        std::map<std::string, std::string>{{"A", "from-base"}, {"B", "from-top"}, {"C", "from-extra"}});
  REQUIRE(img.accounts.users.size() == 2);
  CHECK(img.accounts.users[0].username.value == "base");
  CHECK(img.accounts.users[1].username.value == "top");
  // An inline file declared again replaces the included one.
  REQUIRE(img.files.size() == 2);
  CHECK(img.files[0].path.value == "/etc/issue");
  CHECK(img.files[1].path.value == "/etc/motd");
  CHECK(img.files[1].content == "top");
  CHECK(Values(img.layers) == std::vector<std::string>{"core", "extra"});
  CHECK(img.volumes == std::vector<std::string>{"/data"});
}

}  // namespace
}  // namespace cairn::config
