// Hostile package archives, fed as raw bytes through cairn's real .deb and
// .apk readers into a rootfs::Tree: each case must be refused with a clear
// kIntegrity error or neutralised (kept inside the root), and records what
// cairn did for docs/hostile-inputs.md (tools/hostile-table.sh).
#include <catch2/catch.hpp>

#include "cairn/oci/tar.h"
#include "cairn/reporter.h"
#include "cairn/rootfs/special_files.h"
#include "cairn/sbom/spdx.h"
#include "compose/apk_install.h"
#include "compose/deb_install.h"
#include "support/tree_fixture.h"
#include "unit/hostile/hostile_util.h"

namespace cairn::hostile {
namespace {

using extract::Compression;
using rootfs::FileType;
using testing::Outcome;
using testing::RecordHostile;

const char* kCategory = "package archives";

// The package at dir/name.<fmt> holding `data_tar`, for fmt "deb" or "apk".
fs::path Package(const fs::path& dir, const std::string& fmt, const std::string& data_tar,
                 Compression c = Compression::kXz) {
  fs::path p = dir / ("pkg." + fmt);
  Spit(p, fmt == "deb" ? MakeDeb(data_tar, c) : MakeApk(data_tar));
  return p;
}

TEST_CASE("hostile archive: '..' components are refused", "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-dotdot");
    auto pkg = Package(t.dir.path(), f, TarFile("./usr/../../etc/evil", "x") + TarEnd());
    Status st = ExtractInto(pkg, t.tree);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() == "path './usr/../../etc/evil' leaves the root ('..' component)");
    CHECK(t.tree.Find("etc/evil") == nullptr);
    RecordHostile(kCategory, "'..' in an entry path (." + f + ")", Outcome(st));
  }
}

TEST_CASE("hostile archive: absolute paths land under the root", "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-abs");
    auto pkg = Package(t.dir.path(), f, TarFile("/etc/abs-evil", "x") + TarEnd());
    Status st = ExtractInto(pkg, t.tree);
    REQUIRE(st.ok());
    CHECK(Paths(t.tree) == std::vector<std::string>{"etc", "etc/abs-evil"});
    RecordHostile(kCategory, "absolute entry path '/etc/abs-evil' (." + f + ")",
                  "neutralised: stored as 'etc/abs-evil' inside the image root");
  }
}

TEST_CASE("hostile archive: symlinks out of the root resolve inside it", "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-symout");
    std::string tar = UstarHeader("etc/up", '2', 0, "../../../../../etc/shadow", 0777) +
                      UstarHeader("etc/abs", '2', 0, "/etc/shadow", 0777) + TarEnd();
    auto pkg = Package(t.dir.path(), f, tar);
    REQUIRE(ExtractInto(pkg, t.tree).ok());
    CHECK(t.tree.Find("etc/up")->meta.link_target == "../../../../../etc/shadow");
    CHECK(t.tree.Resolve("etc/up").value() == "etc/shadow");
    CHECK(t.tree.Resolve("etc/abs").value() == "etc/shadow");
    // Reading through it reads the image's file, never the host's.
    REQUIRE(t.tree.AddFile("etc/shadow", "image shadow\n").ok());
    CHECK(t.tree.ReadFile("etc/up").value() == "image shadow\n");
    RecordHostile(kCategory, "symlink to '../../../../../etc/shadow' (." + f + ")",
                  "neutralised: kept verbatim as link data; cairn resolves it chroot-style to "
                  "'etc/shadow' of the image and never follows it on the host");
  }
}

