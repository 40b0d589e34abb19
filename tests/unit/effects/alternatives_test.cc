#include "cairn/effects/alternatives.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;

// The same files in an in-memory tree and in a directory on disk, so the
// host's real update-alternatives (dpkg is essential on Debian) can run on
// the directory with --root and both results can be compared.
struct Stage {
  cairn::testing::ScratchDir dir{"alternatives"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  fs::path root = dir.path() / "root";

  Stage() { fs::create_directories(root); }

  void File(const std::string& path) {
    REQUIRE(tree.AddFile(path, "x").ok());
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path) << "x";
  }
  void Symlink(const std::string& path, const std::string& target) {
    REQUIRE(tree.AddSymlink(path, target).ok());
    fs::create_directories((root / path).parent_path());
    fs::create_symlink(target, root / path);
  }

  // One update-alternatives run per install, like one postinst per package.
  void RunHost(const std::vector<AlternativeInstall>& installs) {
    for (const AlternativeInstall& in : installs) {
      std::vector<std::string> argv = {
          "update-alternatives", "--root", root.string(), "--log", "/ua.log",
          "--install",           in.link,  in.name,       in.path, std::to_string(in.priority)};
      for (const AlternativeSlave& s : in.slaves) {
        argv.insert(argv.end(), {"--slave", s.link, s.name, s.path});
      }
      auto r = cairn::testing::RunCommand(argv);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
    }
    fs::remove(root / "ua.log");
  }

