// WriteDpkgDatabase against what dpkg 1.21.22 itself wrote: every expected
// text below is the output of the host's `dpkg --root=<dir> -i` on a .deb
// with the same control file, conffiles and data (built with dpkg-deb), and
// the last test reads the result back with the host's dpkg-query and dpkg.
#include "compose/dpkg_database.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"

namespace cairn::compose {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;

constexpr int64_t kEpoch = 1700000000;

struct Fixture {
  testing::ScratchDir dir{"dpkg-db"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};

  std::string Read(const std::string& path) {
    auto r = tree.ReadFile(path);
    if (!r.ok()) FAIL(r.error().Render());
    return *r;
  }
  const rootfs::Node& Node(const std::string& path) {
    const rootfs::Node* n = tree.Find(path);
    if (n == nullptr) FAIL("no node at " + path);
    return *n;
  }
  void HardLink(const std::string& path, const std::string& target) {
    rootfs::FsEntry e;
    e.path = path;
    e.type = FileType::kHardlink;
    e.link_target = target;
    REQUIRE(tree.Add(e, nullptr).ok());
  }
};

InstalledDeb Deb(std::string control, std::vector<std::string> paths, std::string md5sums = "",
                 std::string conffiles = "", std::map<std::string, std::string> members = {}) {
  return InstalledDeb{std::move(control), std::move(paths), std::move(md5sums),
                      std::move(conffiles), std::move(members)};
}

const DpkgDatabaseSpec kAmd64{"amd64", {}, kEpoch};

// Fields in a scrambled order, values dpkg normalises, unknown fields, a
// multi-line value with trailing blanks, no md5sums member, and conffiles
// that are a file, a symlink to it, flagged remove-on-upgrade and missing.
const std::string kExpOneControl =
    "Package: exp-one\n"
    "Version: 0:1.0-1\n"
    "Architecture: amd64\n"
    "X-Zeta: zz\n"
    "Maintainer: Me <me@example.org>\n"
    "Essential: no\n"
    "Multi-Arch: no\n"
    "Priority: Optional\n"
    "Depends: b(>=1),c  |d:any, e (<< 2:3)\n"
    "Provides: virt (= 1.0)\n"
    "Homepage: https://example.org\n"
    "X-Multi: first  \n"
    " second line  \n"
    " third   \n"
    "Source: exp (0.9)\n"
    "Description: synopsis here  \n"
    " long line one   \n"
    " .\n"
    " last  \n"
    "Section: misc\n";
const std::string kExpOneConffiles =
    "/etc/a.conf\n/etc/link.conf\nremove-on-upgrade /etc/old.conf\n/etc/missing.conf\n";
const std::vector<std::string> kExpOnePaths = {"etc",     "etc/a.conf",  "usr",
                                               "usr/bin", "usr/bin/foo", "etc/link.conf"};

void AddExpOneFiles(Fixture& f) {
  REQUIRE(f.tree.AddFile("etc/a.conf", "hello\n", 0644).ok());
  REQUIRE(f.tree.AddFile("usr/bin/foo", "#!/bin/sh\necho\n", 0755).ok());
  REQUIRE(f.tree.AddSymlink("etc/link.conf", "a.conf").ok());
}

TEST_CASE("dpkg status stanza: dpkg's field order, normalised values, conffile hashes",
          "[compose][deb]") {
  Fixture f;
  AddExpOneFiles(f);
  REQUIRE(
      WriteDpkgDatabase({Deb(kExpOneControl, kExpOnePaths, "", kExpOneConffiles)}, kAmd64, f.tree)
          .ok());
  CHECK(f.Read("var/lib/dpkg/status") ==
        "Package: exp-one\n"
        "Status: install ok installed\n"
        "Priority: optional\n"
        "Section: misc\n"
        "Maintainer: Me <me@example.org>\n"
        "Architecture: amd64\n"
        "Source: exp (0.9)\n"
        "Version: 1.0-1\n"
        "Provides: virt (= 1.0)\n"
        "Depends: b (>= 1), c | d:any, e (<< 2:3)\n"
        "Conffiles:\n"
        " /etc/a.conf b1946ac92492d2347c6235b4d2611184\n"
        " /etc/link.conf b1946ac92492d2347c6235b4d2611184\n"
        " /etc/old.conf newconffile remove-on-upgrade\n"
        " /etc/missing.conf newconffile\n"
        "Description: synopsis here  \n"
        " long line one   \n"
        " .\n"
        " last\n"
        "X-Zeta: zz\n"
        "Homepage: https://example.org\n"
        "X-Multi: first  \n"
        " second line  \n"
        " third\n"
        "\n");
  CHECK(f.Read("var/lib/dpkg/info/exp-one.list") ==
        "/.\n/etc\n/etc/a.conf\n/usr\n/usr/bin\n/usr/bin/foo\n/etc/link.conf\n");
  // No md5sums member: dpkg makes one from the regular files, conffiles included.
  CHECK(f.Read("var/lib/dpkg/info/exp-one.md5sums") ==
        "b1946ac92492d2347c6235b4d2611184  etc/a.conf\n"
        "d4346a2f8156c564d0082350690d3557  usr/bin/foo\n");
  CHECK(f.Read("var/lib/dpkg/info/exp-one.conffiles") == kExpOneConffiles);
}

TEST_CASE("dpkg status stanza: nicknames, booleans, epochs, dropped and empty fields",
          "[compose][deb]") {
  Fixture f;
  REQUIRE(f.tree.AddFile("usr/share/doc/second/README", "doc\n").ok());
  const std::string control =
      "package: Second\n"
      "Version: 01:2.0~rc1-0.1\n"
      "Architecture: all\n"
      "depends: A-B, a (1.0), b (< 2), c:native\n"
      "Essential: Yes\n"
      "Protected: yes\n"
      "Important: yes\n"
      "Bugs: debbugs://bugs.example.org\n"
      "Origin: Example\n"
      "X-Empty:\n"
      " second\n"
      "Recommended: r1\n"
      "Class: Standard\n"
      "Filename: pool/x.deb\n"
      "Size: 123\n"
      "Maintainer: M <m@e.org>\n"
      "Installed-Size: 12\n"
      "Description: d\n"
      " .\n"
      " body\n";
  // A package's own md5sums is kept verbatim, right or wrong.
  const std::string md5sums = "0000  usr/share/doc/second/README\n";
  REQUIRE(WriteDpkgDatabase({Deb(control,
                                 {"usr", "usr/share", "usr/share/doc", "usr/share/doc/second",
                                  "usr/share/doc/second/README"},
                                 md5sums)},
                            kAmd64, f.tree)
              .ok());
  CHECK(f.Read("var/lib/dpkg/status") ==
        "Package: second\n"
        "Essential: yes\n"
        "Protected: yes\n"
        "Status: install ok installed\n"
        "Priority: standard\n"
        "Installed-Size: 12\n"
        "Origin: Example\n"
        "Maintainer: M <m@e.org>\n"
        "Bugs: debbugs://bugs.example.org\n"
        "Architecture: all\n"
        "Version: 1:2.0~rc1-0.1\n"
        "Depends: a-b, a (= 1.0), b (<= 2), c:native\n"
        "Recommends: r1\n"
        "Description: d\n"
        " .\n"
        " body\n"
        "Important: yes\n"
        "X-Empty: \n"
        " second\n"
        "\n");
  CHECK(f.Read("var/lib/dpkg/info/second.md5sums") == md5sums);
  CHECK(f.tree.Find("var/lib/dpkg/info/second.conffiles") == nullptr);
}

TEST_CASE("dpkg database: Multi-Arch same names, status order, arch file, triggers",
          "[compose][deb]") {
  Fixture f;
  REQUIRE(f.tree.AddFile("usr/lib/x/hard.so", "lib\n").ok());
  f.HardLink("usr/lib/x/lib.so", "usr/lib/x/hard.so");
  REQUIRE(f.tree.AddFile("usr/share/foo/doc", "doc\n").ok());
  REQUIRE(f.tree.AddFile("usr/lib/amd64/l.so", "lib\n").ok());
  REQUIRE(f.tree.AddFile("usr/lib/alpha/l.so", "lib\n").ok());
  REQUIRE(f.tree.AddFile("usr/bin/three", "x\n", 0755).ok());

  const std::string triggers =
      "# comment\ninterest-noawait /usr/share/foo\ninterest bar\n\ninterest-await baz\n"
      "activate-noawait ldconfig\n";
  auto libm = [](const std::string& arch) {
    return Deb("Package: libm\nVersion: 1\nArchitecture: " + arch +
                   "\nMulti-Arch: same\nMaintainer: M <m@e.org>\nDescription: m\n",
               {"usr", "usr/lib", "usr/lib/" + arch, "usr/lib/" + arch + "/l.so"});
  };
  std::vector<InstalledDeb> installed = {
      Deb("Package: libexp\nVersion: 2.0\nArchitecture: amd64\nMulti-Arch: same\n"
          "Maintainer: Me <me@example.org>\nDescription: lib\n",
          {"usr", "usr/lib", "usr/lib/x", "usr/lib/x/hard.so", "usr/lib/x/lib.so", "usr/share",
           "usr/share/foo", "usr/share/foo/doc"},
          "", "", {{"triggers", triggers}}),
      Deb("Package: aaa-three\nVersion: 1\nArchitecture: i386\nMulti-Arch: foreign\n"
          "Maintainer: Me <me@example.org>\nDescription: three\n",
          {"usr", "usr/bin", "usr/bin/three"}),
      libm("amd64"),
      libm("alpha"),
  };
  const DpkgDatabaseSpec spec{"amd64", {"i386", "alpha"}, kEpoch};
  REQUIRE(WriteDpkgDatabase(installed, spec, f.tree).ok());

  // By name; for one name the instances by architecture, "alpha" first.
  CHECK(f.Read("var/lib/dpkg/status") ==
        "Package: aaa-three\nStatus: install ok installed\nMaintainer: Me <me@example.org>\n"
        "Architecture: i386\nMulti-Arch: foreign\nVersion: 1\nDescription: three\n\n"
        "Package: libexp\nStatus: install ok installed\nMaintainer: Me <me@example.org>\n"
        "Architecture: amd64\nMulti-Arch: same\nVersion: 2.0\nDescription: lib\n\n"
        "Package: libm\nStatus: install ok installed\nMaintainer: M <m@e.org>\n"
        "Architecture: alpha\nMulti-Arch: same\nVersion: 1\nDescription: m\n\n"
        "Package: libm\nStatus: install ok installed\nMaintainer: M <m@e.org>\n"
        "Architecture: amd64\nMulti-Arch: same\nVersion: 1\nDescription: m\n\n");
  // Only Multi-Arch: same packages get ":arch" in info/ names.
  CHECK(f.Read("var/lib/dpkg/info/aaa-three.list") == "/.\n/usr\n/usr/bin\n/usr/bin/three\n");
  CHECK(f.Read("var/lib/dpkg/info/libm:alpha.list") ==
        "/.\n/usr\n/usr/lib\n/usr/lib/alpha\n/usr/lib/alpha/l.so\n");
  CHECK(f.tree.Find("var/lib/dpkg/info/libm:amd64.list") != nullptr);
  CHECK(f.Read("var/lib/dpkg/info/libexp:amd64.md5sums") ==
        "7e65df4db6cda11f7a9d4b50df9bcae4  usr/lib/x/hard.so\n"
        "7e65df4db6cda11f7a9d4b50df9bcae4  usr/lib/x/lib.so\n"
        "49995c85be6f95a1dbef19aafa8f1f53  usr/share/foo/doc\n");
  CHECK(f.Read("var/lib/dpkg/info/libexp:amd64.triggers") == triggers);
  CHECK(f.Read("var/lib/dpkg/arch") == "amd64\ni386\nalpha\n");
  CHECK(f.Read("var/lib/dpkg/triggers/File") == "/usr/share/foo libexp:amd64/noawait\n");
  CHECK(f.Read("var/lib/dpkg/triggers/bar") == "libexp:amd64\n");
  CHECK(f.Read("var/lib/dpkg/triggers/baz") == "libexp:amd64\n");
  CHECK(f.tree.Find("var/lib/dpkg/triggers/ldconfig") == nullptr);  // activate, not interest
}

TEST_CASE("dpkg database: control members, fixed files, modes, owners and times",
          "[compose][deb]") {
  Fixture f;
  REQUIRE(f.tree.AddFile("usr/bin/tool", "tool\n", 0755).ok());
  std::map<std::string, std::string> members = {
      {"control", "ignored: the status stanza holds it\n"},
      {"md5sums", "ignored: the field holds it\n"},
      {"conffiles", "ignored: the field holds it\n"},
      {"postinst", "#!/bin/sh\nexit 0\n"},
      {"config", "#!/bin/sh\n"},
      {"templates", "Template: tool/q\n"},
      {"shlibs", "libtool 1 tool\n"},
  };
  REQUIRE(WriteDpkgDatabase(
              {Deb("Package: tool\nVersion: 1\nArchitecture: amd64\n",
                   {"usr", "usr/bin", "usr/bin/tool"}, "1234  usr/bin/tool\n", "", members)},
              kAmd64, f.tree)
              .ok());
  std::vector<std::string> info;
  for (const auto& [path, node] : f.tree.nodes()) {
    if (path.rfind("var/lib/dpkg/", 0) == 0) info.push_back(path);
  }
  CHECK(info == std::vector<std::string>{
                    "var/lib/dpkg/alternatives", "var/lib/dpkg/arch", "var/lib/dpkg/info",
                    "var/lib/dpkg/info/format", "var/lib/dpkg/info/tool.config",
                    "var/lib/dpkg/info/tool.list", "var/lib/dpkg/info/tool.md5sums",
                    "var/lib/dpkg/info/tool.postinst", "var/lib/dpkg/info/tool.shlibs",
                    "var/lib/dpkg/info/tool.templates", "var/lib/dpkg/lock",
                    "var/lib/dpkg/lock-frontend", "var/lib/dpkg/parts", "var/lib/dpkg/status",
                    "var/lib/dpkg/triggers", "var/lib/dpkg/triggers/Lock",
                    "var/lib/dpkg/triggers/Unincorp", "var/lib/dpkg/updates"});
  CHECK(f.Read("var/lib/dpkg/info/format") == "1\n");
  CHECK(f.Read("var/lib/dpkg/arch") == "amd64\n");
  CHECK(f.Read("var/lib/dpkg/info/tool.md5sums") == "1234  usr/bin/tool\n");
  CHECK(f.Read("var/lib/dpkg/info/tool.postinst") == "#!/bin/sh\nexit 0\n");
  CHECK(f.Read("var/lib/dpkg/triggers/Unincorp").empty());
  CHECK(f.Read("var/lib/dpkg/status") ==
        "Package: tool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n");
  const std::map<std::string, uint32_t> modes = {
      {"var/lib/dpkg/info/tool.postinst", 0755},
      {"var/lib/dpkg/info/tool.config", 0755},
      {"var/lib/dpkg/info/tool.templates", 0644},
      {"var/lib/dpkg/info/tool.shlibs", 0644},
      {"var/lib/dpkg/lock", 0640},
      {"var/lib/dpkg/lock-frontend", 0640},
      {"var/lib/dpkg/triggers/Lock", 0600},
      {"var/lib/dpkg/status", 0644},
      {"var/lib/dpkg/info", 0755},
      {"var/lib/dpkg/updates", 0755},
  };
  for (const auto& [path, mode] : modes) {
    INFO(path);
    CHECK(f.Node(path).meta.mode == mode);
  }
  for (const std::string& path : info) {
    INFO(path);
    const rootfs::Node& n = f.Node(path);
    CHECK(n.meta.mtime == kEpoch);
    CHECK(n.meta.uid == 0);
    CHECK(n.meta.gid == 0);
  }
}

TEST_CASE("dpkg database: the .list keeps the archive's paths on a usr-merged root",
          "[compose][deb]") {
  Fixture f;
  REQUIRE(f.tree.AddDirectory("usr/bin").ok());
  REQUIRE(f.tree.AddSymlink("bin", "usr/bin").ok());
  REQUIRE(f.tree.AddFile("bin/ls", "ls\n", 0755).ok());  // lands in usr/bin/ls
  REQUIRE(WriteDpkgDatabase(
              {Deb("Package: coreutils\nVersion: 9.1-1\nArchitecture: amd64\n", {"bin", "bin/ls"})},
              kAmd64, f.tree)
              .ok());
  CHECK(f.Read("var/lib/dpkg/info/coreutils.list") == "/.\n/bin\n/bin/ls\n");
  // The generated md5sums hashes the file through the link, under its archive name.
  CHECK(f.Read("var/lib/dpkg/info/coreutils.md5sums") ==
        "b8e59a7d4020792c412da75e589ff4fc  bin/ls\n");
}

struct ErrorCase {
  const char* what;
  std::vector<InstalledDeb> installed;
  Code code;
  std::string rendered;
};

TEST_CASE("dpkg database: malformed packages are refused with dpkg's reasons", "[compose][deb]") {
  const std::string head = "Package: tst\nVersion: 1\nArchitecture: amd64\n";
  auto one = [](InstalledDeb d) { return std::vector<InstalledDeb>{std::move(d)}; };
  const std::vector<ErrorCase> cases = {
      {"blank line inside a value", one(Deb(head + "X-A: one\n  \n two\n", {})), Code::kIntegrity,
       "writing dpkg's database: package 'tst': control:5: blank line in value of field 'X-A'"},
      {"comment line", one(Deb(head + "# note\n", {})), Code::kIntegrity,
       "writing dpkg's database: package 'tst': control:4: expected 'Name: value' (got '# "
       "note')"},
      {"two paragraphs", one(Deb(head + "\nPackage: other\n", {})), Code::kIntegrity,
       "writing dpkg's database: package 'tst': control:5: more than one paragraph (expected one "
       "for one package)"},
      {"database-only field", one(Deb(head + "Status: install ok installed\n", {})),
       Code::kIntegrity,
       "writing dpkg's database: package 'tst': field 'Status' is not allowed in a control file "
       "(dpkg keeps it in its database)"},
      {"field and its nickname", one(Deb(head + "Recommends: a\nRecommended: b\n", {})),
       Code::kIntegrity,
       "writing dpkg's database: package 'tst': field 'Recommends' is given twice (once as "
       "'Recommended')"},
      {"bad Multi-Arch", one(Deb(head + "Multi-Arch: bogus\n", {})), Code::kIntegrity,
       "writing dpkg's database: control:1: package 'tst': bad 'Multi-Arch' value 'bogus' "
       "(expected 'no', 'same', 'foreign' or 'allowed')"},
      {"Multi-Arch same for all",
       one(Deb("Package: tst\nVersion: 1\nArchitecture: all\nMulti-Arch: same\n", {})),
       Code::kIntegrity,
       "writing dpkg's database: package 'tst' has 'Multi-Arch: same' but is architecture 'all'"},
      {"conffiles without a final newline", one(Deb(head, {}, "", "/etc/a\n/etc/b")),
       Code::kIntegrity,
       "writing dpkg's database: package 'tst': conffiles: '/etc/b' is not followed by a newline "
       "(expected one per line)"},
      {"unknown conffile flag", one(Deb(head, {}, "", "bogus /etc/a\n")), Code::kIntegrity,
       "writing dpkg's database: package 'tst': conffiles: unknown flag 'bogus' for conffile "
       "'/etc/a' (expected 'remove-on-upgrade')"},
      {"relative conffile", one(Deb(head, {}, "", "etc/a\n")), Code::kIntegrity,
       "writing dpkg's database: package 'tst': conffiles: conffile name 'etc/a' is not an "
       "absolute path (expected '/...')"},
      {"unknown trigger directive", one(Deb(head, {}, "", "", {{"triggers", "interested x\n"}})),
       Code::kIntegrity,
       "writing dpkg's database: package 'tst': triggers:1: unknown directive 'interested' "
       "(expected 'interest', 'interest-await', 'interest-noawait', 'activate', "
       "'activate-await' or 'activate-noawait')"},
      {"bad control member name", one(Deb(head, {}, "", "", {{"post.inst", ""}})), Code::kIntegrity,
       "writing dpkg's database: package 'tst': control member 'post.inst' has an invalid name "
       "(expected lowercase letters, digits, '_' and '-', not 'list')"},
      {"path not in tree form", one(Deb(head, {"/usr"})), Code::kInternal,
       "writing dpkg's database: package 'tst': path '/usr' is not in tree form (expected "
       "'usr/bin/x')"},
      {"architecture not configured",
       one(Deb("Package: tst\nVersion: 1\nArchitecture: arm64\n", {})), Code::kUnsatisfiable,
       "writing dpkg's database: package 'tst' is for architecture 'arm64' (expected 'amd64' or "
       "'all')"},
      {"same package twice",
       {Deb(head, {}), Deb(head, {})},
       Code::kUnsatisfiable,
       "package 'tst:amd64' is installed twice"},
  };
  for (const ErrorCase& c : cases) {
    INFO(c.what);
    Fixture f;
    Status s = WriteDpkgDatabase(c.installed, kAmd64, f.tree);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == c.code);
    CHECK(s.error().Render() == c.rendered);
  }
}