TEST_CASE("hostile archive: hard links out of the root are refused", "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-hardout");
    SECTION("'..' target (" + f + ")") {
      auto pkg = Package(t.dir.path(), f, UstarHeader("etc/hl", '1', 0, "../../etc/passwd") + TarEnd());
      Status st = ExtractInto(pkg, t.tree);
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().code() == Code::kIntegrity);
      CHECK(st.error().message() == "path '../../etc/passwd' leaves the root ('..' component)");
      RecordHostile(kCategory, "hard link to '../../etc/passwd' (." + f + ")", Outcome(st));
    }
    SECTION("absolute target not in the package (" + f + ")") {
      auto pkg = Package(t.dir.path(), f, UstarHeader("etc/hl", '1', 0, "/etc/passwd") + TarEnd());
      Status st = ExtractInto(pkg, t.tree);
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().code() == Code::kIntegrity);
      CHECK(st.error().message() ==
            "hard link 'etc/hl' points to 'etc/passwd', which is not a regular file in the tree");
      RecordHostile(kCategory, "hard link to the host's '/etc/passwd' (." + f + ")", Outcome(st));
    }
    CHECK(t.tree.Find("etc/hl") == nullptr);
  }
}

// Package A plants etc/x -> `target`; package B writes etc/x/evil.
TEST_CASE("hostile archive: a path through a symlink planted by an earlier package",
          "[hostile][archive]") {
  for (std::string target : {"/tmp", "../../.."}) {
    std::string planted = UstarHeader("./etc/", '5', 0, "", 0755) +
                          UstarHeader("./etc/x", '2', 0, target, 0777) + TarEnd();
    std::string writes = UstarHeader("./etc/", '5', 0, "", 0755) +
                         TarFile("./etc/x/evil", "evil\n") + TarEnd();
    std::string expect = target == "/tmp" ? "tmp/evil" : "evil";
    SECTION("dpkg-style install, target " + target) {
      testing::TreeFixture t("hostile-plant-deb");
      std::vector<compose::OpenedDeb> debs;
      int k = 0;
      for (const std::string* tar : {&planted, &writes}) {
        std::string name = k++ == 0 ? "a" : "b";
        fs::path p = t.dir.path() / (name + ".deb");
        Spit(p, MakeDeb(*tar, Compression::kXz, name));
        auto opened = compose::OpenDeb(p, name, "1");
        REQUIRE(opened.ok());
        debs.push_back(std::move(*opened));
      }
      NullReporter reporter;
      auto installed =
          compose::InstallDebPackages(debs, "amd64", t.tree, 0, t.dir.path(), reporter);
      REQUIRE(installed.ok());
      CHECK(t.tree.Find(expect) != nullptr);
      CHECK(t.tree.Find(expect)->owner == 1);
      CHECK(t.tree.Find("etc/x")->meta.type == FileType::kSymlink);
      CheckTreeSane(t.tree);
      RecordHostile(kCategory,
                    "package A ships /etc/x -> " + target + ", package B writes /etc/x/evil (.deb)",
                    "neutralised: the link is resolved inside the image; B's file is stored at '/" +
                        expect + "' of the image, nothing is written on the host");
    }
    SECTION("apk-style install, target " + target) {
      testing::TreeFixture t("hostile-plant-apk");
      std::vector<compose::OpenedApk> apks;
      int k = 0;
      for (const std::string* tar : {&planted, &writes}) {
        std::string name = k++ == 0 ? "a" : "b";
        fs::path p = t.dir.path() / (name + ".apk");
        Spit(p, MakeApk(*tar, name));
        auto pkg = extract::ApkPackage::Open(p, extract::Keyring(), {}, true);
        REQUIRE(pkg.ok());
        apk::PackageInfo info;
        info.name = name;
        info.version = "1-r0";
        auto adopted = compose::AdoptApkPackage(std::move(*pkg), info);
        REQUIRE(adopted.ok());
        apks.push_back(std::move(*adopted));
      }
      NullReporter reporter;
      auto installed = compose::InstallApkPackages(apks, t.tree, reporter);
      REQUIRE(installed.ok());
      CHECK(t.tree.Find(expect) != nullptr);
      CheckTreeSane(t.tree);
      RecordHostile(kCategory,
                    "package A ships /etc/x -> " + target + ", package B writes /etc/x/evil (.apk)",
                    "neutralised: the link is resolved inside the image; B's file is stored at '/" +
                        expect + "' of the image, nothing is written on the host");
    }
  }
}

