#include "cairn/effects/tmpfiles.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kShipped = 1600000000;
constexpr int64_t kNow = 1700000000;

// The tmpfiles.d files systemd's postinst passes to `systemd-tmpfiles --create`.
const std::vector<std::string> kSystemdConfs = {
    "debian.conf",          "home.conf",          "journal-nocow.conf", "legacy.conf",
    "provision.conf",       "systemd-network.conf", "systemd-nologin.conf",
    "systemd-pstore.conf",  "systemd-tmp.conf",   "systemd.conf",       "tmp.conf",
    "var.conf",             "x11.conf"};

std::string ReadHost(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One path as both sides see it: "d 2755 0:999", "l ../run", "f 0644 0:0 <content>".
using Listing = std::map<std::string, std::string>;

// What mmdebstrap keeps: the real tool's /run (but /run/lock), /tmp and
// /var/tmp content is left out of the comparison.
bool Compared(const std::string& p) {
  auto under = [&](const std::string& root) {
    return p.size() > root.size() && p.compare(0, root.size() + 1, root + "/") == 0;
  };
  if (p == "run/lock" || under("run/lock")) return true;
  return !under("run") && !under("tmp") && !under("var/tmp");
}

std::string Describe(char type, uint32_t mode, uint32_t uid, uint32_t gid,
                     const std::string& extra) {
  std::ostringstream out;
  out << type << ' ';
  if (type != 'l') out << std::oct << mode << std::dec << ' ';
  out << uid << ':' << gid << ' ';
  out << extra;
  return out.str();
}

Listing ListHost(const fs::path& root) {
  Listing out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(root).string();
    struct stat st;
    REQUIRE(lstat(it->path().c_str(), &st) == 0);
    const uint32_t mode = st.st_mode & 07777;
    if (!Compared(rel)) continue;
    if (S_ISLNK(st.st_mode))
      out[rel] = Describe('l', 0, st.st_uid, st.st_gid, fs::read_symlink(it->path()).string());
    else if (S_ISDIR(st.st_mode))
      out[rel] = Describe('d', mode, st.st_uid, st.st_gid, "");
    else
      out[rel] = Describe('f', mode, st.st_uid, st.st_gid, ReadHost(it->path()));
  }
  return out;
}

struct Stage {
  cairn::testing::ScratchDir dir{"tmpfiles"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  fs::path root = dir.path() / "root";
  std::vector<std::string> log;

  Stage() { fs::create_directories(root); }

  void Dir(const std::string& path, uint32_t mode = 0755, uint32_t gid = 0) {
    REQUIRE(tree.AddDirectory(path, mode, 0, gid, kShipped).ok());
    fs::create_directories(root / path);
    REQUIRE(chown((root / path).c_str(), 0, gid) == 0);
    fs::permissions(root / path, static_cast<fs::perms>(mode));
  }
  void Link(const std::string& path, const std::string& target) {
    REQUIRE(tree.AddSymlink(path, target, kShipped).ok());
    fs::create_symlink(target, root / path);
  }
  void File(const std::string& path, const std::string& text, uint32_t mode = 0644) {
    REQUIRE(tree.AddFile(path, text, mode, 0, 0, kShipped).ok());
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path, std::ios::binary) << text;
    fs::permissions(root / path, static_cast<fs::perms>(mode));
  }
  // A bookworm "essential + systemd" root just before systemd's postinst
  // runs systemd-tmpfiles (after its `mkdir -p /var/log/journal`).
  void Bookworm() {
    for (const char* d : {"etc", "home", "srv", "usr", "usr/lib", "usr/share", "usr/share/doc",
                          "usr/share/doc/systemd", "var", "var/cache", "var/lib", "var/log",
                          "var/log/journal", "var/spool", "run", "run/lock", "dev", "proc"})
      Dir(d);
    Dir("root", 0700);
    Dir("tmp", 01777);
    Dir("var/tmp", 01777);
    Dir("usr/lib/tmpfiles.d");
    Link("lib", "usr/lib");
    File("etc/passwd",
         "root:x:0:0:root:/root:/bin/bash\n"
         "systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n");
    File("etc/group", "root:x:0:\nadm:x:4:\nutmp:x:43:\nsystemd-journal:x:999:\n"
                      "systemd-network:x:998:\n");
    File("etc/machine-id", "uninitialized\n", 0444);
    File("usr/share/doc/systemd/README.logs", "journal\n");
    for (const auto& conf : kSystemdConfs)
      File("usr/lib/tmpfiles.d/" + conf,
           ReadHost(cairn::testing::TestData() / "effects/tmpfiles" / conf));
  }
  void RunReal(const std::vector<std::string>& confs) {
    std::vector<std::string> argv = {"systemd-tmpfiles", "--root=" + root.string(), "--create"};
    argv.insert(argv.end(), confs.begin(), confs.end());
    auto r = cairn::testing::RunCommand(argv);
    INFO(r.err);
    // 65 (EX_DATAERR) for the lines it could not apply, like ours logs.
    REQUIRE((r.exit_code == 0 || r.exit_code == 65 || r.exit_code == 73));
  }
  Listing ListTree() {
    Listing out;
    for (const auto& [path, node] : tree.nodes()) {
      if (!Compared(path)) continue;
      const auto& m = node.meta;
      if (m.type == rootfs::FileType::kSymlink)
        out[path] = Describe('l', 0, m.uid, m.gid, m.link_target);
      else if (m.type == rootfs::FileType::kDirectory)
        out[path] = Describe('d', m.mode, m.uid, m.gid, "");
      else
        out[path] = Describe('f', m.mode, m.uid, m.gid, tree.ReadFile(path).value());
    }
    return out;
  }
  void CompareWithReal() {
    Listing real = ListHost(root);
    Listing ours = ListTree();
    for (const auto& [path, what] : real) {
      INFO(path);
      CHECK(ours.count(path) == 1);
      if (ours.count(path)) CHECK(ours[path] == what);
    }
    for (const auto& [path, what] : ours) {
      INFO(path);
      CHECK(real.count(path) == 1);
    }
  }
  const rootfs::Node& Node(const std::string& path) {
    const rootfs::Node* node = tree.Find(path);
    INFO(path);
    REQUIRE(node);
    return *node;
  }
};

