// The command line as a user meets it: usage errors, help, declaration
// errors with a caret, and the read-only verbs (show, list, validate, version).
#include <regex>

#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

const std::vector<std::string> kVerbs = {"build", "lock",    "resolve", "show", "list",
                                         "validate", "sbom", "version", "plan", "help"};

}  // namespace

TEST_CASE("an unknown verb is one error, a suggestion and a pointer to help", "[e2e][cli]") {
  auto r = Cairn({"bulid", "images/demo.yaml"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "cairn: error: unknown verb 'bulid'\n"
        "hint: did you mean 'build'? see 'cairn --help'\n");
  auto far = Cairn({"frobnicate"});
  CHECK(far.exit_code == 2);
  CHECK(far.err == "cairn: error: unknown verb 'frobnicate'\nhint: see 'cairn --help'\n");
}

TEST_CASE("an unknown option is one error, a suggestion and the verb's help", "[e2e][cli]") {
  auto r = Cairn({"build", "x.yaml", "--outptu", "dir"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "cairn: error: unknown option '--outptu'\n"
        "hint: did you mean '--output'? see 'cairn build --help'\n");

  auto no_hint = Cairn({"resolve", "x.yaml", "--frobnicate"});
  CHECK(no_hint.exit_code == 2);
  CHECK(no_hint.err == "cairn: error: unknown option '--frobnicate'\n"
                       "hint: see 'cairn resolve --help'\n");

  auto wrong_verb = Cairn({"show", "x.yaml", "--offline"});
  CHECK(wrong_verb.exit_code == 2);
  CHECK(wrong_verb.err == "cairn: error: 'cairn show' does not take '--offline'\n"
                          "hint: see 'cairn show --help'\n");

  auto missing = Cairn({"build"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "cairn: error: 'cairn build' needs FILE\nhint: see 'cairn build --help'\n");
}

TEST_CASE("every verb has --help, and 'cairn help VERB' is the same", "[e2e][cli][help]") {
  auto general = Cairn({"--help"});
  CHECK(general.exit_code == 0);
  CHECK(general.out.rfind("usage: cairn ", 0) == 0);
  CHECK(general.err.empty());
  CHECK(Cairn({}).out == general.out);
  for (const auto& v : kVerbs) {
    DYNAMIC_SECTION("verb " << v) {
      CHECK(general.out.find("\n  " + v + " ") != std::string::npos);
      auto h = Cairn({v, "--help"});
      CHECK(h.exit_code == 0);
      CHECK(h.err.empty());
      if (v == "help") {  // `cairn help --help` is the general help
        CHECK(h.out == general.out);
        continue;
      }
      CHECK(h.out.rfind("usage: cairn " + v, 0) == 0);
      CHECK(h.out.find("global options:") != std::string::npos);
      auto help_verb = Cairn({"help", v});
      CHECK(help_verb.exit_code == 0);
      CHECK(help_verb.out == h.out);
      CHECK(Cairn({v, "-h"}).out == h.out);
    }
  }
  auto unknown = Cairn({"help", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err == "cairn: error: no help for unknown verb 'nope'\nhint: see 'cairn --help'\n");
}

TEST_CASE("docs/cairn.1.md documents every option the help shows", "[e2e][cli][docs]") {
  std::string man = ReadText(SourceDir() / "docs/cairn.1.md");
  REQUIRE(!man.empty());
  std::set<std::string> options;
  std::regex long_opt("--([a-z][a-z0-9-]*)");
  for (const auto& v : kVerbs) {
    std::string help = Cairn({v, "--help"}).out;
    for (std::sregex_iterator it(help.begin(), help.end(), long_opt), end; it != end; ++it)
      options.insert((*it)[1]);
    CHECK(man.find("`" + v + "`") != std::string::npos);
  }
  REQUIRE(options.size() >= 10);
  for (const auto& o : options) {
    INFO("--" << o);
    CHECK(man.find("--" + o) != std::string::npos);
  }
}

TEST_CASE("a declaration error exits 2 with file:line:col, the line and a caret",
          "[e2e][cli][config]") {
  ScratchDir scratch("e2e-cli-yaml");
  WriteText(scratch.path() / "bad.yaml",
            "contents:\n"
            "  repositories:\n"
            "    - https://example.com/alpine/main\n"
            "  pakages:\n"
            "    - busybox\n");
  const std::string expected =
      "cairn: bad.yaml:4:3: error: unknown key 'pakages' in 'contents'\n"
      "    pakages:\n"
      "    ^\n"
      "hint: did you mean 'packages'?\n";
  for (const std::string verb : {"validate", "show", "resolve", "build"}) {
    DYNAMIC_SECTION("verb " << verb) {
      auto r = Cairn({verb, "bad.yaml", "--cache-dir", "cache"}, {}, scratch.path());
      if (verb == "show" || verb == "validate")
        r = Cairn({verb, "bad.yaml"}, {}, scratch.path());
      CHECK(r.exit_code == 2);
      CHECK(r.out.empty());
      // Build and resolve print their step line first; the error ends stderr.
      REQUIRE(r.err.size() >= expected.size());
      CHECK(r.err.substr(r.err.size() - expected.size()) == expected);
      CHECK(!fs::exists(scratch.path() / "out"));
    }
  }
}

TEST_CASE("cairn show prints the declaration merged with its includes", "[e2e][cli][show]") {
  ScratchDir scratch("e2e-cli-show");
  fs::path dir = scratch.path();
  WriteText(dir / "common" / "base.yaml",
            "contents:\n"
            "  repositories: [https://example.com/alpine/main]\n"
            "  packages: [busybox, musl]\n"
            "environment:\n  A: from-base\n  B: from-base\n"
            "work-dir: /base\n");
  WriteText(dir / "top.yaml",
            "include: common/base.yaml\n"
            "name: merged\n"
            "contents:\n"
            "  packages: [curl]\n"
            "archs: [arm64]\n"
            "environment:\n  B: from-top\n");
  auto r = Cairn({"show", "top.yaml"}, {}, dir);
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  const std::string& s = r.out;
  CHECK(s.find("name: merged") != std::string::npos);
  CHECK(s.find("https://example.com/alpine/main") != std::string::npos);
  // Packages from both files, the include's first.
  auto busybox = s.find("- busybox"), musl = s.find("- musl"), curl = s.find("- curl");
  CHECK(busybox != std::string::npos);
  CHECK(musl != std::string::npos);
  CHECK(curl != std::string::npos);
  CHECK((busybox < musl && musl < curl));
  CHECK(s.find("A: from-base") != std::string::npos);
  CHECK(s.find("B: from-top") != std::string::npos);
  CHECK(s.find("B: from-base") == std::string::npos);
  CHECK(s.find("work-dir: /base") != std::string::npos);
  CHECK(s.find("- aarch64") != std::string::npos);  // arm64 normalised to the apk name
  CHECK(s.find("include") == std::string::npos);

  // The printed result is itself a declaration that shows the same.
  WriteText(dir / "shown.yaml", s);
  auto again = Cairn({"show", "shown.yaml"}, {}, dir);
  INFO(Tail(again.err));
  CHECK(again.exit_code == 0);
  CHECK(again.out == s);

  auto json = Cairn({"show", "top.yaml", "--json"}, {}, dir);
  REQUIRE(json.exit_code == 0);
  WriteText(dir / "shown.json", json.out);
  CHECK(Jq(".contents.packages | join(\",\")", dir / "shown.json") == "busybox,musl,curl");
}

TEST_CASE("list, validate and version", "[e2e][cli]") {
  auto list = Cairn({"list", "-C", SourceDir().string()});
  INFO(Tail(list.err));
  REQUIRE(list.exit_code == 0);
  bool demo = false;
  for (const auto& line : Lines(list.out))
    if (line.rfind("image ", 0) == 0 && line.find(" demo ") != std::string::npos) demo = true;
  CHECK(demo);
  auto images = Cairn({"list", "images", "--json"}, {}, SourceDir());
  REQUIRE(images.exit_code == 0);
  ScratchDir scratch("e2e-cli-list");
  WriteText(scratch.path() / "list.json", images.out);
  CHECK(Jq("[.images[] | select(.file | endswith(\"images/demo.yaml\"))] | length",
           scratch.path() / "list.json") == "1");
  auto bad_kind = Cairn({"list", "imagez"}, {}, SourceDir());
  CHECK(bad_kind.exit_code == 2);

  auto ok = Cairn({"validate", "images/demo.yaml"}, {}, SourceDir());
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "images/demo.yaml: ok\n");

  auto version = Cairn({"version"});
  CHECK(version.exit_code == 0);
  CHECK(std::regex_match(version.out, std::regex("cairn [0-9]+\\.[0-9]+\\.[0-9]+.*\n")));
  auto vjson = Cairn({"version", "--json"});
  CHECK(vjson.out == "{\"version\":\"" + version.out.substr(6, version.out.size() - 7) + "\"}\n");
}

TEST_CASE("sbom prints the SBOM of a built image", "[e2e][cli][sbom]") {
  ScratchDir scratch("e2e-cli-sbom");
  WriteText(scratch.path() / "demo.yaml", DemoYaml());
  auto b = Cairn({"build", "demo.yaml", "--cache-dir", "cache", "-o", "out"}, {}, scratch.path());
  INFO(Tail(b.err));
  REQUIRE(b.exit_code == 0);
  auto index = Cairn({"sbom", "out"}, {}, scratch.path());
  CHECK(index.exit_code == 0);
  CHECK(index.out == ReadText(scratch.path() / "out/sbom/sbom-index.spdx.json"));
  auto arch = Cairn({"sbom", "demo.yaml", "-o", "out", "--arch", "aarch64"}, {}, scratch.path());
  CHECK(arch.exit_code == 0);
  CHECK(arch.out == ReadText(scratch.path() / "out/sbom/sbom-aarch64.spdx.json"));
  auto none = Cairn({"sbom", "demo.yaml"}, {}, scratch.path());
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("no SBOM at") != std::string::npos);
}

}  // namespace cairn::e2e
