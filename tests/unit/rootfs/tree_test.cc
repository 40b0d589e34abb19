#include <catch2/catch.hpp>

#include <vector>

#include "cairn/digest.h"
#include "cairn/rootfs/tree.h"
#include "support/test_support.h"

namespace cairn::rootfs {
namespace {

struct Fixture {
  testing::ScratchDir dir{"tree"};
  std::unique_ptr<ContentStore> store = std::move(ContentStore::Create(dir.path()).value());
  Tree tree{*store};

  std::vector<std::string> Paths() const {
    std::vector<std::string> out;
    for (const auto& [path, node] : tree.nodes()) out.push_back(path);
    return out;
  }
};

TEST_CASE("tree creates missing parents as root-owned 0755 directories", "[rootfs]") {
  Fixture f;
  REQUIRE(f.tree.AddFile("usr/lib/os-release", "ID=x\n", 0644, 1, 2, 500).ok());
  REQUIRE(f.tree.AddFile("/usr/lib-extra/a", "", 0600).ok());
  CHECK(f.Paths() == std::vector<std::string>{"usr", "usr/lib", "usr/lib-extra",
                                              "usr/lib-extra/a", "usr/lib/os-release"});
  const Node* lib = f.tree.Find("usr/lib");
  REQUIRE(lib);
  CHECK(lib->meta.type == FileType::kDirectory);
  CHECK(lib->meta.mode == 0755);
  CHECK(lib->meta.uid == 0);
  CHECK(lib->meta.mtime == 500);
  const Node* file = f.tree.Find("usr/lib/os-release");
  REQUIRE(file);
  CHECK(file->meta.path == "usr/lib/os-release");
  CHECK(file->meta.uid == 1);
  CHECK(file->meta.gid == 2);
  CHECK(file->sha1 == Sha1("ID=x\n"));
  CHECK(*f.tree.ReadFile("usr/lib/os-release") == "ID=x\n");
  CHECK(f.tree.Find("usr/lib-extra/a")->sha1 == Sha1(""));
}

TEST_CASE("tree follows symlinked parents and never leaves the root", "[rootfs]") {
  Fixture f;
  REQUIRE(f.tree.AddDirectory("usr/bin").ok());
  REQUIRE(f.tree.AddDirectory("usr/sbin").ok());
  REQUIRE(f.tree.AddDirectory("etc").ok());
  REQUIRE(f.tree.AddSymlink("bin", "usr/bin").ok());
  REQUIRE(f.tree.AddSymlink("sbin", "/usr/sbin").ok());
  REQUIRE(f.tree.AddSymlink("x", "../../etc").ok());

  REQUIRE(f.tree.AddFile("bin/sh", "#!\n", 0755).ok());
  REQUIRE(f.tree.AddFile("sbin/init", "init", 0755).ok());
  REQUIRE(f.tree.AddFile("x/passwd", "root:x:0:0::/root:/bin/sh\n").ok());
  CHECK(f.tree.Find("usr/bin/sh"));
  CHECK(f.tree.Find("usr/sbin/init"));
  CHECK(f.tree.Find("etc/passwd"));
  CHECK_FALSE(f.tree.Find("bin/sh"));
  CHECK(f.tree.Find("bin")->meta.type == FileType::kSymlink);
  CHECK(f.tree.Find("bin")->sha1 == Sha1("usr/bin"));

  SECTION("a directory added over a symlink to a directory keeps the symlink") {
    REQUIRE(f.tree.AddDirectory("bin", 0700).ok());
    CHECK(f.tree.Find("bin")->meta.type == FileType::kSymlink);
    CHECK(f.tree.Find("usr/bin")->meta.mode == 0755);
  }
  SECTION("a dangling symlinked parent gets its destination created") {
    REQUIRE(f.tree.AddSymlink("lib64", "usr/lib64").ok());
    REQUIRE(f.tree.AddFile("lib64/ld.so", "elf").ok());
    CHECK(f.tree.Find("usr/lib64")->meta.type == FileType::kDirectory);
    CHECK(f.tree.Find("usr/lib64/ld.so"));
  }
  SECTION("a file as a parent is an integrity error") {
    auto st = f.tree.AddFile("bin/sh/oops", "");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() ==
          "cannot place 'bin/sh/oops': 'usr/bin/sh' is a regular file, not a directory");
  }
}

TEST_CASE("tree resolves symlinks in every component, chroot style", "[rootfs]") {
  Fixture f;
  REQUIRE(f.tree.AddDirectory("usr/bin").ok());
  REQUIRE(f.tree.AddFile("usr/bin/busybox", "bb", 0755).ok());
  REQUIRE(f.tree.AddSymlink("bin", "usr/bin").ok());
  REQUIRE(f.tree.AddSymlink("usr/bin/sh", "busybox").ok());
  REQUIRE(f.tree.AddSymlink("usr/bin/ash", "/bin/sh").ok());
  REQUIRE(f.tree.AddSymlink("up", "../../../usr/./bin/").ok());
  REQUIRE(f.tree.AddSymlink("loop1", "loop2").ok());
  REQUIRE(f.tree.AddSymlink("loop2", "/loop1").ok());

  CHECK(*f.tree.Resolve("bin/sh") == "usr/bin/busybox");
  CHECK(*f.tree.Resolve("/bin/ash") == "usr/bin/busybox");
  CHECK(*f.tree.Resolve("up/ash") == "usr/bin/busybox");
  CHECK(*f.tree.Resolve("../../etc/../bin") == "usr/bin");
  CHECK(*f.tree.Resolve("bin/missing/deeper") == "usr/bin/missing/deeper");
  CHECK(*f.tree.Resolve("") == "");
  CHECK(*f.tree.ReadFile("/bin/ash") == "bb");

  auto loop = f.tree.Resolve("loop1/x");
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.error().code() == Code::kIntegrity);
  CHECK(loop.error().message() == "too many levels of symbolic links resolving 'loop1/x'");