TEST_CASE("ApplyTmpfiles with systemd's postinst list matches systemd-tmpfiles 252",
          "[effects][tmpfiles]") {
  Stage s;
  s.Bookworm();
  REQUIRE(ApplyTmpfiles(s.tree, kSystemdConfs, kNow, &s.log).ok());
  s.RunReal(kSystemdConfs);
  s.CompareWithReal();

  // What mmdebstrap's bookworm image shows, spelled out.
  CHECK(s.Node("etc/mtab").meta.link_target == "../proc/self/mounts");
  CHECK(s.Node("var/log/README").meta.link_target == "../../usr/share/doc/systemd/README.logs");
  CHECK(s.Node("var/lock").meta.link_target == "../run/lock");
  CHECK(s.Node("var/run").meta.link_target == "../run");
  CHECK(s.Node("root/.ssh").meta.mode == 0700);
  CHECK(s.Node("root").meta.mode == 0700);
  CHECK(s.Node("run/lock/subsys").meta.mode == 0755);
  for (const char* p : {"var/cache/private", "var/lib/private", "var/log/private"})
    CHECK(s.Node(p).meta.mode == 0700);
  CHECK(s.Node("var/lib/systemd/coredump").meta.mode == 0755);
  CHECK(s.Node("var/lib/systemd/pstore").meta.mode == 0755);
  const auto& journal = s.Node("var/log/journal").meta;
  CHECK(journal.mode == 02755);
  CHECK(journal.gid == 999);
  const auto& wtmp = s.Node("var/log/wtmp").meta;
  CHECK(wtmp.mode == 0664);
  CHECK(wtmp.gid == 43);
  CHECK(wtmp.mtime == kNow);
  CHECK(s.Node("var/log/btmp").meta.mode == 0660);
  CHECK(s.tree.Find("run/shm") == nullptr);
  CHECK(s.tree.Find("run/user") == nullptr);
  CHECK(s.tree.Find("run/systemd") == nullptr);
  CHECK(s.tree.Find("etc/hosts") == nullptr);

  auto logged = [&](const std::string& line) {
    return std::find(s.log.begin(), s.log.end(), line) != s.log.end();
  };
  CHECK(logged("tmpfiles: /usr/lib/tmpfiles.d/debian.conf:11: skipping '/run/shm': emptied at "
               "boot"));
  CHECK(logged("tmpfiles: /usr/lib/tmpfiles.d/legacy.conf:25: skipping boot-only line for "
               "'/forcefsck'"));
  CHECK(logged("tmpfiles: /usr/lib/tmpfiles.d/provision.conf:13: skipping credential line for "
               "'/etc/motd.d/50-provision.conf'"));
  CHECK(logged("tmpfiles: /usr/lib/tmpfiles.d/systemd.conf:23: skipping '%m' needs a machine id "
               "and etc/machine-id has none"));
  CHECK(logged("tmpfiles: /usr/lib/tmpfiles.d/var.conf:14: set '/var/log/journal' "
               "to mode 2755 owner 0:999") == false);
  CHECK(logged("tmpfiles: /usr/lib/tmpfiles.d/systemd.conf:28: set '/var/log/journal' to mode "
               "2755 owner 0:999"));
  CHECK(logged("tmpfiles: /usr/lib/tmpfiles.d/legacy.conf:13: created symlink '/var/lock' -> "
               "'../run/lock'"));
}