  // "path", "path/" or "path -> target" for every entry, sorted.
  std::vector<std::string> HostListing() {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::end(it); ++it) {
      std::string rel = it->path().lexically_relative(root).string();
      if (it->is_symlink())
        out.push_back(rel + " -> " + fs::read_symlink(it->path()).string());
      else if (it->is_directory())
        out.push_back(rel + "/");
      else
        out.push_back(rel);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> TreeListing() {
    std::vector<std::string> out;
    for (const auto& [path, node] : tree.nodes()) {
      if (node.meta.type == rootfs::FileType::kSymlink)
        out.push_back(path + " -> " + node.meta.link_target);
      else if (node.meta.type == rootfs::FileType::kDirectory)
        out.push_back(path + "/");
      else
        out.push_back(path);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string HostFile(const std::string& path) {
    std::ifstream in(root / path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string TreeFile(const std::string& path) {
    auto text = tree.ReadFile(path);
    REQUIRE(text.ok());
    return *text;
  }
};

// mawk's real postinst line (tests/data/deb/scripts/mawk.postinst).
AlternativeInstall Mawk() {
  return {"/usr/bin/awk",
          "awk",
          "/usr/bin/mawk",
          5,
          {{"/usr/share/man/man1/awk.1.gz", "awk.1.gz", "/usr/share/man/man1/mawk.1.gz"},
           {"/usr/bin/nawk", "nawk", "/usr/bin/mawk"},
           {"/usr/share/man/man1/nawk.1.gz", "nawk.1.gz", "/usr/share/man/man1/mawk.1.gz"}}};
}

AlternativeInstall Gawk(int32_t priority) {
  return {"/usr/bin/awk",
          "awk",
          "/usr/bin/gawk",
          priority,
          {{"/usr/bin/nawk", "nawk", "/usr/bin/gawk"},
           {"/usr/share/man/man1/zz.1.gz", "zz", "/usr/share/man/man1/gawk.1.gz"},
           {"/usr/bin/aa", "aa", "/usr/bin/gawk"}}};
}

TEST_CASE("one alternative gives exactly update-alternatives' links and admin file",
          "[effects][deb]") {
  Stage s;
  s.File("usr/bin/mawk");
  s.File("usr/share/man/man1/mawk.1.gz");
  std::vector<AlternativeInstall> installs = {Mawk()};
  std::vector<std::string> log;
  REQUIRE(ApplyAlternatives(s.tree, installs, 77, &log).ok());
  s.RunHost(installs);

  const std::string expected =
      "auto\n/usr/bin/awk\n"
      "awk.1.gz\n/usr/share/man/man1/awk.1.gz\n"
      "nawk\n/usr/bin/nawk\n"
      "nawk.1.gz\n/usr/share/man/man1/nawk.1.gz\n"
      "\n"
      "/usr/bin/mawk\n5\n/usr/share/man/man1/mawk.1.gz\n/usr/bin/mawk\n"
      "/usr/share/man/man1/mawk.1.gz\n"
      "\n";
  CHECK(s.TreeFile("var/lib/dpkg/alternatives/awk") == expected);
  CHECK(s.HostFile("var/lib/dpkg/alternatives/awk") == expected);
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.TreeListing() ==
        std::vector<std::string>{"etc/",
                                 "etc/alternatives/",
                                 "etc/alternatives/awk -> /usr/bin/mawk",
                                 "etc/alternatives/awk.1.gz -> /usr/share/man/man1/mawk.1.gz",
                                 "etc/alternatives/nawk -> /usr/bin/mawk",
                                 "etc/alternatives/nawk.1.gz -> /usr/share/man/man1/mawk.1.gz",
                                 "usr/",
                                 "usr/bin/",
                                 "usr/bin/awk -> /etc/alternatives/awk",
                                 "usr/bin/mawk",
                                 "usr/bin/nawk -> /etc/alternatives/nawk",
                                 "usr/share/",
                                 "usr/share/man/",
                                 "usr/share/man/man1/",
                                 "usr/share/man/man1/awk.1.gz -> /etc/alternatives/awk.1.gz",
                                 "usr/share/man/man1/mawk.1.gz",
                                 "usr/share/man/man1/nawk.1.gz -> /etc/alternatives/nawk.1.gz",
                                 "var/",
                                 "var/lib/",
                                 "var/lib/dpkg/",
                                 "var/lib/dpkg/alternatives/",
                                 "var/lib/dpkg/alternatives/awk"});
  const rootfs::Node* admin = s.tree.Find("var/lib/dpkg/alternatives/awk");
  CHECK(admin->meta.mode == 0644);
  CHECK(admin->meta.mtime == 77);
  CHECK(s.tree.Find("usr/bin/awk")->meta.mtime == 77);
  CHECK(log == std::vector<std::string>{
                   "alternatives: using '/usr/bin/mawk' to provide '/usr/bin/awk' (awk) in auto "
                   "mode"});
}

TEST_CASE("alternatives ties keep the first install and slaves merge like dpkg", "[effects][deb]") {
  Stage s;
  s.File("usr/bin/mawk");
  s.File("usr/bin/gawk");
  s.File("usr/share/man/man1/mawk.1.gz");
  // gawk at the same priority: mawk, installed first, stays; gawk's extra
  // slaves join the group with empty lines for mawk.
  std::vector<AlternativeInstall> installs = {Mawk(), Gawk(5)};
  REQUIRE(ApplyAlternatives(s.tree, installs, 0).ok());
  s.RunHost(installs);
  CHECK(s.TreeFile("var/lib/dpkg/alternatives/awk") == s.HostFile("var/lib/dpkg/alternatives/awk"));
  CHECK(s.TreeFile("var/lib/dpkg/alternatives/awk") ==
        "auto\n/usr/bin/awk\n"
        "aa\n/usr/bin/aa\n"
        "awk.1.gz\n/usr/share/man/man1/awk.1.gz\n"
        "nawk\n/usr/bin/nawk\n"
        "nawk.1.gz\n/usr/share/man/man1/nawk.1.gz\n"
        "zz\n/usr/share/man/man1/zz.1.gz\n"
        "\n"
        "/usr/bin/gawk\n5\n/usr/bin/gawk\n\n/usr/bin/gawk\n\n/usr/share/man/man1/gawk.1.gz\n"
        "/usr/bin/mawk\n5\n\n/usr/share/man/man1/mawk.1.gz\n/usr/bin/mawk\n"
        "/usr/share/man/man1/mawk.1.gz\n\n"
        "\n");
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.tree.Find("etc/alternatives/awk")->meta.link_target == "/usr/bin/mawk");
  CHECK(s.tree.Find("usr/bin/aa") == nullptr);
}

TEST_CASE("a higher priority takes over and slave links follow the new choice", "[effects][deb]") {
  Stage s;
  s.File("usr/bin/mawk");
  s.File("usr/bin/gawk");
  s.File("usr/share/man/man1/mawk.1.gz");
  // gawk's zz slave points at a missing man page: recorded, but not linked.
  std::vector<AlternativeInstall> installs = {Mawk(), Gawk(10)};
  std::vector<std::string> log;
  REQUIRE(ApplyAlternatives(s.tree, installs, 0, &log).ok());
  s.RunHost(installs);
  CHECK(s.TreeFile("var/lib/dpkg/alternatives/awk") == s.HostFile("var/lib/dpkg/alternatives/awk"));
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.tree.Find("etc/alternatives/awk")->meta.link_target == "/usr/bin/gawk");
  CHECK(s.tree.Find("usr/bin/aa")->meta.link_target == "/etc/alternatives/aa");
  CHECK(s.tree.Find("usr/share/man/man1/awk.1.gz") == nullptr);
  CHECK(s.tree.Find("etc/alternatives/zz") == nullptr);
  CHECK(log == std::vector<std::string>{
                   "alternatives: using '/usr/bin/mawk' to provide '/usr/bin/awk' (awk) in auto "
                   "mode",
                   "alternatives: using '/usr/bin/gawk' to provide '/usr/bin/awk' (awk) in auto "
                   "mode",
                   "alternatives: skipped slave link '/usr/share/man/man1/zz.1.gz': "
                   "'/usr/share/man/man1/gawk.1.gz' (of link group 'awk') does not exist"});
}

TEST_CASE("alternatives re-read an existing admin file, drop unused slaves and rename links",
          "[effects][deb]") {
  Stage s;
  s.File("usr/bin/mawk");
  s.File("usr/share/man/man1/mawk.1.gz");
  REQUIRE(ApplyAlternatives(s.tree, {Mawk()}, 0).ok());
  s.RunHost({Mawk()});
  // A second run (a later layer): mawk again without its man-page slaves,
  // then under a new link name.
  AlternativeInstall again = {
      "/usr/bin/awk", "awk", "/usr/bin/mawk", 7, {{"/usr/bin/nawk", "nawk", "/usr/bin/mawk"}}};
  AlternativeInstall renamed = {
      "/usr/bin/awk2", "awk", "/usr/bin/mawk", 7, {{"/usr/bin/nawk2", "nawk", "/usr/bin/mawk"}}};
  std::vector<std::string> log;
  REQUIRE(ApplyAlternatives(s.tree, {again, renamed}, 0, &log).ok());
  s.RunHost({again, renamed});
  CHECK(s.TreeFile("var/lib/dpkg/alternatives/awk") ==
        "auto\n/usr/bin/awk2\nnawk\n/usr/bin/nawk2\n\n/usr/bin/mawk\n7\n/usr/bin/mawk\n\n");
  CHECK(s.TreeFile("var/lib/dpkg/alternatives/awk") == s.HostFile("var/lib/dpkg/alternatives/awk"));
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(log == std::vector<std::string>{
                   "alternatives: renaming awk link from '/usr/bin/awk' to '/usr/bin/awk2'",
                   "alternatives: renaming nawk slave link from '/usr/bin/nawk' to "
                   "'/usr/bin/nawk2'"});
}

TEST_CASE("alternatives skip missing paths and never replace real files", "[effects][deb]") {
  Stage s;
  s.File("usr/bin/realbar");
  s.File("usr/bin/bar");  // shipped as a file: update-alternatives keeps it
  std::vector<AlternativeInstall> installs = {{"/usr/bin/bar", "bar", "/usr/bin/realbar", 10, {}}};
  std::vector<std::string> log;
  REQUIRE(ApplyAlternatives(
              s.tree, {{"/usr/bin/foo", "foo", "/usr/bin/nothere", 10, {}}, installs[0]}, 0, &log)
              .ok());
  s.RunHost(installs);
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.tree.Find("var/lib/dpkg/alternatives/foo") == nullptr);
  CHECK(s.tree.Find("usr/bin/bar")->meta.type == rootfs::FileType::kRegular);
  CHECK(log == std::vector<std::string>{
                   "alternatives: skipped '/usr/bin/nothere' for '/usr/bin/foo' (foo): it does "
                   "not exist",
                   "alternatives: using '/usr/bin/realbar' to provide '/usr/bin/bar' (bar) in "
                   "auto mode",
                   "alternatives: not replacing '/usr/bin/bar' with a link: it is a regular "
                   "file"});
}

TEST_CASE("alternative paths resolve through a usr-merged /bin", "[effects][deb]") {
  Stage s;
  s.Symlink("bin", "usr/bin");
  s.File("usr/bin/more");
  s.File("usr/share/man/man1/more.1.gz");
  // util-linux's real postinst line (tests/data/deb/scripts/util-linux.postinst).
  std::vector<AlternativeInstall> installs = {
      {"/usr/bin/pager",
       "pager",
       "/bin/more",
       50,
       {{"/usr/share/man/man1/pager.1.gz", "pager.1.gz", "/usr/share/man/man1/more.1.gz"}}}};
  REQUIRE(ApplyAlternatives(s.tree, installs, 0).ok());
  s.RunHost(installs);
  CHECK(s.TreeFile("var/lib/dpkg/alternatives/pager") ==
        s.HostFile("var/lib/dpkg/alternatives/pager"));
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.tree.Find("etc/alternatives/pager")->meta.link_target == "/bin/more");
}

