#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <clocale>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layer.h"
#include "cairn/oci/tar.h"
#include "support/test_support.h"
#include "support/tree_fixture.h"

namespace cairn::oci {
namespace {

using rootfs::FileType;
using rootfs::FsEntry;
using testing::RunCommand;

struct TreeFixture : testing::TreeFixture {
  TreeFixture() : testing::TreeFixture("oci-tar") {}

  // A small root exercising every entry kind the writer handles.
  void Populate() {
    REQUIRE(tree.AddFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                       "alice:x:1000:1000::/home/alice:/bin/sh\n"
                                       "broken line\n", 0644, 0, 0, 100).ok());
    REQUIRE(tree.AddFile("etc/group", "root:x:0:\nstaff:x:50:alice\n", 0644, 0, 0, 100).ok());
    REQUIRE(tree.AddDirectory("home/alice", 0750, 1000, 50, 200).ok());
    REQUIRE(tree.AddFile("home/alice/notes", "hi\n", 0600, 1000, 1000, 300).ok());
    REQUIRE(tree.AddFile("usr/bin/zcat", "#!/bin/sh\n", 04755, 0, 0, 400).ok());
    testing::AddHardlink(tree, "usr/bin/gzcat", "usr/bin/zcat", 999);  // sorts before its target
    testing::AddHardlink(tree, "usr/bin/zzcat", "usr/bin/zcat", 999);  // sorts after it
    REQUIRE(tree.AddSymlink("bin", "usr/bin", 500).ok());
    testing::AddDevice(tree, "dev/null", FileType::kCharDevice, 0666, 1, 3);
    testing::AddDevice(tree, "dev/sda", FileType::kBlockDevice, 0660, 8, 0, /*gid=*/6);
    testing::AddFifo(tree, "run/initctl", 0600);
    testing::AddEmptyFile(tree, "usr/bin/ping", 0755,
                          {{"security.capability", std::string("\x01\x00\x00\x02\x00\x20", 6)},
                           {"user.comment", "pong"}});
  }
};

std::string TarBytes(const rootfs::Tree& tree, const TarOptions& options = {}) {
  std::string out;
  Status st = WriteTarStream(
      tree,
      [&](const char* p, size_t n) {
        out.append(p, n);
        return Status();
      },
      options);
  REQUIRE(st.ok());
  return out;
}

std::string Listing(const std::filesystem::path& dir, const std::string& bytes,
                    const std::vector<std::string>& flags) {
  auto file = dir / "listing.tar";
  REQUIRE(WriteFileAtomic(file, bytes).ok());
  std::vector<std::string> argv = {"tar", "-tv", "-f", file.string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto r = RunCommand(argv, {"TZ=UTC"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

TEST_CASE("tar stream lists modes, owners, links and devices as tar sees them",
          "[oci][tar]") {
  TreeFixture f;
  f.Populate();
  std::string bytes = TarBytes(f.tree);
  CHECK(bytes.size() % 10240 == 0);

  CHECK(Listing(f.dir.path(), bytes, {"--numeric-owner"}) ==
        "lrwxrwxrwx 0/0               0 1970-01-01 00:08 bin -> usr/bin\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:00 dev/\n"
        "crw-rw-rw- 0/0             1,3 1970-01-01 00:00 dev/null\n"
        "brw-rw---- 0/6             8,0 1970-01-01 00:00 dev/sda\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 etc/\n"
        "-rw-r--r-- 0/0              27 1970-01-01 00:01 etc/group\n"
        "-rw-r--r-- 0/0              81 1970-01-01 00:01 etc/passwd\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:03 home/\n"
        "drwxr-x--- 1000/50           0 1970-01-01 00:03 home/alice/\n"
        "-rw------- 1000/1000         3 1970-01-01 00:05 home/alice/notes\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:00 run/\n"
        "prw------- 0/0               0 1970-01-01 00:00 run/initctl\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:06 usr/\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:06 usr/bin/\n"
        "-rwsr-xr-x 0/0              10 1970-01-01 00:06 usr/bin/gzcat\n"
        "-rwxr-xr-x 0/0               0 1970-01-01 00:00 usr/bin/ping\n"
        "hrwsr-xr-x 0/0               0 1970-01-01 00:06 usr/bin/zcat link to usr/bin/gzcat\n"
        "hrwsr-xr-x 0/0               0 1970-01-01 00:06 usr/bin/zzcat link to usr/bin/gzcat\n");

  SECTION("names come from the image's passwd and group, not the host") {
    std::string named = Listing(f.dir.path(), bytes, {});
    CHECK(named.find("drwxr-x--- alice/staff       0 1970-01-01 00:03 home/alice/\n") !=
          std::string::npos);
    CHECK(named.find("-rw------- alice/1000        3 1970-01-01 00:05 home/alice/notes\n") != std::string::npos);
    CHECK(named.find("crw-rw-rw- root/root       1,3 1970-01-01 00:00 dev/null\n") != std::string::npos);
    CHECK(named.find("brw-rw---- root/6          8,0 1970-01-01 00:00 dev/sda\n") != std::string::npos);
  }
  SECTION("the content of a hard-link group is written once, at its first path") {
    auto file = f.dir.path() / "x.tar";
    REQUIRE(WriteFileAtomic(file, bytes).ok());
    auto r = RunCommand({"tar", "-xO", "-f", file.string(), "usr/bin/gzcat"});
    CHECK(r.out == "#!/bin/sh\n");
  }
  SECTION("xattrs are SCHILY.xattr records only") {
    CHECK(bytes.find("SCHILY.xattr.user.comment=pong\n") != std::string::npos);
    CHECK(bytes.find(std::string("SCHILY.xattr.security.capability=\x01\x00\x00\x02\x00\x20\n",
                                 40)) != std::string::npos);
    CHECK(bytes.find("LIBARCHIVE.xattr") == std::string::npos);
    // The extended header's own name carries no process id.
    CHECK(bytes.find("usr/bin/PaxHeader/ping") != std::string::npos);
    CHECK(bytes.find("atime") == std::string::npos);
    CHECK(bytes.find("ctime") == std::string::npos);
    CHECK(bytes.find("./") == std::string::npos);
  }
}

TEST_CASE("tar stream takes account names from another tree when asked", "[oci][tar]") {
  TreeFixture full;
  full.Populate();
  TreeFixture layer;
  REQUIRE(layer.tree.AddFile("home/alice/x", "", 0644, 1000, 50).ok());
  std::string without = Listing(layer.dir.path(), TarBytes(layer.tree), {});
  CHECK(without.find("-rw-r--r-- 1000/50") != std::string::npos);
  TarOptions options;
  options.accounts = &full.tree;
  std::string with = Listing(layer.dir.path(), TarBytes(layer.tree, options), {});
  CHECK(with.find("-rw-r--r-- alice/staff") != std::string::npos);
}

TEST_CASE("tar stream errors name the cause", "[oci][tar]") {
  TreeFixture f;
  f.Populate();
  SECTION("a sink error is returned with what was being written") {
    // The first 10240-byte record fills up while the pax header of usr/bin/ping is written.
    Status st = WriteTarStream(f.tree, [](const char*, size_t) -> Status {
      return IoError("disk full");
    });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIo);
    CHECK(st.error().Render() == "writing tar header for 'usr/bin/ping': disk full");
  }
  SECTION("a hard link whose target was removed is an integrity error") {
    f.tree.Remove("usr/bin/zcat");
    Status st = WriteTarStream(f.tree, [](const char*, size_t) { return Status(); });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() ==
          "hard link 'usr/bin/gzcat' points to 'usr/bin/zcat', which is not a regular file in "
          "the tree");
  }
}

TEST_CASE("layer blobs are byte-identical across runs, umask and TZ", "[oci][tar]") {
  TreeFixture f;
  f.Populate();
  testing::ScratchDir out("oci-layer");
  auto first = WriteLayerTar(f.tree, out.path() / "a");
  REQUIRE(first.ok());

  const char* old_tz = getenv("TZ");
  std::string saved_tz = old_tz ? old_tz : "";
  setenv("TZ", "Pacific/Chatham", 1);
  tzset();
  mode_t old_mask = umask(0077);
  auto second = WriteLayerTar(f.tree, out.path() / "b");
  umask(old_mask);
  if (old_tz) setenv("TZ", saved_tz.c_str(), 1); else unsetenv("TZ");
  tzset();
  REQUIRE(second.ok());

  CHECK(first->digest == second->digest);
  CHECK(first->diff_id == second->diff_id);
  CHECK(first->size == second->size);
  auto blob_a = out.path() / "a/blobs/sha256" / first->digest.substr(7);
  auto blob_b = out.path() / "b/blobs/sha256" / second->digest.substr(7);
  auto a = ReadFile(blob_a);
  auto b = ReadFile(blob_b);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  CHECK(a->size() == first->size);
  CHECK("sha256:" + Sha256Hex(*a) == first->digest);
  // Blobs are world-readable whatever the umask; no temp files are left.
  CHECK((std::filesystem::status(blob_b).permissions() & std::filesystem::perms::others_read) !=
        std::filesystem::perms::none);
  CHECK(std::distance(std::filesystem::directory_iterator(out.path() / "b/blobs/sha256"),
                      std::filesystem::directory_iterator()) == 1);

  // Fixed gzip header: magic, deflate, no flags, MTIME 0, XFL 0 (level 6), OS 255.
  CHECK(a->substr(0, 10) == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10));
  // diff_id is the sha256 of the uncompressed stream, which equals WriteTarStream's.
  std::string tar = TarBytes(f.tree);
  CHECK(first->uncompressed_size == tar.size());
  CHECK(first->diff_id == "sha256:" + Sha256Hex(tar));
  auto gunzip = RunCommand({"sh", "-c", "gzip -dc \"$0\" | sha256sum", blob_a.string()});
  CHECK(gunzip.out.substr(0, 64) == first->diff_id.substr(7));
  CHECK(first->timings.total_seconds >= first->timings.compress_seconds);
  CHECK(first->timings.compress_seconds > 0);
}

TEST_CASE("layer gzip level is configurable and checked", "[oci][tar]") {
  TreeFixture f;
  f.Populate();
  testing::ScratchDir out("oci-layer");
  LayerOptions fast;
  fast.gzip_level = 1;
  auto l1 = WriteLayerTar(f.tree, out.path(), fast);
  auto l6 = WriteLayerTar(f.tree, out.path());
  REQUIRE(l1.ok());
  REQUIRE(l6.ok());
  CHECK(l1->diff_id == l6->diff_id);
  CHECK(l1->digest != l6->digest);
  auto blob = ReadFile(out.path() / "blobs/sha256" / l1->digest.substr(7));
  CHECK(blob->substr(8, 2) == "\x04\xff");  // XFL 4 = fastest

  LayerOptions bad;
  bad.gzip_level = 10;
  auto r = WriteLayerTar(f.tree, out.path(), bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kUsage);
  CHECK(r.error().message() == "gzip level 10 is out of range (expected 0 to 9)");
}

long MaxRssKiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

TEST_CASE("a 200 MiB layer streams in bounded memory", "[oci][tar][.slow]") {
  TreeFixture f;
  const uint64_t size = 200ull << 20;
  FsEntry e;
  e.path = "var/big.img";
  e.size = size;
  uint64_t pos = 0;
  rootfs::ContentReader zeros = [&](char* buf, size_t cap) -> Result<size_t> {
    size_t n = static_cast<size_t>(std::min<uint64_t>(cap, size - pos));
    std::fill_n(buf, n, '\0');
    pos += n;
    return n;
  };
  const long before = MaxRssKiB();
  REQUIRE(f.tree.Add(e, &zeros).ok());
  testing::ScratchDir out("oci-big");
  auto layer = WriteLayerTar(f.tree, out.path());
  REQUIRE(layer.ok());
  const long after = MaxRssKiB();
  WARN("peak RSS before " << before / 1024 << " MiB, after " << after / 1024
                          << " MiB; layer " << layer->size << " bytes from "
                          << layer->uncompressed_size << "; compress "
                          << layer->timings.compress_seconds << " s of "
                          << layer->timings.total_seconds << " s");
  CHECK(layer->uncompressed_size > size);
  CHECK(after - before < 50 * 1024);
}

}  // namespace
}  // namespace cairn::oci

