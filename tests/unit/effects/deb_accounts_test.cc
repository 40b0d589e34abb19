// Tests for the Debian account effects. Where the host has the real tool, the
// same input goes through both and the files must match byte for byte:
// update-passwd (base-passwd), pwconv/grpconv/groupadd (passwd; -R chroots,
// so those checks need root), systemd-sysusers (systemd). adduser cannot run
// on a directory, so its output was recorded once in tests/data/effects/adduser.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cairn/effects/deb_accounts.h"
#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;
using cairn::testing::CommandResult;
using cairn::testing::RunCommand;
using cairn::testing::ScratchDir;

// base-passwd 3.6.1 (Debian 12): usr/share/base-passwd/{passwd,group}.master.
constexpr const char* kPasswdMaster =
    "root:*:0:0:root:/root:/bin/bash\n"
    "daemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bin:*:2:2:bin:/bin:/usr/sbin/nologin\n"
    "sys:*:3:3:sys:/dev:/usr/sbin/nologin\n"
    "sync:*:4:65534:sync:/bin:/bin/sync\n"
    "games:*:5:60:games:/usr/games:/usr/sbin/nologin\n"
    "man:*:6:12:man:/var/cache/man:/usr/sbin/nologin\n"
    "lp:*:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\n"
    "mail:*:8:8:mail:/var/mail:/usr/sbin/nologin\n"
    "news:*:9:9:news:/var/spool/news:/usr/sbin/nologin\n"
    "uucp:*:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin\n"
    "proxy:*:13:13:proxy:/bin:/usr/sbin/nologin\n"
    "www-data:*:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "backup:*:34:34:backup:/var/backups:/usr/sbin/nologin\n"
    "list:*:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin\n"
    "irc:*:39:39:ircd:/run/ircd:/usr/sbin/nologin\n"
    "_apt:*:42:65534::/nonexistent:/usr/sbin/nologin\n"
    "nobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
constexpr const char* kGroupMaster =
    "root:*:0:\ndaemon:*:1:\nbin:*:2:\nsys:*:3:\nadm:*:4:\ntty:*:5:\ndisk:*:6:\nlp:*:7:\n"
    "mail:*:8:\nnews:*:9:\nuucp:*:10:\nman:*:12:\nproxy:*:13:\nkmem:*:15:\ndialout:*:20:\n"
    "fax:*:21:\nvoice:*:22:\ncdrom:*:24:\nfloppy:*:25:\ntape:*:26:\nsudo:*:27:\naudio:*:29:\n"
    "dip:*:30:\nwww-data:*:33:\nbackup:*:34:\noperator:*:37:\nlist:*:38:\nirc:*:39:\nsrc:*:40:\n"
    "shadow:*:42:\nutmp:*:43:\nvideo:*:44:\nsasl:*:45:\nplugdev:*:46:\nstaff:*:50:\n"
    "games:*:60:\nusers:*:100:\nnogroup:*:65534:\n";
// The settings pwconv reads from Debian 12's etc/login.defs (package login).
constexpr const char* kLoginDefs =
    "# excerpt\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\n#SYS_UID_MIN\t100\n";
constexpr int64_t kEpoch = 1700000000;  // 2023-11-14, day 19675

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool HaveTool(const std::string& name) {
  return RunCommand({"sh", "-c", "command -v " + name}).exit_code == 0;
}

// The check is a failure, not a skip, when the tool is missing.
#define REQUIRE_TOOL(name, package)                                                                \
  do {                                                                                             \
    if (!HaveTool(name)) FAIL(name " is not installed: install the Debian package '" package "'"); \
  } while (0)

// pwconv/grpconv -R call chroot(2).
#define REQUIRE_ROOT_FOR(tool)                                                                    \
  do {                                                                                            \
    if (::geteuid() != 0) FAIL(tool " -R chroots, which needs root: run the unit tests as root"); \
  } while (0)

struct Fixture {
  ScratchDir dir{"deb-accounts"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};

  void Add(const std::string& path, const std::string& text, uint32_t mode = 0644, uint32_t uid = 0,
           uint32_t gid = 0) {
    REQUIRE(tree.AddFile(path, text, mode, uid, gid, 1).ok());
  }
  void AddBasePasswd() {
    Add("usr/share/base-passwd/passwd.master", kPasswdMaster);
    Add("usr/share/base-passwd/group.master", kGroupMaster);
  }
  void AddPasswdPackage() {
    Add("usr/sbin/pwconv",
        "\x7f"
        "ELF",
        0755);
    Add("etc/login.defs", kLoginDefs);
  }
  std::string Read(const std::string& path) {
    auto text = tree.ReadFile(path);
    INFO(path);
    REQUIRE(text.ok());
    return *text;
  }
  // "0640 0:42 @1700000000"
  std::string Meta(const std::string& path) {
    const rootfs::Node* n = tree.Find(path);
    INFO(path);
    REQUIRE(n);
    return fmt::format("{:04o} {}:{} @{}", n->meta.mode, n->meta.uid, n->meta.gid, n->meta.mtime);
  }
  // Writes the tree's directories, regular files and symlinks below `root`.
  void Export(const fs::path& root) {
    fs::create_directories(root);
    for (const auto& [path, node] : tree.nodes()) {
      fs::path p = root / path;
      switch (node.meta.type) {
        case rootfs::FileType::kDirectory:
          fs::create_directories(p);
          break;
        case rootfs::FileType::kSymlink:
          fs::create_symlink(node.meta.link_target, p);
          break;
        case rootfs::FileType::kRegular:
          Spit(p, tree.ReadFile(path).value());
          fs::permissions(p, static_cast<fs::perms>(node.meta.mode & 07777));
          break;
        default:
          break;
      }
    }
  }
};

const char* const kDatabases[] = {"passwd", "group", "shadow", "gshadow"};

