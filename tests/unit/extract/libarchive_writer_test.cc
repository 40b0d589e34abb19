// LibarchiveWriter, checked with GNU tar, GNU cpio, gzip and zstd as the readers.
#include "cairn/extract/libarchive_writer.h"

#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <clocale>
#include <optional>

#include "cairn/file_util.h"
#include "support/test_support.h"
#include "support/tree_fixture.h"

namespace cairn::extract {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using testing::RunCommand;

ByteSink Collect(std::string* out) {
  return [out](const char* p, size_t n) {
    out->append(p, n);
    return Status();
  };
}

// An open writer collecting into `out` (or into `sink`, if given), and an entry to fill.
struct Stream {
  explicit Stream(const LibarchiveWriterOptions& options, ByteSink other = nullptr)
      : sink(other ? std::move(other) : Collect(&out)) {
    auto w = LibarchiveWriter::Open(sink, options);
    INFO((w.ok() ? "" : w.error().Render()));
    REQUIRE(w.ok());
    writer.emplace(std::move(*w));
    auto e = NewArchiveEntry();
    REQUIRE(e.ok());
    entry = std::move(*e);
  }

  // Writes a root-owned header at the test's epoch: `meta` plus `size`.
  Status Header(const std::string& path, rootfs::FsEntry meta, int64_t size = 0) {
    FillArchiveEntry(entry.get(), path, meta);
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    archive_entry_set_size(entry.get(), size);
    return writer->WriteHeader(entry.get(), path);
  }