TEST_CASE("dpkg database: co-installing needs Multi-Arch same, and a conffile must be a file",
          "[compose][deb]") {
  Fixture f;
  const DpkgDatabaseSpec spec{"amd64", {"i386"}, kEpoch};
  Status twice = WriteDpkgDatabase(
      {Deb("Package: tst\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\n", {}),
       Deb("Package: tst\nVersion: 1\nArchitecture: i386\nMulti-Arch: foreign\n", {})},
      spec, f.tree);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code() == Code::kUnsatisfiable);
  CHECK(twice.error().Render() ==
        "package 'tst' is installed for both 'amd64' and 'i386' (expected 'Multi-Arch: same' in "
        "both to co-install them)");

  REQUIRE(f.tree.AddDirectory("etc/d").ok());
  Status dir = WriteDpkgDatabase(
      {Deb("Package: tst\nVersion: 1\nArchitecture: amd64\n", {"etc", "etc/d"}, "", "/etc/d\n")},
      kAmd64, f.tree);
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.error().code() == Code::kIntegrity);
  CHECK(dir.error().Render() ==
        "package 'tst': conffile '/etc/d' is a directory in the image (expected a regular file)");
}

// Writes the tree's directories, files and symlinks under `root`.
void Dump(const rootfs::Tree& tree, const fs::path& root) {
  for (const auto& [path, node] : tree.nodes()) {
    fs::path p = root / path;
    switch (node.meta.type) {
      case FileType::kDirectory:
        fs::create_directories(p);
        break;
      case FileType::kSymlink:
        fs::create_symlink(node.meta.link_target, p);
        break;
      case FileType::kRegular:
      case FileType::kHardlink: {
        std::ofstream out(p, std::ios::binary);
        out << *tree.ReadFile(path);
        break;
      }
      default:
        break;
    }
  }
}

