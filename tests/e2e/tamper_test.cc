// Tampered repositories through the command line: every broken index,
// package or signature stops the build with exit 1 and a message naming what
// failed, writes no output and leaves nothing of the bad file in the cache.
#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

struct Tampered {
  ScratchDir scratch{"e2e-tamper"};
  fs::path repo;
  fs::path yaml;
  fs::path cache;
  fs::path out;

  Tampered() {
    repo = scratch.path() / "repo";
    cache = scratch.path() / "cache";
    out = scratch.path() / "out";
    yaml = scratch.path() / "demo.yaml";
    fs::copy(DemoRepo(), repo, fs::copy_options::recursive);
    UseKey(repo / "cairn-demo.rsa.pub");
  }
  void UseKey(const fs::path& key) {
    DemoSpec spec;
    spec.repo = repo;
    spec.key = key;
    spec.archs = {"x86_64"};
    WriteText(yaml, DemoYaml(spec));
  }
  CommandResult Build(bool allow_untrusted = false) {
    std::vector<std::string> args = {"build", yaml.string(), "--cache-dir", cache.string(), "-o",
                                     out.string()};
    if (allow_untrusted) args.push_back("--allow-untrusted");
    return Cairn(args);
  }
  // Cache entries whose name mentions `what` (none may stay for a bad file).
  std::vector<std::string> CachedFiles(const std::string& what) const {
    std::vector<std::string> found;
    for (const auto& p : TreePaths(cache))
      if (p.find(what) != std::string::npos && p.rfind(".locks/", 0) != 0 &&
          fs::is_regular_file(cache / p)) found.push_back(p);
    return found;
  }
  // A new RSA key written as `path` (public half), by openssl.
  void MakeKey(const fs::path& path) {
    fs::create_directories(path.parent_path());
    fs::path priv = scratch.path() / "other.pem";
    auto g = RunCommand({"openssl", "genrsa", "-out", priv.string(), "2048"});
    REQUIRE(g.exit_code == 0);
    auto p = RunCommand({"openssl", "rsa", "-in", priv.string(), "-pubout", "-out", path.string()});
    REQUIRE(p.exit_code == 0);
  }
};

void ExpectRefused(const CommandResult& r, const Tampered& t) {
  INFO(Tail(r.err));
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("cairn: error: ") != std::string::npos);
  CHECK(!fs::exists(t.out));
  // No staging directory beside the output either.
  for (const auto& e : fs::directory_iterator(t.scratch.path()))
    CHECK(e.path().filename().string().rfind("out", 0) != 0);
}

}  // namespace

TEST_CASE("the untouched copy builds (control for the tamper cases)", "[e2e][tamper]") {
  Tampered t;
  auto r = t.Build();
  INFO(Tail(r.err));
  CHECK(r.exit_code == 0);
}

TEST_CASE("a flipped byte in the signed index member is refused", "[e2e][tamper]") {
  Tampered t;
  FlipInMember(t.repo / "x86_64/APKINDEX.tar.gz", 1);
  auto r = t.Build();
  ExpectRefused(r, t);
  CHECK(r.err.find("APKINDEX.tar.gz") != std::string::npos);
  // The gzip CRC or the signature catches it, whichever is checked first.
  CHECK((r.err.find("corrupt") != std::string::npos || r.err.find("signature") != std::string::npos));
  CHECK(t.CachedFiles("APKINDEX").empty());
  // A bad signature by a trusted key is refused even with --allow-untrusted.
  ExpectRefused(t.Build(true), t);
  CHECK(t.CachedFiles("APKINDEX").empty());
}

TEST_CASE("a flipped byte in a package's control member is refused", "[e2e][tamper]") {
  Tampered t;
  FlipInMember(t.repo / "x86_64/hello-2.1-r0.apk", 1);
  auto r = t.Build();
  ExpectRefused(r, t);
  CHECK(r.err.find("hello-2.1-r0") != std::string::npos);
  CHECK(t.CachedFiles("hello").empty());
  ExpectRefused(t.Build(true), t);
  CHECK(t.CachedFiles("hello").empty());
}

TEST_CASE("a flipped byte in a package's data member is refused", "[e2e][tamper]") {
  Tampered t;
  FlipInMember(t.repo / "x86_64/hello-2.1-r0.apk", 2);
  auto r = t.Build();
  ExpectRefused(r, t);
  CHECK(r.err.find("hello-2.1-r0") != std::string::npos);
  CHECK(t.CachedFiles("hello").empty());
  ExpectRefused(t.Build(true), t);
  CHECK(t.CachedFiles("hello").empty());
}

TEST_CASE("a corrupted signature is refused, even with --allow-untrusted", "[e2e][tamper]") {
  Tampered t;
  SECTION("of the index") {
    CorruptSignature(t.repo / "x86_64/APKINDEX.tar.gz");
    auto r = t.Build();
    ExpectRefused(r, t);
    CHECK(r.err.find("APKINDEX.tar.gz") != std::string::npos);
    CHECK(r.err.find("signature") != std::string::npos);
    CHECK(r.err.find("cairn-demo.rsa.pub") != std::string::npos);
    auto u = t.Build(true);
    ExpectRefused(u, t);
    CHECK(u.err.find("signature") != std::string::npos);
    CHECK(t.CachedFiles("APKINDEX").empty());
  }
  SECTION("of a package") {
    CorruptSignature(t.repo / "x86_64/hello-2.1-r0.apk");
    auto r = t.Build();
    ExpectRefused(r, t);
    CHECK(r.err.find("hello-2.1-r0") != std::string::npos);
    CHECK(r.err.find("signature") != std::string::npos);
    ExpectRefused(t.Build(true), t);
    CHECK(t.CachedFiles("hello").empty());
  }
}

TEST_CASE("an unknown key is refused unless --allow-untrusted", "[e2e][tamper][keys]") {
  Tampered t;
  fs::path other = t.scratch.path() / "keys" / "other.rsa.pub";
  t.MakeKey(other);
  t.UseKey(other);
  auto r = t.Build();
  ExpectRefused(r, t);
  CHECK(r.err.find("cairn-demo.rsa.pub") != std::string::npos);
  CHECK(t.CachedFiles("APKINDEX").empty());

  auto u = t.Build(true);
  INFO(Tail(u.err));
  CHECK(u.exit_code == 0);
  CHECK(IsDigest(Lines(u.out).at(0)));
  CHECK(u.err.find("untrusted") != std::string::npos);
}

TEST_CASE("a different key under the trusted name is a bad signature, never accepted",
          "[e2e][tamper][keys]") {
  Tampered t;
  fs::path impostor = t.scratch.path() / "keys" / "cairn-demo.rsa.pub";
  t.MakeKey(impostor);
  t.UseKey(impostor);
  auto r = t.Build();
  ExpectRefused(r, t);
  CHECK(r.err.find("signature") != std::string::npos);
  ExpectRefused(t.Build(true), t);
  CHECK(t.CachedFiles("APKINDEX").empty());
}

}  // namespace cairn::e2e
