// Validate: semantic checks on the merged model, each located at its node;
// and the loader's per-field type checks that need small inline files.
#include <catch2/catch.hpp>

#include "cairn/config/validate.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

using test::LoadText;

constexpr const char* kBase =
    "contents:\n"
    "  repositories: [https://example.com/alpine/main]\n"
    "  packages: [busybox]\n";

// Loads `text` (which must load) and returns Validate's rendered error with the
// scratch path replaced by "F".
std::string ValidateError(const std::string& text) {
  testing::ScratchDir dir("config-validate");
  auto img = LoadText(dir, text);
  REQUIRE(img.ok());
  Status s = Validate(*img);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == Code::kConfig);
  return test::RenderedAsF(s.error(), dir);
}

std::string LoadErrorText(const std::string& text) {
  testing::ScratchDir dir("config-load");
  auto img = LoadText(dir, text);
  REQUIRE_FALSE(img.ok());
  return test::RenderedAsF(img.error(), dir);
}

TEST_CASE("a complete declaration validates", "[config][validate]") {
  testing::ScratchDir dir("config-validate");
  auto img = LoadText(dir, std::string(kBase) +
                               "accounts:\n"
                               "  groups: [{groupname: app, gid: 1000}]\n"
                               "  users: [{username: app, uid: 1000, gid: 1000}]\n"
                               "  run-as: app:app\n");
  REQUIRE(img.ok());
  CHECK(Validate(*img).ok());
}

TEST_CASE("validate requires a package", "[config][validate]") {
  CHECK(ValidateError("contents:\n  repositories: [https://example.com/alpine/main]\n") ==
        "F:1:1: error: no packages declared\n"
        "  contents:\n"
        "  ^\n"
        "hint: list at least one package under 'contents.packages'");
}

TEST_CASE("validate requires a repository", "[config][validate]") {
  CHECK(ValidateError("name: x\ncontents:\n  packages: [busybox]\n") ==
        "F:2:1: error: no repositories declared\n"
        "  contents:\n"
        "  ^\n"
        "hint: list at least one under 'contents.repositories' or 'contents.build_repositories', "
              "or Debian sources under 'contents.debian.sources'");
  // With no contents at all the error names the file.
  CHECK(ValidateError("name: x\n") ==
        "F: error: no packages declared\n"
        "hint: list at least one package under 'contents.packages'");
}

TEST_CASE("validate rejects duplicate user names and ids", "[config][validate]") {
  CHECK(ValidateError(std::string(kBase) +
                      "accounts:\n"
                      "  users:\n"
                      "    - {username: app, uid: 1000}\n"
                      "    - {username: app, uid: 1001}\n") ==
        "F:7:18: error: duplicate user 'app'\n"
        "      - {username: app, uid: 1001}\n"
        "                   ^\n"
        "hint: first declared at F:6:18");
  CHECK(ValidateError(std::string(kBase) +
                      "accounts:\n"
                      "  users:\n"
                      "    - {username: app, uid: 1000}\n"
                      "    - {username: web, uid: 1000}\n") ==
        "F:7:7: error: duplicate uid 1000 (user 'web')\n"
        "      - {username: web, uid: 1000}\n"
        "        ^\n"
        "hint: first declared at F:6:7");
}

TEST_CASE("validate rejects duplicate groups", "[config][validate]") {
  CHECK(ValidateError(std::string(kBase) +
                      "accounts:\n"
                      "  groups:\n"
                      "    - groupname: app\n"
                      "      gid: 1000\n"
                      "    - groupname: web\n"
                      "      gid: 1000\n") ==
        "F:8:7: error: duplicate gid 1000 (group 'web')\n"
        "      - groupname: web\n"
        "        ^\n"
        "hint: first declared at F:6:7");
}

TEST_CASE("validate rejects uid 0 and users without uid", "[config][validate]") {
  CHECK(ValidateError(std::string(kBase) + "accounts:\n  users: [{username: r, uid: 0}]\n") ==
        "F:5:11: error: user 'r' has uid 0\n"
        "    users: [{username: r, uid: 0}]\n"
        "            ^\n"
        "hint: to run as root, use 'run-as: 0' instead of declaring a user");
  CHECK(ValidateError(std::string(kBase) + "accounts:\n  users: [{username: r}]\n") ==
        "F:5:11: error: user 'r' has no 'uid'\n"
        "    users: [{username: r}]\n"
        "            ^");
}

TEST_CASE("run-as must name a declared user or be numeric", "[config][validate]") {
  CHECK(ValidateError(std::string(kBase) + "accounts:\n  run-as: nobody\n") ==
        "F:5:11: error: 'run-as' names user 'nobody', which is not declared\n"
        "    run-as: nobody\n"
        "            ^\n"
        "hint: declare it under 'accounts.users' or give a numeric uid");
  testing::ScratchDir dir("config-validate");
  for (const char* ok : {"0", "65532", "root", "1000:1000"}) {
    auto img = LoadText(dir, std::string(kBase) + "accounts:\n  run-as: \"" + ok + "\"\n");
    REQUIRE(img.ok());
    CHECK(Validate(*img).ok());
  }
}