TEST_CASE("hostile archive: device nodes and setuid files are allowed but recorded",
          "[hostile][archive]") {
  testing::TreeFixture t("hostile-special");
  std::string tar = UstarHeader("./dev/", '5', 0, "", 0755) +
                    UstarHeader("./dev/evilmem", '3', 0, "", 0666, 1, 1) +
                    UstarHeader("./dev/evilsda", '4', 0, "", 0660, 8, 0) +
                    UstarHeader("./usr/", '5', 0, "", 0755) +
                    UstarHeader("./usr/bin/", '5', 0, "", 0755) +
                    TarFile("./usr/bin/rootme", "#!/bin/sh\n", 04755) +
                    TarFile("./usr/bin/grp", "#!/bin/sh\n", 02755) + TarEnd();
  auto pkg = Package(t.dir.path(), "deb", tar);
  REQUIRE(ExtractInto(pkg, t.tree).ok());
  auto special = rootfs::FindSpecialFiles(t.tree);
  std::vector<std::string> lines;
  for (const auto& s : special) lines.push_back(rootfs::DescribeSpecialFile(s));
  CHECK(lines == std::vector<std::string>{
                     "'/dev/evilmem' (character device 1,1, mode 0666)",
                     "'/dev/evilsda' (block device 8,0, mode 0660)",
                     "'/usr/bin/grp' (setgid regular file, mode 2755, owner 0:0)",
                     "'/usr/bin/rootme' (setuid regular file, mode 4755, owner 0:0)"});
  for (const auto& s : special) CHECK(s.owner == 0);
  // The SBOM entry of the installing package carries them.
  sbom::ImageSbomInput in;
  in.image_name = "x";
  in.arch = "x86_64";
  in.manifest_digest = "sha256:" + std::string(64, 'a');
  sbom::SbomPackage p;
  p.info.name = "evil";
  p.info.version = "1";
  p.special_files = lines;
  in.packages.push_back(p);
  std::string json = sbom::WriteSpdxImage(in);
  std::string comment = "\"comment\": \"installs device nodes or setuid/setgid files: '/dev/evilmem' "
                        "(character device 1,1, mode 0666); '/dev/evilsda' (block device 8,0, mode "
                        "0660); '/usr/bin/grp' (setgid regular file, mode 2755, owner 0:0); "
                        "'/usr/bin/rootme' (setuid regular file, mode 4755, owner 0:0)\"";
  CHECK(json.find(comment) != std::string::npos);
  // An independent JSON reader agrees on the value.
  fs::path sbom = t.dir.path() / "sbom.json";
  Spit(sbom, json);
  auto jq = testing::RunCommand({"jq", "-r", ".packages[] | select(.name==\"evil\") | .comment",
                                 sbom.string()});
  CHECK(jq.exit_code == 0);
  CHECK(jq.out.find("'/usr/bin/rootme' (setuid regular file") != std::string::npos);
  RecordHostile(kCategory, "device nodes and setuid/setgid files",
                "accepted and recorded: one build-log line per file (\"<target>: '<package>' "
                "installs '/usr/bin/rootme' (setuid regular file, mode 4755, owner 0:0)\") and the "
                "list as the package's SPDX comment");
}

TEST_CASE("hostile archive: a NUL byte in a name never reaches the tree", "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-nul");
    std::string name("./etc/motd\0/../../shadow", 24);
    auto pkg = Package(t.dir.path(), f, TarFile(name, "x", 0644, /*pax=*/true) + TarEnd());
    Status st = ExtractInto(pkg, t.tree);
    CheckTreeSane(t.tree);
    CHECK(t.tree.Find("shadow") == nullptr);
    std::string outcome = st.ok() ? "neutralised: libarchive ends the name at the NUL; stored as '" +
                                        Paths(t.tree).back() + "'"
                                  : Outcome(st);
    RecordHostile(kCategory, "NUL byte inside a pax path (." + f + ")", outcome);
  }
  // cairn's own check, for names that reach it with the NUL.
  auto direct = rootfs::NormalizePath(std::string("etc/a\0b", 7));
  REQUIRE_FALSE(direct.ok());
  CHECK(direct.error().message() == "path 'etc/a' contains a NUL byte");
}

