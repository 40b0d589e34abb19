// BuildDeb checked with the independent tools (dpkg-deb, binutils ar,
// md5sum) and read back with extract::DebPackage.
#include "cairn/testrepo/deb_builder.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cairn/extract/deb_package.h"
#include "support/test_support.h"

namespace cairn::testrepo {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MustRun(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                    const fs::path& cwd = {}) {
  auto r = cairn::testing::RunCommand(argv, env, cwd);
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << " stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

const std::string kControl =
    "Package: hello\n"
    "Version: 1:2.10-3\n"
    "Architecture: amd64\n"
    "Maintainer: Cairn Tests <tests@example.org>\n"
    "Installed-Size: 1\n"
    "Description: greets\n"
    " Prints a greeting.\n";
const std::string kPostinst = "#!/bin/sh\nset -e\necho configured\n";
const std::string kTemplates = "Template: hello/greeting\nType: string\n";
const std::string kHello = "#!/bin/sh\necho hello\n";
constexpr int64_t kMtime = 1700000000;  // 2023-11-14 22:13:20 UTC

DebSpec SampleSpec() {
  DebSpec spec;
  spec.control_text = kControl;
  spec.mtime = kMtime;
  spec.conffiles = "/etc/hello.conf\n";
  spec.scripts = {{"postinst", kPostinst}, {"templates", kTemplates}};
  // Deliberately unsorted and without most parent directories.
  spec.files = {
      {.path = "usr/bin/hello", .content = kHello, .mode = 0755},
      {.path = "etc/hello.conf", .content = "greeting=hi\n"},
      {.path = "usr/bin/hello-suid", .content = kHello, .mode = 04755},
      {.path = "usr/bin/hi", .mode = 0777, .type = FileType::kSymlink, .link_target = "hello"},
      {.path = "usr/bin/hello-again",
       .mode = 0755,
       .type = FileType::kHardlink,
       .link_target = "usr/bin/hello"},
      {.path = "var/lib/hello", .mode = 02770, .gid = 50, .type = FileType::kDirectory},
      {.path = "usr/share/doc/hello/copyright", .content = "public domain\n", .uid = 0},
      {.path = "srv/owned", .content = "x", .mode = 0600, .uid = 1000, .gid = 1000},
  };
  return spec;
}

std::string MustBuild(const DebSpec& spec) {
  auto bytes = BuildDeb(spec);
  INFO((bytes.ok() ? "" : bytes.error().message()));
  REQUIRE(bytes.ok());
  return *bytes;
}

fs::path WriteSample(const fs::path& dir, const DebSpec& spec, const std::string& name) {
  fs::path out = dir / name;
  Status st = WriteDeb(spec, out);
  INFO((st.ok() ? "" : st.error().message()));
  REQUIRE(st.ok());
  return out;
}

Error BuildError(const DebSpec& spec) {
  auto r = BuildDeb(spec);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

TEST_CASE("BuildDeb output passes dpkg-deb's inspection", "[testrepo][deb]") {
  cairn::testing::ScratchDir dir("debbuild-inspect");
  const DebSpec spec = SampleSpec();
  fs::path deb = WriteSample(dir.path(), spec, "hello.deb");
  CHECK((fs::status(deb).permissions() & fs::perms::all) == fs::perms(0644));

  // The ar layer, byte for byte at the start, and as binutils lists it.
  const std::string bytes = Slurp(deb);
  CHECK(bytes.substr(0, 72) ==
        "!<arch>\n"
        "debian-binary   1700000000  0     0     100644  4         `\n"
        "2.0\n");
  CHECK(MustRun({"ar", "tv", deb.string()}, {"TZ=UTC"})
            .find("rw-r--r-- 0/0      4 Nov 14 22:13 2023 debian-binary\n") == 0);
  CHECK(MustRun({"ar", "t", deb.string()}) == "debian-binary\ncontrol.tar.xz\ndata.tar.xz\n");

  // Control area: dpkg-deb -f / -I / -e.
  CHECK(MustRun({"dpkg-deb", "-f", deb.string()}) == kControl);
  CHECK(MustRun({"dpkg-deb", "-f", deb.string(), "Version"}) == "1:2.10-3\n");
  CHECK(MustRun({"dpkg-deb", "-I", deb.string(), "postinst"}) == kPostinst);
  CHECK(MustRun({"dpkg-deb", "-I", deb.string(), "templates"}) == kTemplates);
  CHECK(MustRun({"dpkg-deb", "-I", deb.string(), "conffiles"}) == "/etc/hello.conf\n");
  fs::path ctl = dir.path() / "ctl";
  MustRun({"dpkg-deb", "-e", deb.string(), ctl.string()});
  CHECK((fs::status(ctl / "postinst").permissions() & fs::perms::all) == fs::perms(0755));
  CHECK((fs::status(ctl / "templates").permissions() & fs::perms::all) == fs::perms(0644));
  CHECK((fs::status(ctl / "control").permissions() & fs::perms::all) == fs::perms(0644));

  // Data area: the listing, in dpkg-deb's order (symlinks last).
  CHECK(MustRun({"dpkg-deb", "-c", deb.string()}, {"TZ=UTC"}) ==
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./etc/\n"
        "-rw-r--r-- 0/0              12 2023-11-14 22:13 ./etc/hello.conf\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./srv/\n"
        "-rw------- 1000/1000         1 2023-11-14 22:13 ./srv/owned\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./usr/\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./usr/bin/\n"
        "-rwxr-xr-x 0/0              21 2023-11-14 22:13 ./usr/bin/hello\n"
        "hrwxr-xr-x 0/0               0 2023-11-14 22:13 ./usr/bin/hello-again link to "
        "./usr/bin/hello\n"
        "-rwsr-xr-x 0/0              21 2023-11-14 22:13 ./usr/bin/hello-suid\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./usr/share/\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./usr/share/doc/\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./usr/share/doc/hello/\n"
        "-rw-r--r-- 0/0              14 2023-11-14 22:13 ./usr/share/doc/hello/copyright\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./var/\n"
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 ./var/lib/\n"
        "drwxrws--- 0/50              0 2023-11-14 22:13 ./var/lib/hello/\n"
        "lrwxrwxrwx 0/0               0 2023-11-14 22:13 ./usr/bin/hi -> hello\n");
  // --fsys-tarfile is the data member as xz(1) decompresses it: a tar
  // record-padded as GNU tar pads.
  std::string tar = MustRun({"dpkg-deb", "--fsys-tarfile", deb.string()});
  CHECK(tar == MustRun({"sh", "-c", "ar p '" + deb.string() + "' data.tar.xz | xz -dc"}));
  CHECK(tar.size() % 10240 == 0);
  CHECK(tar.substr(0, 2) == "./");

  // Extract and compare the tree.
  fs::path x = dir.path() / "x";
  MustRun({"dpkg-deb", "-x", deb.string(), x.string()});
  CHECK(Slurp(x / "usr/bin/hello") == kHello);
  CHECK(Slurp(x / "usr/bin/hello-suid") == kHello);
  CHECK(Slurp(x / "etc/hello.conf") == "greeting=hi\n");
  CHECK(Slurp(x / "usr/share/doc/hello/copyright") == "public domain\n");
  CHECK(Slurp(x / "srv/owned") == "x");
  CHECK(fs::read_symlink(x / "usr/bin/hi") == "hello");
  CHECK(fs::equivalent(x / "usr/bin/hello", x / "usr/bin/hello-again"));
  CHECK(fs::hard_link_count(x / "usr/bin/hello") == 2);
  CHECK((fs::status(x / "usr/bin/hello").permissions() & fs::perms::all) == fs::perms(0755));
  CHECK(fs::is_directory(x / "var/lib/hello"));

  // md5sums: what md5sum(1) says about the extracted files, conffile excluded.
  std::string md5 = MustRun({"md5sum", "srv/owned", "usr/bin/hello", "usr/bin/hello-again",
                             "usr/bin/hello-suid", "usr/share/doc/hello/copyright"},
                            {}, x);
  CHECK(MustRun({"dpkg-deb", "-I", deb.string(), "md5sums"}) == md5);
  auto ours = Md5sumsFor(spec);
  REQUIRE(ours.ok());
  CHECK(*ours == md5);
}

TEST_CASE("BuildDeb is deterministic", "[testrepo][deb]") {
  DebSpec spec = SampleSpec();
  const std::string first = MustBuild(spec);
  CHECK(MustBuild(spec) == first);
  std::reverse(spec.files.begin(), spec.files.end());
  CHECK(MustBuild(spec) == first);
  spec.mtime = kMtime + 1;
  CHECK(MustBuild(spec) != first);
  for (std::string z : {"gzip", "zstd", "bzip2", "lzma", "none"}) {
    DebSpec s = SampleSpec();
    s.compression = z;
    CHECK(MustBuild(s) == MustBuild(s));
  }
}

TEST_CASE("BuildDeb round-trips through DebPackage for every compression", "[testrepo][deb]") {
  cairn::testing::ScratchDir dir("debbuild-roundtrip");
  struct Case {
    std::string z, control_member, data_member;
  };
  for (const Case& c : std::vector<Case>{
           {"xz", "control.tar.xz", "data.tar.xz"},
           {"gzip", "control.tar.gz", "data.tar.gz"},
           {"zstd", "control.tar.zst", "data.tar.zst"},
           {"bzip2", "control.tar.gz", "data.tar.bz2"},
           {"lzma", "control.tar.gz", "data.tar.lzma"},
           {"none", "control.tar", "data.tar"},
       }) {
    SECTION(c.z) {
      DebSpec spec = SampleSpec();
      spec.compression = c.z;
      fs::path deb = WriteSample(dir.path(), spec, "hello-" + c.z + ".deb");
      CHECK(MustRun({"ar", "t", deb.string()}) ==
            "debian-binary\n" + c.control_member + "\n" + c.data_member + "\n");
      // dpkg-deb reads every one of them.
      CHECK(MustRun({"dpkg-deb", "-f", deb.string(), "Package"}) == "hello\n");
      CHECK(MustRun({"dpkg-deb", "--fsys-tarfile", deb.string()}).size() % 10240 == 0);

      auto pkg = extract::DebPackage::Open(deb);
      INFO((pkg.ok() ? "" : pkg.error().message()));
      REQUIRE(pkg.ok());
      CHECK(pkg->control_member().name == c.control_member);
      CHECK(pkg->data_member().name == c.data_member);
      CHECK(pkg->data_compression() == c.z);
      CHECK(pkg->control_text() == kControl);
      CHECK(pkg->conffiles_text() == "/etc/hello.conf\n");
      CHECK(pkg->md5sums_text() == *Md5sumsFor(spec));
      CHECK(pkg->scripts() ==
            std::map<std::string, std::string>{{"postinst", kPostinst}, {"templates", kTemplates}});

      std::vector<std::string> seen;
      Status st = pkg->ForEachDataEntry(
          [&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) -> Status {
            std::string content;
            if (r != nullptr) {
              char buf[256];
              while (true) {
                CAIRN_ASSIGN_OR_RETURN(size_t n, (*r)(buf, sizeof(buf)));
                if (n == 0) break;
                content.append(buf, n);
              }
            }
            std::ostringstream s;
            s << static_cast<int>(e.type) << " " << std::oct << e.mode << std::dec << " " << e.uid
              << ":" << e.gid << " " << e.mtime << " " << e.path << " [" << e.link_target << "] "
              << content.size();
            seen.push_back(s.str());
            return {};
          });
      INFO((st.ok() ? "" : st.error().message()));
      REQUIRE(st.ok());
      // type: 0 file, 1 dir, 2 symlink, 3 hard link.
      CHECK(seen == std::vector<std::string>{
                        "1 755 0:0 1700000000 etc [] 0",
                        "0 644 0:0 1700000000 etc/hello.conf [] 12",
                        "1 755 0:0 1700000000 srv [] 0",
                        "0 600 1000:1000 1700000000 srv/owned [] 1",
                        "1 755 0:0 1700000000 usr [] 0",
                        "1 755 0:0 1700000000 usr/bin [] 0",
                        "0 755 0:0 1700000000 usr/bin/hello [] 21",
                        "3 755 0:0 1700000000 usr/bin/hello-again [usr/bin/hello] 0",
                        "0 4755 0:0 1700000000 usr/bin/hello-suid [] 21",
                        "1 755 0:0 1700000000 usr/share [] 0",
                        "1 755 0:0 1700000000 usr/share/doc [] 0",
                        "1 755 0:0 1700000000 usr/share/doc/hello [] 0",
                        "0 644 0:0 1700000000 usr/share/doc/hello/copyright [] 14",
                        "1 755 0:0 1700000000 var [] 0",
                        "1 755 0:0 1700000000 var/lib [] 0",
                        "1 2770 0:50 1700000000 var/lib/hello [] 0",
                        "2 777 0:0 1700000000 usr/bin/hi [hello] 0",
                    });
    }
  }
}

TEST_CASE("a package with no files has no md5sums member", "[testrepo][deb]") {
  cairn::testing::ScratchDir dir("debbuild-empty");
  DebSpec spec;
  spec.control_text = kControl;
  spec.files = {{.path = "etc/hello.conf", .content = "x\n"}};
  spec.conffiles = "/etc/hello.conf\n";
  auto md5 = Md5sumsFor(spec);
  REQUIRE(md5.ok());
  CHECK(md5->empty());
  fs::path deb = WriteSample(dir.path(), spec, "conf-only.deb");
  auto pkg = extract::DebPackage::Open(deb);
  REQUIRE(pkg.ok());
  std::vector<std::string> names;
  for (const auto& [name, body] : pkg->control_files()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"conffiles", "control"});
  CHECK(pkg->md5sums_text().empty());
}

TEST_CASE("BuildDeb rejects bad specs", "[testrepo][deb]") {
  DebSpec spec = SampleSpec();
  SECTION("empty control") {
    spec.control_text.clear();
    Error e = BuildError(spec);
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() == "the control text is empty");
  }
  SECTION("invalid paths") {
    for (std::string p : {"/etc/x", "./etc/x", "etc/../x", "etc//x", "etc/", ""}) {
      spec.files = {{.path = p}};
      Error e = BuildError(spec);
      CHECK(e.code() == Code::kUsage);
      CHECK(e.message() ==
            "invalid path '" + p + "' (expected a relative path such as 'usr/bin/hello')");
    }
  }
  SECTION("duplicate path") {
    spec.files.push_back({.path = "etc/hello.conf", .content = "again"});
    CHECK(BuildError(spec).message() == "path 'etc/hello.conf' is listed twice");
  }
  SECTION("hard link to nothing or to a directory") {
    spec.files.push_back(
        {.path = "usr/bin/ghost", .type = FileType::kHardlink, .link_target = "usr/bin/nope"});
    CHECK(BuildError(spec).message() ==
          "hard link 'usr/bin/ghost' points to 'usr/bin/nope' (expected a regular file of the "
          "package)");
    spec.files.back().link_target = "var/lib/hello";
    CHECK(BuildError(spec).message() ==
          "hard link 'usr/bin/ghost' points to 'var/lib/hello' (expected a regular file of the "
          "package)");
  }
  SECTION("file used as a parent directory") {
    spec.files.push_back({.path = "etc/hello.conf/inner"});
    CHECK(BuildError(spec).message() ==
          "'etc/hello.conf' is a parent directory in the spec but a regular file");
  }
  SECTION("device and empty symlink") {
    spec.files.push_back({.path = "dev/null", .type = FileType::kCharDevice});
    CHECK(BuildError(spec).message() ==
          "'dev/null' is a character device (expected a regular file, directory, symlink or hard "
          "link)");
    spec.files.back() = {.path = "usr/bin/dangling", .type = FileType::kSymlink};
    CHECK(BuildError(spec).message() == "symlink 'usr/bin/dangling' has an empty target");
  }
  SECTION("unknown control file") {
    spec.scripts["postinstall"] = "#!/bin/sh\n";
    Error e = BuildError(spec);
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() ==
          "unknown control file 'postinstall' (expected preinst, postinst, prerm, postrm, config, "
          "triggers, templates, shlibs or symbols)");
  }
  SECTION("compressions") {
    spec.compression = "gz";
    CHECK(BuildError(spec).message() ==
          "unknown compression 'gz' (expected 'none', 'gzip', 'xz', 'lzma', 'zstd', 'bzip2' or "
          "'lz4')");
    spec.compression = "lz4";
    CHECK(BuildError(spec).message() ==
          "unsupported compression 'lz4' for a .deb (expected 'xz', 'gzip', 'zstd', 'bzip2', "
          "'lzma' or 'none')");
  }
  SECTION("negative mtime") {
    spec.mtime = -1;
    CHECK(BuildError(spec).message() == "mtime -1 is before 1970 (ar cannot store it)");
  }
}

}  // namespace
}  // namespace cairn::testrepo