  auto missing = f.tree.ReadFile("etc/passwd");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() == "'etc/passwd' does not exist in the tree");
  auto dir = f.tree.ReadFile("bin");
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.error().code() == Code::kNotFound);
  CHECK(dir.error().message() == "'bin' is a directory, not a regular file");
}

TEST_CASE("tree keeps or replaces existing entries", "[rootfs]") {
  Fixture f;
  FsEntry dir;
  dir.path = "var/lib";
  dir.type = FileType::kDirectory;
  dir.mode = 0750;
  REQUIRE(f.tree.Add(dir, nullptr, /*owner=*/1).ok());
  REQUIRE(f.tree.AddFile("var/lib/db", "x").ok());

  SECTION("same owner updates the directory's metadata, another owner does not") {
    dir.mode = 0700;
    REQUIRE(f.tree.Add(dir, nullptr, 2).ok());
    CHECK(f.tree.Find("var/lib")->meta.mode == 0750);
    REQUIRE(f.tree.Add(dir, nullptr, 1).ok());
    CHECK(f.tree.Find("var/lib")->meta.mode == 0700);
    CHECK(f.tree.Find("var/lib/db"));
  }
  SECTION("a file replacing a directory drops its subtree") {
    REQUIRE(f.tree.AddFile("var/lib", "now a file").ok());
    CHECK(f.tree.Find("var/lib")->meta.type == FileType::kRegular);
    CHECK_FALSE(f.tree.Find("var/lib/db"));
  }
  SECTION("a file replaces a file and a symlink") {
    REQUIRE(f.tree.AddFile("var/lib/db", "new").ok());
    CHECK(*f.tree.ReadFile("var/lib/db") == "new");
    REQUIRE(f.tree.AddSymlink("var/link", "lib/db").ok());
    REQUIRE(f.tree.AddFile("var/link", "plain").ok());
    CHECK(f.tree.Find("var/link")->meta.type == FileType::kRegular);
    CHECK(*f.tree.ReadFile("var/lib/db") == "new");
  }
}

TEST_CASE("tree hard links share their target's content", "[rootfs]") {
  Fixture f;
  REQUIRE(f.tree.AddDirectory("usr/bin").ok());
  REQUIRE(f.tree.AddSymlink("bin", "usr/bin").ok());
  REQUIRE(f.tree.AddFile("usr/bin/gzip", "gz", 0755).ok());
  FsEntry link;
  link.path = "usr/bin/gunzip";
  link.type = FileType::kHardlink;
  link.link_target = "bin/gzip";
  REQUIRE(f.tree.Add(link, nullptr).ok());
  const Node* n = f.tree.Find("usr/bin/gunzip");
  REQUIRE(n);
  CHECK(n->meta.link_target == "usr/bin/gzip");
  CHECK(n->meta.size == 2);
  CHECK(n->sha1 == Sha1("gz"));
  CHECK(*f.tree.ReadFile("usr/bin/gunzip") == "gz");

  link.link_target = "usr/bin/nothere";
  auto st = f.tree.Add(link, nullptr);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIntegrity);
  CHECK(st.error().message() ==
        "hard link 'usr/bin/gunzip' points to 'usr/bin/nothere', which is not a regular file "
        "in the tree");
}

