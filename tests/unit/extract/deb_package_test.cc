// DebPackage against packages built at test time by the host's dpkg-deb
// (every compression it writes) and reshaped with binutils' ar.
#include "cairn/extract/deb_package.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "extract_test_util.h"

namespace cairn::extract {
namespace {

namespace fs = std::filesystem;
using testing::MustRun;
using testing::Slurp;
using testing::Spit;

constexpr int64_t kFileTime = 1600000000;  // 2020-09-13 12:26:40 UTC

const std::string kControl =
    "Package: cairn-sample\n"
    "Version: 1.2-3\n"
    "Architecture: all\n"
    "Maintainer: Cairn Tests <tests@example.org>\n"
    "Description: sample package\n"
    " with a second line\n";
const std::string kPostinst = "#!/bin/sh\nset -e\necho configured\n";
const std::string kPrerm = "#!/bin/sh\nexit 0\n";
const std::string kTool = "#!/bin/sh\necho tool\n";

// 200 KiB that xz cannot shrink much, so the data member spans several
// 64 KiB reads.
std::string Blob() {
  std::string s(200 * 1024, '\0');
  uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

void WriteFile(const fs::path& p, const std::string& content, fs::perms mode) {
  Spit(p, content);
  fs::permissions(p, mode);
}

// A package root as dpkg-deb wants it: DEBIAN/ plus the tree. Every kind
// of entry appears once: directories (one 0750), regular files, an
// executable, a setuid file, a symlink and a hard link.
void StagePackage(const fs::path& root) {
  fs::create_directories(root / "DEBIAN");
  fs::create_directories(root / "etc");
  fs::create_directories(root / "usr/bin");
  fs::create_directories(root / "usr/lib/sample");
  fs::create_directories(root / "var/lib/sample");
  WriteFile(root / "etc/sample.conf", "key=value\n", fs::perms(0644));
  WriteFile(root / "usr/bin/tool", kTool, fs::perms(0755));
  WriteFile(root / "usr/bin/suidtool", kTool, fs::perms(04755));
  fs::create_hard_link(root / "usr/bin/tool", root / "usr/bin/tool-link");
  fs::create_symlink("tool", root / "usr/bin/sym");
  WriteFile(root / "usr/lib/sample/blob", Blob(), fs::perms(0644));
  for (const char* d : {"", "/etc", "/usr", "/usr/bin", "/usr/lib", "/usr/lib/sample", "/var",
                        "/var/lib", "/DEBIAN"})
    fs::permissions(root.string() + d, fs::perms(0755));
  fs::permissions(root / "var/lib/sample", fs::perms(0750));

  WriteFile(root / "DEBIAN/control", kControl, fs::perms(0644));
  WriteFile(root / "DEBIAN/postinst", kPostinst, fs::perms(0755));
  WriteFile(root / "DEBIAN/prerm", kPrerm, fs::perms(0755));
  WriteFile(root / "DEBIAN/conffiles", "/etc/sample.conf\n", fs::perms(0644));
  // md5sums as dh_md5sums writes it (conffiles excluded), made by md5sum(1).
  std::string md5 = cairn::testing::RunCommand({"md5sum", "usr/bin/suidtool", "usr/bin/tool",
                                                "usr/bin/tool-link", "usr/lib/sample/blob"},
                                               {}, root)
                        .out;
  WriteFile(root / "DEBIAN/md5sums", md5, fs::perms(0644));
  MustRun({"find", root.string(), "-exec", "touch", "-h", "-d", "@" + std::to_string(kFileTime),
           "{}", "+"});
}

// The staged root and sample-<z>.deb built from it with dpkg-deb -Z<z>,
// made once per test run (dpkg-deb and xz take a moment) and shared; tests
// copy what they modify.
struct Built {
  fs::path root;
  fs::path deb;
};

const Built& BuildWithDpkg(const std::string& z) {
  static cairn::testing::ScratchDir dir("deb-dpkg-built");
  static std::map<std::string, Built> built;
  auto it = built.find(z);
  if (it != built.end()) return it->second;
  fs::path root = dir.path() / "root";
  if (!fs::exists(root)) StagePackage(root);
  fs::path deb = dir.path() / ("sample-" + z + ".deb");
  MustRun({"dpkg-deb", "--build", "--root-owner-group", "-Z" + z, root.string(), deb.string()},
          {"SOURCE_DATE_EPOCH=1700000000"});
  return built[z] = Built{root, deb};
}

struct Collected {
  rootfs::FsEntry entry;
  std::string content;
};

Status Collect(const DebPackage& pkg, std::vector<Collected>* out) {
  return pkg.ForEachDataEntry(
      [&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) -> Status {
        Collected c{e, ""};
        if (r != nullptr) {
          char buf[1000];
          while (true) {
            CAIRN_ASSIGN_OR_RETURN(size_t n, (*r)(buf, sizeof(buf)));
            if (n == 0) break;
            c.content.append(buf, n);
          }
        }
        out->push_back(std::move(c));
        return Status::Ok();
      });
}

std::vector<Collected> MustCollect(const DebPackage& pkg) {
  std::vector<Collected> out;
  Status st = Collect(pkg, &out);
  INFO((st.ok() ? std::string() : st.error().message()));
  REQUIRE(st.ok());
  return out;
}

// "type mode uid/gid size mtime path [-> target]" for exact comparisons.
std::string Describe(const rootfs::FsEntry& e) {
  static const char* kTypes[] = {"file", "dir", "symlink", "hardlink", "chr", "blk", "fifo"};
  std::ostringstream s;
  s << kTypes[static_cast<int>(e.type)] << " " << std::oct << e.mode << std::dec << " " << e.uid
    << "/" << e.gid << " " << e.size << " " << e.mtime << " " << e.path;
  if (!e.link_target.empty()) s << " -> " << e.link_target;
  return s.str();
}

const std::vector<std::string> kExpectedEntries = {
    "dir 755 0/0 0 1600000000 etc",
    "file 644 0/0 10 1600000000 etc/sample.conf",
    "dir 755 0/0 0 1600000000 usr",
    "dir 755 0/0 0 1600000000 usr/bin",
    "file 4755 0/0 20 1600000000 usr/bin/suidtool",
    "file 755 0/0 20 1600000000 usr/bin/tool",
    "hardlink 755 0/0 0 1600000000 usr/bin/tool-link -> usr/bin/tool",
    "dir 755 0/0 0 1600000000 usr/lib",
    "dir 755 0/0 0 1600000000 usr/lib/sample",
    "file 644 0/0 204800 1600000000 usr/lib/sample/blob",
    "dir 755 0/0 0 1600000000 var",
    "dir 755 0/0 0 1600000000 var/lib",
    "dir 750 0/0 0 1600000000 var/lib/sample",
    // dpkg-deb puts symlinks after everything else.
    "symlink 777 0/0 0 1600000000 usr/bin/sym -> tool",
};

// Member sizes as binutils' `ar tv` reports them, by name.
std::map<std::string, uint64_t> ArSizes(const fs::path& deb) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(MustRun({"ar", "tv", deb.string()}));
  std::string perm, owner, month, day, time, year, name;
  uint64_t size = 0;
  while (in >> perm >> owner >> size >> month >> day >> time >> year >> name) out[name] = size;
  return out;
}

// The error of Open(), which must fail.
Error OpenError(const fs::path& deb) {
  auto pkg = DebPackage::Open(deb);
  REQUIRE_FALSE(pkg.ok());
  return pkg.error();
}

// Writes an ar archive from (name, bytes) pairs with binutils' ar, which
// uses GNU member names ("debian-binary/").
void MakeAr(const fs::path& out, const std::vector<std::pair<std::string, std::string>>& members) {
  fs::path dir = out.parent_path() / (out.filename().string() + ".members");
  fs::create_directories(dir);
  std::vector<std::string> argv = {"ar", "rcD", out.string()};
  for (const auto& [name, bytes] : members) {
    Spit(dir / name, bytes);
    argv.push_back((dir / name).string());
  }
  fs::remove(out);
  MustRun(argv);
}

std::string Member(const fs::path& deb, const std::string& name) {
  return MustRun({"ar", "p", deb.string(), name});
}

TEST_CASE("dpkg-deb packages: members, control files and scripts", "[extract][deb]") {
  struct Case {
    std::string z, control_member, data_member, compression, control_compression;
  };
  for (const Case& c : std::vector<Case>{
           {"xz", "control.tar.xz", "data.tar.xz", "xz", "xz"},
           {"gzip", "control.tar.gz", "data.tar.gz", "gzip", "gzip"},
           {"zstd", "control.tar.zst", "data.tar.zst", "zstd", "zstd"},
           {"none", "control.tar", "data.tar", "none", "none"},
       }) {
    SECTION("-Z" + c.z) {
      const fs::path& deb = BuildWithDpkg(c.z).deb;
      const fs::path debian = BuildWithDpkg(c.z).root / "DEBIAN";
      auto pkg = DebPackage::Open(deb);
      INFO((pkg.ok() ? "" : pkg.error().message()));
      REQUIRE(pkg.ok());
      CHECK(pkg->path() == deb);
      CHECK(pkg->file_size() == fs::file_size(deb));
      CHECK(pkg->format_version() == "2.0");
      CHECK(pkg->data_compression() == c.compression);
      CHECK(pkg->control_compression() == c.control_compression);
      auto sizes = ArSizes(deb);
      CHECK(sizes.size() == 3);
      // debian-binary: 8-byte magic + 60-byte header + 4 bytes; then a header.
      CHECK(pkg->control_member() ==
            ArMember{c.control_member, 8 + 60 + 4 + 60, sizes.at(c.control_member),
                     pkg->control_member().mtime});
      // dpkg-deb stamps members with the build time (or SOURCE_DATE_EPOCH).
      CHECK(pkg->control_member().mtime > 1600000000);
      uint64_t data_offset = pkg->control_member().offset + pkg->control_member().size +
                             (pkg->control_member().size % 2) + 60;
      CHECK(pkg->data_member() == ArMember{c.data_member, data_offset, sizes.at(c.data_member),
                                           pkg->control_member().mtime});
      CHECK(pkg->data_member().offset + pkg->data_member().size + (pkg->data_member().size % 2) ==
            pkg->file_size());

      CHECK(pkg->control_text() == kControl);
      CHECK(pkg->control_text() == MustRun({"dpkg-deb", "-f", deb.string()}));
      CHECK(pkg->conffiles_text() == "/etc/sample.conf\n");
      CHECK(pkg->md5sums_text() == Slurp(debian / "md5sums"));
      CHECK(pkg->md5sums_text().find("  usr/bin/tool-link\n") != std::string::npos);
      CHECK(pkg->scripts() ==
            std::map<std::string, std::string>{{"postinst", kPostinst}, {"prerm", kPrerm}});
      std::vector<std::string> names;
      for (const auto& [name, body] : pkg->control_files()) {
        names.push_back(name);
        CHECK(body == Slurp(debian / name));
      }
      CHECK(names ==
            std::vector<std::string>{"conffiles", "control", "md5sums", "postinst", "prerm"});
    }
  }
}

TEST_CASE("dpkg-deb packages: every data entry with metadata and content", "[extract][deb]") {
  for (std::string z : {"xz", "gzip", "zstd", "none"}) {
    SECTION("-Z" + z) {
      const fs::path& deb = BuildWithDpkg(z).deb;
      auto pkg = DebPackage::Open(deb);
      REQUIRE(pkg.ok());
      auto entries = MustCollect(*pkg);
      std::vector<std::string> described;
      for (const auto& c : entries) described.push_back(Describe(c.entry));
      CHECK(described == kExpectedEntries);

      std::map<std::string, Collected> by_path;
      for (auto& c : entries) by_path[c.entry.path] = c;
      CHECK(by_path.at("etc/sample.conf").content == "key=value\n");
      CHECK(by_path.at("usr/bin/tool").content == kTool);
      CHECK(by_path.at("usr/bin/suidtool").content == kTool);
      CHECK(by_path.at("usr/bin/tool-link").content.empty());
      CHECK(by_path.at("usr/lib/sample/blob").content == Blob());
      for (const auto& c : entries) CHECK(c.entry.xattrs.empty());

      // The order is the archive's, as the independent reader lists it.
      std::istringstream listing(MustRun({"dpkg-deb", "-c", deb.string()}));
      std::vector<std::string> tar_paths;
      std::string line;
      while (std::getline(listing, line)) {
        std::string path = line.substr(line.find("./"));
        path = path.substr(0, path.find(' '));
        if (path == "./") continue;
        if (path.back() == '/') path.pop_back();
        tar_paths.push_back(path.substr(2));
      }
      std::vector<std::string> our_paths;
      for (const auto& c : entries) our_paths.push_back(c.entry.path);
      CHECK(our_paths == tar_paths);

      // A second pass reads the file again and sees the same.
      auto again = MustCollect(*pkg);
      REQUIRE(again.size() == entries.size());
      for (size_t i = 0; i < again.size(); ++i) {
        CHECK(Describe(again[i].entry) == described[i]);
        CHECK(again[i].content == entries[i].content);
      }
    }
  }
}

TEST_CASE("the callback's error stops the walk unchanged", "[extract][deb]") {
  auto pkg = DebPackage::Open(BuildWithDpkg("xz").deb);
  REQUIRE(pkg.ok());
  int calls = 0;
  Status st = pkg->ForEachDataEntry([&](const rootfs::FsEntry& e, const rootfs::ContentReader*) {
    ++calls;
    if (e.path == "usr/bin") return Status(NotFoundError("stop at 'usr/bin'"));
    return Status::Ok();
  });
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kNotFound);
  CHECK(st.error().message() == "stop at 'usr/bin'");
  CHECK(calls == 4);
}

TEST_CASE("GNU ar names and '_' members are accepted, trailing members ignored", "[extract][deb]") {
  cairn::testing::ScratchDir dir("deb-gnu-ar");
  const fs::path& deb = BuildWithDpkg("xz").deb;
  fs::path gnu = dir.path() / "gnu.deb";
  MakeAr(gnu, {{"debian-binary", "2.0\n"},
               {"_gpgorigin", "signature bytes"},
               {"control.tar.xz", Member(deb, "control.tar.xz")},
               {"data.tar.xz", Member(deb, "data.tar.xz")},
               {"zz-trailer", "ignored"}});
  // binutils writes "debian-binary/  " (GNU style).
  CHECK(Slurp(gnu).substr(8, 16) == "debian-binary/  ");
  auto pkg = DebPackage::Open(gnu);
  INFO((pkg.ok() ? "" : pkg.error().message()));
  REQUIRE(pkg.ok());
  CHECK(pkg->control_member().name == "control.tar.xz");
  CHECK(pkg->data_member().name == "data.tar.xz");
  CHECK(pkg->control_text() == kControl);
  std::vector<std::string> described;
  for (const auto& c : MustCollect(*pkg)) described.push_back(Describe(c.entry));
  CHECK(described == kExpectedEntries);
}

TEST_CASE("malformed packages fail to open with the reason", "[extract][deb]") {
  cairn::testing::ScratchDir dir("deb-bad");
  const fs::path& deb = BuildWithDpkg("xz").deb;
  const std::string control = Member(deb, "control.tar.xz");
  const std::string data = Member(deb, "data.tar.xz");
  fs::path bad = dir.path() / "bad.deb";
  const std::string what = "package '" + bad.string() + "': ";
  const std::string control_names = "'control.tar[.gz|.xz|.zst]'";
  const std::string data_names = "'data.tar[.gz|.xz|.zst|.bz2|.lzma]'";

  SECTION("missing file") {
    Error e = OpenError(dir.path() / "absent.deb");
    CHECK(e.code() == Code::kNotFound);
    CHECK(e.message() == "file '" + (dir.path() / "absent.deb").string() + "' does not exist");
  }
  SECTION("not an ar archive") {
    Spit(bad, kControl);
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() == what + "not a Debian package (not an ar archive)");
  }
  SECTION("empty file") {
    Spit(bad, "");
    CHECK(OpenError(bad).message() == what + "not a Debian package (not an ar archive)");
  }
  SECTION("ar magic only") {
    Spit(bad, "!<arch>\n");
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() == what + "not a Debian package (missing debian-binary)");
  }
  SECTION("first member is not debian-binary") {
    MakeAr(bad, {{"control.tar.xz", control}, {"data.tar.xz", data}});
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() ==
          what + "not a Debian package (missing debian-binary; first member is 'control.tar.xz')");
  }
  SECTION("format version 3.0") {
    MakeAr(bad, {{"debian-binary", "3.0\n"}, {"control.tar.xz", control}, {"data.tar.xz", data}});
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() == what + "unsupported format version '3.0' (expected '2.x')");
  }
  SECTION("format version without newline") {
    MakeAr(bad, {{"debian-binary", "2.0"}, {"control.tar.xz", control}, {"data.tar.xz", data}});
    CHECK(OpenError(bad).message() == what + "unsupported format version '2.0' (expected '2.x')");
  }
  SECTION("format 2.1 is accepted") {
    MakeAr(bad, {{"debian-binary", "2.1\n"}, {"control.tar.xz", control}, {"data.tar.xz", data}});
    auto pkg = DebPackage::Open(bad);
    REQUIRE(pkg.ok());
    CHECK(pkg->format_version() == "2.1");
  }
  SECTION("missing data member") {
    MakeAr(bad, {{"debian-binary", "2.0\n"}, {"control.tar.xz", control}});
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() == what + "missing data member (expected " + data_names + ")");
  }
  SECTION("missing control member") {
    MakeAr(bad, {{"debian-binary", "2.0\n"}});
    CHECK(OpenError(bad).message() ==
          what + "missing control member (expected " + control_names + ")");
  }
  SECTION("data member before the control member") {
    MakeAr(bad, {{"debian-binary", "2.0\n"}, {"data.tar.xz", data}, {"control.tar.xz", control}});
    CHECK(OpenError(bad).message() ==
          what + "data member 'data.tar.xz' comes before the control member");
  }
  SECTION("two control members") {
    MakeAr(bad, {{"debian-binary", "2.0\n"},
                 {"control.tar.xz", control},
                 {"control.tar", "x"},
                 {"data.tar.xz", data}});
    CHECK(OpenError(bad).message() ==
          what + "has two control members ('control.tar.xz' and 'control.tar')");
  }
  SECTION("unknown member") {
    MakeAr(bad, {{"debian-binary", "2.0\n"}, {"notes.txt", "x"}, {"control.tar.xz", control}});
    CHECK(OpenError(bad).message() == what + "unexpected member 'notes.txt' (expected " +
                                          control_names + " or " + data_names + ")");
  }
  SECTION("unsupported compressions") {
    MakeAr(bad, {{"debian-binary", "2.0\n"}, {"control.tar.bz2", control}});
    CHECK(OpenError(bad).message() == what +
                                          "control member 'control.tar.bz2' has an unsupported "
                                          "compression (expected " +
                                          control_names + ")");
    MakeAr(bad, {{"debian-binary", "2.0\n"}, {"control.tar.xz", control}, {"data.tar.lz4", data}});
    CHECK(OpenError(bad).message() ==
          what + "data member 'data.tar.lz4' has an unsupported compression (expected " +
              data_names + ")");
  }
  SECTION("truncated in the data member") {
    auto pkg = DebPackage::Open(deb);
    REQUIRE(pkg.ok());
    const ArMember m = pkg->data_member();
    Spit(bad, Slurp(deb).substr(0, m.offset + m.size / 2));
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() == what + "truncated member 'data.tar.xz' (" + std::to_string(m.size) +
                             " bytes at offset " + std::to_string(m.offset) +
                             ", but the file ends at " + std::to_string(m.offset + m.size / 2) +
                             ")");
  }
  SECTION("truncated in a member header") {
    auto pkg = DebPackage::Open(deb);
    REQUIRE(pkg.ok());
    const uint64_t header = pkg->data_member().offset - 60;
    Spit(bad, Slurp(deb).substr(0, header + 30));
    CHECK(OpenError(bad).message() ==
          what + "truncated ar member header at offset " + std::to_string(header));
  }
  SECTION("corrupt member header") {
    std::string bytes = Slurp(deb);
    bytes[8 + 58] = 'X';  // debian-binary's "`\n" terminator
    Spit(bad, bytes);
    CHECK(OpenError(bad).message() ==
          what + "corrupt ar member header at offset 8 (bad terminator)");
    bytes = Slurp(deb);
    bytes[8 + 48] = 'x';  // its size field
    Spit(bad, bytes);
    CHECK(OpenError(bad).message() ==
          what +
              "corrupt ar member header at offset 8 (size 'x         ' is not a decimal number)");
  }
  SECTION("control member without a control file") {
    fs::path ctl = dir.path() / "ctl";
    fs::create_directories(ctl);
    Spit(ctl / "md5sums", "");
    MustRun({"tar", "-C", ctl.string(), "-czf", (dir.path() / "control.tar.gz").string(), "."});
    MakeAr(bad, {{"debian-binary", "2.0\n"},
                 {"control.tar.gz", Slurp(dir.path() / "control.tar.gz")},
                 {"data.tar.xz", data}});
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() == what + "control member 'control.tar.gz' has no 'control' file");
  }
  SECTION("control member that decompresses past the bound") {
    fs::path ctl = dir.path() / "ctl";
    fs::create_directories(ctl);
    Spit(ctl / "control", std::string(DebPackage::kMaxControlSize + 1, 'a'));
    MustRun({"tar", "-C", ctl.string(), "-cJf", (dir.path() / "control.tar.xz").string(), "."});
    MakeAr(bad, {{"debian-binary", "2.0\n"},
                 {"control.tar.xz", Slurp(dir.path() / "control.tar.xz")},
                 {"data.tar.xz", data}});
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() == "'" + bad.string() + "(control.tar.xz)' decompresses to more than " +
                             std::to_string(DebPackage::kMaxControlSize) + " bytes");
  }
  SECTION("control member named .xz but gzip inside") {
    MustRun({"tar", "-C", (BuildWithDpkg("xz").root / "DEBIAN").string(), "-czf",
             (dir.path() / "control.tar.gz").string(), "."});
    MakeAr(bad, {{"debian-binary", "2.0\n"},
                 {"control.tar.xz", Slurp(dir.path() / "control.tar.gz")},
                 {"data.tar.xz", data}});
    Error e = OpenError(bad);
    CHECK(e.code() == Code::kIntegrity);
    CHECK(e.message() ==
          "'" + bad.string() + "(control.tar.xz)' is gzip-compressed (expected xz data)");
  }
}

