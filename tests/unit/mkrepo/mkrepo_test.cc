// cairn-mkrepo end to end: the repository it writes verifies with the extract
// module's readers, lists with tar, is byte-identical across runs (and equal
// to the build tree's demo-repo), and its programs run.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cairn/apk/index_text.h"
#include "cairn/extract/apk_index_archive.h"
#include "cairn/extract/apk_package.h"
#include "cairn/extract/keyring.h"
#include "cairn/file_util.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using cairn::testing::CommandResult;
using cairn::testing::RunCommand;
using cairn::testing::ScratchDir;

const std::string kTool = CAIRN_MKREPO_BINARY;
const fs::path kDemoSource = fs::path(CAIRN_SOURCE_DIR) / "images" / "demo-repo";
const std::string kKey = (cairn::testing::TestData() / "keys" / "cairn-demo.rsa").string();

// The flags CMake's demo-repo target uses (tools/mkrepo/CMakeLists.txt).
CommandResult BuildDemo(const fs::path& out, std::vector<std::string> env = {}) {
  return RunCommand({kTool, "--quiet", "--key", kKey, "--epoch", std::to_string(CAIRN_DEMO_EPOCH),
                     "--description", "cairn demo repository", kDemoSource.string(), out.string()},
                    env);
}

// Every regular file below `root` by relative path, with its bytes.
std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    auto bytes = cairn::ReadFile(e.path());
    REQUIRE(bytes.ok());
    files[e.path().lexically_relative(root).string()] = *bytes;
  }
  return files;
}

cairn::extract::Keyring DemoKeyring(const fs::path& repo) {
  cairn::extract::Keyring keys;
  REQUIRE(keys.AddFile(repo / "cairn-demo.rsa.pub").ok());
  return keys;
}

std::vector<cairn::apk::PackageInfo> ReadIndex(const fs::path& repo, const std::string& arch,
                                               const cairn::extract::Keyring& keys) {
  auto index = cairn::extract::ReadApkIndexArchive(repo / arch / "APKINDEX.tar.gz", keys, false);
  REQUIRE(index.ok());
  REQUIRE(index->signatures.size() == 1);
  CHECK(index->signatures[0].key_name == "cairn-demo.rsa.pub");
  CHECK(index->signatures[0].algo == "RSA256");
  CHECK(index->signatures[0].verified);
  CHECK(index->trusted_key == "cairn-demo.rsa.pub");
  auto pkgs = cairn::apk::ParseApkIndexText(index->apkindex_text, arch + "/APKINDEX");
  REQUIRE(pkgs.ok());
  return *pkgs;
}

// Opens and fully verifies one package (size, C:, signature, datahash) and
// returns its data entries by path, with regular files' content.
std::map<std::string, std::string> VerifyPackage(const fs::path& repo,
                                                 const cairn::apk::PackageInfo& rec,
                                                 const cairn::extract::Keyring& keys) {
  auto pkg = cairn::extract::ApkPackage::Open(repo / rec.arch / rec.FileName(), keys,
                                              {rec.checksum, rec.size}, false);
  INFO(rec.FileName());
  if (!pkg.ok()) FAIL(pkg.error().Render());
  CHECK(pkg->trusted_key() == "cairn-demo.rsa.pub");
  auto info = cairn::apk::ParsePkgInfo(pkg->pkginfo_text());
  REQUIRE(info.ok());
  CHECK(info->name == rec.name);
  CHECK(info->version == rec.version);
  CHECK(info->arch == rec.arch);
  CHECK(info->build_time == CAIRN_DEMO_EPOCH);
  CHECK(info->installed_size == rec.installed_size);
  CHECK(info->datahash.size() == 64);
  CHECK(info->datahash == pkg->datahash());
  std::map<std::string, std::string> entries;
  auto st = pkg->ForEachDataEntry(
      [&](const cairn::rootfs::FsEntry& e, const cairn::rootfs::ContentReader* r) -> cairn::Status {
        CHECK(e.mtime == CAIRN_DEMO_EPOCH);
        std::string content;
        if (r) {
          char buf[4096];
          while (true) {
            CAIRN_ASSIGN_OR_RETURN(size_t n, (*r)(buf, sizeof buf));
            if (n == 0) break;
            content.append(buf, n);
          }
        }
        entries[e.path] = content;
        return {};
      });
  if (!st.ok()) FAIL(st.error().Render());
  return entries;
}

}  // namespace