TEST_CASE("hostile archive: invalid UTF-8 names are kept as bytes and written back",
          "[hostile][archive]") {
  testing::TreeFixture t("hostile-utf8");
  std::string name = "./etc/bad\xff\xfe-name";
  auto pkg = Package(t.dir.path(), "deb", TarFile(name, "x", 0644, true) + TarEnd());
  REQUIRE(ExtractInto(pkg, t.tree).ok());
  REQUIRE(t.tree.Find("etc/bad\xff\xfe-name") != nullptr);
  // The OCI layer tar carries the same bytes: two independent readers agree.
  std::string layer;
  REQUIRE(oci::WriteTarStream(t.tree, [&](const char* p, size_t n) {
            layer.append(p, n);
            return Status();
          }).ok());
  fs::path tar = t.dir.path() / "layer.tar";
  Spit(tar, layer);
  auto gnu = testing::RunCommand({"tar", "--quoting-style=literal", "-tf", tar.string()});
  CHECK(gnu.exit_code == 0);
  CHECK(gnu.out == "etc/\netc/bad\xff\xfe-name\n");
  auto py = testing::RunCommand(
      {"python3", "-c",
       "import sys, tarfile\n"
       "t = tarfile.open(sys.argv[1], encoding='utf-8', errors='surrogateescape')\n"
       "for m in t: print(m.name.encode('utf-8', 'surrogateescape').hex())",
       tar.string()});
  CHECK(py.exit_code == 0);
  CHECK(py.out == "657463\n6574632f626164fffe2d6e616d65\n");
  RecordHostile(kCategory, "invalid UTF-8 in a name",
                "accepted: Linux names are bytes; kept verbatim, and the OCI layer tar carries "
                "the same bytes (read back by GNU tar and Python's tarfile)");
}

TEST_CASE("hostile archive: names past NAME_MAX and PATH_MAX are refused", "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-long");
    SECTION("a 300-byte name (" + f + ")") {
      std::string name = "./etc/" + std::string(300, 'a');
      auto pkg = Package(t.dir.path(), f, TarFile(name, "x", 0644, true) + TarEnd());
      Status st = ExtractInto(pkg, t.tree);
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().code() == Code::kIntegrity);
      CHECK(st.error().message() == "path '" + name.substr(0, 64) +
                                        "...' has a name of 300 bytes (at most 255)");
      RecordHostile(kCategory, "a name component over 255 bytes (." + f + ")", Outcome(st));
    }
    SECTION("a 5000-byte path (" + f + ")") {
      std::string name = ".";
      while (name.size() < 5000) name += "/" + std::string(200, 'd');
      auto pkg = Package(t.dir.path(), f, TarFile(name, "x", 0644, true) + TarEnd());
      Status st = ExtractInto(pkg, t.tree);
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().code() == Code::kIntegrity);
      CHECK(st.error().message() == "path '" + name.substr(0, 64) + "...' is " +
                                        std::to_string(name.size() - 2 + 1) +
                                        " bytes long (at most 4095)");
      RecordHostile(kCategory, "a path over PATH_MAX (." + f + ")", Outcome(st));
    }
    CHECK(t.tree.nodes().empty());
  }
  // The bounds themselves: 255 and 4095 bytes (with the leading '/') pass, one more does not.
  std::string longest_name(255, 'n');
  CHECK(rootfs::NormalizePath("etc/" + longest_name).ok());
  CHECK_FALSE(rootfs::NormalizePath("etc/" + longest_name + "n").ok());
  std::string path;
  while (path.size() + 201 <= 4094) path += std::string(200, 'p') + "/";
  path += std::string(4094 - path.size(), 'q');
  REQUIRE(path.size() == 4094);
  CHECK(rootfs::NormalizePath("/" + path).ok());
  auto over = rootfs::NormalizePath("/" + path + "q");
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Catch::EndsWith(" is 4096 bytes long (at most 4095)"));
}