TEST_CASE("validate checks links, in-image paths and duplicate files", "[config][validate]") {
  CHECK(ValidateError(std::string(kBase) + "paths:\n  - path: /bin/sh\n    type: symlink\n") ==
        "F:5:5: error: link '/bin/sh' has no 'source'\n"
        "    - path: /bin/sh\n"
        "      ^\n"
        "hint: 'source' is the link target");
  CHECK(ValidateError(std::string(kBase) + "paths:\n  - path: /a/../b\n") ==
        "F:5:11: error: 'paths[0].path' must not contain '..', got '/a/../b'\n"
        "    - path: /a/../b\n"
        "            ^\n"
        "hint: write the path from the image root without '..'");
  CHECK(ValidateError(std::string(kBase) +
                      "files:\n  - {path: /etc/motd, content: a}\n  - {path: /etc/motd}\n") ==
        "F:6:12: error: file '/etc/motd' is declared twice\n"
        "    - {path: /etc/motd}\n"
        "             ^\n"
        "hint: first declared at F:5:12");
}

TEST_CASE("validate rejects service bundles and a relative work-dir", "[config][validate]") {
  CHECK(ValidateError(std::string(kBase) + "entrypoint:\n  type: service-bundle\n") ==
        "F:4:1: error: entrypoint type 'service-bundle' is not supported yet\n"
        "  entrypoint:\n"
        "  ^\n"
        "hint: use 'command' or 'shell-fragment'");
  CHECK(ValidateError(std::string(kBase) + "work-dir: srv\n") ==
        "F:4:1: error: 'work-dir' must be absolute, got 'srv'\n"
        "  work-dir: srv\n"
        "  ^");
}

TEST_CASE("the loader checks scalar types and paths", "[config][loader]") {
  CHECK(LoadErrorText("accounts:\n  users:\n    - username: a\n      uid: lots\n") ==
        "F:4:12: error: wrong type for 'accounts.users[0].uid': expected a non-negative integer, "
        "got 'lots'\n"
        "        uid: lots\n"
        "             ^");
  CHECK(LoadErrorText("paths:\n  - path: /x\n    permissions: rwx\n") ==
        "F:3:18: error: wrong type for 'paths[0].permissions': expected an octal mode such as "
        "0o755 or 0755, got 'rwx'\n"
        "      permissions: rwx\n"
        "                   ^");
  CHECK(LoadErrorText("paths:\n  - path: /x\n    type: link\n") ==
        "F:3:11: error: unknown path type 'link'\n"
        "      type: link\n"
        "            ^\n"
        "hint: expected 'directory', 'empty-file', 'hardlink', 'symlink' or 'permissions'");
  CHECK(LoadErrorText("files:\n  - path: etc/motd\n") ==
        "F:2:11: error: 'files[0].path' must be an absolute path in the image, got 'etc/motd'\n"
        "    - path: etc/motd\n"
        "            ^\n"
        "hint: start the path with '/'");
  CHECK(LoadErrorText("files:\n  - content: hi\n") ==
        "F:2:5: error: 'files[0]' has no 'path'\n"
        "    - content: hi\n"
        "      ^\n"
        "hint: give the absolute path of the file in the image, e.g. 'path: /etc/motd'");
  CHECK(LoadErrorText("cmd: [a, b]\n") ==
        "F:1:6: error: wrong type for 'cmd': expected a string, got a list\n"
        "  cmd: [a, b]\n"
        "       ^");
  CHECK(LoadErrorText("paths:\n  - path: /x\n    recursive: maybe\n") ==
        "F:3:16: error: wrong type for 'paths[0].recursive': expected true or false, got 'maybe'\n"
        "      recursive: maybe\n"
        "                 ^");
  CHECK(LoadErrorText("contents:\n  packages: [a]\n  packages: [b]\n") ==
        "F:3:3: error: duplicate key 'packages' in 'contents'\n"
        "    packages: [b]\n"
        "    ^");
  CHECK(LoadErrorText("- a\n- b\n") ==
        "F:1:1: error: wrong type for 'the document': expected a mapping, got a list\n"
        "  - a\n"
        "  ^");
}

TEST_CASE("known apko keys cairn cannot build are reported as unsupported", "[config][loader]") {
  CHECK(LoadErrorText("contents:\n  baseimage:\n    image: x\n") ==
        "F:2:3: error: 'contents.baseimage' is not supported yet\n"
        "    baseimage:\n"
        "    ^\n"
        "hint: cairn reads this apko key but cannot build it; remove it");
}

TEST_CASE("permissions accept 0o755, 0755 and 493", "[config][loader]") {
  testing::ScratchDir dir("config-load");
  for (const char* mode : {"0o755", "0755", "493", "0x1ed"}) {
    auto img = LoadText(dir, std::string("paths:\n  - path: /x\n    permissions: ") + mode + "\n");
    REQUIRE(img.ok());
    CHECK(img->paths[0].permissions == 0755);
  }
}

}  // namespace
}  // namespace cairn::config
