// images/debian-bookworm.yaml built from the real Debian archive (the host's
// apt sources), for x86_64 and aarch64, checked with independent tools:
// umoci unpacks each image, dpkg-query reads the database cairn wrote and
// lists every locked package as installed, dpkg -S finds file owners, and the
// SBOM carries a pkg:deb purl per package. The package cache lives in the
// build tree and tools/test.sh fills it from the archive before the tests
// run, so the build here is --offline.
#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

fs::path DebianCache() { return fs::path(CAIRN_BINARY_DIR) / "test-cache" / "debian"; }

}  // namespace

TEST_CASE("Debian bookworm with systemd builds from the archive and dpkg reads it",
          "[e2e][debian]") {
  ScratchDir scratch("e2e-debian");
  fs::path out = scratch.path() / "out";
  auto build = Cairn({"build", (SourceDir() / "images/debian-bookworm.yaml").string(),
                      "--cache-dir", DebianCache().string(), "-o", out.string(),
                      "--source-date-epoch", "1700000000", "--offline"});
  INFO(Tail(build.err));
  REQUIRE(build.exit_code == 0);
  REQUIRE(IsDigest(Lines(build.out).at(0)));

  for (const std::string arch : {"x86_64", "aarch64"}) {
    INFO(arch);
    std::string ref = std::string("debian-bookworm-") + (arch == "x86_64" ? "amd64" : "arm64");
    fs::path bundle = scratch.path() / ("bundle-" + arch);
    auto un = RunCommand({"umoci", "unpack", "--rootless", "--image",
                          (out / "oci").string() + ":" + ref, bundle.string()});
    INFO(Tail(un.err));
    REQUIRE(un.exit_code == 0);
    fs::path root = bundle / "rootfs";
    fs::path admin = root / "var/lib/dpkg";

    // Every locked package is installed, as dpkg itself reports it.
    std::set<std::string> locked;
    for (const auto& l : Lines(Jq(".archs[\"" + arch + "\"].packages[] | \"\\(.name) \\(.version)\"",
                                  out / "cairn.lock")))
      locked.insert(l);
    REQUIRE(locked.size() > 80);
    auto q = RunCommand({"dpkg-query", "--admindir=" + admin.string(), "-W", "-f",
                         "${Package} ${Version} ${db:Status-Abbrev}\\n"});
    INFO(Tail(q.err));
    REQUIRE(q.exit_code == 0);
    std::set<std::string> installed;
    for (const auto& l : Lines(q.out)) {
      REQUIRE(l.size() > 4);
      CHECK(l.substr(l.size() - 3) == "ii ");
      installed.insert(l.substr(0, l.size() - 4));
    }
    CHECK(installed == locked);
    CHECK(locked.count("systemd " + Lines(Jq(".archs[\"" + arch +
                                              "\"].packages[] | select(.name == \"systemd\") | "
                                              ".version",
                                              out / "cairn.lock"))
                                        .at(0)) == 1);

    // File ownership as dpkg records it, through the merged-/usr link.
    auto s = RunCommand({"dpkg-query", "--admindir=" + admin.string(), "-S", "/bin/bash"});
    // The host's dpkg (amd64) qualifies packages of another architecture.
    CHECK(s.out == std::string(arch == "x86_64" ? "bash" : "bash:arm64") + ": /bin/bash\n");
    CHECK(fs::is_symlink(root / "bin"));
    CHECK(fs::is_regular_file(root / "usr/bin/bash"));

    // Accounts and effects the scripts would have made.
    std::string passwd = ReadText(root / "etc/passwd");
    CHECK(passwd.rfind("root:*:0:0:root:/root:/bin/bash\n", 0) == 0);  // base-passwd's master
    CHECK(passwd.find("\nsystemd-network:x:") != std::string::npos);  // sysusers.d
    CHECK(ReadText(root / "etc/machine-id").empty());
    CHECK(fs::is_regular_file(root / "etc/ld.so.cache"));
    CHECK(fs::read_symlink(root / "etc/alternatives/awk") == "/usr/bin/mawk");

    // The SBOM lists every package with a pkg:deb purl.
    fs::path sbom = out / "sbom" / ("sbom-" + arch + ".spdx.json");
    auto purls = Lines(Jq("[.packages[].externalRefs[]?.referenceLocator | "
                          "select(startswith(\"pkg:deb/debian/\"))] | length",
                          sbom));
    CHECK(purls.at(0) == std::to_string(locked.size()));
  }
}

}  // namespace cairn::e2e