TEST_CASE("tree places files whose content was spooled beforehand", "[rootfs]") {
  Fixture f;
  auto blob = f.store->AppendBytes("spooled\n");
  REQUIRE(blob.ok());
  REQUIRE(f.tree.AddSymlink("bin", "usr/bin").ok());
  FsEntry e;
  e.path = "bin/tool";
  e.mode = 0755;
  e.size = 8;
  REQUIRE(f.tree.AddStored(e, {*blob, Sha1("spooled\n")}, 4).ok());
  const Node* n = f.tree.Find("usr/bin/tool");  // placed through the symlinked parent
  REQUIRE(n);
  CHECK(n->owner == 4);
  CHECK(n->meta.mode == 0755);
  CHECK(n->sha1 == Sha1("spooled\n"));
  CHECK(*f.tree.ReadFile("bin/tool") == "spooled\n");

  e.size = 9;  // does not match the blob
  auto st = f.tree.AddStored(e, {*blob, ""}, 4);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kInternal);
  e.size = 8;
  e.type = FileType::kSymlink;
  CHECK_FALSE(f.tree.AddStored(e, {*blob, ""}, 4).ok());
}

TEST_CASE("tree rejects bad paths and missing content", "[rootfs]") {
  Fixture f;
  auto up = f.tree.AddFile("a/../../etc/shadow", "");
  REQUIRE_FALSE(up.ok());
  CHECK(up.error().code() == Code::kIntegrity);
  CHECK(up.error().message() == "path 'a/../../etc/shadow' leaves the root ('..' component)");

  auto root = f.tree.AddFile("/", "");
  REQUIRE_FALSE(root.ok());
  CHECK(root.error().message() == "cannot place a regular file at the root directory");
  CHECK(f.tree.AddDirectory("./").ok());
  CHECK(f.tree.nodes().empty());

  FsEntry e;
  e.path = "f";
  e.size = 3;
  auto none = f.tree.Add(e, nullptr);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code() == Code::kInternal);
  CHECK(none.error().message() == "no content given for 'f' (3 bytes expected)");

  std::string data = "ab";
  size_t pos = 0;
  ContentReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
    size_t n = std::min(cap, data.size() - pos);
    std::copy_n(data.data() + pos, n, buf);
    pos += n;
    return n;
  };
  auto short_content = f.tree.Add(e, &reader);
  REQUIRE_FALSE(short_content.ok());
  CHECK(short_content.error().Render() == "storing 'f': content is 2 bytes, expected 3 bytes");
  CHECK_FALSE(f.tree.Find("f"));
}

TEST_CASE("tree removes a path with its subtree only", "[rootfs]") {
  Fixture f;
  REQUIRE(f.tree.AddFile("usr/share/doc/a/README", "r").ok());
  REQUIRE(f.tree.AddFile("usr/share/doc-base/x", "x").ok());
  REQUIRE(f.tree.AddFile("usr/share/doc0", "0").ok());
  REQUIRE(f.tree.AddSymlink("doc", "usr/share/doc").ok());
  f.tree.Remove("doc/a");  // through a symlinked parent
  CHECK_FALSE(f.tree.Find("usr/share/doc/a"));
  CHECK(f.tree.Find("usr/share/doc"));
  f.tree.Remove("/usr/share/doc");
  CHECK(f.Paths() == std::vector<std::string>{"doc", "usr", "usr/share", "usr/share/doc-base",
                                              "usr/share/doc-base/x", "usr/share/doc0"});
  f.tree.Remove("doc");  // the symlink itself, not its target
  CHECK_FALSE(f.tree.Find("doc"));
  f.tree.Remove("not/there");
  CHECK(f.tree.nodes().size() == 5);
}

TEST_CASE("tree clamps mtimes to the epoch", "[rootfs]") {
  Fixture f;
  REQUIRE(f.tree.AddFile("old", "", 0644, 0, 0, 100).ok());
  REQUIRE(f.tree.AddFile("new", "", 0644, 0, 0, 9000).ok());
  REQUIRE(f.tree.AddSymlink("link", "new", 5000).ok());
  f.tree.ClampMtimes(1000);
  CHECK(f.tree.Find("old")->meta.mtime == 100);
  CHECK(f.tree.Find("new")->meta.mtime == 1000);
  CHECK(f.tree.Find("link")->meta.mtime == 1000);
}

TEST_CASE("tree memory does not hold file content", "[rootfs]") {
  Fixture f;
  // 8 MiB through the store; the node records only offset and size.
  FsEntry e;
  e.path = "big";
  e.size = 8 << 20;
  uint64_t pos = 0;
  ContentReader zeros = [&](char* buf, size_t cap) -> Result<size_t> {
    size_t n = static_cast<size_t>(std::min<uint64_t>(cap, e.size - pos));
    std::fill_n(buf, n, '\0');
    pos += n;
    return n;
  };
  REQUIRE(f.tree.Add(e, &zeros).ok());
  const Node* n = f.tree.Find("big");
  CHECK(n->content.size == (8u << 20));
  char buf[16];
  CHECK(*f.store->ReadAt(n->content, (8 << 20) - 4, buf, sizeof buf) == 4);
}

}  // namespace
}  // namespace cairn::rootfs