namespace cairn::oci {
namespace {

TEST_CASE("tar stream keeps long and UTF-8 names exact", "[oci][tar]") {
  TreeFixture f;
  const std::string long_name = "usr/share/" + std::string(120, 'x') + "/file";
  REQUIRE(f.tree.AddFile(long_name, "long").ok());
  REQUIRE(f.tree.AddFile("usr/share/na\xc3\xafve", "utf8").ok());
  REQUIRE(f.tree.AddSymlink("usr/lnk", "share/na\xc3\xafve").ok());
  std::string bytes = TarBytes(f.tree);
  CHECK(bytes.find("hdrcharset") == std::string::npos);
  auto file = f.dir.path() / "names.tar";
  REQUIRE(WriteFileAtomic(file, bytes).ok());
  auto r = RunCommand({"tar", "-t", "--quoting-style=literal", "-f", file.string()},
                      {"LC_ALL=C.UTF-8"});
  CHECK(r.out == "usr/\nusr/lnk\nusr/share/\nusr/share/na\xc3\xafve\nusr/share/" +
                     std::string(120, 'x') + "/\n" + long_name + "\n");
  auto content = RunCommand({"tar", "-xO", "-f", file.string(), long_name});
  CHECK(content.out == "long");

  // The caller's locale does not change a byte.
  std::string saved = setlocale(LC_ALL, nullptr);
  REQUIRE(setlocale(LC_ALL, "C.UTF-8"));
  std::string in_utf8_locale = TarBytes(f.tree);
  setlocale(LC_ALL, saved.c_str());
  CHECK(in_utf8_locale == bytes);

  // Names that are not UTF-8 are kept as raw bytes (hdrcharset=BINARY).
  REQUIRE(f.tree.AddFile("latin1-\xe9", "x").ok());
  std::string raw = TarBytes(f.tree);
  CHECK(raw.find("hdrcharset=BINARY") != std::string::npos);
  REQUIRE(WriteFileAtomic(file, raw).ok());
  auto listed = RunCommand({"tar", "-t", "--quoting-style=literal", "-f", file.string()});
  CHECK(listed.out.substr(0, 8) == "latin1-\xe9");
}

}  // namespace
}  // namespace cairn::oci

