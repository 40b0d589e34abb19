// SPDX 2.3 documents for images and indexes (see include/cairn/sbom/spdx.h).
//
// Documents are written member by member (PrettyJson) so keys come out in a
// fixed, readable order (SPDXID first, as apko writes them); nothing is taken
// from a hash map and nothing depends on the clock or a random source.

#include "cairn/sbom/spdx.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/percent_encode.h"
#include "sbom/pretty_json.h"
#include "sbom/purl.h"

namespace cairn::sbom {
namespace {

using internal::PrettyJson;

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

void Checksum(PrettyJson& j, const char* algorithm, const std::string& value) {
  j.BeginObject();
  j.Member("algorithm", algorithm);
  j.Member("checksumValue", value);
  j.EndObject();
}

void PurlRefs(PrettyJson& j, const std::string& purl) {
  j.Key("externalRefs");
  j.BeginArray();
  j.BeginObject();
  j.Member("referenceCategory", "PACKAGE-MANAGER");
  j.Member("referenceLocator", purl);
  j.Member("referenceType", "purl");
  j.EndObject();
  j.EndArray();
}

struct Relationship {
  std::string from;
  const char* type;
  std::string to;
};

void Relationships(PrettyJson& j, const std::vector<Relationship>& all) {
  j.Key("relationships");
  j.BeginArray();
  for (const auto& r : all) {
    j.BeginObject();
    j.Member("spdxElementId", r.from);
    j.Member("relationshipType", r.type);
    j.Member("relatedSpdxElement", r.to);
    j.EndObject();
  }
  j.EndArray();
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

/// A CONTAINER (or layer) package for an OCI blob; `comment` is left out when empty.
void BlobPackage(PrettyJson& j, const std::string& id, const std::string& name,
                 const std::string& digest, const std::string& description,
                 const std::string& purl, bool container, const std::string& comment = "") {
  j.BeginObject();
  j.Member("SPDXID", id);
  j.Member("name", name);
  j.Member("versionInfo", digest);
  j.Key("filesAnalyzed");
  j.Bool(false);
  j.Member("description", description);
  j.Member("downloadLocation", kNoAssertion);
  j.Member("supplier", kNoAssertion);
  if (container) j.Member("primaryPackagePurpose", "CONTAINER");
  j.Key("checksums");
  j.BeginArray();
  Checksum(j, "SHA256", DigestHex(digest));
  j.EndArray();
  PurlRefs(j, purl);
  if (!comment.empty()) j.Member("comment", comment);
  j.EndObject();
}

void ApkPackage(PrettyJson& j, const std::string& id, const SbomPackage& pkg,
                const OsRelease& os) {
  const apk::PackageInfo& info = pkg.info;
  j.BeginObject();
  j.Member("SPDXID", id);
  j.Member("name", info.name);
  j.Member("versionInfo", info.version);
  j.Key("filesAnalyzed");
  j.Bool(false);
  if (!info.description.empty()) j.Member("description", info.description);
  j.Member("downloadLocation", kNoAssertion);
  // SPDX wants a URL here; anything else would make the document invalid.
  if (info.url.rfind("http://", 0) == 0 || info.url.rfind("https://", 0) == 0)
    j.Member("homepage", info.url);
  j.Member("supplier", SpdxSupplier(info.maintainer));
  if (!info.origin.empty()) j.Member("sourceInfo", fmt::format("built from origin '{}'", info.origin));
  j.Member("licenseConcluded", kNoAssertion);
  bool valid_license = LooksLikeSpdxExpression(info.license);
  j.Member("licenseDeclared", valid_license ? info.license : std::string(kNoAssertion));
  if (!valid_license && !info.license.empty())
    j.Member("licenseComments", fmt::format("apk license field: {}", info.license));
  j.Member("copyrightText", kNoAssertion);
  // The index C: field is "Q1" + base64(SHA-1); SPDX wants hex.
  std::string sha1;
  if (info.checksum.size() > 2 && info.checksum.compare(0, 2, "Q1") == 0) {
    auto raw = Base64Decode(std::string_view(info.checksum).substr(2));
    if (raw.ok() && raw->size() == 20) sha1 = HexEncode(*raw);
  }
  const bool sha256 = info.datahash.size() == 64;
  if (!sha1.empty() || sha256) {
    j.Key("checksums");
    j.BeginArray();
    if (!sha1.empty()) Checksum(j, "SHA1", sha1);
    if (sha256) Checksum(j, "SHA256", info.datahash);
    j.EndArray();
  }
  PurlRefs(j, !pkg.purl.empty() ? pkg.purl : ApkPurl(pkg.purl_namespace, info, os));
  if (!pkg.special_files.empty()) {
    std::string list;
    for (const auto& f : pkg.special_files) list += (list.empty() ? "" : "; ") + f;
    j.Member("comment", "installs device nodes or setuid/setgid files: " + list);
  }
  j.EndObject();
}

// Opens the document object and writes its head; the caller adds
// "packages" and "relationships" and closes it.
void DocumentHead(PrettyJson& j, const std::string& name, const std::string& digest,
                  int64_t epoch, const std::string& tool_version, const std::string& described) {
  j.BeginObject();
  j.Member("SPDXID", "SPDXRef-DOCUMENT");
  j.Member("name", "sbom-" + digest);
  j.Member("spdxVersion", "SPDX-2.3");
  j.Key("creationInfo");
  j.BeginObject();
  j.Member("created", Rfc3339(epoch));
  j.Key("creators");
  j.BeginArray();
  j.String("Tool: cairn-" + tool_version);
  j.EndArray();
  j.EndObject();
  j.Member("dataLicense", "CC0-1.0");
  // Derived from the digest so that rebuilding the same image gives the same document.
  j.Member("documentNamespace",
           fmt::format("https://spdx.org/spdxdocs/cairn/{}/sha256-{}", PercentEncode(name),
                       DigestHex(digest)));
  j.Key("documentDescribes");
  j.BeginArray();
  j.String(described);
  j.EndArray();
}

}  // namespace

std::string WriteSpdxImage(const ImageSbomInput& in) {
  IdAllocator ids;
  PrettyJson j;
  std::string image_id = ids.Make("Package-sha256-" + DigestHex(in.manifest_digest));
  DocumentHead(j, in.image_name, in.manifest_digest, in.epoch, in.tool_version, image_id);
  std::vector<Relationship> relationships = {{"SPDXRef-DOCUMENT", "DESCRIBES", image_id}};

  j.Key("packages");
  j.BeginArray();
  BlobPackage(j, image_id, in.image_name, in.manifest_digest,
              fmt::format("container image for {}", in.arch),
              OciPurl(in.image_name, in.manifest_digest, in.arch, kManifestType), true,
              in.config_digest.empty() ? "" : "config " + in.config_digest);

  for (const auto& layer : in.layer_digests) {
    std::string id = ids.Make("Package-sha256-" + DigestHex(layer));
    BlobPackage(j, id, layer, layer, "image layer",
                OciPurl(in.image_name, layer, in.arch, in.layer_media_type), false);
    relationships.push_back({image_id, "CONTAINS", id});
  }

  if (!in.os.id.empty()) {
    std::string id = ids.Make("OperatingSystem-" + in.os.id);
    j.BeginObject();
    j.Member("SPDXID", id);
    j.Member("name", in.os.id);
    if (!in.os.version_id.empty()) j.Member("versionInfo", in.os.version_id);
    j.Key("filesAnalyzed");
    j.Bool(false);
    std::string description = !in.os.pretty_name.empty() ? in.os.pretty_name : in.os.name;
    if (!description.empty()) j.Member("description", description);
    j.Member("downloadLocation", kNoAssertion);
    j.Member("supplier", kNoAssertion);
    j.Member("primaryPackagePurpose", "OPERATING_SYSTEM");
    j.EndObject();
    relationships.push_back({image_id, "CONTAINS", id});
  }

  std::vector<const SbomPackage*> sorted;
  for (const auto& p : in.packages) sorted.push_back(&p);
  std::stable_sort(sorted.begin(), sorted.end(), [](const SbomPackage* a, const SbomPackage* b) {
    return std::tie(a->info.name, a->info.version) < std::tie(b->info.name, b->info.version);
  });
  for (const SbomPackage* p : sorted) {
    std::string id = ids.Make("Package-" + p->info.name + "-" + p->info.version);
    ApkPackage(j, id, *p, in.os);
    relationships.push_back({image_id, "CONTAINS", id});
  }
  j.EndArray();
  Relationships(j, relationships);
  j.EndObject();
  return j.Take() + "\n";
}

std::string WriteSpdxIndex(const IndexSbomInput& in) {
  IdAllocator ids;
  PrettyJson j;
  std::string index_id = ids.Make("Package-sha256-" + DigestHex(in.index_digest));
  DocumentHead(j, in.image_name, in.index_digest, in.epoch, in.tool_version, index_id);
  std::vector<Relationship> relationships = {{"SPDXRef-DOCUMENT", "DESCRIBES", index_id}};
  j.Key("packages");
  j.BeginArray();
  BlobPackage(j, index_id, in.image_name, in.index_digest, "multi-arch image index",
              OciPurl(in.image_name, in.index_digest, "", kIndexType), true);

  std::vector<const IndexImage*> sorted;
  for (const auto& image : in.images) sorted.push_back(&image);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const IndexImage* a, const IndexImage* b) { return a->arch < b->arch; });
  for (const IndexImage* image : sorted) {
    std::string id = ids.Make("Package-sha256-" + DigestHex(image->manifest_digest));
    BlobPackage(j, id, in.image_name, image->manifest_digest,
                fmt::format("container image for {}", image->arch),
                OciPurl(in.image_name, image->manifest_digest, image->arch, kManifestType), true);
    // apko's direction: the index is a VARIANT_OF each per-arch image.
    relationships.push_back({index_id, "VARIANT_OF", id});
  }
  j.EndArray();
  Relationships(j, relationships);
  j.EndObject();
  return j.Take() + "\n";
}

}  // namespace cairn::sbom
