// SPDX 2.3 documents for images and indexes (see include/cairn/sbom/spdx.h).
//
// Documents are built as ordered JSON so keys come out in a fixed, readable
// order (SPDXID first, as apko writes them); nothing is taken from a hash map
// and nothing depends on the clock or a random source.

#include "cairn/sbom/spdx.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "sbom/purl.h"

namespace cairn::sbom {
namespace {

using nlohmann::ordered_json;

constexpr const char* kNoAssertion = "NOASSERTION";
constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";

std::string Rfc3339(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// The hex part of "sha256:<hex>".
std::string DigestHex(const std::string& digest) {
  size_t colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

/// Hands out SPDX identifiers: only [A-Za-z0-9.-], unique within a document.
class IdAllocator {
 public:
  std::string Make(std::string_view stem) {
    std::string id = "SPDXRef-";
    for (char c : stem) {
      bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
      id += ok ? c : '-';
    }
    std::string unique = id;
    for (int n = 2; !used_.insert(unique).second; ++n) unique = fmt::format("{}-{}", id, n);
    return unique;
  }

 private:
  std::set<std::string> used_;
};

/// True for a plausible SPDX license expression: identifiers joined by AND,
/// OR and WITH, with balanced parentheses. apk's L: field is often one
/// (e.g. "MIT AND BSD-2-Clause") but older packages write "GPL2 BSD", which
/// would make the whole document invalid if copied verbatim.
bool LooksLikeSpdxExpression(std::string_view text) {
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : text) {
    if (c == '(' || c == ')' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) tokens.push_back(cur);
      cur.clear();
      if (c == '(' || c == ')') tokens.emplace_back(1, c);
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) tokens.push_back(cur);
  int depth = 0;
  bool want_operand = true;
  for (const auto& t : tokens) {
    bool is_op = t == "AND" || t == "OR" || t == "WITH";
    if (want_operand) {
      if (t == "(") { ++depth; continue; }
      if (is_op || t == ")") return false;
      for (char c : t)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' &&
            c != ':')
          return false;
      want_operand = false;
    } else {
      if (t == ")") {
        if (--depth < 0) return false;
        continue;
      }
      if (!is_op) return false;
      want_operand = true;
    }
  }
  return !tokens.empty() && !want_operand && depth == 0;
}

ordered_json Checksum(const char* algorithm, const std::string& value) {
  return ordered_json{{"algorithm", algorithm}, {"checksumValue", value}};
}

ordered_json PurlRef(const std::string& purl) {
  return ordered_json{{"referenceCategory", "PACKAGE-MANAGER"},
                      {"referenceLocator", purl},
                      {"referenceType", "purl"}};
}

ordered_json Relationship(const std::string& from, const char* type, const std::string& to) {
  return ordered_json{
      {"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

std::string OciPurl(const std::string& image_name, const std::string& digest,
                    const std::string& apk_arch, const std::string& media_type) {
  std::string lower = image_name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::pair<std::string, std::string>> q;
  if (!apk_arch.empty()) q.emplace_back("arch", OciArch(apk_arch));
  q.emplace_back("mediaType", media_type);
  if (!apk_arch.empty()) q.emplace_back("os", "linux");
  return internal::Purl("oci", "", lower.empty() ? "image" : lower, digest, q);
}

/// A CONTAINER (or layer) package for an OCI blob.
ordered_json BlobPackage(const std::string& id, const std::string& name,
                         const std::string& digest, const std::string& description,
                         const std::string& purl, bool container) {
  ordered_json p{{"SPDXID", id},
                 {"name", name},
                 {"versionInfo", digest},
                 {"filesAnalyzed", false},
                 {"description", description},
                 {"downloadLocation", kNoAssertion},
                 {"supplier", kNoAssertion}};
  if (container) p["primaryPackagePurpose"] = "CONTAINER";
  p["checksums"] = ordered_json::array({Checksum("SHA256", DigestHex(digest))});
  p["externalRefs"] = ordered_json::array({PurlRef(purl)});
  return p;
}

ordered_json ApkPackage(const std::string& id, const SbomPackage& pkg, const OsRelease& os) {
  const apk::PackageInfo& info = pkg.info;
  ordered_json p{{"SPDXID", id},
                 {"name", info.name},
                 {"versionInfo", info.version},
                 {"filesAnalyzed", false}};
  if (!info.description.empty()) p["description"] = info.description;
  p["downloadLocation"] = kNoAssertion;
  // SPDX wants a URL here; anything else would make the document invalid.
  if (info.url.rfind("http://", 0) == 0 || info.url.rfind("https://", 0) == 0)
    p["homepage"] = info.url;
  p["supplier"] = SpdxSupplier(info.maintainer);
  if (!info.origin.empty()) p["sourceInfo"] = fmt::format("built from origin '{}'", info.origin);
  p["licenseConcluded"] = kNoAssertion;
  bool valid_license = LooksLikeSpdxExpression(info.license);
  p["licenseDeclared"] = valid_license ? info.license : std::string(kNoAssertion);
  if (!valid_license && !info.license.empty())
    p["licenseComments"] = fmt::format("apk license field: {}", info.license);
  p["copyrightText"] = kNoAssertion;
  ordered_json sums = ordered_json::array();
  // The index C: field is "Q1" + base64(SHA-1); SPDX wants hex.
  if (info.checksum.size() > 2 && info.checksum.compare(0, 2, "Q1") == 0) {
    auto raw = Base64Decode(std::string_view(info.checksum).substr(2));
    if (raw.ok() && raw->size() == 20) sums.push_back(Checksum("SHA1", HexEncode(*raw)));
  }
  if (info.datahash.size() == 64) sums.push_back(Checksum("SHA256", info.datahash));
  if (!sums.empty()) p["checksums"] = std::move(sums);
  p["externalRefs"] = ordered_json::array(
      {PurlRef(!pkg.purl.empty() ? pkg.purl : ApkPurl(pkg.purl_namespace, info, os))});
  return p;
}

ordered_json Document(const std::string& name, const std::string& digest, int64_t epoch,
                      const std::string& tool_version, const std::string& described) {
  return ordered_json{
      {"SPDXID", "SPDXRef-DOCUMENT"},
      {"name", "sbom-" + digest},
      {"spdxVersion", "SPDX-2.3"},
      {"creationInfo",
       ordered_json{{"created", Rfc3339(epoch)},
                    {"creators", ordered_json::array({"Tool: cairn-" + tool_version})}}},
      {"dataLicense", "CC0-1.0"},
      // Derived from the digest so that rebuilding the same image gives the same document.
      {"documentNamespace",
       fmt::format("https://spdx.org/spdxdocs/cairn/{}/sha256-{}", internal::PurlEncode(name),
                   DigestHex(digest))},
      {"documentDescribes", ordered_json::array({described})}};
}

std::string Dump(const ordered_json& doc) {
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string WriteSpdxImage(const ImageSbomInput& in) {
  IdAllocator ids;
  std::string image_id = ids.Make("Package-sha256-" + DigestHex(in.manifest_digest));
  ordered_json doc = Document(in.image_name, in.manifest_digest, in.epoch, in.tool_version,
                              image_id);
  ordered_json packages = ordered_json::array();
  ordered_json relationships = ordered_json::array(
      {Relationship("SPDXRef-DOCUMENT", "DESCRIBES", image_id)});

  ordered_json image = BlobPackage(image_id, in.image_name, in.manifest_digest,
                                   fmt::format("container image for {}", in.arch),
                                   OciPurl(in.image_name, in.manifest_digest, in.arch,
                                           kManifestType),
                                   true);
  if (!in.config_digest.empty()) image["comment"] = "config " + in.config_digest;
  packages.push_back(std::move(image));

  for (const auto& layer : in.layer_digests) {
    std::string id = ids.Make("Package-sha256-" + DigestHex(layer));
    packages.push_back(BlobPackage(id, layer, layer, "image layer",
                                   OciPurl(in.image_name, layer, in.arch, in.layer_media_type),
                                   false));
    relationships.push_back(Relationship(image_id, "CONTAINS", id));
  }

  if (!in.os.id.empty()) {
    std::string id = ids.Make("OperatingSystem-" + in.os.id);
    ordered_json os{{"SPDXID", id}, {"name", in.os.id}};
    if (!in.os.version_id.empty()) os["versionInfo"] = in.os.version_id;
    os["filesAnalyzed"] = false;
    std::string description = !in.os.pretty_name.empty() ? in.os.pretty_name : in.os.name;
    if (!description.empty()) os["description"] = description;
    os["downloadLocation"] = kNoAssertion;
    os["supplier"] = kNoAssertion;
    os["primaryPackagePurpose"] = "OPERATING_SYSTEM";
    packages.push_back(std::move(os));
    relationships.push_back(Relationship(image_id, "CONTAINS", id));
  }

  std::vector<const SbomPackage*> sorted;
  for (const auto& p : in.packages) sorted.push_back(&p);
  std::stable_sort(sorted.begin(), sorted.end(), [](const SbomPackage* a, const SbomPackage* b) {
    return std::tie(a->info.name, a->info.version) < std::tie(b->info.name, b->info.version);
  });
  for (const SbomPackage* p : sorted) {
    std::string id = ids.Make("Package-" + p->info.name + "-" + p->info.version);
    packages.push_back(ApkPackage(id, *p, in.os));
    relationships.push_back(Relationship(image_id, "CONTAINS", id));
  }

  doc["packages"] = std::move(packages);
  doc["relationships"] = std::move(relationships);
  return Dump(doc);
}

std::string WriteSpdxIndex(const IndexSbomInput& in) {
  IdAllocator ids;
  std::string index_id = ids.Make("Package-sha256-" + DigestHex(in.index_digest));
  ordered_json doc = Document(in.image_name, in.index_digest, in.epoch, in.tool_version, index_id);
  ordered_json packages = ordered_json::array(
      {BlobPackage(index_id, in.image_name, in.index_digest, "multi-arch image index",
                   OciPurl(in.image_name, in.index_digest, "", kIndexType), true)});
  ordered_json relationships = ordered_json::array(
      {Relationship("SPDXRef-DOCUMENT", "DESCRIBES", index_id)});

  std::vector<const IndexImage*> sorted;
  for (const auto& image : in.images) sorted.push_back(&image);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const IndexImage* a, const IndexImage* b) { return a->arch < b->arch; });
  for (const IndexImage* image : sorted) {
    std::string id = ids.Make("Package-sha256-" + DigestHex(image->manifest_digest));
    packages.push_back(BlobPackage(id, in.image_name, image->manifest_digest,
                                   fmt::format("container image for {}", image->arch),
                                   OciPurl(in.image_name, image->manifest_digest, image->arch,
                                           kManifestType),
                                   true));
    // apko's direction: the index is a VARIANT_OF each per-arch image.
    relationships.push_back(Relationship(index_id, "VARIANT_OF", id));
  }
  doc["packages"] = std::move(packages);
  doc["relationships"] = std::move(relationships);
  return Dump(doc);
}

}  // namespace cairn::sbom