namespace cairn::oci {
namespace {

TEST_CASE("a layer of many blocks is one gzip member that gzip reads back", "[oci][tar]") {
  testing::ScratchDir dir("oci-blocks");
  auto store = rootfs::ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  rootfs::Tree tree(**store);
  // 5 MiB of text that compresses, crossing several 1 MiB blocks, so the
  // dictionary hand-over between blocks matters.
  std::string text;
  for (int i = 0; text.size() < (5u << 20); ++i) text += fmt::format("line {} of a long file\n", i * 7919 % 100003);
  REQUIRE(tree.AddFile("big.txt", text).ok());
  REQUIRE(tree.AddFile("small.txt", "x\n").ok());
  auto layer = WriteLayerTar(tree, dir.path() / "oci");
  REQUIRE(layer.ok());
  CHECK(layer->size < text.size() / 3);
  std::filesystem::path blob = dir.path() / "oci/blobs/sha256" / layer->digest.substr(7);
  auto test = testing::RunCommand({"gzip", "-t", blob.string()});
  CHECK(test.exit_code == 0);
  auto sum = testing::RunCommand({"sh", "-c", "gzip -dc '" + blob.string() + "' | sha256sum"});
  REQUIRE(sum.exit_code == 0);
  CHECK("sha256:" + sum.out.substr(0, 64) == layer->diff_id);
  // The same tree gives the same bytes.
  auto again = WriteLayerTar(tree, dir.path() / "oci2");
  REQUIRE(again.ok());
  CHECK(again->digest == layer->digest);
}

}  // namespace
}  // namespace cairn::oci
