// Stacked layers: one OCI layer per tree layer, holding what that layer added
// or changed plus its whiteouts; read back into a tree; unpacked by umoci.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layer.h"
#include "cairn/oci/layer_reader.h"
#include "cairn/oci/layout.h"
#include "cairn/oci/tar.h"
#include "support/test_support.h"
#include "support/tree_fixture.h"

namespace cairn::oci {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using testing::RunCommand;

// Layer 0: accounts, a tool with a hard link, docs, a device, xattrs.
void BuildBase(rootfs::Tree& tree) {
  REQUIRE(tree.AddFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                     "app:x:100:101::/srv:/bin/sh\n", 0644, 0, 0, 100).ok());
  REQUIRE(tree.AddFile("etc/group", "root:x:0:\napp:x:101:\n", 0644, 0, 0, 100).ok());
  REQUIRE(tree.AddFile("etc/motd", "base\n", 0644, 0, 0, 100).ok());
  REQUIRE(tree.AddFile("usr/bin/tool", "#!/bin/sh\necho tool\n", 0755, 0, 0, 100).ok());
  testing::AddHardlink(tree, "usr/bin/tool-alias", "usr/bin/tool");
  REQUIRE(tree.AddSymlink("bin", "usr/bin", 100).ok());
  REQUIRE(tree.AddFile("usr/share/doc/tool/README", "read me\n", 0644, 0, 0, 100).ok());
  REQUIRE(tree.AddFile("usr/share/doc/tool/COPYING", "gpl\n", 0644, 0, 0, 100).ok());
  REQUIRE(tree.AddDirectory("var/lib/app", 0755, 0, 0, 100).ok());
  testing::AddDevice(tree, "dev/null", FileType::kCharDevice, 0666, 1, 3);
  testing::AddEmptyFile(tree, "usr/bin/ping", 0755,
                        {{"user.blob", std::string("\x01\x00\x00\x02\x00\x20", 6)}}, 100);
}

// Layer 1: repeats a lower directory, adds and replaces files, removes the
// docs, links twice to a lower file, changes a lower directory's owner.
void BuildUpper(rootfs::Tree& tree) {
  tree.BeginLayer(1);
  REQUIRE(tree.AddDirectory("usr/bin", 0755, 0, 0, 100).ok());  // unchanged: stays below
  REQUIRE(tree.AddFile("usr/bin/app", "#!/bin/sh\necho app\n", 0755, 100, 101, 300).ok());
  REQUIRE(tree.AddFile("etc/motd", "upper\n", 0644, 0, 0, 300).ok());
  tree.Remove("usr/share/doc");
  tree.Remove("dev/null");
  testing::AddHardlink(tree, "usr/bin/tool2", "usr/bin/tool");
  testing::AddHardlink(tree, "usr/bin/tool3", "usr/bin/tool");
  rootfs::Node* lib = tree.FindMutable("var/lib/app");
  REQUIRE(lib);
  lib->meta.uid = 100;
  lib->meta.gid = 101;
  lib->meta.mtime = 300;
}

