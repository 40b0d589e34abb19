// disk::EditDisk and its parts. The [disk][edit] cases need no appliance:
// destination and operation parsing, reading host trees, the sparse copy and
// the checks made before anything is copied. The [guestfs] cases build a disk
// with WriteDiskImage, edit it (one launch each) and read the result back
// with host tools that do not use libguestfs (debugfs, e2fsck, mtools,
// fsck.vfat).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <regex>

#include <fmt/format.h>

#include "cairn/disk/edit.h"
#include "cairn/disk/image.h"
#include "output/disk/host_tree.h"
#include "output/disk/sparse_copy.h"
#include "support/tree_fixture.h"
#include "unit/output/disk/appliance_test_util.h"
#include "unit/output/disk/disk_test_util.h"

namespace cairn::disk {
namespace {

using namespace testutil;
using Kind = EditOp::Kind;

std::string UsageText(const Error& e) {
  CHECK(e.code() == Code::kUsage);
  return e.Render();
}

TEST_CASE("edit destinations: PART:/path or /path", "[disk][edit]") {
  EditTarget t = RequireValue(ParseEditTarget("/etc/motd"));
  CHECK(t.partition.empty());
  CHECK(t.path == "/etc/motd");
  CHECK(t.ToString() == "/etc/motd");
  t = RequireValue(ParseEditTarget("2:/"));
  CHECK(t.partition == "2");
  CHECK(t.path == "/");
  t = RequireValue(ParseEditTarget("cairn-root:/opt/app/"));
  CHECK(t.partition == "cairn-root");
  CHECK(t.path == "/opt/app/");
  CHECK(t.ToString() == "cairn-root:/opt/app/");

  CHECK(UsageText(ParseEditTarget("").error()) ==
        "the destination is empty (expected '/path' or 'PART:/path')");
  CHECK(UsageText(ParseEditTarget("etc/motd").error()) ==
        "destination 'etc/motd' is not an absolute path (expected '/path' or 'PART:/path', PART "
        "a partition number, name or label)");
  CHECK(UsageText(ParseEditTarget("2:etc").error()) ==
        "destination '2:etc': path 'etc' is not absolute");
  CHECK(UsageText(ParseEditTarget(":/etc").error()) ==
        "destination ':/etc' names no partition before ':'");
  CHECK(UsageText(ParseEditTarget("/opt/../etc").error()) ==
        "destination '/opt/../etc' has a '..' component");
  CHECK(ParseEditTarget("/opt/..x/etc").ok());
}

TEST_CASE("edit operations keep command-line order and --owner applies onwards",
          "[disk][edit]") {
  auto ops = RequireValue(ParseEditOps({{"output", "out.img"},
                                        {"copy-in", "out/app/oci:/var/lib/apps/app"},
                                        {"owner", "1000:100"},
                                        {"mkdir", "root:/home/user/x"},
                                        {"write", "2:/etc/hostname=dev=ice"},
                                        {"owner", "0:0"},
                                        {"delete", "/etc/motd"}}));
  REQUIRE(ops.size() == 4);
  CHECK(ops[0].kind == Kind::kCopyIn);
  CHECK(ops[0].source == "out/app/oci");
  CHECK(ops[0].dest.ToString() == "/var/lib/apps/app");
  CHECK(ops[0].uid == 0);
  CHECK(ops[1].kind == Kind::kMkdir);
  CHECK(ops[1].dest.partition == "root");
  CHECK((ops[1].uid == 1000 && ops[1].gid == 100));
  CHECK(ops[2].kind == Kind::kWrite);
  CHECK(ops[2].dest.ToString() == "2:/etc/hostname");
  CHECK(ops[2].text == "dev=ice");  // split at the first '='
  CHECK(ops[2].uid == 1000);
  CHECK(ops[3].kind == Kind::kDelete);
  CHECK(ops[3].uid == 0);

  CHECK(UsageText(ParseEditOps({{"copy-in", "app"}}).error()) ==
        "--copy-in 'app' is not SRC:DEST (e.g. out/app/oci:/var/lib/apps/app)");
  CHECK(UsageText(ParseEditOps({{"copy-in", "app:opt/app"}}).error()) ==
        "--copy-in 'app:opt/app': destination 'opt/app' is not an absolute path (expected "
        "'/path' or 'PART:/path', PART a partition number, name or label)");
  CHECK(UsageText(ParseEditOps({{"write", "/etc/hostname"}}).error()) ==
        "--write '/etc/hostname' is not DEST=TEXT (e.g. /etc/hostname=device)");
  CHECK(UsageText(ParseEditOps({{"owner", "root:0"}}).error()) ==
        "--owner 'root:0': the uid must be a number (UID:GID, e.g. 1000:1000)");
  CHECK(UsageText(ParseEditOps({{"owner", "1000"}}).error()) ==
        "--owner '1000' is not UID:GID (e.g. 1000:1000)");
  CHECK(UsageText(ParseEditOps({{"owner", "1:2"}}).error()) ==
        "nothing to do: give at least one of --copy-in, --mkdir, --delete, --write");
}

void SetMtime(const fs::path& p, int64_t t) {
  struct timespec ts[2] = {{t, 0}, {t, 0}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

void WriteHostFile(const fs::path& p, const std::string& content, mode_t mode, int64_t mtime) {
  fs::create_directories(p.parent_path());
  { std::ofstream(p, std::ios::binary) << content; }
  REQUIRE(::chmod(p.c_str(), mode) == 0);
  SetMtime(p, mtime);
}

// The source tree of the tests: modes, a symlink, a hard link, an empty
// directory, an mtime after the epoch.
fs::path MakeAppSource(const fs::path& dir) {
  fs::path app = dir / "app";
  WriteHostFile(app / "bin/run", "#!/bin/sh\necho app\n", 0755, 1600000000);
  WriteHostFile(app / "etc/app.conf", "key=value\n", 0640, 1900000000);  // clamped
  WriteHostFile(app / "data/blob", Payload(200000, 9), 0600, 1600000100);
  REQUIRE(::link((app / "bin/run").c_str(), (app / "bin/run-again").c_str()) == 0);
  fs::create_symlink("../etc/app.conf", app / "bin/conf-link");
  fs::create_directories(app / "empty");
  REQUIRE(::chmod((app / "empty").c_str(), 0700) == 0);
  SetMtime(app / "empty", 1600000200);
  SetMtime(app / "bin", 1600000300);
  return app;
}

TEST_CASE("host trees: modes kept, owners given, mtimes clamped, links kept", "[disk][edit]") {
  testing::TreeFixture f("edit-host-tree");
  fs::path app = MakeAppSource(f.dir.path());
  auto top = RequireValue(internal::AddHostPath(f.tree, app, "app",
                                                {.uid = 7, .gid = 8, .epoch = kEpoch}));
  CHECK(top.directory);
  const auto& n = f.tree.nodes();
  std::vector<std::string> paths;
  for (const auto& [path, node] : n) paths.push_back(path);
  CHECK(paths == std::vector<std::string>{"app", "app/bin", "app/bin/conf-link", "app/bin/run",
                                          "app/bin/run-again", "app/data", "app/data/blob",
                                          "app/empty", "app/etc", "app/etc/app.conf"});
  CHECK(n.at("app/bin/run").meta.mode == 0755);
  CHECK(n.at("app/bin/run").meta.uid == 7);
  CHECK(n.at("app/bin/run").meta.gid == 8);
  CHECK(n.at("app/bin/run").meta.mtime == 1600000000);
  CHECK(n.at("app/etc/app.conf").meta.mode == 0640);
  CHECK(n.at("app/etc/app.conf").meta.mtime == kEpoch);
  CHECK(n.at("app/bin/run-again").meta.type == rootfs::FileType::kHardlink);
  CHECK(n.at("app/bin/run-again").meta.link_target == "app/bin/run");
  CHECK(n.at("app/bin/conf-link").meta.type == rootfs::FileType::kSymlink);
  CHECK(n.at("app/bin/conf-link").meta.link_target == "../etc/app.conf");
  CHECK(n.at("app/empty").meta.mode == 0700);
  CHECK(n.at("app/empty").meta.mtime == 1600000200);
  CHECK(RequireValue(f.tree.ReadFile("app/data/blob")) == Payload(200000, 9));

  SECTION("a directory's contents at the top, or a single file under a new name") {
    rootfs::Tree contents(*f.store);
    RequireValue(internal::AddHostPath(contents, app, "", {}));
    CHECK(contents.Find("app") == nullptr);
    CHECK(contents.Find("bin/run") != nullptr);
    rootfs::Tree one(*f.store);
    auto file = RequireValue(internal::AddHostPath(one, app / "etc/app.conf", "renamed.conf", {}));
    CHECK_FALSE(file.directory);
    CHECK(one.nodes().size() == 1);
    CHECK(one.Find("renamed.conf")->meta.mtime == 1900000000);  // no epoch: kept
  }
  SECTION("a missing source") {
    auto missing = internal::AddHostPath(f.tree, f.dir.path() / "nope", "x", {});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code() == Code::kNotFound);
    CHECK(missing.error().Render() ==
          fmt::format("'{}' does not exist", (f.dir.path() / "nope").string()));
  }
}

TEST_CASE("CopySparse copies the bytes and keeps the holes", "[disk][edit]") {
  testing::ScratchDir dir("edit-sparse");
  fs::path from = dir.path() / "from.img", to = dir.path() / "to.img";
  {
    std::ofstream create(from);
    std::ofstream stale(to);
    stale << std::string(4096, 'z');  // replaced, not merged
  }
  REQUIRE(::truncate(from.c_str(), 256 * kMiB) == 0);
  {
    std::fstream io(from, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(kMiB);
    io << Payload(5000, 1);
    io.seekp(200 * kMiB);
    io << Payload(70000, 2);
  }
  RequireOk(internal::CopySparse(from, to));
  CHECK(fs::file_size(to) == 256 * kMiB);
  CHECK(Sha256Of(to) == Sha256Of(from));
  struct stat st {};
  REQUIRE(::stat(to.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 < 4 * kMiB);  // not 256 MiB of zeros
  auto missing = internal::CopySparse(dir.path() / "nope.img", to);
  CHECK(missing.error().code() == Code::kNotFound);
}

TEST_CASE("EditDisk checks its inputs before copying or starting anything", "[disk][edit]") {
  testing::ScratchDir dir("edit-precheck");
  fs::path img = dir.path() / "in.img";
  { std::ofstream(img) << "not really a disk"; }
  std::vector<EditOp> ops = {{.kind = Kind::kMkdir, .dest = {.path = "/x"}}};
  auto missing = EditDisk(dir.path() / "nope.img", dir.path() / "out.img", ops, {});
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().Render() ==
        fmt::format("editing '{0}/nope.img': no disk image at '{0}/nope.img'",
                    dir.path().string()));
  auto format = EditDisk(img, dir.path() / "out.qcow2", ops, {});
  CHECK(UsageText(format.error()) ==
        fmt::format("editing '{0}/in.img': '{0}/in.img' is raw and the output keeps its "
                    "format, but '{0}/out.qcow2' is named as qcow2\nhint: name the output "
                    "without .qcow2 (convert it afterwards with qemu-img)",
                    dir.path().string()));
  std::vector<EditOp> copy = {{.kind = Kind::kCopyIn, .dest = {.path = "/opt/app"},
                               .source = dir.path() / "no-such-app"}};
  auto source = EditDisk(img, dir.path() / "out.img", copy, {});
  CHECK(source.error().code() == Code::kNotFound);
  CHECK(source.error().Render() ==
        fmt::format("editing '{0}/in.img': copy-in '{0}/no-such-app' to '/opt/app': "
                    "'{0}/no-such-app' does not exist",
                    dir.path().string()));
  CHECK(Listing(dir.path()) == std::vector<std::string>{"in.img"});
}

// ---------------------------------------------------------------------------
// Through the appliance.

struct Ext4Stat {
  uint32_t type_bits = 0, mode = 0, uid = 0, gid = 0, links = 0;
  int64_t mtime = 0;
  uint64_t ino = 0;
};

// `debugfs -R stat` of a path in the ext4 at `offset` (times may carry
// nanoseconds here: the kernel wrote them).
std::optional<Ext4Stat> Ext4StatOf(const fs::path& image, uint64_t offset, const std::string& path) {
  auto r = RunCommand({"debugfs", "-R", "stat " + Quote(path), Spec(image, offset)});
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  if (!std::regex_search(r.out, m, std::regex(R"(Inode: (\d+)\s+Type: (\S+)\s+Mode:\s+([0-7]+))")))
    return std::nullopt;
  Ext4Stat s;
  s.ino = std::stoull(m[1]);
  const std::string type = m[2];
  s.type_bits = type == "regular" ? S_IFREG : type == "directory" ? S_IFDIR
              : type == "symlink" ? S_IFLNK : 0;
  s.mode = static_cast<uint32_t>(std::stoul(m[3], nullptr, 8));
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(User:\s+(\d+)\s+Group:\s+(\d+))")));
  s.uid = static_cast<uint32_t>(std::stoul(m[1]));
  s.gid = static_cast<uint32_t>(std::stoul(m[2]));
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(Links: (\d+))")));
  s.links = static_cast<uint32_t>(std::stoul(m[1]));
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(\bmtime: 0x([0-9a-f]+))")));
  s.mtime = std::stoll(m[1], nullptr, 16);
  return s;
}

std::string MtoolsType(const fs::path& image, uint64_t offset, const std::string& path) {
  auto r = RunCommand({"mtype", "-i", image.string() + "@@" + std::to_string(offset), "::" + path},
                      {"MTOOLS_SKIP_CHECK=1"});
  INFO(path << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

struct EditFixture {
  EditFixture() : f("edit-disk") {
    rootfs::Tree esp(*f.store);
    FillEspTree(esp);
    FillRootTree(f.tree);
    RequireOk(f.tree.AddFile("etc/os-release",
                             "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Edit Test 12\"\n"));
    RequireOk(f.tree.AddFile("etc/fstab",
                             "LABEL=cairn-root / ext4 defaults 0 1\n"
                             "LABEL=ESP /boot/efi vfat defaults 0 2\n"));
    RequireOk(f.tree.AddDirectory("boot/efi"));
    RequireOk(f.tree.AddFile("usr/bin/sh", "#!/bin/true\n", 0755));
    DiskLayout layout{.table = TableType::kGpt, .arch = "x86_64"};
    layout.partitions = {
        {.name = "esp", .role = PartitionRole::kEsp, .filesystem = Filesystem::kVfat,
         .size = PartitionSize::Fixed(40 * kMiB)},
        {.name = "root", .role = PartitionRole::kRoot, .filesystem = Filesystem::kExt4,
         .label = "cairn-root"},
    };
    disk = f.dir.path() / "in" / "vendor.img";
    plan = RequireValue(WriteDiskImage(layout, {{"esp", {.tree = &esp}}, {"root", {.tree = &f.tree}}},
                                       disk, {.epoch = kEpoch, .seed = "edit-seed"}));
    out_dir = f.dir.path() / "out";
    fs::create_directories(out_dir);
  }
  testing::TreeFixture f;
  fs::path disk, out_dir;
  DiskPlan plan;
};

TEST_CASE("EditDisk copies in, deletes, makes and writes, and the input stays as it was",
          "[disk][edit][guestfs]") {
  EditFixture x;
  fs::path app = MakeAppSource(x.f.dir.path() / "src");
  fs::path extra = x.f.dir.path() / "src" / "esp-extra";
  WriteHostFile(extra / "readme.txt", "on the ESP\n", 0644, 1600000000);
  WriteHostFile(extra / "sub/more.txt", "more\n", 0644, 1600000000);
  fs::path note = x.f.dir.path() / "src" / "note.txt";
  WriteHostFile(note, "for the user\n", 0600, 1600000000);
  const std::string sha_before = Sha256Of(x.disk);

  auto ops = RequireValue(ParseEditOps({
      {"copy-in", app.string() + ":cairn-root:/opt/app"},            // by label
      {"copy-in", extra.string() + ":1:/extra"},                     // by number, vfat
      {"delete", "cairn-root:/etc/motd"},
      {"owner", "1000:1000"},
      {"copy-in", note.string() + ":cairn-root:/home/user/"},        // into a directory
      {"owner", "0:0"},
      {"mkdir", "cairn-root:/var/lib/apps"},
      {"write", "/etc/hostname=device"},                             // the inspected OS
      {"write", "/boot/efi/hello.txt=hi"},                           // its fstab's ESP
      {"copy-in", (extra / "readme.txt").string() + ":esp:/EFI/readme.txt"},  // GPT name
  }));
  fs::path out = x.out_dir / "device.img";
  auto started = std::chrono::steady_clock::now();
  auto edited = EditDisk(x.disk, out, ops, {.epoch = kEpoch});
  if (!edited.ok() && SkipForLaunch(edited.error())) return;
  RequireOk(edited);
  WARN("EditDisk took " << SecondsSince(started) << " s (one launch)");

  CHECK(Sha256Of(x.disk) == sha_before);
  CHECK(Listing(x.out_dir) == std::vector<std::string>{"device.img"});
  CHECK(Listing(x.disk.parent_path()) == std::vector<std::string>{"vendor.img"});
  // The table is untouched.
  nlohmann::json table_in = SfdiskJson(x.disk), table_out = SfdiskJson(out);
  CHECK(table_out["id"] == table_in["id"]);
  REQUIRE(table_out["partitions"].size() == table_in["partitions"].size());
  for (size_t i = 0; i < table_in["partitions"].size(); ++i)
    for (const char* key : {"start", "size", "type", "uuid", "name"})
      CHECK(table_out["partitions"][i][key] == table_in["partitions"][i][key]);

  const PartitionPlan& root = *x.plan.Find("root");
  const PartitionPlan& esp = *x.plan.Find("esp");
  fs::path root_fs = x.f.dir.path() / "root.ext4";
  ExtractRange(out, root.offset, root.size, root_fs);
  auto fsck = RunCommand({"e2fsck", "-fn", root_fs.string()});
  INFO(fsck.out << fsck.err);
  CHECK(fsck.exit_code == 0);
  fs::remove(root_fs);

  auto stat = [&](const std::string& path) { return Ext4StatOf(out, root.offset, path); };
  auto run = stat("/opt/app/bin/run");
  REQUIRE(run);
  CHECK(run->type_bits == S_IFREG);
  CHECK(run->mode == 0755);
  CHECK((run->uid == 0 && run->gid == 0));
  CHECK(run->mtime == 1600000000);
  CHECK(run->links == 2);
  CHECK(stat("/opt/app/bin/run-again")->ino == run->ino);
  CHECK(DebugfsCat(out, root.offset, "/opt/app/bin/run") == "#!/bin/sh\necho app\n");
  auto conf = stat("/opt/app/etc/app.conf");
  CHECK(conf->mode == 0640);
  CHECK(conf->mtime == kEpoch);  // 1900000000 clamped
  CHECK(DebugfsCat(out, root.offset, "/opt/app/data/blob") == Payload(200000, 9));
  CHECK(stat("/opt/app/bin/conf-link")->type_bits == S_IFLNK);
  CHECK(stat("/opt/app/empty")->mode == 0700);
  CHECK(stat("/opt/app/empty")->mtime == 1600000200);
  auto top = stat("/opt/app");
  CHECK(top->type_bits == S_IFDIR);
  CHECK(top->uid == 0);

  CHECK_FALSE(stat("/etc/motd"));
  CHECK(stat("/etc/shadow"));  // its neighbour stays
  auto user_note = stat("/home/user/note.txt");
  REQUIRE(user_note);
  CHECK((user_note->uid == 1000 && user_note->gid == 1000));
  CHECK(user_note->mode == 0600);
  CHECK(stat("/home/user/notes.txt"));  // what was there stays
  auto apps = stat("/var/lib/apps");
  REQUIRE(apps);
  CHECK(apps->type_bits == S_IFDIR);
  CHECK(apps->uid == 0);
  CHECK(apps->mtime == kEpoch);
  CHECK(DebugfsCat(out, root.offset, "/etc/hostname") == "device");
  CHECK(stat("/etc/hostname")->mtime == kEpoch);

  CHECK(MtoolsType(out, esp.offset, "/extra/readme.txt") == "on the ESP\n");
  CHECK(MtoolsType(out, esp.offset, "/extra/sub/more.txt") == "more\n");
  CHECK(MtoolsType(out, esp.offset, "/hello.txt") == "hi");
  CHECK(MtoolsType(out, esp.offset, "/EFI/readme.txt") == "on the ESP\n");
  CHECK(MtoolsType(out, esp.offset, "/loader/loader.conf") == "timeout 0\ndefault cairn.conf\n");
  fs::path esp_fs = x.f.dir.path() / "esp.vfat";
  ExtractRange(out, esp.offset, esp.size, esp_fs);
  auto vfat = RunCommand({"fsck.vfat", "-n", esp_fs.string()});
  INFO(vfat.out << vfat.err);
  CHECK(vfat.exit_code == 0);
}

TEST_CASE("EditDisk: a partition that does not exist fails after the launch and leaves no output",
          "[disk][edit][guestfs]") {
  EditFixture x;
  const std::string sha_before = Sha256Of(x.disk);
  auto ops = RequireValue(ParseEditOps({{"mkdir", "cairn-root:/done-first"},
                                        {"write", "9:/etc/x=y"}}));
  fs::path out = x.out_dir / "device.img";
  auto edited = EditDisk(x.disk, out, ops, {});
  REQUIRE_FALSE(edited.ok());
  if (SkipForLaunch(edited.error())) return;
  CHECK(edited.error().code() == Code::kNotFound);
  CHECK(edited.error().Render() ==
        fmt::format("editing '{}': write '9:/etc/x': 'vendor.img' has no partition '9' "
                    "(partitions: 1 (name 'esp', label 'ESP', vfat), 2 (name 'root', label "
                    "'cairn-root', ext4))",
                    x.disk.string()));
  CHECK(Listing(x.out_dir).empty());
  CHECK(Sha256Of(x.disk) == sha_before);
}

}  // namespace
}  // namespace cairn::disk