TEST_CASE("hostile archive: a duplicate entry replaces the first, as tar does",
          "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-dup");
    std::string tar = TarFile("./etc/dup", "first\n") + TarFile("./etc/dup", "second\n", 0600) +
                      TarEnd();
    auto pkg = Package(t.dir.path(), f, tar);
    REQUIRE(ExtractInto(pkg, t.tree).ok());
    CHECK(t.tree.ReadFile("etc/dup").value() == "second\n");
    CHECK(t.tree.Find("etc/dup")->meta.mode == 0600);
    CHECK(Paths(t.tree) == std::vector<std::string>{"etc", "etc/dup"});
    RecordHostile(kCategory, "the same path twice in one package (." + f + ")",
                  "neutralised: the later entry replaces the earlier, as tar and dpkg do; one "
                  "node, deterministic content");
  }
}

TEST_CASE("hostile archive: a tar that ends inside an entry is refused", "[hostile][archive]") {
  for (std::string f : {"deb", "apk"}) {
    testing::TreeFixture t("hostile-short");
    std::string tar = UstarHeader("./etc/big", '0', 100000) + std::string(1000, 'z');
    auto pkg = Package(t.dir.path(), f, tar);
    Status st = ExtractInto(pkg, t.tree);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(t.tree.Find("etc/big") == nullptr);
    RecordHostile(kCategory, "tar data ending inside an entry (." + f + ")", Outcome(st));
  }
}

TEST_CASE("hostile archive: corrupt and truncated compressed members are refused",
          "[hostile][archive]") {
  std::string tar = TarFile("./etc/f", std::string(20000, 'q')) + TarEnd();
  for (Compression c : {Compression::kGzip, Compression::kXz, Compression::kZstd}) {
    std::string name(extract::CompressionName(c));
    for (bool truncate : {false, true}) {
      testing::TreeFixture t("hostile-corrupt");
      std::string deb = MakeDeb(tar, c);
      if (truncate) {
        deb.resize(deb.size() - 20);  // the ar header still promises the full member
      } else {
        deb[deb.size() - 30] ^= 0x55;  // inside the stream, before its checksum
      }
      fs::path p = t.dir.path() / "pkg.deb";
      Spit(p, deb);
      Status st = ExtractInto(p, t.tree);
      REQUIRE_FALSE(st.ok());
      CHECK((st.error().code() == Code::kIntegrity));
      RecordHostile(kCategory,
                    std::string(truncate ? "truncated " : "corrupt ") + name + " data member",
                    Outcome(st));
    }
  }
}

// A .deb whose control file declares Installed-Size: 1 (KiB) and whose
// zstd data member is `tar`.
fs::path BombDeb(const fs::path& dir, const std::string& tar) {
  std::string ctl = UstarHeader("./", '5', 0, "", 0755) +
                    TarFile("./control",
                            "Package: bomb\nVersion: 1\nArchitecture: amd64\nInstalled-Size: 1\n"
                            "Description: bomb\n") +
                    TarEnd();
  auto cgz = extract::CompressBytes(ctl, Compression::kGzip);
  auto data = extract::CompressBytes(tar, Compression::kZstd);
  REQUIRE(cgz.ok());
  REQUIRE(data.ok());
  CHECK(data->size() < (64 << 10));  // a few KiB that expand ~10,000 times
  auto member = [](const std::string& name, const std::string& body) {
    std::string h = fmt::format("{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", name, 0, 0, 0, "100644",
                                body.size());
    return h + body + (body.size() % 2 ? "\n" : "");
  };
  fs::path p = dir / "bomb.deb";
  Spit(p, "!<arch>\n" + member("debian-binary", "2.0\n") + member("control.tar.gz", *cgz) +
              member("data.tar.zst", *data));
  return p;
}