TEST_CASE("a corrupt data member fails while streaming", "[extract][deb]") {
  cairn::testing::ScratchDir dir("deb-corrupt");
  const fs::path& deb = BuildWithDpkg("xz").deb;
  auto good = DebPackage::Open(deb);
  REQUIRE(good.ok());
  const ArMember m = good->data_member();
  fs::path bad = dir.path() / "bad.deb";
  const std::string label = "'" + bad.string() + "(data.tar.xz)'";

  SECTION("a flipped byte in the middle of data.tar.xz") {
    testing::CopyFlipped(deb, bad, m.offset + m.size / 2);
    auto pkg = DebPackage::Open(bad);
    REQUIRE(pkg.ok());  // Open does not read the data member
    std::vector<Collected> seen;
    Status st = Collect(*pkg, &seen);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() ==
          label + ": truncated or corrupt xz data (Lzma library error: Corrupted input data)");
  }
  SECTION("a flipped byte in the xz index, far past the tar's end") {
    // 1 MiB of zeros after the tar: libarchive's tar reader stops at the
    // end-of-archive blocks, so only the drain after the last entry reads
    // on to the index and the stream footer.
    std::string tar = MustRun({"dpkg-deb", "--fsys-tarfile", deb.string()});
    Spit(dir.path() / "padded.tar", tar + std::string(1 << 20, '\0'));
    std::string xz = MustRun({"xz", "-c", (dir.path() / "padded.tar").string()});
    xz[xz.size() - 20] ^= 0x01;
    MakeAr(bad, {{"debian-binary", "2.0\n"},
                 {"control.tar.xz", Member(deb, "control.tar.xz")},
                 {"data.tar.xz", xz}});
    auto pkg = DebPackage::Open(bad);
    REQUIRE(pkg.ok());
    std::vector<Collected> seen;
    Status st = Collect(*pkg, &seen);
    REQUIRE_FALSE(st.ok());
    CHECK(seen.size() == kExpectedEntries.size());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() ==
          label + ": truncated or corrupt xz data (Lzma library error: Corrupted input data)");
  }
  SECTION("a data member cut short inside a well-formed ar archive") {
    std::string cut = Member(deb, "data.tar.xz");
    cut.resize(cut.size() - 100);
    MakeAr(bad, {{"debian-binary", "2.0\n"},
                 {"control.tar.xz", Member(deb, "control.tar.xz")},
                 {"data.tar.xz", cut}});
    auto pkg = DebPackage::Open(bad);
    REQUIRE(pkg.ok());
    std::vector<Collected> seen;
    Status st = Collect(*pkg, &seen);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() ==
          label + ": truncated or corrupt xz data (Lzma library error:  No progress is possible)");
  }
  SECTION("a data member whose name lies about its compression") {
    MakeAr(bad, {{"debian-binary", "2.0\n"},
                 {"control.tar.xz", Member(deb, "control.tar.xz")},
                 {"data.tar.xz",
                  MustRun({"gzip", "-nc", (BuildWithDpkg("xz").root / "usr/bin/tool").string()})}});
    auto pkg = DebPackage::Open(bad);
    REQUIRE(pkg.ok());
    std::vector<Collected> seen;
    Status st = Collect(*pkg, &seen);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() == label + " is gzip-compressed (expected xz data)");
  }
  SECTION("the file changed size after Open") {
    fs::copy_file(deb, bad);
    auto pkg = DebPackage::Open(bad);
    REQUIRE(pkg.ok());
    Spit(bad, Slurp(deb) + "\n\n");
    std::vector<Collected> seen;
    Status st = Collect(*pkg, &seen);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() == "package '" + bad.string() +
                                      "': changed size after it was opened (" +
                                      std::to_string(good->file_size() + 2) + " bytes, was " +
                                      std::to_string(good->file_size()) + ")");
    CHECK(seen.empty());
  }
}

}  // namespace
}  // namespace cairn::extract

