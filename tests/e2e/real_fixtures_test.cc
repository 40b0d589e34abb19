// Real repositories from shared/fixtures: a melange-built signed repository
// built for both architectures, and `cairn resolve` of real Alpine indexes
// against apk-tools' own answers (expected-resolution/*.txt).
#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

fs::path MelangeRepo() { return ApkReal() / "apko-testdata" / "melange-repo"; }
fs::path AlpineKeys() { return ApkReal() / "apko-testdata" / "alpine-keys"; }

// The layer of the image tagged `ref`, listed by GNU tar with numeric owners.
std::string ListLayer(const fs::path& oci, const std::string& ref) {
  std::string manifest =
      Jq(".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"" + ref +
             "\") | .digest",
         oci / "index.json");
  std::string layer = Jq(".layers[0].digest", Blob(oci, manifest));
  auto tar = RunCommand({"tar", "-tvzf", Blob(oci, layer).string(), "--numeric-owner"});
  INFO(Tail(tar.err));
  REQUIRE(tar.exit_code == 0);
  return tar.out;
}

// The tar -tv line of `path` in a listing, or "".
std::string LineFor(const std::string& listing, const std::string& path) {
  for (const auto& line : Lines(listing))
    if (line.size() > path.size() && line.compare(line.size() - path.size() - 1, std::string::npos,
                                                  " " + path) == 0)
      return line;
  return "";
}

struct Expected {
  std::string arch;
  std::vector<std::string> world;
  std::set<std::string> packages;  ///< "name version"; empty when apk-tools failed
  std::vector<std::string> error;  ///< apk-tools' explanation lines, trimmed
};

Expected ParseExpected(const fs::path& file) {
  Expected e;
  auto lines = Lines(ReadText(file));
  REQUIRE(!lines.empty());
  const std::string& head = lines[0];
  auto arch_at = head.find("--arch ");
  REQUIRE(arch_at != std::string::npos);
  e.arch = head.substr(arch_at + 7, head.find(' ', arch_at + 7) - arch_at - 7);
  std::istringstream world(head.substr(head.find("<index> ") + 8));
  for (std::string w; world >> w;) e.world.push_back(w);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    auto inst = l.find(") Installing ");
    if (l.rfind("(", 0) == 0 && inst != std::string::npos) {
      std::string rest = l.substr(inst + 13);  // NAME (VERSION)
      auto open = rest.find(" (");
      e.packages.insert(rest.substr(0, open) + " " +
                        rest.substr(open + 2, rest.size() - open - 3));
    } else if (l.rfind("  ", 0) == 0) {
      e.error.push_back(l.substr(l.find_first_not_of(' ')));
    }
  }
  return e;
}

fs::path WriteResolveYaml(const fs::path& dir, const fs::path& repo, const Expected& e) {
  std::string y = "contents:\n  repositories:\n    - " + repo.string() + "\n  keyring:\n";
  for (const char* k : {"alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
                        "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub"})
    y += "    - " + (AlpineKeys() / k).string() + "\n";
  y += "  packages:\n";
  for (const auto& w : e.world) y += "    - \"" + w + "\"\n";
  y += "archs: [" + e.arch + "]\n";
  fs::path file = dir / "world.yaml";
  WriteText(file, y);
  return file;
}

}  // namespace