TEST_CASE("demo repository verifies with the extract readers", "[mkrepo]") {
  ScratchDir dir("mkrepo");
  const fs::path repo = dir.path() / "repo";
  auto run = BuildDemo(repo);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.empty());
  CHECK(run.err.empty());
  auto keys = DemoKeyring(repo);

  for (const std::string arch : {"x86_64", "aarch64"}) {
    auto records = ReadIndex(repo, arch, keys);
    std::vector<std::string> names;
    for (const auto& r : records) names.push_back(r.name + "-" + r.version);
    CHECK(names == std::vector<std::string>{"cairn-baselayout-1.0.0-r0", "hello-2.1-r0",
                                            "hello-doc-2.1-r0", "motd-1.0-r0",
                                            "motd-minimal-1.0-r0"});
    for (const auto& rec : records) {
      CHECK(rec.arch == arch);
      CHECK(rec.build_time == CAIRN_DEMO_EPOCH);
      CHECK(rec.size == fs::file_size(repo / arch / rec.FileName()));
      auto entries = VerifyPackage(repo, rec, keys);
      if (rec.name == "cairn-baselayout") {
        CHECK(entries.count("tmp"));
        CHECK(entries.count("var/run"));
        CHECK_THAT(entries["etc/os-release"], Catch::Contains("ID=cairn-demo"));
      }
      if (rec.name == "hello") {
        CHECK_THAT(entries["usr/bin/hello"], Catch::EndsWith("hello from cairn (" + arch + ")\n"));
      }
    }
    CHECK(records[1].provides == std::vector<cairn::apk::Provide>{{"cmd:hello", "2.1-r0"}});
    CHECK(records[2].install_if.size() == 2);
    CHECK(records[3].provider_priority == 100);
  }
  auto pub = cairn::ReadFile(repo / "cairn-demo.rsa.pub");
  auto committed = cairn::ReadFile(cairn::testing::TestData() / "keys" / "cairn-demo.rsa.pub");
  REQUIRE(pub.ok());
  REQUIRE(committed.ok());
  CHECK(*pub == *committed);

  // Without the key the index is refused.
  cairn::extract::Keyring empty;
  auto refused =
      cairn::extract::ReadApkIndexArchive(repo / "x86_64" / "APKINDEX.tar.gz", empty, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code() == cairn::Code::kIntegrity);
}

TEST_CASE("demo packages list with tar and keep modes and owners", "[mkrepo]") {
  ScratchDir dir("mkrepo");
  const fs::path repo = dir.path() / "repo";
  REQUIRE(BuildDemo(repo).exit_code == 0);
  auto list = RunCommand({"tar", "-tzf", (repo / "x86_64" / "hello-2.1-r0.apk").string()});
  CHECK(list.exit_code == 0);
  CHECK(list.out == ".SIGN.RSA256.cairn-demo.rsa.pub\n.PKGINFO\nusr/\nusr/bin/\nusr/bin/hello\n");
  auto index = RunCommand({"tar", "-tzf", (repo / "aarch64" / "APKINDEX.tar.gz").string()});
  CHECK(index.out == ".SIGN.RSA256.cairn-demo.rsa.pub\nDESCRIPTION\nAPKINDEX\n");
  auto verbose = RunCommand({"tar", "--numeric-owner", "-tvzf",
                             (repo / "aarch64" / "cairn-baselayout-1.0.0-r0.apk").string()},
                            {"TZ=UTC"});
  CHECK(verbose.exit_code == 0);
  // path -> "mode owner date time" (tar pads columns, so split on spaces).
  std::map<std::string, std::string> listed;
  std::istringstream lines(verbose.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string mode, owner, size, date, time, path;
    f >> mode >> owner >> size >> date >> time >> path;
    listed[path] = mode + " " + owner + " " + date + " " + time;
  }
  CHECK(listed["etc/shadow"] == "-rw-r----- 0/42 2023-11-14 22:13");
  CHECK(listed["tmp/"] == "drwxrwxrwt 0/0 2023-11-14 22:13");
  CHECK(listed["root/"] == "drwx------ 0/0 2023-11-14 22:13");
  CHECK(listed["proc/"] == "dr-xr-xr-x 0/0 2023-11-14 22:13");
  CHECK(listed["var/run"] == "lrwxrwxrwx 0/0 2023-11-14 22:13");
  CHECK_THAT(verbose.out, Catch::Contains(" var/run -> /run\n"));
}

TEST_CASE("two runs give byte-identical repositories, equal to build/demo-repo", "[mkrepo]") {
  ScratchDir dir("mkrepo");
  // Different umask-independent inputs: a second run in another place, with
  // SOURCE_DATE_EPOCH and TZ set (the explicit --epoch wins).
  REQUIRE(BuildDemo(dir.path() / "a").exit_code == 0);
  REQUIRE(BuildDemo(dir.path() / "b", {"SOURCE_DATE_EPOCH=5", "TZ=Asia/Tokyo"}).exit_code == 0);
  auto a = Snapshot(dir.path() / "a");
  auto b = Snapshot(dir.path() / "b");
  CHECK(a.size() == 13);
  CHECK(a == b);
  // The repository `ninja` built must be current with the sources.
  CHECK(Snapshot(CAIRN_DEMO_REPO_DIR) == a);
  // Rebuilding over an existing repository replaces it.
  REQUIRE(BuildDemo(dir.path() / "a").exit_code == 0);
  CHECK(Snapshot(dir.path() / "a") == b);
}

