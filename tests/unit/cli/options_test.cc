// The option table and parser of composer/cli/options.cc.
#include "cli/options.h"

#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

namespace cairn::cli {
namespace {

Invocation MustParse(const std::vector<std::string>& argv) {
  auto r = Parse(argv);
  INFO((r.ok() ? std::string() : r.error().Render()));
  REQUIRE(r.ok());
  return *r;
}

Error MustFail(const std::vector<std::string>& argv) {
  auto r = Parse(argv);
  REQUIRE(!r.ok());
  CHECK(r.error().code() == Code::kUsage);
  return r.error();
}

}  // namespace

TEST_CASE("global options go before or after the verb", "[cli][options]") {
  auto before = MustParse({"-C", "/tmp", "--cache-dir", "c", "build", "x.yaml"});
  auto after = MustParse({"build", "x.yaml", "-C", "/tmp", "--cache-dir", "c"});
  for (const auto& inv : {before, after}) {
    CHECK(inv.verb == "build");
    CHECK(inv.args == std::vector<std::string>{"x.yaml"});
    CHECK(inv.get("directory") == "/tmp");
    CHECK(inv.get("cache-dir") == "c");
  }
}

TEST_CASE("values: separate, inline with =, attached to a short option", "[cli][options]") {
  auto inv = MustParse({"build", "--output=out/x", "-Cdir", "x.yaml", "--arch", "x86_64",
                        "--arch=aarch64", "--source-date-epoch", "0"});
  CHECK(inv.get("output") == "out/x");
  CHECK(inv.get("directory") == "dir");
  CHECK(inv.all("arch") == std::vector<std::string>{"x86_64", "aarch64"});
  CHECK(inv.get("source-date-epoch") == "0");
  CHECK(inv.get("lockfile", "none") == "none");
  CHECK(!inv.has("offline"));
}

TEST_CASE("edit: its operations keep their order across different options", "[cli][options]") {
  auto inv = MustParse({"edit", "vendor.img", "--copy-in", "a:/x", "-o", "out.img", "--owner",
                        "1:1", "--delete=/y", "--copy-in", "b:2:/z", "--write", "/h=t"});
  CHECK(inv.verb == "edit");
  CHECK(inv.args == std::vector<std::string>{"vendor.img"});
  using Pair = std::pair<std::string, std::string>;
  CHECK(inv.ordered == std::vector<Pair>{{"copy-in", "a:/x"}, {"output", "out.img"},
                                         {"owner", "1:1"},    {"delete", "/y"},
                                         {"copy-in", "b:2:/z"}, {"write", "/h=t"}});
  CHECK(inv.all("copy-in") == std::vector<std::string>{"a:/x", "b:2:/z"});
  CHECK(MustFail({"edit", "a.img", "--json"}).Render() ==
        "'cairn edit' does not take '--json'\nhint: see 'cairn edit --help'");
  CHECK(MustFail({"edit"}).Render() ==
        "'cairn edit' needs DISK\nhint: see 'cairn edit --help'");
}

TEST_CASE("short flags bundle and -v counts", "[cli][options]") {
  auto inv = MustParse({"-vv", "resolve", "x.yaml", "-v"});
  CHECK(inv.count("verbose") == 3);
  auto q = MustParse({"-qC", "/d", "list"});
  CHECK(q.has("quiet"));
  CHECK(q.get("directory") == "/d");
  CHECK(q.verb == "list");
}

TEST_CASE("a double dash ends the options", "[cli][options]") {
  auto inv = MustParse({"validate", "--", "--weird.yaml", "-v.yaml"});
  CHECK(inv.args == std::vector<std::string>{"--weird.yaml", "-v.yaml"});
  CHECK(!inv.has("verbose"));
}

TEST_CASE("help: --help anywhere, no verb, or the help verb", "[cli][options]") {
  auto h = MustParse({"build", "x.yaml", "--help"});
  CHECK(h.verb == "help");
  CHECK(h.args == std::vector<std::string>{"build"});
  // --help before the verb and without its arguments is fine too.
  auto early = MustParse({"-h", "lock"});
  CHECK(early.verb == "help");
  CHECK(early.args == std::vector<std::string>{"lock"});
  auto none = MustParse({});
  CHECK(none.verb == "help");
  CHECK(none.args.empty());
  auto verb = MustParse({"help", "show"});
  CHECK(verb.verb == "help");
  CHECK(verb.args == std::vector<std::string>{"show"});
}

TEST_CASE("unknown verbs and options suggest the closest name", "[cli][options]") {
  CHECK(MustFail({"bulid", "x"}).Render() ==
        "unknown verb 'bulid'\nhint: did you mean 'build'? see 'cairn --help'");
  CHECK(MustFail({"frobnicate"}).Render() ==
        "unknown verb 'frobnicate'\nhint: see 'cairn --help'");
  CHECK(MustFail({"build", "--ofline", "x"}).Render() ==
        "unknown option '--ofline'\nhint: did you mean '--offline'? see 'cairn build --help'");
  CHECK(MustFail({"--cachedir", "d", "build"}).Render() ==
        "unknown option '--cachedir'\nhint: did you mean '--cache-dir'? see 'cairn --help'");
  CHECK(MustFail({"build", "-x"}).Render() ==
        "unknown option '-x'\nhint: see 'cairn build --help'");
}

TEST_CASE("options a verb does not take are refused, before or after it", "[cli][options]") {
  CHECK(MustFail({"show", "x.yaml", "--offline"}).Render() ==
        "'cairn show' does not take '--offline'\nhint: see 'cairn show --help'");
  CHECK(MustFail({"--offline", "show", "x.yaml"}).Render() ==
        "'cairn show' does not take '--offline'\nhint: see 'cairn show --help'");
}

TEST_CASE("values: missing, unexpected, repeated", "[cli][options]") {
  CHECK(MustFail({"build", "x.yaml", "-o"}).Render() ==
        "option '-o' needs a value (PATH)\nhint: see 'cairn build --help'");
  CHECK(MustFail({"build", "x.yaml", "--lockfile"}).Render() ==
        "option '--lockfile' needs a value (FILE)\nhint: see 'cairn build --help'");
  CHECK(MustFail({"build", "x.yaml", "--offline=yes"}).Render() ==
        "option '--offline' takes no value\nhint: see 'cairn build --help'");
  CHECK(MustFail({"build", "x.yaml", "-o", "a", "-o", "b"}).Render() ==
        "option '--output' given more than once\nhint: see 'cairn build --help'");
  // Repeating a flag is harmless.
  CHECK(MustParse({"build", "x.yaml", "--offline", "--offline"}).has("offline"));
}

TEST_CASE("argument counts", "[cli][options]") {
  CHECK(MustFail({"build"}).Render() ==
        "'cairn build' needs FILE\nhint: see 'cairn build --help'");
  CHECK(MustFail({"build", "a.yaml", "b.yaml"}).Render() ==
        "'cairn build' takes FILE but got 2 arguments\nhint: see 'cairn build --help'");
  CHECK(MustFail({"version", "x"}).Render() ==
        "'cairn version' takes no arguments but got 1 argument\n"
        "hint: see 'cairn version --help'");
  CHECK(MustParse({"validate", "a", "b", "c"}).args.size() == 3);
  CHECK(MustParse({"list"}).args.empty());
}

TEST_CASE("the table is consistent", "[cli][options]") {
  std::set<std::string_view> names;
  std::set<char> shorts;
  for (const auto& o : AllOptions()) {
    INFO(o.name);
    CHECK(names.insert(o.name).second);
    if (o.short_name) CHECK(shorts.insert(o.short_name).second);
    CHECK(!o.help.empty());
  }
  for (auto g : GlobalOptionNames()) CHECK(names.count(g));
  for (const auto& v : AllVerbs()) {
    INFO(v.name);
    CHECK(FindVerb(v.name) == &v);
    for (auto o : v.options) CHECK(names.count(o));
    CHECK((v.max_args < 0 || v.max_args >= v.min_args));
  }
  CHECK(FindVerb("nope") == nullptr);
}

TEST_CASE("help text lists every option a verb takes", "[cli][options]") {
  for (const auto& v : AllVerbs()) {
    std::string help = VerbHelp(v);
    INFO(help);
    CHECK(help.rfind("usage: cairn " + std::string(v.name), 0) == 0);
    for (auto o : v.options) CHECK(help.find("--" + std::string(o)) != std::string::npos);
    for (auto g : GlobalOptionNames()) CHECK(help.find("--" + std::string(g)) != std::string::npos);
  }
  std::string general = GeneralHelp();
  for (const auto& v : AllVerbs())
    CHECK(general.find("  " + std::string(v.name) + " ") != std::string::npos);
}

TEST_CASE("docs/cairn.1.md documents every option and verb of the table", "[cli][options][docs]") {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/docs/cairn.1.md");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string man = ss.str();
  REQUIRE(!man.empty());
  for (const auto& o : AllOptions()) {
    INFO("--" << o.name);
    CHECK(man.find("`--" + std::string(o.name)) != std::string::npos);
    if (o.short_name)
      CHECK(man.find("`-" + std::string(1, o.short_name)) != std::string::npos);
  }
  for (const auto& v : AllVerbs()) {
    INFO(v.name);
    CHECK(man.find("| `" + std::string(v.name) + "` |") != std::string::npos);
  }
}

TEST_CASE("Suggest allows transpositions but not unrelated words", "[cli][options]") {
  std::vector<std::string_view> verbs = {"build", "lock", "resolve"};
  CHECK(Suggest("bulid", verbs) == "build");
  CHECK(Suggest("lcok", verbs) == "lock");
  CHECK(Suggest("resovle", verbs) == "resolve");
  CHECK(Suggest("zzzzzz", verbs).empty());
}

}  // namespace cairn::cli