// Every account database in the tree equals the host file (or both are absent).
void CheckSameDatabases(Fixture& f, const fs::path& root, bool check_modes) {
  for (const char* name : kDatabases) {
    INFO("etc/" << name);
    fs::path host = root / "etc" / name;
    const rootfs::Node* node = f.tree.Find(std::string("etc/") + name);
    REQUIRE(fs::exists(host) == (node != nullptr));
    if (!node) continue;
    CHECK(f.Read(std::string("etc/") + name) == Slurp(host));
    if (check_modes) {
      struct stat st {};
      REQUIRE(::stat(host.c_str(), &st) == 0);
      CHECK(fmt::format("{:04o}", node->meta.mode) == fmt::format("{:04o}", st.st_mode & 07777));
    }
  }
}

// ---------------------------------------------------------------------------
// base-passwd

TEST_CASE("ApplyBasePasswd creates etc/passwd and etc/group from the masters", "[effects][deb]") {
  Fixture f;
  f.AddBasePasswd();
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  CHECK(f.Read("etc/passwd") == kPasswdMaster);
  CHECK(f.Read("etc/group") == kGroupMaster);
  CHECK(f.Meta("etc/passwd") == "0644 0:0 @1700000000");
  CHECK(f.Meta("etc/group") == "0644 0:0 @1700000000");
  CHECK(f.tree.Find("etc/shadow") == nullptr);
}

TEST_CASE("ApplyBasePasswd does nothing without base-passwd's master files", "[effects][deb]") {
  Fixture f;
  f.Add("usr/share/base-passwd/passwd.master", kPasswdMaster);  // group.master missing
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  CHECK(f.tree.Find("etc/passwd") == nullptr);
  CHECK(f.tree.Find("etc/group") == nullptr);
}

TEST_CASE("ApplyBasePasswd adds missing master entries as update-passwd does", "[effects][deb]") {
  REQUIRE_TOOL("update-passwd", "base-passwd");
  Fixture f;
  f.AddBasePasswd();
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/bash\nfoo:x:1000:1000::/home/foo:/bin/sh\n";
  const std::string group = "root:x:0:\nfoo:x:1000:alice\n";
  f.Add("etc/passwd", passwd, 0600, 0, 7);
  f.Add("etc/group", group);
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());

  ScratchDir host("update-passwd");
  Spit(host.path() / "passwd", passwd);
  Spit(host.path() / "group", group);
  Spit(host.path() / "passwd.master", kPasswdMaster);
  Spit(host.path() / "group.master", kGroupMaster);
  auto p = [&](const char* n) { return (host.path() / n).string(); };
  auto run = RunCommand({"update-passwd", "-L", "-p", p("passwd.master"), "-g", p("group.master"),
                         "-P", p("passwd"), "-G", p("group"), "-S", p("shadow")});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(f.Read("etc/passwd") == Slurp(host.path() / "passwd"));
  CHECK(f.Read("etc/group") == Slurp(host.path() / "group"));
  // Existing files keep their owner and mode.
  CHECK(f.Meta("etc/passwd") == "0600 0:7 @1700000000");
  CHECK(Lines(f.Read("etc/passwd")).size() == 19);
  CHECK(Lines(f.Read("etc/passwd"))[2] == "daemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin");
}

TEST_CASE("ApplyBasePasswd never changes an existing line and is idempotent", "[effects][deb]") {
  Fixture f;
  f.AddBasePasswd();
  // update-passwd would change bin's shell to /usr/sbin/nologin; we keep it.
  f.Add("etc/passwd", "bin:x:2:2:bin:/bin:/bin/false\n");
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  auto lines = Lines(f.Read("etc/passwd"));
  REQUIRE(lines.size() == 18);
  CHECK(lines[0] == "bin:x:2:2:bin:/bin:/bin/false");
  CHECK(lines[1] == "root:*:0:0:root:/root:/bin/bash");
  CHECK(f.Read("etc/group") == kGroupMaster);
  const std::string before = f.Read("etc/passwd");
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch + 86400).ok());
  CHECK(f.Read("etc/passwd") == before);
  CHECK(f.Meta("etc/passwd") == "0644 0:0 @1700000000");  // not rewritten
  CHECK(f.Meta("etc/group") == "0644 0:0 @1700000000");
}

// ---------------------------------------------------------------------------
// passwd: shadowconfig on

TEST_CASE("ApplyShadow does nothing without the passwd package", "[effects][deb]") {
  Fixture f;
  f.AddBasePasswd();
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  REQUIRE(ApplyShadow(f.tree, kEpoch).ok());
  CHECK(f.tree.Find("etc/shadow") == nullptr);
  CHECK(f.tree.Find("etc/gshadow") == nullptr);
  CHECK(f.Read("etc/passwd") == kPasswdMaster);
}

TEST_CASE("ApplyShadow converts base-passwd's files like pwconv and grpconv", "[effects][deb]") {
  REQUIRE_TOOL("pwconv", "passwd");
  REQUIRE_ROOT_FOR("pwconv");
  Fixture f;
  f.AddBasePasswd();
  f.AddPasswdPackage();
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  ScratchDir host("pwconv");
  const fs::path root = host.path() / "root";
  f.Export(root);
  for (const char* tool : {"pwconv", "grpconv"}) {
    auto run =
        RunCommand({tool, "-R", root.string()}, {fmt::format("SOURCE_DATE_EPOCH={}", kEpoch)});
    INFO(tool << ": " << run.err);
    REQUIRE(run.exit_code == 0);
  }

  REQUIRE(ApplyShadow(f.tree, kEpoch).ok());
  CheckSameDatabases(f, root, /*check_modes=*/false);
  // What Debian images have: shadowconfig's owners and modes.
  CHECK(f.Meta("etc/passwd") == "0644 0:0 @1700000000");
  CHECK(f.Meta("etc/group") == "0644 0:0 @1700000000");
  CHECK(f.Meta("etc/shadow") == "0640 0:42 @1700000000");
  CHECK(f.Meta("etc/gshadow") == "0640 0:42 @1700000000");
  auto shadow = Lines(f.Read("etc/shadow"));
  REQUIRE(shadow.size() == 18);
  CHECK(shadow[0] == "root:*:19675:0:99999:7:::");
  CHECK(shadow[17] == "nobody:*:19675:0:99999:7:::");
  CHECK(Lines(f.Read("etc/passwd"))[0] == "root:x:0:0:root:/root:/bin/bash");
  CHECK(Lines(f.Read("etc/gshadow"))[0] == "root:*::");
  CHECK(Lines(f.Read("etc/group"))[0] == "root:x:0:");
}