TEST_CASE("hostile archive: a decompression bomb stops at the declared size",
          "[hostile][archive]") {
  testing::TreeFixture t("hostile-bomb");
  // 2 x 1 KiB + 16 MiB: what Installed-Size: 1 allows.
  std::string expect = " decompresses to more than 16779264 bytes (twice the control file's "
                       "Installed-Size plus 16 MiB, at most 17179869184): refusing a "
                       "decompression bomb";
  struct Case {
    std::string what, tar;
  };
  for (const Case& c : std::vector<Case>{
           // A valid tar followed by 64 MiB of zeros: tiny, and drains for long.
           {"zeros after the tar's end", TarFile("./etc/f", "x") + TarEnd() +
                                             std::string(64 << 20, '\0')},
           // One 40 MiB file entry of zeros.
           {"one 40 MiB file", UstarHeader("./etc/big", '0', 40 << 20) +
                                   std::string(40 << 20, '\0') + TarEnd()},
       }) {
    INFO(c.what);
    fs::path p = BombDeb(t.dir.path(), c.tar);
    auto pkg = extract::DebPackage::Open(p);
    REQUIRE(pkg.ok());
    rootfs::Tree tree(*t.store);
    Status st = pkg->ForEachDataEntry(
        [&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) { return tree.Add(e, r); });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK_THAT(st.error().message(), Catch::EndsWith(expect));
    CHECK(tree.Find("etc/big") == nullptr);
    RecordHostile(kCategory, "zstd data member expanding far past Installed-Size: " + c.what,
                  Outcome(st));
    fs::path out = t.dir.path() / "data.tar";
    Status ahead = pkg->DecompressDataTo(out);
    REQUIRE_FALSE(ahead.ok());
    CHECK(ahead.error().code() == Code::kIntegrity);
    CHECK_THAT(ahead.error().message(), Catch::EndsWith(expect));
    CHECK_FALSE(fs::exists(out));  // nothing half-written left on the scratch disk
  }
  // An .apk: its .PKGINFO says size = 1 (bytes), so a 40 MiB file is refused
  // at its header, before any content is stored.
  {
    fs::path p = t.dir.path() / "bomb.apk";
    Spit(p, MakeApk(UstarHeader("./etc/big", '0', 40 << 20) + std::string(40 << 20, '\0') +
                    TarEnd()));
    CHECK(fs::file_size(p) < (256 << 10));
    auto pkg = extract::ApkPackage::Open(p, extract::Keyring(), {}, true);
    REQUIRE(pkg.ok());
    rootfs::Tree tree(*t.store);
    Status st = pkg->ForEachDataEntry(
        [&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) { return tree.Add(e, r); });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK_THAT(st.error().message(),
               Catch::EndsWith(": files up to 'etc/big' declare 41943040 bytes, more than "
                               "16777218 (twice the .PKGINFO size plus 16 MiB, at most "
                               "17179869184): refusing a decompression bomb"));
    CHECK(tree.nodes().empty());
    RecordHostile(kCategory, "gzip .apk data member with a 40 MiB file (.PKGINFO size = 1)",
                  Outcome(st));
  }
  // Single streams (indexes) are capped by their caller's limit.
  fs::path xz = t.dir.path() / "Packages.xz";
  auto big = extract::CompressBytes(std::string(8 << 20, 'P'), Compression::kXz);
  REQUIRE(big.ok());
  Spit(xz, *big);
  auto r = extract::ReadCompressedFile(xz, 1 << 20);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  RecordHostile(kCategory, "index stream expanding past its limit (xz)", Outcome(r));
}

}  // namespace
}  // namespace cairn::hostile