TEST_CASE("ApplyTmpfiles with no names reads every tmpfiles.d, etc overriding usr/lib",
          "[effects][tmpfiles]") {
  Stage s;
  s.Bookworm();
  s.Dir("etc/tmpfiles.d");
  // A local override replaces the packaged legacy.conf by name; x11.conf is masked.
  s.File("etc/tmpfiles.d/legacy.conf", "d /var/lib/local 0750 root adm -\n");
  s.Link("etc/tmpfiles.d/x11.conf", "/dev/null");
  s.File("usr/lib/tmpfiles.d/zz-extra.conf", "f /etc/extra 0600 - - - one\\ttwo\n");
  REQUIRE(ApplyTmpfiles(s.tree, {}, kNow, &s.log).ok());
  s.RunReal({});
  s.CompareWithReal();
  CHECK(s.tree.Find("var/log/README") == nullptr);
  CHECK(s.Node("var/lib/local").meta.mode == 0750);
  CHECK(s.Node("var/lib/local").meta.gid == 4);
  CHECK(s.tree.ReadFile("etc/extra").value() == "one\ttwo");
}

TEST_CASE("ApplyTmpfiles line types and modifiers match systemd-tmpfiles 252",
          "[effects][tmpfiles]") {
  Stage s;
  s.Dir("etc");
  s.Dir("root");
  s.Dir("usr");
  s.Dir("usr/lib");
  s.Dir("usr/lib/tmpfiles.d");
  s.Dir("usr/share");
  s.Dir("usr/share/tpl");
  s.File("usr/share/tpl/a", "alpha\n", 0640);
  s.Link("usr/share/tpl/b", "a");
  s.Dir("etc/old", 0700);
  s.File("etc/old/keep", "x", 0600);
  s.File("etc/trunc", "old content\n", 0600);
  s.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  s.File("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nsvc:x:100:101::/:/bin/false\n");
  s.File("etc/group", "root:x:0:\nsvcg:x:101:\nsystemd-journal:x:999:\n");
  s.File("usr/lib/tmpfiles.d/t.conf",
         "# comment\n"
         "f /etc/q1 0600 svc svcg - \"hello world\"\n"
         "f /etc/q2 - - - - a\\tb\\x41 %h %U %u %G %g %% %o-%w\n"
         "f /etc/q3 0644 nosuch - -\n"
         "d- /root :0700 root :root -\n"
         "d /etc/dd 2755 - systemd-journal\n"
         "z /etc/dd ~0640\n"
         "L /etc/l1\n"
         "L /etc/group - - - - elsewhere\n"
         "L+ /etc/old - - - - ../usr/share/tpl\n"
         "C /etc/copy - - - - /usr/share/tpl\n"
         "C /etc/missing - - - - /nonexistent\n"
         "f+ /etc/trunc - - - - new\n"
         "f /etc/q1 0644\n"
         "Z /etc/copy 0700 svc\n"
         "z /etc/q* 0604\n"
         "f /etc/sub/dir/x 0644 - - - y\n"
         "y /etc/bad\n");
  REQUIRE(ApplyTmpfiles(s.tree, {"t.conf"}, kNow, &s.log).ok());
  s.RunReal({"t.conf"});
  s.CompareWithReal();

  CHECK(s.tree.ReadFile("etc/q1").value() == "\"hello world\"");
  CHECK(s.tree.ReadFile("etc/q2").value() == "a\tbA /root 0 root 0 root % debian-12");
  CHECK(s.Node("etc/q1").meta.mode == 0604);
  CHECK(s.Node("etc/q1").meta.uid == 100);
  CHECK(s.Node("etc/q1").meta.gid == 101);
  CHECK(s.tree.Find("etc/q3") == nullptr);
  CHECK(s.Node("root").meta.mode == 0755);
  CHECK(s.Node("etc/dd").meta.mode == 0640);  // '~' keeps only bits the line has
  CHECK(s.Node("etc/l1").meta.link_target == "/usr/share/factory/etc/l1");
  CHECK(s.Node("etc/old").meta.link_target == "../usr/share/tpl");
  CHECK(s.tree.Find("etc/old/keep") == nullptr);
  CHECK(s.tree.ReadFile("etc/trunc").value() == "new");
  CHECK(s.Node("etc/copy/a").meta.mode == 0700);
  CHECK(s.Node("etc/copy/a").meta.uid == 100);
  CHECK(s.Node("etc/copy/a").meta.mtime == kShipped);
  CHECK(s.Node("etc/copy/b").meta.link_target == "a");
  CHECK(s.tree.ReadFile("etc/copy/a").value() == "alpha\n");
  CHECK(s.Node("etc/sub/dir").meta.mode == 0755);
  CHECK(s.log == std::vector<std::string>{
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:4: skipping unknown user 'nosuch' "
                     "(expected a name in etc/passwd or a number)",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:14: skipping duplicate line for "
                     "'/etc/q1'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:18: skipping unknown type 'y'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:2: created file '/etc/q1'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:3: created file '/etc/q2'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:6: created directory '/etc/dd'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:7: set '/etc/dd' to mode 0640 owner "
                     "0:999",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:8: created symlink '/etc/l1' -> "
                     "'/usr/share/factory/etc/l1'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:9: skipping '/etc/group': it exists "
                     "and is not a symlink to 'elsewhere'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:10: created symlink '/etc/old' -> "
                     "'../usr/share/tpl'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:11: copied '/usr/share/tpl' to "
                     "'/etc/copy'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:15: set '/etc/copy' to mode 0700 "
                     "owner 100:0",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:15: set '/etc/copy/a' to mode 0700 "
                     "owner 100:0",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:15: set '/etc/copy/b' to mode 0777 "
                     "owner 100:0",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:12: skipping '/etc/missing': copy "
                     "source '/nonexistent' does not exist",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:13: truncated file '/etc/trunc'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:17: created file '/etc/sub/dir/x'",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:16: set '/etc/q1' to mode 0604 owner "
                     "100:101",
                     "tmpfiles: /usr/lib/tmpfiles.d/t.conf:16: set '/etc/q2' to mode 0604 owner "
                     "0:0",
                 });
}

TEST_CASE("ApplyTmpfiles uses a real machine id and names a missing config",
          "[effects][tmpfiles]") {
  Stage s;
  s.Dir("etc");
  s.Dir("usr/lib/tmpfiles.d");
  s.File("etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
  s.File("usr/lib/tmpfiles.d/m.conf", "d /var/log/journal/%m 2755 0 0 -\nd /run/x\n");
  REQUIRE(ApplyTmpfiles(s.tree, {"m.conf", "absent.conf"}, kNow, &s.log).ok());
  CHECK(s.Node("var/log/journal/0123456789abcdef0123456789abcdef").meta.mode == 02755);
  CHECK(s.Node("var/log/journal").meta.mode == 0755);
  CHECK(s.tree.Find("run/x") == nullptr);
  CHECK(s.log ==
        std::vector<std::string>{
            "tmpfiles: skipping 'absent.conf': not found in any tmpfiles.d directory",
            "tmpfiles: /usr/lib/tmpfiles.d/m.conf:1: created directory "
            "'/var/log/journal/0123456789abcdef0123456789abcdef'",
            "tmpfiles: /usr/lib/tmpfiles.d/m.conf:2: skipping '/run/x': emptied at boot",
        });
}

}  // namespace
}  // namespace cairn::effects