TEST_CASE("ApplyShadow merges into existing shadow files like pwconv and grpconv",
          "[effects][deb]") {
  REQUIRE_TOOL("pwconv", "passwd");
  REQUIRE_ROOT_FOR("pwconv");
  Fixture f;
  f.Add("usr/sbin/pwconv", "", 0755);  // no login.defs: no aging fields
  f.Add("etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\n"
        "alice:$6$salt$hash:1000:1000::/home/alice:/bin/bash\n"
        "bob:x:1001:1001::/home/bob:/bin/sh\n"
        "carol:*:1002:1002::/home/carol:/bin/sh\n");
  f.Add("etc/shadow",
        "ghost:!:19000::::::\n"
        "root:$6$r$h:19000:0:99999:7:::\n"
        "carol:!:19000:1:2:3:::\n",
        0640, 0, 42);
  f.Add("etc/group", "root:x:0:\nshadow:x:42:\nusers:x:100:alice,bob\nstaff:!:50:carol\n");
  f.Add("etc/gshadow", "users:!:admin:old\nstale:!::\n", 0640, 0, 42);
  ScratchDir host("pwconv-merge");
  const fs::path root = host.path() / "root";
  f.Export(root);
  for (const char* tool : {"pwconv", "grpconv"}) {
    auto run =
        RunCommand({tool, "-R", root.string()}, {fmt::format("SOURCE_DATE_EPOCH={}", kEpoch)});
    INFO(tool << ": " << run.err);
    REQUIRE(run.exit_code == 0);
  }

  REQUIRE(ApplyShadow(f.tree, kEpoch).ok());
  CheckSameDatabases(f, root, /*check_modes=*/false);
  CHECK(f.Read("etc/shadow") ==
        "root:$6$r$h:19000:0:99999:7:::\n"
        "carol:*:19675:1:2:3:::\n"
        "alice:$6$salt$hash:19675::::::\n"
        "bob:x:19675::::::\n");
  CHECK(f.Read("etc/passwd") ==
        "root:x:0:0:root:/root:/bin/bash\n"
        "alice:x:1000:1000::/home/alice:/bin/bash\n"
        "bob:x:1001:1001::/home/bob:/bin/sh\n"
        "carol:x:1002:1002::/home/carol:/bin/sh\n");
  CHECK(f.Read("etc/gshadow") == "users:!:admin:alice,bob\nroot:x::\nshadow:x::\nstaff:!::carol\n");
  CHECK(f.Read("etc/group") ==
        "root:x:0:\nshadow:x:42:\nusers:x:100:alice,bob\nstaff:x:50:carol\n");
}

