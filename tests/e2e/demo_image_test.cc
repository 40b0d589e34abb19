// The demo image (images/demo.yaml, against the build's demo-repo), built by
// the real binary and checked with umoci, skopeo, jq and the host's loader.
#include <sys/utsname.h>

#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

struct BuiltDemo {
  ScratchDir scratch{"e2e-demo"};
  fs::path yaml;
  fs::path out;
  fs::path oci;
  std::string digest;
  CommandResult build;
};

void BuildDemo(BuiltDemo& d) {
  d.yaml = d.scratch.path() / "demo.yaml";
  d.out = d.scratch.path() / "out";
  d.oci = d.out / "oci";
  WriteText(d.yaml, DemoYaml());
  d.build = Cairn({"build", d.yaml.string(), "--cache-dir", (d.scratch.path() / "cache").string(),
                   "-o", d.out.string(), "--source-date-epoch", "1700000000"});
  INFO(d.build.err);
  REQUIRE(d.build.exit_code == 0);
  auto lines = Lines(d.build.out);
  REQUIRE(lines.size() == 1);
  REQUIRE(d.build.out == lines[0] + "\n");
  REQUIRE(IsDigest(lines[0]));
  d.digest = lines[0];
}

std::string ManifestOf(const fs::path& oci, const std::string& ref) {
  return Jq("[.manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"" +
                ref + "\")] | if length == 1 then .[0].digest else error(\"not one\") end",
            oci / "index.json");
}

}  // namespace

TEST_CASE("demo build prints one digest and writes oci, sbom and lock", "[e2e][demo]") {
  BuiltDemo d;
  BuildDemo(d);
  CHECK(fs::is_regular_file(d.oci / "oci-layout"));
  CHECK(fs::is_regular_file(d.out / "cairn.lock"));
  CHECK(fs::is_regular_file(d.out / "sbom" / "sbom-x86_64.spdx.json"));
  CHECK(fs::is_regular_file(d.out / "sbom" / "sbom-aarch64.spdx.json"));
  CHECK(fs::is_regular_file(d.out / "sbom" / "sbom-index.spdx.json"));
  // The printed digest is the index tagged with the image name, and its blob hashes to it.
  CHECK(ManifestOf(d.oci, "demo") == d.digest);
  auto sum = RunCommand({"sha256sum", Blob(d.oci, d.digest).string()});
  REQUIRE(sum.exit_code == 0);
  CHECK(sum.out.substr(0, 64) == d.digest.substr(7));
}

TEST_CASE("demo rootfs unpacked by umoci has the declared content", "[e2e][demo][umoci]") {
  BuiltDemo d;
  BuildDemo(d);
  auto resolve = Cairn({"resolve", d.yaml.string(), "--cache-dir",
                        (d.scratch.path() / "cache").string()});
  REQUIRE(resolve.exit_code == 0);
  auto resolved = ParseResolve(resolve.out, "");
  REQUIRE(resolved.size() == 2);

  for (auto [oci_arch, apk_arch] : {std::pair{"amd64", "x86_64"}, std::pair{"arm64", "aarch64"}}) {
    DYNAMIC_SECTION("arch " << oci_arch) {
      fs::path bundle = d.scratch.path() / (std::string("bundle-") + oci_arch);
      auto un = RunCommand({"umoci", "unpack", "--rootless", "--image",
                            d.oci.string() + ":demo-" + oci_arch, bundle.string()});
      INFO(Tail(un.err));
      REQUIRE(un.exit_code == 0);
      fs::path root = bundle / "rootfs";
      REQUIRE(fs::is_regular_file(root / "usr/bin/hello"));
      CHECK(ReadText(root / "etc/hello.conf") == kHelloConf);
      CHECK(ReadText(root / "etc/passwd").find("app:x:1000:1000:") != std::string::npos);
      CHECK(ReadText(root / "etc/group").find("app:x:1000:") != std::string::npos);

      // lib/apk/db/installed lists exactly the packages `cairn resolve` printed.
      std::set<std::string> installed;
      std::string name;
      for (const auto& line : Lines(ReadText(root / "lib/apk/db/installed"))) {
        if (line.rfind("P:", 0) == 0) name = line.substr(2);
        if (line.rfind("V:", 0) == 0) installed.insert(name + " " + line.substr(2));
      }
      CHECK(installed == resolved[apk_arch]);

      utsname u{};
      ::uname(&u);
      if (std::string(u.machine) == apk_arch) {
        auto run = RunCommand({(root / "usr/bin/hello").string()});
        CHECK(run.exit_code == 0);
        CHECK(run.out == std::string("hello from cairn (") + apk_arch + ")\n");
      }
    }
  }
}