TEST_CASE("dpkg database: the host's dpkg-query and dpkg --verify read it", "[compose][deb]") {
  Fixture f;
  AddExpOneFiles(f);
  REQUIRE(f.tree.AddFile("usr/lib/x86_64-linux-gnu/libfoo.so.1", "elf\n").ok());
  REQUIRE(f.tree.AddFile("usr/share/doc/libfoo1/copyright", "free\n").ok());
  std::vector<InstalledDeb> installed = {
      Deb(kExpOneControl, kExpOnePaths, "", kExpOneConffiles),
      Deb("Package: libfoo1\nVersion: 1:2.3-4\nArchitecture: amd64\nMulti-Arch: same\n"
          "Maintainer: M <m@e.org>\nDescription: foo library\n",
          {"usr", "usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libfoo.so.1",
           "usr/share", "usr/share/doc", "usr/share/doc/libfoo1",
           "usr/share/doc/libfoo1/copyright"},
          "5f8a1dcd8f6b1fa6e0d8e8e8e9b0c0b4  usr/lib/x86_64-linux-gnu/libfoo.so.1\n")};
  REQUIRE(WriteDpkgDatabase(installed, kAmd64, f.tree).ok());
  testing::ScratchDir root("dpkg-db-root");
  Dump(f.tree, root.path());
  const std::string admindir = "--admindir=" + (root.path() / "var/lib/dpkg").string();

  auto w = testing::RunCommand(
      {"dpkg-query", admindir, "-W", "-f=${Package} ${Version} ${Architecture} ${Status}\n"});
  INFO(w.err);
  CHECK(w.exit_code == 0);
  CHECK(w.out ==
        "exp-one 1.0-1 amd64 install ok installed\n"
        "libfoo1 1:2.3-4 amd64 install ok installed\n");

  auto s = testing::RunCommand({"dpkg-query", admindir, "-S", "/usr/bin/foo"});
  CHECK(s.exit_code == 0);
  CHECK(s.out == "exp-one: /usr/bin/foo\n");
  auto lib = testing::RunCommand({"dpkg-query", admindir, "-S", "libfoo.so.1"});
  CHECK(lib.out == "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1\n");

  auto conf = testing::RunCommand({"dpkg-query", admindir, "-W", "-f=${Conffiles}\n", "exp-one"});
  CHECK(conf.out ==
        " /etc/a.conf b1946ac92492d2347c6235b4d2611184\n"
        " /etc/link.conf b1946ac92492d2347c6235b4d2611184\n"
        " /etc/old.conf newconffile remove-on-upgrade\n"
        " /etc/missing.conf newconffile\n");

  // The generated md5sums match the files; libfoo1's own (wrong) one does
  // not. dpkg reports the symlinked conffile the same way after its own
  // install, and exits 0 either way.
  auto verify = testing::RunCommand({"dpkg", "--root=" + root.path().string(), "--verify"});
  CHECK(verify.exit_code == 0);
  CHECK(verify.out ==
        "??5??????   /usr/lib/x86_64-linux-gnu/libfoo.so.1\n"
        "?M.?????? c /etc/link.conf\n");
}

}  // namespace
}  // namespace cairn::compose