TEST_CASE("ApplyShadow adds group shadow as the passwd postinst does", "[effects][deb]") {
  REQUIRE_TOOL("groupadd", "passwd");
  REQUIRE_ROOT_FOR("grpconv");
  Fixture f;
  f.AddPasswdPackage();
  f.Add("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  f.Add("etc/group", "root:x:0:\nusers:x:100:\n");
  ScratchDir host("groupadd");
  const fs::path root = host.path() / "root";
  f.Export(root);
  std::vector<std::vector<std::string>> steps = {
      {"groupadd", "-P", root.string(), "-g", "42", "shadow"},
      {"pwconv", "-R", root.string()},
      {"grpconv", "-R", root.string()}};
  for (const auto& argv : steps) {
    auto run = RunCommand(argv, {fmt::format("SOURCE_DATE_EPOCH={}", kEpoch)});
    INFO(argv[0] << ": " << run.err);
    REQUIRE(run.exit_code == 0);
  }
  REQUIRE(ApplyShadow(f.tree, kEpoch).ok());
  CheckSameDatabases(f, root, /*check_modes=*/false);
  CHECK(f.Read("etc/group") == "root:x:0:\nusers:x:100:\nshadow:x:42:\n");
  CHECK(f.Read("etc/gshadow") == "root:x::\nusers:x::\nshadow:x::\n");
  CHECK(f.Meta("etc/shadow") == "0640 0:42 @1700000000");
}

TEST_CASE("ApplyShadow is idempotent", "[effects][deb]") {
  Fixture f;
  f.AddBasePasswd();
  f.AddPasswdPackage();
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  REQUIRE(ApplyShadow(f.tree, kEpoch).ok());
  std::vector<std::string> before;
  for (const char* name : kDatabases)
    before.push_back(f.Read(std::string("etc/") + name) + f.Meta(std::string("etc/") + name));
  REQUIRE(ApplyShadow(f.tree, kEpoch + 5 * 86400).ok());
  std::vector<std::string> after;
  for (const char* name : kDatabases)
    after.push_back(f.Read(std::string("etc/") + name) + f.Meta(std::string("etc/") + name));
  CHECK(after == before);
}

TEST_CASE("ApplyShadow fixes owner and mode of unchanged files", "[effects][deb]") {
  Fixture f;
  f.AddPasswdPackage();
  f.Add("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0600, 5, 5);
  f.Add("etc/group", "root:x:0:\nshadow:x:42:\n");
  f.Add("etc/shadow", "root:*:1:0:99999:7:::\n", 0600);
  f.Add("etc/gshadow", "root:*::\nshadow:*::\n", 0600);
  REQUIRE(ApplyShadow(f.tree, kEpoch).ok());
  CHECK(f.Meta("etc/passwd") == "0644 0:0 @1");
  CHECK(f.Meta("etc/shadow") == "0640 0:42 @1");
  CHECK(f.Meta("etc/gshadow") == "0640 0:42 @1");
  CHECK(f.Read("etc/shadow") == "root:*:1:0:99999:7:::\n");
}

TEST_CASE("ApplyShadow reports missing databases and a taken gid 42", "[effects][deb]") {
  Fixture f;
  f.AddPasswdPackage();
  SECTION("no etc/group") {
    f.Add("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    auto status = ApplyShadow(f.tree, kEpoch);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == Code::kNotFound);
    CHECK(status.error().Render() ==
          "package passwd (postinst): cannot convert to shadow passwords: 'etc/group' does not "
          "exist");
  }
  SECTION("gid 42 belongs to another group") {
    f.Add("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    f.Add("etc/group", "root:x:0:\nlocal:x:42:\n");
    auto status = ApplyShadow(f.tree, kEpoch);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == Code::kIntegrity);
    CHECK(status.error().Render() ==
          "package passwd (postinst): cannot add group 'shadow' with gid 42: the gid is already "
          "used by group 'local'");
    CHECK(f.tree.Find("etc/shadow") == nullptr);
  }
}

// ---------------------------------------------------------------------------
// adduser --system

SystemAccountRequest Request(const std::string& user) {
  SystemAccountRequest r;
  r.user = user;
  r.create_home = false;
  r.source = "package test (postinst)";
  return r;
}

// base-passwd + passwd installed, as in every Debian image.
void PrepareDebianBase(Fixture& f) {
  f.AddBasePasswd();
  f.AddPasswdPackage();
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  REQUIRE(ApplyShadow(f.tree, kEpoch).ok());
}

TEST_CASE("AddSystemAccount and AddSystemGroup write what adduser 3.134 writes", "[effects][deb]") {
  Fixture f;
  PrepareDebianBase(f);
  auto ok = [](const Status& s) {
    INFO((s.ok() ? "" : s.error().Render()));
    REQUIRE(s.ok());
  };
  ok(AddSystemGroup(f.tree, "_ssh", std::nullopt, "package openssh-client (postinst)", kEpoch));
  ok(AddSystemAccount(f.tree, Request("messagebus"), kEpoch));
  ok(AddSystemGroup(f.tree, "ssl-cert", std::nullopt, "", kEpoch));
  auto postgres = Request("postgres");
  postgres.home = "/var/lib/postgresql";
  postgres.shell = "/bin/bash";
  postgres.gecos = "PostgreSQL administrator";
  postgres.extra_groups = {"ssl-cert"};
  ok(AddSystemAccount(f.tree, postgres, kEpoch));
  ok(AddSystemGroup(f.tree, "uuidd", std::nullopt, "", kEpoch));
  auto uuidd = Request("uuidd");
  uuidd.group = "uuidd";
  uuidd.create_group = false;
  uuidd.home = "/run/uuidd";
  ok(AddSystemAccount(f.tree, uuidd, kEpoch));
  auto plain = Request("plain");
  plain.create_group = false;
  ok(AddSystemAccount(f.tree, plain, kEpoch));
  auto fixed = Request("fixed");
  fixed.uid = 500;
  ok(AddSystemAccount(f.tree, fixed, kEpoch));
  auto commas = Request("commas");
  commas.create_group = false;
  commas.gecos = "a,b,c,d,e";
  ok(AddSystemAccount(f.tree, commas, kEpoch));
  auto ingid = Request("ingid");
  ingid.create_group = false;
  ingid.gid = 100;
  ok(AddSystemAccount(f.tree, ingid, kEpoch));
  ok(AddSystemGroup(f.tree, "g700", 700, "", kEpoch));
  ok(AddSystemAccount(f.tree, Request("messagebus"), kEpoch + 86400));  // exists: no change

  const fs::path expected = cairn::testing::TestData() / "effects" / "adduser";
  for (const char* name : kDatabases) {
    INFO("etc/" << name);
    CHECK(f.Read(std::string("etc/") + name) == Slurp(expected / name));
  }
  CHECK(f.Meta("etc/shadow") == "0640 0:42 @1700000000");
  CHECK(f.Meta("etc/passwd") == "0644 0:0 @1700000000");
  CHECK(f.tree.Find("var/lib/postgresql") == nullptr);  // --no-create-home
}

TEST_CASE("AddSystemAccount creates the home directory like adduser", "[effects][deb]") {
  Fixture f;
  PrepareDebianBase(f);
  auto req = Request("svc");
  req.create_home = true;
  req.home = "/var/lib/svc/home";
  REQUIRE(AddSystemAccount(f.tree, req, kEpoch + 7).ok());
  // Like adduser: the first free uid and, separately, the first free gid
  // (100 is 'users').
  CHECK(f.Meta("var/lib/svc/home") == "0755 100:101 @1700000007");
  CHECK(f.Meta("var/lib/svc") == "0755 0:0 @1700000007");
  CHECK(Lines(f.Read("etc/passwd")).back() == "svc:x:100:101::/var/lib/svc/home:/usr/sbin/nologin");

  auto none = Request("nohome");
  none.create_home = true;  // still never under /nonexistent
  none.home = "//nonexistent/x";
  REQUIRE(AddSystemAccount(f.tree, none, kEpoch).ok());
  CHECK(f.tree.Find("nonexistent") == nullptr);

  auto existing = Request("keeper");
  existing.create_home = true;
  existing.home = "/srv/keep";
  REQUIRE(f.tree.AddDirectory("srv/keep", 0700, 9, 9, 3).ok());
  REQUIRE(AddSystemAccount(f.tree, existing, kEpoch).ok());
  CHECK(f.Meta("srv/keep") == "0700 9:9 @3");
}

TEST_CASE("AddSystemAccount without shadow files keeps '!' in etc/passwd", "[effects][deb]") {
  Fixture f;
  f.AddBasePasswd();
  REQUIRE(ApplyBasePasswd(f.tree, kEpoch).ok());
  REQUIRE(AddSystemAccount(f.tree, Request("early"), kEpoch).ok());
  CHECK(Lines(f.Read("etc/passwd")).back() == "early:!:100:101::/nonexistent:/usr/sbin/nologin");
  CHECK(Lines(f.Read("etc/group")).back() == "early:x:101:");
  CHECK(f.tree.Find("etc/shadow") == nullptr);
  CHECK(f.tree.Find("etc/gshadow") == nullptr);
}

TEST_CASE("AddSystemAccount applies extra groups to an existing user", "[effects][deb]") {
  Fixture f;
  PrepareDebianBase(f);
  auto req = Request("www-data");
  req.extra_groups = {"users", "staff"};
  REQUIRE(AddSystemAccount(f.tree, req, kEpoch + 86400).ok());
  auto group = f.Read("etc/group");
  CHECK(group.find("\nusers:x:100:www-data\n") != std::string::npos);
  CHECK(group.find("\nstaff:x:50:www-data\n") != std::string::npos);
  CHECK(f.Read("etc/gshadow").find("\nusers:*::www-data\n") != std::string::npos);
  CHECK(f.Read("etc/passwd").find("www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n") !=
        std::string::npos);
  // Again: already a member, nothing changes.
  REQUIRE(AddSystemAccount(f.tree, req, kEpoch + 2 * 86400).ok());
  CHECK(f.Read("etc/group") == group);
  CHECK(f.Meta("etc/group") == "0644 0:0 @1700086400");
}

TEST_CASE("AddSystemAccount rejects impossible requests", "[effects][deb]") {
  Fixture f;
  PrepareDebianBase(f);
  const std::string passwd_before = f.Read("etc/passwd");
  auto req = Request("foo");
  std::string rendered;
  Code code = Code::kInternal;
  auto fail = [&](const SystemAccountRequest& r) {
    auto status = AddSystemAccount(f.tree, r, kEpoch);
    REQUIRE_FALSE(status.ok());
    rendered = status.error().Render();
    code = status.error().code();
  };
  SECTION("missing primary group") {
    req.create_group = false;
    req.group = "nope";
    fail(req);
    CHECK(code == Code::kNotFound);
    CHECK(rendered ==
          "package test (postinst): primary group 'nope' of system user 'foo' does not exist");
  }
  SECTION("missing primary gid") {
    req.create_group = false;
    req.gid = 4242;
    fail(req);
    CHECK(code == Code::kNotFound);
    CHECK(rendered ==
          "package test (postinst): primary gid 4242 of system user 'foo' does not exist");
  }
  SECTION("taken uid") {
    req.uid = 33;
    fail(req);
    CHECK(code == Code::kIntegrity);
    CHECK(
        rendered ==
        "package test (postinst): uid 33 for system user 'foo' is already used by user 'www-data'");
  }
  SECTION("gid of the new group taken") {
    req.uid = 420;
    req.gid = 42;
    fail(req);
    CHECK(code == Code::kIntegrity);
    CHECK(rendered ==
          "package test (postinst): gid 42 for group 'foo' is already used by group 'shadow'");
  }
  SECTION("missing extra group") {
    req.extra_groups = {"users", "nope"};
    fail(req);
    CHECK(code == Code::kNotFound);
    CHECK(rendered ==
          "package test (postinst): cannot add user 'foo' to group 'nope': the group does not "
          "exist");
  }
  SECTION("digits-only name") {
    req.user = "1234";
    fail(req);
    CHECK(code == Code::kConfig);
    CHECK(rendered ==
          "package test (postinst): invalid user name '1234': it consists only of digits");
  }
  SECTION("name with a space") {
    req.user = "a b";
    fail(req);
    CHECK(code == Code::kConfig);
    CHECK(rendered ==
          "package test (postinst): invalid user name 'a b': expected letters, digits, '_', '.', "
          "'@' and '-' (and an optional final '$')");
  }
  SECTION("relative home") {
    req.home = "var/lib/foo";
    fail(req);
    CHECK(code == Code::kConfig);
    CHECK(rendered ==
          "package test (postinst): home directory 'var/lib/foo' of system user 'foo' "
          "is not an absolute path");
  }
  SECTION("gecos chfn refuses") {
    req.gecos = "Foo=Bar";
    fail(req);
    CHECK(code == Code::kConfig);
    CHECK(rendered ==
          "package test (postinst): gecos 'Foo=Bar' of system user 'foo': chfn does "
          "not allow '=' in the full name");
  }
  SECTION("group and gid both name the primary group") {
    req.create_group = false;
    req.group = "users";
    req.gid = 100;
    fail(req);
    CHECK(code == Code::kConfig);
    CHECK(rendered ==
          "package test (postinst): system user 'foo': give the primary group as "
          "group 'users' or as gid 100, not both");
  }
  SECTION("no free uid") {
    std::string text = passwd_before;
    for (int uid = 100; uid <= 999; ++uid)
      text += fmt::format("u{0}:x:{0}:100::/:/bin/false\n", uid);
    f.Add("etc/passwd", text);
    fail(req);
    CHECK(code == Code::kIntegrity);
    CHECK(rendered == "package test (postinst): no free uid in 100-999 for system user 'foo'");
    CHECK(f.Read("etc/passwd") == text);
    return;
  }
  CHECK(f.Read("etc/passwd") == passwd_before);
  CHECK(f.Read("etc/group").find("foo") == std::string::npos);
}

TEST_CASE("AddSystemGroup leaves existing groups alone and rejects a taken gid", "[effects][deb]") {
  Fixture f;
  PrepareDebianBase(f);
  const std::string group = f.Read("etc/group");
  REQUIRE(AddSystemGroup(f.tree, "staff", 700, "", kEpoch + 86400).ok());
  CHECK(f.Read("etc/group") == group);
  CHECK(f.Meta("etc/group") == "0644 0:0 @1700000000");
  auto status = AddSystemGroup(f.tree, "kvm", 43, "package udev (postinst)", kEpoch);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == Code::kIntegrity);
  CHECK(status.error().Render() ==
        "package udev (postinst): gid 43 for system group 'kvm' is already used by group 'utmp'");
  REQUIRE(AddSystemGroup(f.tree, "kvm", std::nullopt, "", kEpoch).ok());
  CHECK(Lines(f.Read("etc/group")).back() == "kvm:x:101:");
  CHECK(Lines(f.Read("etc/gshadow")).back() == "kvm:!::");
}

// ---------------------------------------------------------------------------
// systemd-sysusers

// Debian 12's systemd 252 and dbus/polkitd ship these in usr/lib/sysusers.d.
constexpr const char* kBasicConf =
    "# generated from /usr/share/base-passwd/{passwd,group}.master\n"
    "g adm        4     -\ng tty        5     -\ng disk       6     -\ng man        12    -\n"
    "g kmem       15    -\ng dialout    20    -\ng fax        21    -\ng voice      22    -\n"
    "g cdrom      24    -\ng floppy     25    -\ng tape       26    -\ng sudo       27    -\n"
    "g audio      29    -\ng dip        30    -\ng operator   37    -\ng src        40    -\n"
    "g shadow     42    -\ng utmp       43    -\ng video      44    -\ng sasl       45    -\n"
    "g plugdev    46    -\ng staff      50    -\ng games      60    -\ng users      100   -\n"
    "g nogroup    65534 -\n\n"
    "u root       0       - /root                /bin/bash\n"
    "u daemon     1       - /usr/sbin            /usr/sbin/nologin\n"
    "u bin        2       - /bin                 /usr/sbin/nologin\n"
    "u sys        3       - /dev                 /usr/sbin/nologin\n"
    "u sync       4:65534 - /bin                 /bin/sync\n"
    "u games      5:60    - /usr/games           /usr/sbin/nologin\n"
    "u man        6:12    - /var/cache/man       /usr/sbin/nologin\n"
    "u lp         7       - /var/spool/lpd       /usr/sbin/nologin\n"
    "u mail       8       - /var/mail            /usr/sbin/nologin\n"
    "u news       9       - /var/spool/news      /usr/sbin/nologin\n"
    "u uucp       10      - /var/spool/uucp      /usr/sbin/nologin\n"
    "u proxy      13      - /bin                 /usr/sbin/nologin\n"
    "u www-data   33      - /var/www             /usr/sbin/nologin\n"
    "u backup     34      - /var/backups         /usr/sbin/nologin\n"
    "u list       38      - /var/list            /usr/sbin/nologin\n"
    "u irc        39      - /run/ircd            /usr/sbin/nologin\n"
    "u _apt       42:65534 - /nonexistent         /usr/sbin/nologin\n"
    "u nobody     65534:65534 - /nonexistent         /usr/sbin/nologin\n";
constexpr const char* kDbusConf =
    "# sysusers.d snippet for creating the D-Bus system user automatically\n"
    "# at boot on systemd-based systems that ship with an unpopulated\n"
    "# /etc. See sysusers.d(5) for details.\n\n"
    "u messagebus - \"System Message Bus\"\n";
constexpr const char* kPolkitdConf = "u polkitd - \"polkit\" /nonexistent\n";
constexpr const char* kJournalConf = "#  This file is part of systemd.\n\ng systemd-journal - -\n";
constexpr const char* kNetworkConf = "u systemd-network - \"systemd Network Management\"\n";
constexpr const char* kTimesyncConf = "u systemd-timesync - \"systemd Time Synchronization\"\n";

void AddDebianSysusers(Fixture& f) {
  f.Add("usr/lib/sysusers.d/basic.conf", kBasicConf);
  f.Add("usr/lib/sysusers.d/dbus.conf", kDbusConf);
  f.Add("usr/lib/sysusers.d/polkitd.conf", kPolkitdConf);
  f.Add("usr/lib/sysusers.d/systemd-journal.conf", kJournalConf);
  f.Add("usr/lib/sysusers.d/systemd-network.conf", kNetworkConf);
  f.Add("usr/lib/sysusers.d/systemd-timesync.conf", kTimesyncConf);
}

// Runs systemd-sysusers --root on an export of the tree, then ApplySysusers
// on the tree with the same "today", and compares files, modes and messages.
void CheckAgainstSysusers(Fixture& f) {
  REQUIRE_TOOL("systemd-sysusers", "systemd");
  ScratchDir host("sysusers");
  const fs::path root = host.path() / "root";
  f.Export(root);
  int64_t now = 0;
  CommandResult run;
  // systemd-sysusers dates shadow entries with the real clock: retry if the
  // run straddles midnight UTC.
  for (int attempt = 0; attempt < 2; ++attempt) {
    now = std::time(nullptr);
    run = RunCommand({"systemd-sysusers", "--root=" + root.string()});
    if (now / 86400 == std::time(nullptr) / 86400) break;
    fs::remove_all(root);
    f.Export(root);
  }
  INFO("systemd-sysusers: " << run.err);
  REQUIRE(run.exit_code == 0);
  std::vector<std::string> theirs;
  for (std::string line : Lines(run.err)) {
    for (size_t pos; (pos = line.find(root.string())) != std::string::npos;)
      line.erase(pos, root.string().size());
    theirs.push_back(line);
  }

  std::vector<std::string> ours;
  auto status = ApplySysusers(f.tree, now, &ours);
  INFO((status.ok() ? "" : status.error().Render()));
  REQUIRE(status.ok());
  CHECK(ours == theirs);
  CheckSameDatabases(f, root, /*check_modes=*/true);
}

TEST_CASE("ApplySysusers matches systemd-sysusers on Debian 12's files in an empty etc",
          "[effects][deb]") {
  Fixture f;
  REQUIRE(f.tree.AddDirectory("etc").ok());  // systemd-sysusers needs it for its lock file
  AddDebianSysusers(f);
  CheckAgainstSysusers(f);
  // Spot checks of what the comparison covered.
  auto passwd = Lines(f.Read("etc/passwd"));
  REQUIRE(passwd.size() == 22);
  CHECK(passwd[0] == "root:x:0:0::/root:/bin/bash");
  CHECK(passwd[18] == "messagebus:x:998:998:System Message Bus:/:/usr/sbin/nologin");
  CHECK(Lines(f.Read("etc/group"))[25] == "systemd-journal:x:999:");
  CHECK(f.Meta("etc/shadow").substr(0, 9) == "0000 0:0 ");
}

TEST_CASE("ApplySysusers matches systemd-sysusers after base-passwd and passwd", "[effects][deb]") {
  Fixture f;
  PrepareDebianBase(f);
  AddDebianSysusers(f);
  CheckAgainstSysusers(f);
  auto passwd = Lines(f.Read("etc/passwd"));
  REQUIRE(passwd.size() == 22);
  CHECK(passwd[18] == "messagebus:x:998:998:System Message Bus:/:/usr/sbin/nologin");
  CHECK(passwd[21] ==
        "systemd-timesync:x:995:995:systemd Time Synchronization:/:/usr/sbin/nologin");
  CHECK(f.Meta("etc/shadow").substr(0, 10) == "0640 0:42 ");  // kept
}

TEST_CASE("ApplySysusers matches systemd-sysusers on every line type and error", "[effects][deb]") {
  Fixture f;
  f.Add("etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nsomeone:x:850:850::/:/bin/sh\n"
        "samename:x:880:65534::/:/bin/sh\n+::::::\n");
  f.Add("etc/group", "root:x:0:\ngrp-b:x:851:zed\nbar:x:800:\nnogroup:x:65534:\n");
  f.Add("etc/shadow", "root:*:19000:0:99999:7:::\nerin:!:1::::::\n", 0640, 0, 42);
  f.Add("usr/lib/sysusers.d/mix.conf",
        "g  grp-a  -\n"
        "g  grp-b  850\n"
        "u  alice  -  \"Alice \\\"A\\\" Smith\"  /home//alice/  /bin/bash\n"
        "u  bob    1234:grp-a  'Bob B'\n"
        "u  carol  -:850\n"
        "u  dave   900  -  -  -\n"
        "m  alice  grp-b\n"
        "m  erin   grp-c\n"
        "m  dave   grp-c\n"
        "r  -      800-899\n"
        "u  root   0  \"Super User\"  /root\n"
        "g  adm    4\n"
        "u  dup    -  \"first\" - /bin/false\n"
        "u  dup    -  \"first\" - /usr/sbin/nologin\n"
        "u  dup    -  \"second\"\n"
        "x  bad    -\n"
        "u  Bad!   -\n"
        "u  frank  65535\n"
        "u  gina   5:nosuchgroup\n"
        "g  hgrp   1234\n"
        "u  ivan   -  -  relative/home\n"
        "u  judy   -  \"colon:here\"\n"
        "u  kate   -  - - - extra\n"
        "u  leo    \"unterminated\n"
        "u  mo     abc\n"
        "u  nina   12:-\n"
        "g  og     - \"desc\"\n"
        "r  bob    1-2\n"
        "r  -      5-3\n"
        "m  pat\n"
        "uu q -\n"
        "u  pct - \"100%% %T\" %V/p\n"
        "u  bad%z  -\n"
        "  # indented comment\r\n"
        "g  foo    700\n"
        "u  foo    -:800\n"
        "u  samename 880\n"
        "u  averyveryveryveryveryverylongnam -\n"
        "u  _ok    -  \"\"  \"\"\n"
        "u  trail\\\n");
  f.Add("usr/lib/sysusers.d/zz.conf", "u pct%x 811\n");
  CheckAgainstSysusers(f);
  CHECK(Lines(f.Read("etc/passwd")).back() == "+::::::");
}

TEST_CASE("ApplySysusers matches systemd-sysusers on members, ranges and clashes",
          "[effects][deb]") {
  Fixture f;
  f.Add("etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nold:x:20:20::/:/bin/sh\n"
        "clash:x:30:30::/:/bin/sh\n");
  f.Add("etc/group", "root:x:0:\nwheel:x:10:zoe,amy\nold:x:20:\n-@netgroup\n");
  f.Add("etc/gshadow", "root:!*::\nwheel:!::zoe,amy\n", 0640, 0, 42);
  f.Add("usr/lib/sysusers.d/10-m.conf",
        "m old wheel\n"
        "m amy wheel\n"
        "m new-user new-group\n"
        "m old old\n");
  f.Add("usr/lib/sysusers.d/20-r.conf",
        "r - 25-26\n"
        "r - 30-31\n"
        "r - 12\n"
        "g g30 30\n"
        "u u1 -\n"
        "u u2 -\n"
        "u u3 -\n"
        "u u4 -\n"
        "u u5 -\n"
        "u u6 -\n"
        "u u7 26:wheel\n"
        "u u8 10\n");
  CheckAgainstSysusers(f);
}

TEST_CASE("ApplySysusers rewrites odd database lines as systemd-sysusers does", "[effects][deb]") {
  Fixture f;
  f.Add("etc/passwd",
        "root:x:0:0::/:/bin/sh\n#c\nshort:x:1:1\nz:x:007:08:g:/h:/s\n+@ng\n"
        "-bob::::::\n  after:x:9:9::/:/bin/sh\nnonnum:x:a:1::/:/bin/sh\n");
  f.Add("etc/group",
        "root:x:0:\n#comment\n\n  \nbad\nshort:x:5\nnonnum:x:abc:\n"
        "zero:x:007: a,,b\n+\n-@netgroup\nafter:x:9:\n");
  f.Add("etc/shadow", "root:*:1::::::\n#c\nshort:x\nz:!:0010:1:2:3:4:5:6\nold:!:1:2:3\n+\n", 0640,
        0, 42);
  f.Add("etc/gshadow", "root:*::\n#c\nshort\n+\nw:!:a,, b:c\n", 0640, 0, 42);
  f.Add("usr/lib/sysusers.d/a.conf", "u newu -\nm newu zero\n");
  CheckAgainstSysusers(f);
  CHECK(f.Read("etc/group") ==
        "root:x:0:\nshort:x:5:\nzero:x:7:a,b,newu\nnewu:x:999:\n+:::\n-@netgroup:::\n"
        "after:x:9:\n");
}

TEST_CASE("ApplySysusers honours etc overrides and masks", "[effects][deb]") {
  Fixture f;
  f.Add("usr/lib/sysusers.d/a.conf", "u from-usr -\n");
  f.Add("etc/sysusers.d/a.conf", "u from-etc - \"etc wins\"\n");
  f.Add("usr/lib/sysusers.d/b.conf", "u masked -\n");
  REQUIRE(f.tree.AddSymlink("etc/sysusers.d/b.conf", "/dev/null").ok());
  f.Add("usr/local/lib/sysusers.d/c.conf", "g local-grp -\nm from-etc local-grp\n");
  f.Add("run/sysusers.d/.hidden.conf", "u hidden -\n");
  f.Add("usr/lib/sysusers.d/d.conf.disabled", "u disabled -\n");
  REQUIRE(f.tree.AddDirectory("usr/lib/sysusers.d/e.conf").ok());
  f.Add("usr/lib/sysusers.d/f.conf", "u root 0\n");
  f.Add("usr/lib/sysusers.d/g.conf", "u dangling-masked -\n");
  REQUIRE(f.tree.AddSymlink("etc/sysusers.d/g.conf", "/nonexistent.conf").ok());
  f.Add("bin/bash", "", 0755);  // root's default shell becomes /bin/bash
  CheckAgainstSysusers(f);
  // Groups are created before users, so local-grp takes 999.
  CHECK(f.Read("etc/passwd") ==
        "from-etc:x:998:998:etc wins:/:/usr/sbin/nologin\n"
        "root:x:0:0::/:/bin/bash\n");
  CHECK(f.Read("etc/group") == "local-grp:x:999:from-etc\nfrom-etc:x:998:\nroot:x:0:\n");
}

// Checked against systemd-sysusers once by hand (chown needs root): the
// group found first takes the path's gid, so the user's own group is allocated.
TEST_CASE("ApplySysusers takes ids from the owner of a path", "[effects][deb]") {
  Fixture f;
  REQUIRE(f.tree.AddDirectory("var/lib/svc", 0755, 612, 613).ok());
  REQUIRE(f.tree.AddDirectory("var/lib/outside", 0755, 5000, 5000).ok());
  f.Add("usr/lib/sysusers.d/svc.conf",
        "u svc /var/lib//svc/\n"
        "g gsvc /var/lib/svc\n"
        "u far /var/lib/outside\n");
  std::vector<std::string> log;
  REQUIRE(ApplySysusers(f.tree, kEpoch, &log).ok());
  CHECK(log == std::vector<std::string>{"Creating group 'gsvc' with GID 613.",
                                        "Creating group 'svc' with GID 999.",
                                        "Creating user 'svc' (n/a) with UID 612 and GID 999.",
                                        "Creating group 'far' with GID 998.",
                                        "Creating user 'far' (n/a) with UID 998 and GID 998."});
  CHECK(f.Read("etc/passwd") ==
        "svc:x:612:999::/:/usr/sbin/nologin\nfar:x:998:998::/:/usr/sbin/nologin\n");
  CHECK(f.Read("etc/group") == "gsvc:x:613:\nsvc:x:999:\nfar:x:998:\n");
  CHECK(f.Read("etc/shadow") == "svc:!*:19675::::::\nfar:!*:19675::::::\n");
  CHECK(f.Read("etc/gshadow") == "gsvc:!*::\nsvc:!*::\nfar:!*::\n");
  CHECK(f.Meta("etc/shadow") == "0000 0:0 @1700000000");
  CHECK(f.Meta("etc/passwd") == "0644 0:0 @1700000000");
}

TEST_CASE("ApplySysusers is idempotent and idle without sysusers.d", "[effects][deb]") {
  Fixture f;
  std::vector<std::string> log;
  REQUIRE(ApplySysusers(f.tree, kEpoch, &log).ok());
  CHECK(log.empty());
  CHECK(f.tree.nodes().empty());

  AddDebianSysusers(f);
  REQUIRE(ApplySysusers(f.tree, kEpoch, &log).ok());
  CHECK(log.size() == 65);
  std::vector<std::string> before;
  for (const char* name : kDatabases)
    before.push_back(f.Read(std::string("etc/") + name) + f.Meta(std::string("etc/") + name));
  log.clear();
  REQUIRE(ApplySysusers(f.tree, kEpoch + 86400, nullptr).ok());
  REQUIRE(ApplySysusers(f.tree, kEpoch + 86400, &log).ok());
  CHECK(log.empty());
  std::vector<std::string> after;
  for (const char* name : kDatabases)
    after.push_back(f.Read(std::string("etc/") + name) + f.Meta(std::string("etc/") + name));
  CHECK(after == before);
}

}  // namespace
}  // namespace cairn::effects