TEST_CASE("demo image is readable and copyable by skopeo", "[e2e][demo][skopeo]") {
  BuiltDemo d;
  BuildDemo(d);
  auto inspect = RunCommand({"skopeo", "inspect", "oci:" + d.oci.string() + ":demo"});
  INFO(Tail(inspect.err));
  REQUIRE(inspect.exit_code == 0);
  fs::path other = d.scratch.path() / "copy";
  auto copy = RunCommand({"skopeo", "copy", "--all", "oci:" + d.oci.string() + ":demo",
                          "oci:" + other.string() + ":demo"});
  INFO(Tail(copy.err));
  REQUIRE(copy.exit_code == 0);
  CHECK(ManifestOf(other, "demo") == d.digest);
  // skopeo's view of the index digest agrees as well.
  auto digest = RunCommand({"skopeo", "inspect", "--raw", "oci:" + other.string() + ":demo"});
  REQUIRE(digest.exit_code == 0);
  CHECK(digest.out == ReadText(Blob(d.oci, d.digest)));
}

TEST_CASE("demo image config matches the declaration", "[e2e][demo][jq]") {
  BuiltDemo d;
  BuildDemo(d);
  fs::path nested = Blob(d.oci, d.digest);
  CHECK(Jq(".manifests | length", nested) == "2");
  CHECK(Jq("[.manifests[].platform.architecture] | sort | join(\",\")", nested) == "amd64,arm64");
  for (const char* oci_arch : {"amd64", "arm64"}) {
    DYNAMIC_SECTION("arch " << oci_arch) {
      std::string manifest = ManifestOf(d.oci, std::string("demo-") + oci_arch);
      CHECK(Jq(".manifests[] | select(.platform.architecture == \"" + std::string(oci_arch) +
                   "\") | .digest",
               nested) == manifest);
      fs::path config = Blob(d.oci, Jq(".config.digest", Blob(d.oci, manifest)));
      CHECK(Jq(".architecture", config) == oci_arch);
      CHECK(Jq(".os", config) == "linux");
      CHECK(Jq(".config.Entrypoint | tojson", config) == "[\"/usr/bin/hello\"]");
      CHECK(Jq(".config.User", config) == "app");
      CHECK(Jq(".config.WorkingDir", config) == "/home/app");
      CHECK(Jq(".config.Env | tojson", config) ==
            "[\"LANG=C.UTF-8\",\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]");
      CHECK(Jq(".config.Labels | tojson", config) ==
            "{\"org.opencontainers.image.source\":\"https://example.invalid/cairn\","
            "\"org.opencontainers.image.title\":\"cairn demo\"}");
      CHECK(Jq(".created", config) == "2023-11-14T22:13:20Z");
    }
  }
}

TEST_CASE("demo SBOMs list every locked package once with a pkg:apk purl", "[e2e][demo][sbom]") {
  BuiltDemo d;
  BuildDemo(d);
  fs::path lock = d.out / "cairn.lock";
  auto resolve = Cairn({"resolve", d.yaml.string(), "--cache-dir",
                        (d.scratch.path() / "cache").string()});
  REQUIRE(resolve.exit_code == 0);
  auto resolved = ParseResolve(resolve.out, "");
  for (const char* arch : {"x86_64", "aarch64"}) {
    DYNAMIC_SECTION("arch " << arch) {
      std::string a(arch);
      // The lock lists the packages `cairn resolve` printed.
      auto locked = Lines(Jq(".archs[\"" + a + "\"].packages[] | \"\\(.name) \\(.version)\"", lock));
      CHECK(std::set<std::string>(locked.begin(), locked.end()) == resolved[a]);
      CHECK(locked.size() == resolved[a].size());

      fs::path sbom = d.out / "sbom" / ("sbom-" + a + ".spdx.json");
      CHECK(Jq(".spdxVersion", sbom) == "SPDX-2.3");
      for (const auto& p : locked) {
        std::string name = p.substr(0, p.find(' '));
        std::string version = p.substr(p.find(' ') + 1);
        INFO("package " << p);
        // Exactly one SPDX package with this name and version, with a pkg:apk purl for it.
        CHECK(Jq("[.packages[] | select(.name == \"" + name + "\" and .versionInfo == \"" +
                     version + "\")] | length",
                 sbom) == "1");
        std::string purl = Jq(".packages[] | select(.name == \"" + name +
                                  "\") | .externalRefs[] | select(.referenceType == \"purl\") "
                                  "| .referenceLocator",
                              sbom);
        CHECK(purl.rfind("pkg:apk/", 0) == 0);
        CHECK(purl.find("/" + name + "@" + version) != std::string::npos);
        CHECK(purl.find("arch=" + a) != std::string::npos);
      }
      // No apk package beyond the locked ones.
      CHECK(Jq("[.packages[] | select(any(.externalRefs[]?; .referenceLocator | "
               "startswith(\"pkg:apk/\")))] | length",
               sbom) == std::to_string(locked.size()));
    }
  }
}

}  // namespace cairn::e2e