TEST_CASE("melange repository builds for x86_64 and aarch64 and keeps owners",
          "[e2e][real][melange]") {
  ScratchDir scratch("e2e-melange");
  fs::path yaml = scratch.path() / "melange.yaml";
  WriteText(yaml, "name: melange\ncontents:\n  repositories:\n    - " + MelangeRepo().string() +
                      "\n  keyring:\n    - " + (MelangeRepo() / "melange.rsa.pub").string() +
                      "\n  packages:\n    - replayout\n    - custom-ca-certs-1\n"
                      "archs: [x86_64, aarch64]\n");
  fs::path out = scratch.path() / "out";
  auto build = Cairn({"build", yaml.string(), "--cache-dir", (scratch.path() / "cache").string(),
                      "-o", out.string()});
  INFO(Tail(build.err));
  REQUIRE(build.exit_code == 0);
  REQUIRE(IsDigest(Lines(build.out).at(0)));

  for (const char* oci_arch : {"amd64", "arm64"}) {
    DYNAMIC_SECTION("arch " << oci_arch) {
      fs::path bundle = scratch.path() / (std::string("bundle-") + oci_arch);
      auto un = RunCommand({"umoci", "unpack", "--rootless", "--image",
                            (out / "oci").string() + ":melange-" + oci_arch, bundle.string()});
      INFO(Tail(un.err));
      REQUIRE(un.exit_code == 0);
      fs::path root = bundle / "rootfs";
      CHECK(fs::is_regular_file(root / "usr/local/share/ca-certificates/cert-a.crt"));
      // replayout replaces pretend-baselayout's /etc/os-release (102 bytes vs 99).
      CHECK(fs::file_size(root / "etc/os-release") == 102);

      // The macOS builder's owner (501:20) survives into the layer.
      std::string listing = ListLayer(out / "oci", std::string("melange-") + oci_arch);
      std::string cert = LineFor(listing, "usr/local/share/ca-certificates/cert-a.crt");
      INFO(listing);
      CHECK(cert.rfind("-rw-r--r-- 501/20 ", 0) == 0);
      CHECK(LineFor(listing, "etc/os-release").rfind("-rw-r--r-- 501/20 ", 0) == 0);
      CHECK(LineFor(listing, "var/lib/db/sbom/replayout-1.0.0-r0.spdx.json")
                .rfind("-rw-r--r-- 0/0 ", 0) == 0);
    }
  }
}

TEST_CASE("cairn resolve of real Alpine indexes agrees with apk-tools", "[e2e][real][resolve]") {
  ScratchDir scratch("e2e-resolve");
  fs::path repo = scratch.path() / "repo";
  fs::create_directories(repo / "x86_64");
  fs::create_directories(repo / "aarch64");
  fs::copy_file(ApkReal() / "apko-testdata/alpine-v3.16-x86_64-index/APKINDEX.tar.gz",
                repo / "x86_64/APKINDEX.tar.gz");
  fs::copy_file(ApkReal() / "apko-testdata/alpine-v3.17-aarch64-index/APKINDEX.tar.gz",
                repo / "aarch64/APKINDEX.tar.gz");
  fs::path cache = scratch.path() / "cache";

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(ApkReal() / "expected-resolution"))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 3);

  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      Expected e = ParseExpected(file);
      fs::path dir = scratch.path() / file.stem();
      fs::path yaml = WriteResolveYaml(dir, repo, e);
      // Relative config path from its own directory, so errors name "world.yaml".
      auto r = Cairn({"resolve", "world.yaml", "--cache-dir", cache.string()}, {}, dir);
      INFO(Tail(r.err));
      if (!e.packages.empty()) {
        REQUIRE(r.exit_code == 0);
        CHECK(ParseResolve(r.out, e.arch)[e.arch] == e.packages);
        CHECK(Lines(r.out).size() == e.packages.size());
      } else {
        REQUIRE(!e.error.empty());
        CHECK(r.exit_code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.find("cairn: error: ") != std::string::npos);
        // apk-tools' first explanation line (the package or virtual that failed).
        CHECK(r.err.find(e.error[0]) != std::string::npos);
      }
    }
  }

  SECTION("nginx openssl fails on /bin/sh") {
    auto e = ParseExpected(ApkReal() / "expected-resolution/v3.16-x86_64-nginx-openssl.txt");
    fs::path dir = scratch.path() / "nginx";
    WriteResolveYaml(dir, repo, e);
    auto r = Cairn({"resolve", "world.yaml", "--cache-dir", cache.string()}, {}, dir);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("/bin/sh (virtual)") != std::string::npos);
    CHECK(r.err.find("provided by: busybox") != std::string::npos);
    CHECK(r.err.find("required by: nginx-1.22.1-r0[/bin/sh]") != std::string::npos);
  }

  SECTION("a missing package names itself and its YAML location") {
    auto e = ParseExpected(ApkReal() / "expected-resolution/v3.16-x86_64-missing.txt");
    fs::path dir = scratch.path() / "missing";
    WriteResolveYaml(dir, repo, e);
    auto r = Cairn({"resolve", "world.yaml", "--cache-dir", cache.string()}, {}, dir);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("does-not-exist (no such package)") != std::string::npos);
    // The item is on line 8 (after two keyring lines); its text starts in column 7.
    CHECK(r.err.find("required by: world[does-not-exist] (world.yaml:8:7)") != std::string::npos);
  }
}

}  // namespace cairn::e2e
