// SPDX documents: checked with jq (an independent JSON reader), against the
// shape of apko's fixture SBOMs, and for byte-for-byte determinism.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cairn/file_util.h"
#include "cairn/sbom/spdx.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace cairn::sbom;

namespace {

const std::string kManifest =
    "sha256:2ef91a9967f2e1759ea49a8c01cf6a45dd9f9af71fe09bcf2b86175bc4a71314";

SbomPackage Pkg(std::string name, std::string version, std::string license) {
  SbomPackage p;
  p.info.name = std::move(name);
  p.info.version = std::move(version);
  p.info.arch = "x86_64";
  p.info.license = std::move(license);
  return p;
}

ImageSbomInput SampleImage() {
  ImageSbomInput in;
  in.image_name = "cairn-base";
  in.arch = "x86_64";
  in.epoch = 1700000000;
  in.manifest_digest = kManifest;
  in.config_digest = "sha256:" + std::string(64, 'c');
  in.layer_digests = {"sha256:" + std::string(64, '1'), "sha256:" + std::string(64, '2')};
  in.os = {"alpine", "Alpine Linux", "3.20.3", "Alpine Linux v3.20"};
  in.tool_version = "0.1.0";
  SbomPackage musl = Pkg("musl", "1.2.5-r0", "MIT");
  musl.info.checksum = "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=";
  musl.info.datahash = std::string(64, 'd');
  musl.info.origin = "musl";
  musl.info.url = "https://musl.libc.org/";
  musl.info.description = "the musl c library (libc) implementation";
  musl.info.maintainer = "Natanael Copa <ncopa@alpinelinux.org>";
  in.packages = {Pkg("zlib", "1.3.1-r1", "Zlib"), musl, Pkg("busybox", "1.36.1-r29", "GPL-2.0-only"),
                 Pkg("alpine-baselayout-data", "3.6.5-r0", ""),
                 Pkg("libc_utils", "0.7.2+git1-r0", "BSD-2-Clause AND BSD-3-Clause"),
                 Pkg("oldstyle", "1.0-r0", "GPL2 BSD")};
  return in;
}

/// Runs jq on `json` (written to a scratch file) and returns its compact output.
std::string Jq(const std::string& json, const std::string& filter) {
  cairn::testing::ScratchDir dir("sbom");
  fs::path file = dir.path() / "sbom.spdx.json";
  std::ofstream(file) << json;
  auto r = cairn::testing::RunCommand({"jq", "-c", filter, file.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

}  // namespace

TEST_CASE("image SBOM lists every package once with valid unique ids", "[sbom]") {
  std::string doc = WriteSpdxImage(SampleImage());
  CHECK(doc.back() == '\n');
  CHECK(Jq(doc, "[.spdxVersion, .dataLicense, .creationInfo.created, .creationInfo.creators, "
                ".SPDXID, .documentDescribes]") ==
        "[\"SPDX-2.3\",\"CC0-1.0\",\"2023-11-14T22:13:20Z\",[\"Tool: cairn-0.1.0\"],"
        "\"SPDXRef-DOCUMENT\",[\"SPDXRef-Package-sha256-2ef91a9967f2e1759ea49a8c01cf6a45dd9f9af71"
        "fe09bcf2b86175bc4a71314\"]]\n");
  CHECK(Jq(doc, ".documentNamespace") ==
        "\"https://spdx.org/spdxdocs/cairn/cairn-base/sha256-2ef91a9967f2e1759ea49a8c01cf6a45dd9"
        "f9af71fe09bcf2b86175bc4a71314\"\n");
  // Every APK package exactly once, sorted by name.
  CHECK(Jq(doc, "[.packages[] | select(.externalRefs[0].referenceLocator // \"\" | "
                "startswith(\"pkg:apk/\")) | .name]") ==
        "[\"alpine-baselayout-data\",\"busybox\",\"libc_utils\",\"musl\",\"oldstyle\",\"zlib\"]\n");
  // SPDX ids: unique, only [A-Za-z0-9.-] after "SPDXRef-".
  CHECK(Jq(doc, "[.packages[].SPDXID] | [length == (unique | length), "
                "all(test(\"^SPDXRef-[A-Za-z0-9.-]+$\"))]") == "[true,true]\n");
  CHECK(Jq(doc, "[.packages[] | select(.name == \"libc_utils\") | .SPDXID]") ==
        "[\"SPDXRef-Package-libc-utils-0.7.2-git1-r0\"]\n");
  // Licenses: NOASSERTION when empty or not an SPDX expression.
  CHECK(Jq(doc, "[.packages[] | select(.licenseDeclared) | [.name, .licenseDeclared]]") ==
        "[[\"alpine-baselayout-data\",\"NOASSERTION\"],[\"busybox\",\"GPL-2.0-only\"],"
        "[\"libc_utils\",\"BSD-2-Clause AND BSD-3-Clause\"],[\"musl\",\"MIT\"],"
        "[\"oldstyle\",\"NOASSERTION\"],[\"zlib\",\"Zlib\"]]\n");
  CHECK(Jq(doc, ".packages[] | select(.name == \"oldstyle\") | .licenseComments") ==
        "\"apk license field: GPL2 BSD\"\n");
  // The image DESCRIBED by the document CONTAINS every other package.
  CHECK(Jq(doc, "(.documentDescribes[0]) as $img | [.relationships[] | select(.spdxElementId == "
                "$img and .relationshipType == \"CONTAINS\") | .relatedSpdxElement] == "
                "[.packages[1:][].SPDXID]") == "true\n");
  CHECK(Jq(doc, "[.relationships[] | select(.relationshipType == \"DESCRIBES\") | "
                ".spdxElementId]") == "[\"SPDXRef-DOCUMENT\"]\n");
  CHECK(Jq(doc, "[.packages[] | select(.primaryPackagePurpose) | "
                "[.SPDXID, .primaryPackagePurpose]]") ==
        "[[\"SPDXRef-Package-sha256-2ef91a9967f2e1759ea49a8c01cf6a45dd9f9af71fe09bcf2b86175bc4a7"
        "1314\",\"CONTAINER\"],[\"SPDXRef-OperatingSystem-alpine\",\"OPERATING_SYSTEM\"]]\n");
}

TEST_CASE("an APK package carries its purl, checksums and supplier", "[sbom]") {
  std::string doc = WriteSpdxImage(SampleImage());
  auto json = nlohmann::ordered_json::parse(doc);
  nlohmann::ordered_json musl;
  for (const auto& p : json["packages"])
    if (p["name"] == "musl") musl = p;
  // Independent Q1 -> hex SHA-1 conversion.
  auto sha1 = cairn::testing::RunCommand(
      {"sh", "-c", "printf %s LLq2qDNrS/qRnhxQ3hsY/sHbQnc= | base64 -d | od -An -tx1 | tr -d ' \\n'"});
  REQUIRE(sha1.exit_code == 0);
  REQUIRE(sha1.out.size() == 40);
  std::string expected = R"J({
  "SPDXID": "SPDXRef-Package-musl-1.2.5-r0",
  "name": "musl",
  "versionInfo": "1.2.5-r0",
  "filesAnalyzed": false,
  "description": "the musl c library (libc) implementation",
  "downloadLocation": "NOASSERTION",
  "homepage": "https://musl.libc.org/",
  "supplier": "Person: Natanael Copa (ncopa@alpinelinux.org)",
  "sourceInfo": "built from origin 'musl'",
  "licenseConcluded": "NOASSERTION",
  "licenseDeclared": "MIT",
  "copyrightText": "NOASSERTION",
  "checksums": [
    {
      "algorithm": "SHA1",
      "checksumValue": ")J" + sha1.out + R"J("
    },
    {
      "algorithm": "SHA256",
      "checksumValue": "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
    }
  ],
  "externalRefs": [
    {
      "referenceCategory": "PACKAGE-MANAGER",
      "referenceLocator": "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3",
      "referenceType": "purl"
    }
  ]
})J";
  CHECK(musl.dump(2) == expected);
}

TEST_CASE("image SBOM output is deterministic", "[sbom]") {
  ImageSbomInput in = SampleImage();
  std::string a = WriteSpdxImage(in);
  std::reverse(in.packages.begin(), in.packages.end());
  CHECK(WriteSpdxImage(in) == a);
  in.manifest_digest = "sha256:" + std::string(64, 'e');
  std::string b = WriteSpdxImage(in);
  CHECK(b != a);
  CHECK(Jq(b, ".documentNamespace") ==
        "\"https://spdx.org/spdxdocs/cairn/cairn-base/sha256-" + std::string(64, 'e') + "\"\n");
}

TEST_CASE("colliding SPDX ids get a numeric suffix", "[sbom]") {
  ImageSbomInput in = SampleImage();
  in.packages = {Pkg("a_b", "1-r0", ""), Pkg("a-b", "1-r0", "")};
  std::string doc = WriteSpdxImage(in);
  CHECK(Jq(doc, "[.packages[] | select(.versionInfo == \"1-r0\") | [.name, .SPDXID]]") ==
        "[[\"a-b\",\"SPDXRef-Package-a-b-1-r0\"],[\"a_b\",\"SPDXRef-Package-a-b-1-r0-2\"]]\n");
}

TEST_CASE("purls, arch names and suppliers", "[sbom]") {
  cairn::apk::PackageInfo info;
  info.name = "Py3-Foo";
  info.version = "1.0+git:2-r0";
  info.arch = "aarch64";
  CHECK(ApkPurl("wolfi", info, {"wolfi", "Wolfi", "20230201", ""}) ==
        "pkg:apk/wolfi/py3-foo@1.0%2Bgit%3A2-r0?arch=aarch64&distro=wolfi-20230201");
  CHECK(ApkPurl("", info, {"alpine", "", "3.20.3", ""}) ==
        "pkg:apk/alpine/py3-foo@1.0%2Bgit%3A2-r0?arch=aarch64&distro=alpine-3.20.3");
  CHECK(ApkPurl("", info, {}) == "pkg:apk/unknown/py3-foo@1.0%2Bgit%3A2-r0?arch=aarch64");
  CHECK(OciArch("x86_64") == "amd64");
  CHECK(OciArch("aarch64") == "arm64");
  CHECK(OciArch("armv7") == "arm");
  CHECK(OciArch("loongarch64") == "loong64");
  CHECK(SpdxSupplier("Natanael Copa <ncopa@alpinelinux.org>") ==
        "Person: Natanael Copa (ncopa@alpinelinux.org)");
  CHECK(SpdxSupplier("") == "NOASSERTION");
  CHECK(SpdxSupplier("Wolfi") == "Person: Wolfi");
}

TEST_CASE("index SBOM matches apko's identifiers, purls and relationships", "[sbom]") {
  fs::path fixture = cairn::testing::SharedFixtures() /
                     "oci-real/apko-base-image/sboms/sbom-index.spdx.json";
  auto apko = nlohmann::json::parse(cairn::ReadFile(fixture).value());
  IndexSbomInput in;
  in.image_name = "golden";
  in.epoch = 0;
  in.index_digest = "sha256:153e3d9292715569c0c1fcd7f00671e156427e9da285efca4002c580a8cf1694";
  in.images = {{"aarch64", "sha256:5a99438a9ced8193f1d71209d0b558fdc0b184aee5cf258e5f7aa9a6ab0f0671"},
               {"x86_64", "sha256:2ef91a9967f2e1759ea49a8c01cf6a45dd9f9af71fe09bcf2b86175bc4a71314"}};
  in.tool_version = "0.1.0";
  auto ours = nlohmann::json::parse(WriteSpdxIndex(in));

  auto summary = [](const nlohmann::json& doc) {
    std::vector<std::string> out;
    for (const auto& p : doc["packages"])
      out.push_back(p["SPDXID"].get<std::string>() + " " + p["primaryPackagePurpose"].get<std::string>() +
                    " " + p["externalRefs"][0]["referenceLocator"].get<std::string>() + " " +
                    p["checksums"][0]["checksumValue"].get<std::string>());
    for (const auto& r : doc["relationships"])
      out.push_back(r["spdxElementId"].get<std::string>() + " " +
                    r["relationshipType"].get<std::string>() + " " +
                    r["relatedSpdxElement"].get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<std::string> expected = summary(apko);
  // We also state the DESCRIBES relationship that apko leaves to documentDescribes.
  expected.push_back("SPDXRef-DOCUMENT DESCRIBES " + apko["documentDescribes"][0].get<std::string>());
  std::sort(expected.begin(), expected.end());
  CHECK(summary(ours) == expected);
  CHECK(ours["documentDescribes"] == apko["documentDescribes"]);
  CHECK(ours["name"] == apko["name"]);
  CHECK(ours["creationInfo"]["created"] == apko["creationInfo"]["created"]);
}