std::string Listing(const fs::path& blob) {
  auto r = RunCommand({"tar", "-tvz", "--numeric-owner", "-f", blob.string()}, {"TZ=UTC"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// Member names and types as Python's tarfile (an independent reader) sees them.
std::string PyListing(const fs::path& blob) {
  auto r = RunCommand({"python3", "-c",
                       "import sys, tarfile\n"
                       "for m in tarfile.open(sys.argv[1], 'r:gz'):\n"
                       "    print(m.name, m.type.decode(), oct(m.mode), m.size, m.linkname)\n",
                       blob.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

std::string Extract(const fs::path& blob, const std::string& member) {
  auto r = RunCommand({"tar", "-xzO", "-f", blob.string(), member});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

LayerResult WriteLayer(const rootfs::Tree& tree, const fs::path& out, int layer,
                       const rootfs::Tree* accounts = nullptr) {
  LayerOptions options;
  options.layer = layer;
  options.tar.accounts = accounts;
  auto r = WriteLayerTar(tree, out, options);
  INFO((r.ok() ? "" : r.error().Render()));
  REQUIRE(r.ok());
  return *r;
}

fs::path BlobOf(const fs::path& layout, const LayerResult& l) {
  return layout / "blobs/sha256" / l.digest.substr(7);
}

TEST_CASE("layer -1 writes the whole tree with the bytes of a single-layer image",
          "[oci][layers]") {
  // The digests of this tree were recorded before stacked layers existed.
  testing::TreeFixture box("oci-stack");
  rootfs::Tree& tree = box.tree;
  REQUIRE(tree.AddFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                     "alice:x:1000:1000::/home/alice:/bin/sh\n", 0644, 0, 0, 100)
              .ok());
  REQUIRE(tree.AddFile("etc/group", "root:x:0:\nstaff:x:50:alice\n", 0644, 0, 0, 100).ok());
  REQUIRE(tree.AddDirectory("home/alice", 0750, 1000, 50, 200).ok());
  REQUIRE(tree.AddFile("home/alice/notes", "hi\n", 0600, 1000, 1000, 300).ok());
  REQUIRE(tree.AddFile("usr/bin/zcat", "#!/bin/sh\n", 04755, 0, 0, 400).ok());
  testing::AddHardlink(tree, "usr/bin/gzcat", "usr/bin/zcat");
  REQUIRE(tree.AddSymlink("bin", "usr/bin", 500).ok());
  testing::AddDevice(tree, "dev/null", FileType::kCharDevice, 0666, 1, 3);
  testing::AddEmptyFile(tree, "usr/bin/ping", 0755, {{"user.comment", "pong"}});
  const std::string kDigest =
      "sha256:f54cd44e79149df124eacdb875242ad3dcc45da7780b97c8ced0b7b2856dd2d1";
  const std::string kDiffId =
      "sha256:358018abd0938adbb43cf3a5f239804470c1652e96b0e1f8e6534536dae10885";

  LayerResult whole = WriteLayer(tree, box.dir.path() / "a", -1);
  CHECK(whole.digest == kDigest);
  CHECK(whole.diff_id == kDiffId);
  // Everything is in layer 0, so layer 0 alone is the same stream...
  CHECK(WriteLayer(tree, box.dir.path() / "b", 0).diff_id == kDiffId);
  // ...and -1 ignores layers: nodes of a later layer and whiteouts change nothing.
  tree.BeginLayer(1);
  tree.Remove("home/alice/notes");
  REQUIRE(tree.AddFile("home/alice/notes", "hi\n", 0600, 1000, 1000, 300).ok());
  CHECK(tree.Whiteouts(1).size() == 1);
  CHECK(WriteLayer(tree, box.dir.path() / "c", -1).diff_id == kDiffId);
}

TEST_CASE("each layer's tar holds only what that layer added or changed", "[oci][layers]") {
  testing::TreeFixture box("oci-stack");
  BuildBase(box.tree);
  const fs::path out = box.dir.path() / "layout";
  // A layer is written when it is finished: upper layers erase lower nodes.
  LayerResult l0 = WriteLayer(box.tree, out, 0);
  BuildUpper(box.tree);
  LayerResult l1 = WriteLayer(box.tree, out, 1);
  CHECK(l0.digest != l1.digest);

  CHECK(Listing(BlobOf(out, l0)) ==
        "lrwxrwxrwx 0/0               0 1970-01-01 00:01 bin -> usr/bin\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:00 dev/\n"
        "crw-rw-rw- 0/0             1,3 1970-01-01 00:00 dev/null\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 etc/\n"
        "-rw-r--r-- 0/0              21 1970-01-01 00:01 etc/group\n"
        "-rw-r--r-- 0/0               5 1970-01-01 00:01 etc/motd\n"
        "-rw-r--r-- 0/0              58 1970-01-01 00:01 etc/passwd\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 usr/\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 usr/bin/\n"
        "-rwxr-xr-x 0/0               0 1970-01-01 00:01 usr/bin/ping\n"
        "-rwxr-xr-x 0/0              20 1970-01-01 00:01 usr/bin/tool\n"
        "hrwxr-xr-x 0/0               0 1970-01-01 00:01 usr/bin/tool-alias link to "
        "usr/bin/tool\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 usr/share/\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 usr/share/doc/\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 usr/share/doc/tool/\n"
        "-rw-r--r-- 0/0               4 1970-01-01 00:01 usr/share/doc/tool/COPYING\n"
        "-rw-r--r-- 0/0               8 1970-01-01 00:01 usr/share/doc/tool/README\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 var/\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 var/lib/\n"
        "drwxr-xr-x 0/0               0 1970-01-01 00:01 var/lib/app/\n");

  // Whiteouts first; no usr/, usr/bin/, etc/ or var/lib/ (they are below);
  // tool2 materialised with tool's content, tool3 linked to it.
  CHECK(Listing(BlobOf(out, l1)) ==
        "---------- 0/0               0 1970-01-01 00:00 dev/.wh.null\n"
        "---------- 0/0               0 1970-01-01 00:00 usr/share/.wh.doc\n"
        "-rw-r--r-- 0/0               6 1970-01-01 00:05 etc/motd\n"
        "-rwxr-xr-x 100/101          19 1970-01-01 00:05 usr/bin/app\n"
        "-rwxr-xr-x 0/0              20 1970-01-01 00:01 usr/bin/tool2\n"
        "hrwxr-xr-x 0/0               0 1970-01-01 00:01 usr/bin/tool3 link to "
        "usr/bin/tool2\n"
        "drwxr-xr-x 100/101           0 1970-01-01 00:05 var/lib/app/\n");
  CHECK(box.tree.Whiteouts(1) == std::set<std::string>{"dev/null", "usr/share/doc"});

  SECTION("python's tarfile reads the same entries") {
    CHECK(PyListing(BlobOf(out, l1)) ==
          "dev/.wh.null 0 0o0 0 \n"
          "usr/share/.wh.doc 0 0o0 0 \n"
          "etc/motd 0 0o644 6 \n"
          "usr/bin/app 0 0o755 19 \n"
          "usr/bin/tool2 0 0o755 20 \n"
          "usr/bin/tool3 1 0o755 0 usr/bin/tool2\n"
          "var/lib/app 5 0o755 0 \n");
  }
  SECTION("a hard link into a lower layer carries the target's content") {
    CHECK(Extract(BlobOf(out, l1), "usr/bin/tool2") == "#!/bin/sh\necho tool\n");
    CHECK(Extract(BlobOf(out, l1), "etc/motd") == "upper\n");
  }
  SECTION("owner names come from the tree's accounts in every layer") {
    auto r = RunCommand({"tar", "-tvzf", BlobOf(out, l1).string()}, {"TZ=UTC"});
    CHECK(r.out.find("-rwxr-xr-x app/app          19 1970-01-01 00:05 usr/bin/app\n") !=
          std::string::npos);
  }
  SECTION("an empty layer is just the end-of-archive blocks") {
    box.tree.BeginLayer(2);
    LayerResult l2 = WriteLayer(box.tree, out, 2);
    CHECK(l2.uncompressed_size == 10240);
    CHECK(Listing(BlobOf(out, l2)).empty());
  }
}

TEST_CASE("a layer read back from its blob writes the same layer again", "[oci][layers]") {
  testing::TreeFixture orig("oci-stack");
  BuildBase(orig.tree);
  const fs::path out = orig.dir.path() / "layout";
  LayerResult l0 = WriteLayer(orig.tree, out, 0);
  BuildUpper(orig.tree);
  LayerResult l1 = WriteLayer(orig.tree, out, 1);

  SECTION("bottom up, as an incremental build rebuilds its cached layers") {
    testing::TreeFixture copy("oci-stack-copy");
    rootfs::Tree& t = copy.tree;
    Status st = ReadLayerBlob(BlobOf(out, l0), t, 0, l0.digest);
    INFO((st.ok() ? "" : st.error().Render()));
    REQUIRE(st.ok());
    CHECK(t.current_layer() == 0);
    CHECK(WriteLayer(t, copy.dir.path() / "o", 0).digest == l0.digest);
    // Metadata, devices, xattrs, links and content survived.
    const rootfs::Node* ping = t.Find("usr/bin/ping");
    REQUIRE(ping);
    CHECK(ping->meta.xattrs.at("user.blob") ==
          std::string("\x01\x00\x00\x02\x00\x20", 6));
    CHECK(t.Find("dev/null")->meta.type == FileType::kCharDevice);
    CHECK(t.Find("dev/null")->meta.dev_minor == 3);
    CHECK(t.Find("usr/bin/tool-alias")->meta.type == FileType::kHardlink);
    CHECK(t.Find("usr/bin/tool-alias")->meta.link_target == "usr/bin/tool");
    CHECK(t.Find("bin")->meta.link_target == "usr/bin");
    CHECK(*t.ReadFile("bin/tool") == "#!/bin/sh\necho tool\n");

    st = ReadLayerBlob(BlobOf(out, l1), t, 1, l1.digest);
    INFO((st.ok() ? "" : st.error().Render()));
    REQUIRE(st.ok());
    LayerResult again = WriteLayer(t, copy.dir.path() / "o", 1);
    CHECK(again.diff_id == l1.diff_id);
    CHECK(again.digest == l1.digest);
    CHECK(t.Whiteouts(1) == std::set<std::string>{"dev/null", "usr/share/doc"});
    CHECK_FALSE(t.Find("usr/share/doc"));
    CHECK_FALSE(t.Find("dev/null"));
    CHECK(t.Find("usr/share"));
    CHECK(*t.ReadFile("etc/motd") == "upper\n");
    CHECK(*t.ReadFile("usr/bin/tool2") == "#!/bin/sh\necho tool\n");
    CHECK(t.Find("var/lib/app")->layer == 1);
    CHECK(t.Find("var/lib/app")->meta.uid == 100);
    CHECK(t.Find("usr/bin")->layer == 0);
  }
  SECTION("an upper layer alone: the parents it implies belong to no layer") {
    testing::TreeFixture copy("oci-stack-copy");
    rootfs::Tree& t = copy.tree;
    REQUIRE(ReadLayerBlob(BlobOf(out, l1), t, 1).ok());
    CHECK(t.Find("usr/bin")->layer == rootfs::kNoLayer);
    CHECK(t.Find("usr/bin/app")->layer == 1);
    // Owner names come from the full image's accounts, as in the first write.
    CHECK(WriteLayer(t, copy.dir.path() / "o", 1, &orig.tree).diff_id == l1.diff_id);
  }
  SECTION("a blob that does not hash to the expected digest is an integrity error") {
    testing::TreeFixture copy("oci-stack-copy");
    const std::string wrong = "sha256:" + std::string(64, '0');
    Status st = ReadLayerBlob(BlobOf(out, l0), copy.tree, 0, wrong);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().Render() ==
          fmt::format("reading layer 0 from '{0}': '{0}' has digest {1} (expected {2})",
                      BlobOf(out, l0).string(), l0.digest, wrong));
  }
  SECTION("a file that is not a layer is an integrity error, a missing one an io error") {
    testing::TreeFixture copy("oci-stack-copy");
    const fs::path junk = copy.dir.path() / "junk";
    REQUIRE(WriteFileAtomic(junk, std::string(3000, 'x')).ok());
    Status st = ReadLayerBlob(junk, copy.tree, 0);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    Status missing = ReadLayerBlob(copy.dir.path() / "nope", copy.tree, 0);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code() == Code::kIo);
  }
}

TEST_CASE("a foreign layer's opaque whiteout hides the lower directory's entries",
          "[oci][layers]") {
  testing::TreeFixture box("oci-stack");
  BuildBase(box.tree);
  const fs::path dir = box.dir.path();
  // GNU tar makes the foreign layer: an opaque whiteout and a new file.
  fs::create_directories(dir / "src/usr/share/doc/tool");
  REQUIRE(WriteFileAtomic(dir / "src/usr/share/doc/tool/.wh..wh..opq", "").ok());
  REQUIRE(WriteFileAtomic(dir / "src/usr/share/doc/tool/NEWS", "news\n").ok());
  auto r = RunCommand({"tar", "-czf", (dir / "foreign.tar.gz").string(), "-C",
                       (dir / "src").string(), "usr/share/doc/tool/.wh..wh..opq",
                       "usr/share/doc/tool/NEWS"});
  REQUIRE(r.exit_code == 0);
  REQUIRE(ReadLayerBlob(dir / "foreign.tar.gz", box.tree, 1).ok());
  CHECK_FALSE(box.tree.Find("usr/share/doc/tool/README"));
  CHECK_FALSE(box.tree.Find("usr/share/doc/tool/COPYING"));
  CHECK(*box.tree.ReadFile("usr/share/doc/tool/NEWS") == "news\n");
  CHECK(box.tree.Whiteouts(1) == std::set<std::string>{"usr/share/doc/tool/COPYING",
                                                       "usr/share/doc/tool/README"});
}

TEST_CASE("umoci unpacks a two-layer image: whiteouts remove, upper files win",
          "[oci][layers]") {
  testing::TreeFixture box("oci-stack");
  BuildBase(box.tree);
  const fs::path layout_dir = box.dir.path() / "image";
  auto layout = OciLayoutWriter::Open(layout_dir);
  REQUIRE(layout.ok());
  LayerOptions o0;
  o0.layer = 0;
  auto l0 = layout->AddLayer(box.tree, o0);
  REQUIRE(l0.ok());
  BuildUpper(box.tree);
  LayerOptions o1;
  o1.layer = 1;
  auto l1 = layout->AddLayer(box.tree, o1);
  REQUIRE(l1.ok());
  ImageConfigSpec spec;
  spec.arch = "x86_64";
  spec.epoch = 1700000000;
  auto image = layout->AddImage(spec, {*l0, *l1});
  REQUIRE(image.ok());
  CHECK(image->diff_ids == std::vector<std::string>{l0->diff_id, l1->diff_id});
  REQUIRE(layout->TagImages("stack", {*image}).ok());
  REQUIRE(layout->Commit().ok());

  const fs::path bundle = box.dir.path() / "bundle";
  auto r = RunCommand({"umoci", "unpack", "--rootless", "--image",
                       layout_dir.string() + ":stack", bundle.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const fs::path root = bundle / "rootfs";
  CHECK_FALSE(fs::exists(root / "usr/share/doc"));
  CHECK_FALSE(fs::exists(root / "dev/null"));
  CHECK(fs::is_directory(root / "usr/share"));
  CHECK(*ReadFile(root / "etc/motd") == "upper\n");
  CHECK(*ReadFile(root / "usr/bin/app") == "#!/bin/sh\necho app\n");
  CHECK(*ReadFile(root / "usr/bin/tool") == "#!/bin/sh\necho tool\n");
  CHECK(*ReadFile(root / "usr/bin/tool2") == "#!/bin/sh\necho tool\n");
  CHECK(*ReadFile(root / "etc/passwd") == *box.tree.ReadFile("etc/passwd"));
  CHECK(fs::read_symlink(root / "bin") == "usr/bin");
  struct stat a {}, b {};
  REQUIRE(::stat((root / "usr/bin/tool2").c_str(), &a) == 0);
  REQUIRE(::stat((root / "usr/bin/tool3").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);  // still one file within the upper layer
  // umoci records what it unpacked; no whiteout file itself reaches the rootfs.
  CHECK_FALSE(fs::exists(root / "usr/share/.wh.doc"));
  CHECK_FALSE(fs::exists(root / "dev/.wh.null"));
}

}  // namespace
}  // namespace cairn::oci