TEST_CASE("the x86_64 hello package's program prints its message", "[mkrepo]") {
  ScratchDir dir("mkrepo");
  const fs::path repo = dir.path() / "repo";
  REQUIRE(BuildDemo(repo).exit_code == 0);
  auto keys = DemoKeyring(repo);
  for (const std::string arch : {"x86_64", "aarch64"}) {
    auto records = ReadIndex(repo, arch, keys);
    auto entries = VerifyPackage(repo, records[1], keys);
    const fs::path prog = dir.path() / ("hello-" + arch);
    std::ofstream(prog, std::ios::binary) << entries["usr/bin/hello"];
    REQUIRE(::chmod(prog.c_str(), 0755) == 0);
    std::vector<std::string> argv = {prog.string()};
#if defined(__x86_64__)
    if (arch == "aarch64") argv.insert(argv.begin(), "qemu-aarch64");
#endif
    auto run = RunCommand(argv);
    CHECK(run.exit_code == 0);
    CHECK(run.out == "hello from cairn (" + arch + ")\n");
  }
}

TEST_CASE("cairn-mkrepo --generate synthesises a benchmark repository", "[mkrepo][synth]") {
  ScratchDir dir("mkrepo");
  const fs::path repo = dir.path() / "bench";
  auto run =
      RunCommand({kTool, "--key", kKey, "--arch", "x86_64", "--generate", "30", "--payload-size",
                  "2K", "--large", "1", "--large-size", "64K", "--seed", "7", repo.string()},
                 {"SOURCE_DATE_EPOCH=1234"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("wrote 32 packages for x86_64 ("));
  CHECK_FALSE(fs::exists(repo / "aarch64"));
  auto keys = DemoKeyring(repo);
  auto index =
      cairn::extract::ReadApkIndexArchive(repo / "x86_64" / "APKINDEX.tar.gz", keys, false);
  REQUIRE(index.ok());
  CHECK(index->description == "cairn-mkrepo");
  auto records = cairn::apk::ParseApkIndexText(index->apkindex_text, "x86_64/APKINDEX");
  REQUIRE(records.ok());
  REQUIRE(records->size() == 32);
  const auto& all = (*records)[30];
  CHECK(all.name == "synth-all");
  CHECK(all.depends.size() == 31);
  CHECK(all.build_time == 1234);
  for (const auto& rec : *records) {
    auto pkg = cairn::extract::ApkPackage::Open(repo / "x86_64" / rec.FileName(), keys,
                                                {rec.checksum, rec.size}, false);
    REQUIRE(pkg.ok());
    REQUIRE(pkg->ForEachDataEntry([](const auto&, const auto*) { return cairn::Status(); }).ok());
  }
  CHECK((*records)[31].name == "synth-large-00");
  CHECK((*records)[31].installed_size == 65536);
  CHECK((*records)[31].size > 65536);  // incompressible content
}

TEST_CASE("cairn-mkrepo reports usage errors", "[mkrepo]") {
  ScratchDir dir("mkrepo");
  auto r = RunCommand({kTool, kDemoSource.string(), (dir.path() / "x").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "cairn-mkrepo: error: missing required option '--key PEM'\n"
        "hint: see 'cairn-mkrepo --help'\n");

  r = RunCommand({kTool, "--key", kKey, "--arhc", "x86_64", "a", "b"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "cairn-mkrepo: error: unknown option '--arhc'\nhint: see 'cairn-mkrepo --help'\n");

  r = RunCommand({kTool, "--key", kKey, "--generate", "many", "out"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "cairn-mkrepo: error: invalid value 'many' for --generate "
        "(expected a non-negative integer)\n");

  r = RunCommand({kTool, "--key", (dir.path() / "none.rsa").string(), kDemoSource.string(),
                  (dir.path() / "x").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "cairn-mkrepo: error: private key '" + (dir.path() / "none.rsa").string() +
                     "' does not exist\n");
  CHECK_FALSE(fs::exists(dir.path() / "x"));

  r = RunCommand({kTool, "--help"});
  CHECK(r.exit_code == 0);
  for (const char* flag :
       {"--key PEM", "--public-key PEM", "--key-name NAME", "--arch ARCH", "--epoch SECONDS",
        "--generate N", "--payload-size BYTES", "--large N", "--large-size BYTES", "--seed N"}) {
    CHECK_THAT(r.out, Catch::Contains(flag));
  }
}
