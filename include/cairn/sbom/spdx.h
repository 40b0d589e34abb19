// SPDX 2.3 JSON software bills of materials for built images and indexes.
//
//   cairn::sbom::ImageSbomInput in{...};   // digests, os-release values, installed packages
//   std::string json = cairn::sbom::WriteSpdxImage(in);
//
// The shape follows apko's (formats.md §2.5): the document DESCRIBES an image
// package (purpose CONTAINER, pkg:oci purl), which CONTAINS one package per
// layer, an OPERATING_SYSTEM package from /etc/os-release and one package per
// installed APK (pkg:apk purl; checksums from the index C: and the datahash).
// Unlike apko we synthesise the APK packages ourselves, so Alpine images get
// them too. Output is deterministic: the creation time is the build epoch, the
// documentNamespace is derived from the digest (never random), keys are in a
// fixed order and packages are sorted by name and version.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/apk/package.h"

namespace cairn::sbom {

/// The values of /etc/os-release the SBOM uses (already parsed).
struct OsRelease {
  std::string id;           ///< ID, e.g. "alpine", "wolfi"
  std::string name;         ///< NAME, e.g. "Alpine Linux"
  std::string version_id;   ///< VERSION_ID, e.g. "3.20.3"
  std::string pretty_name;  ///< PRETTY_NAME (used as the OS package description)
};

/// One installed package.
struct SbomPackage {
  /// Name, version, arch, license, origin, url, description, maintainer,
  /// checksum (Q1) and datahash are used; other fields are ignored.
  apk::PackageInfo info;
  /// purl namespace ("alpine", "wolfi"); empty means the os-release ID, or "unknown".
  std::string purl_namespace;
  /// When set, the package's purl as is (Debian packages: DebPurl) instead of ApkPurl.
  std::string purl;
  /// Device nodes and setuid/setgid files it installed (rootfs::DescribeSpecialFile
  /// lines), recorded as the package's SPDX comment; empty writes none.
  std::vector<std::string> special_files;
};

/// Everything the per-architecture document says.
struct ImageSbomInput {
  std::string image_name;       ///< purl name of the image, e.g. "cairn-base"
  std::string arch;             ///< apk arch: "x86_64", "aarch64", ...
  int64_t epoch = 0;            ///< build time (seconds since 1970), the creation time
  std::string manifest_digest;  ///< "sha256:<hex>"
  std::string config_digest;    ///< "sha256:<hex>"; optional, recorded as a comment
  std::vector<std::string> layer_digests;  ///< "sha256:<hex>", bottom layer first
  std::string layer_media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  OsRelease os;
  std::vector<SbomPackage> packages;
  std::string tool_version;     ///< cairn's version, in "Tool: cairn-<version>"
};

/// One architecture's image inside an index.
struct IndexImage {
  std::string arch;             ///< apk arch
  std::string manifest_digest;  ///< "sha256:<hex>"
};

/// Everything the index document says.
struct IndexSbomInput {
  std::string image_name;
  int64_t epoch = 0;
  std::string index_digest;  ///< "sha256:<hex>" of the index blob
  std::vector<IndexImage> images;
  std::string tool_version;
};

/// The SPDX 2.3 JSON document for one architecture's image (2-space indented, trailing newline).
std::string WriteSpdxImage(const ImageSbomInput& input);
/// The SPDX 2.3 JSON document for a multi-arch index: the index is a VARIANT_OF each image.
std::string WriteSpdxIndex(const IndexSbomInput& input);

/// purl of an APK: "pkg:apk/<ns>/<name>@<version>?arch=<arch>[&distro=<id>-<version_id>]",
/// namespace and name lowercased, components percent-encoded per the purl spec.
std::string ApkPurl(const std::string& purl_namespace, const apk::PackageInfo& info,
                    const OsRelease& os);
/// purl of a Debian package: "pkg:deb/debian/<name>@<version>?arch=<arch>[&distro=<id>-<version_id>]"
/// (purl-spec's deb type; the namespace is the os-release ID, "debian" when unknown).
std::string DebPurl(const std::string& name, const std::string& version, const std::string& arch,
                    const OsRelease& os);
/// OCI platform architecture (GOARCH) of an apk arch: x86_64 -> amd64, aarch64 -> arm64, ...
std::string OciArch(const std::string& apk_arch);
/// SPDX "Person: Name (email)" from an apk maintainer "Name <email>"; "NOASSERTION" when empty.
std::string SpdxSupplier(const std::string& maintainer);

}  // namespace cairn::sbom