namespace cairn::extract {
namespace {

TEST_CASE("decompressing ahead gives the same entries as streaming", "[extract][deb]") {
  cairn::testing::ScratchDir dir("deb-ahead");
  for (const char* z : {"xz", "gzip", "zstd", "none"}) {
    INFO(z);
    auto pkg = DebPackage::Open(BuildWithDpkg(z).deb);
    REQUIRE(pkg.ok());
    fs::path tar = dir.path() / (std::string(z) + ".tar");
    REQUIRE(pkg->DecompressDataTo(tar).ok());
    // The plain tar is exactly what dpkg-deb extracts from the member.
    CHECK(Slurp(tar) == MustRun({"dpkg-deb", "--fsys-tarfile", BuildWithDpkg(z).deb.string()}));
    std::vector<Collected> ahead;
    Status st = pkg->ForEachDecompressedEntry(
        tar, [&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) -> Status {
          Collected c{e, ""};
          char buf[1000];
          while (r != nullptr) {
            CAIRN_ASSIGN_OR_RETURN(size_t n, (*r)(buf, sizeof(buf)));
            if (n == 0) break;
            c.content.append(buf, n);
          }
          ahead.push_back(std::move(c));
          return Status::Ok();
        });
    REQUIRE(st.ok());
    auto streamed = MustCollect(*pkg);
    REQUIRE(ahead.size() == streamed.size());
    for (size_t i = 0; i < ahead.size(); ++i) {
      CHECK(Describe(ahead[i].entry) == Describe(streamed[i].entry));
      CHECK(ahead[i].content == streamed[i].content);
    }
    // An existing file is never overwritten.
    Status again = pkg->DecompressDataTo(tar);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code() == Code::kIo);
  }
}

TEST_CASE("decompressing ahead checks the whole compressed stream", "[extract][deb]") {
  cairn::testing::ScratchDir dir("deb-ahead-corrupt");
  const fs::path& deb = BuildWithDpkg("xz").deb;
  auto good = DebPackage::Open(deb);
  REQUIRE(good.ok());
  fs::path bad = dir.path() / "bad.deb";
  testing::CopyFlipped(deb, bad, good->data_member().offset + good->data_member().size / 2);
  auto pkg = DebPackage::Open(bad);
  REQUIRE(pkg.ok());
  Status st = pkg->DecompressDataTo(dir.path() / "out.tar");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIntegrity);
  CHECK(st.error().message() == "'" + bad.string() +
                                    "(data.tar.xz)': truncated or corrupt xz data (Lzma library "
                                    "error: Corrupted input data)");
}

}  // namespace
}  // namespace cairn::extract