  std::string out;
  ByteSink sink;  // before writer: it must outlive it
  std::optional<LibarchiveWriter> writer;
  ArchiveEntryPtr entry;
};

const LibarchiveWriterOptions kUnblockedCpio{
    .name = "cpio", .format = WriterFormat::kCpioNewc, .bytes_per_block = 0};

std::string Run(const std::vector<std::string>& argv) {
  auto r = RunCommand(argv, {"TZ=UTC"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

TEST_CASE("FillArchiveEntry takes type, mode, owner, link target and device from the node",
          "[extract][libarchive_writer]") {
  testing::ScratchDir dir("libarchive-writer");
  Stream tar({.name = "tar"});
  auto put = [&](const std::string& path, rootfs::FsEntry meta) {
    meta.path = "ignored/" + path;  // the path argument wins
    REQUIRE(tar.Header(path, meta).ok());
  };
  // S_IFDIR in mode is dropped, setgid and sticky are kept.
  put("srv", {.type = FileType::kDirectory, .mode = 043750, .uid = 1000, .gid = 50});
  put("srv/bin", {.type = FileType::kSymlink, .mode = 0777, .link_target = "../usr/bin"});
  put("srv/null", {.type = FileType::kCharDevice, .mode = 0666, .dev_major = 1, .dev_minor = 3});
  put("srv/sdb",
      {.type = FileType::kBlockDevice, .mode = 0660, .gid = 6, .dev_major = 8, .dev_minor = 16});
  put("srv/fifo", {.type = FileType::kFifo, .mode = 0600});
  // A hard link is stored as a regular file: the caller adds the link itself.
  put("srv/tool", {.type = FileType::kHardlink, .mode = 0755, .link_target = "srv/tool"});
  REQUIRE(tar.writer->Finish().ok());

  fs::path file = dir.path() / "fill.tar";
  REQUIRE(WriteFileAtomic(file, tar.out).ok());
  CHECK(Run({"tar", "-tv", "--numeric-owner", "-f", file.string()}) ==
        "drwxr-s--T 1000/50           0 2023-11-14 22:13 srv/\n"
        "lrwxrwxrwx 0/0               0 2023-11-14 22:13 srv/bin -> ../usr/bin\n"
        "crw-rw-rw- 0/0             1,3 2023-11-14 22:13 srv/null\n"
        "brw-rw---- 0/6            8,16 2023-11-14 22:13 srv/sdb\n"
        "prw------- 0/0               0 2023-11-14 22:13 srv/fifo\n"
        "-rwxr-xr-x 0/0               0 2023-11-14 22:13 srv/tool\n");
}

TEST_CASE("a pax tar streams a spooled file in pieces, padded to 10 KiB records",
          "[extract][libarchive_writer]") {
  testing::TreeFixture f("libarchive-writer");
  // Three copy buffers and a bit: WriteBlob must loop.
  std::string big;
  for (size_t i = 0; i < 200000; ++i) big.push_back(static_cast<char>('a' + i % 23));
  REQUIRE(f.tree.AddFile("usr/lib/big", big, 0644).ok());
  const rootfs::Node* node = f.tree.Find("usr/lib/big");
  REQUIRE(node);

  Stream tar({.name = "tar"});
  REQUIRE(tar.Header("usr/lib", {.type = FileType::kDirectory, .mode = 0755}).ok());
  FillArchiveEntry(tar.entry.get(), "usr/lib/big", node->meta);
  archive_entry_set_mtime(tar.entry.get(), 1700000000, 0);
  archive_entry_set_size(tar.entry.get(), static_cast<int64_t>(big.size()));
  archive_entry_xattr_add_entry(tar.entry.get(), "user.k", "v", 1);
  REQUIRE(tar.writer->WriteHeader(tar.entry.get(), "usr/lib/big").ok());
  REQUIRE(tar.writer->WriteBlob(f.tree.store(), node->content, "usr/lib/big").ok());
  REQUIRE(tar.writer->Finish().ok());
  const std::string& out = tar.out;

  CHECK(out.size() % 10240 == 0);
  CHECK(out.find("SCHILY.xattr.user.k") != std::string::npos);
  CHECK(out.find("LIBARCHIVE.xattr") == std::string::npos);
  fs::path file = f.dir.path() / "out.tar";
  REQUIRE(WriteFileAtomic(file, out).ok());
  CHECK(Run({"tar", "-tv", "--numeric-owner", "-f", file.string()}) ==
        "drwxr-xr-x 0/0               0 2023-11-14 22:13 usr/lib/\n"
        "-rw-r--r-- 0/0          200000 2023-11-14 22:13 usr/lib/big\n");
  CHECK(Run({"tar", "-xO", "-f", file.string(), "usr/lib/big"}) == big);
}

TEST_CASE("an unblocked newc cpio under gzip or zstd reads back with cpio",
          "[extract][libarchive_writer]") {
  testing::ScratchDir dir("libarchive-writer");
  for (WriterFilter filter : {WriterFilter::kGzip, WriterFilter::kZstd}) {
    const bool gzip = filter == WriterFilter::kGzip;
    LibarchiveWriterOptions options = kUnblockedCpio;
    options.filter = filter;
    options.level = gzip ? 9 : 19;
    Stream cpio(options);
    REQUIRE(cpio.Header("init", {.mode = 0755}, 3).ok());
    REQUIRE(cpio.writer->WriteData("hi\n", 3, "init").ok());
    REQUIRE(cpio.writer->Finish().ok());
    const std::string& out = cpio.out;

    fs::path file = dir.path() / (gzip ? "a.cpio.gz" : "a.cpio.zst");
    REQUIRE(WriteFileAtomic(file, out).ok());
    std::string decompressor = gzip ? "gzip" : "zstd";
    std::string plain = Run({decompressor, "-dc", file.string()});
    // Unblocked: the archive ends with the trailer's padding to 4 bytes, not a 512-byte block.
    CHECK(plain.size() % 4 == 0);
    CHECK(plain.size() % 512 != 0);
    CHECK(plain.compare(0, 6, "070701") == 0);
    fs::path raw = dir.path() / "a.cpio";
    REQUIRE(WriteFileAtomic(raw, plain).ok());
    CHECK(Run({"cpio", "-it", "--quiet", "-F", raw.string()}) == "init\n");
    if (gzip) {
      // No name and no time in the gzip header (`gzip -n`): FLG 0 and MTIME 0.
      CHECK(out[3] == 0);
      CHECK(out.substr(4, 4) == std::string(4, '\0'));
    }
  }
}

TEST_CASE("LibarchiveWriter errors name the stream and the path",
          "[extract][libarchive_writer]") {
  SECTION("a compression level without a filter is a caller bug") {
    ByteSink sink = [](const char*, size_t) { return Status(); };
    auto w = LibarchiveWriter::Open(sink, {.name = "tar", .level = 3});
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().code() == Code::kInternal);
    CHECK(w.error().message() == "tar writer: a compression level needs a filter");
  }
  SECTION("the sink's error comes back with what was being written") {
    Stream cpio(kUnblockedCpio, [](const char*, size_t) { return Status(IoError("disk full")); });
    Status st = cpio.Header("etc", {.type = FileType::kDirectory});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIo);
    CHECK(st.error().Render() == "writing cpio header for 'etc': disk full");
  }
  SECTION("a writer dropped before Finish sends no trailer") {
    Stream cpio(kUnblockedCpio);
    REQUIRE(cpio.Header("etc", {.type = FileType::kDirectory}).ok());
    {
      // Moving keeps the one stream: the moved-to writer owns it.
      LibarchiveWriter moved = std::move(*cpio.writer);
      CHECK(cpio.out.find("etc") != std::string::npos);
    }
    CHECK(cpio.out.find("TRAILER!!!") == std::string::npos);
  }
}

// Switches the process to C.UTF-8 while alive.
struct Utf8Locale {
  Utf8Locale() : saved(setlocale(LC_ALL, nullptr)) { ok = setlocale(LC_ALL, "C.UTF-8"); }
  ~Utf8Locale() { setlocale(LC_ALL, saved.c_str()); }
  std::string saved;
  bool ok = false;
};

TEST_CASE("header warnings are accepted only when asked", "[extract][libarchive_writer]") {
  // In a UTF-8 locale a pax name that is not UTF-8 is stored raw with a warning.
  Utf8Locale utf8;
  REQUIRE(utf8.ok);
  const std::string name = "latin1-\xe9";
  for (bool accept : {false, true}) {
    Stream tar({.name = "tar", .accept_header_warnings = accept});
    Status st = tar.Header(name, {});
    if (accept) {
      CHECK(st.ok());
      REQUIRE(tar.writer->Finish().ok());
      CHECK(tar.out.find("hdrcharset=BINARY") != std::string::npos);
    } else {
      REQUIRE_FALSE(st.ok());
      CHECK(st.error().code() == Code::kIo);
      CHECK(st.error().message().rfind("writing tar header for '" + name + "': ", 0) == 0);
    }
  }
}

}  // namespace
}  // namespace cairn::extract