TEST_CASE("the host's own alternative admin files round-trip", "[effects][deb]") {
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator("/var/lib/dpkg/alternatives")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto state = ParseAlternativeState(entry.path().string(), ss.str());
    INFO(entry.path());
    REQUIRE(state.ok());
    CHECK(FormatAlternativeState(*state) == ss.str());
    ++checked;
  }
  CHECK(checked > 0);
}

TEST_CASE("bad alternative data is an integrity error", "[effects][deb]") {
  Stage s;
  s.File("usr/bin/mawk");
  auto st = ApplyAlternatives(s.tree, {{"usr/bin/awk", "awk", "/usr/bin/mawk", 5, {}}}, 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIntegrity);
  CHECK(st.error().message() ==
        "invalid alternative 'awk': link 'usr/bin/awk' is not absolute (expected a path "
        "starting with '/')");

  st = ApplyAlternatives(s.tree, {{"/usr/bin/awk", "a/wk", "/usr/bin/mawk", 5, {}}}, 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message() ==
        "invalid alternative 'a/wk': the name must be non-empty and contain no '/' or blanks");

  auto parsed = ParseAlternativeState("var/lib/dpkg/alternatives/awk",
                                      "auto\n/usr/bin/awk\n\n/usr/bin/mawk\nfive\n\n");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code() == Code::kIntegrity);
  CHECK(parsed.error().message() ==
        "var/lib/dpkg/alternatives/awk:5: expected an integer priority, not 'five'");
  parsed = ParseAlternativeState("f", "auto\n/usr/bin/awk\nnawk\n");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message() == "f:4: expected a slave link");
}

}  // namespace
}  // namespace cairn::effects
