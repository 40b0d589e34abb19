// A small `cairn build`-shaped output for publish tests: DIR/oci holds a
// two-architecture image ("<name>" -> index, "<name>-amd64"/"-arm64" ->
// manifests) written by OciLayoutWriter from tiny trees, DIR/sbom one SPDX
// document per architecture (sbom-<arch>.spdx.json) and the index one.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cairn::testing {

struct BuiltOutput {
  std::filesystem::path dir;
  std::string index_digest;
  std::map<std::string, std::string> manifests;  ///< apk arch -> manifest digest
  std::vector<std::string> blobs;                ///< every config and layer digest
};

/// Writes the output under `dir` (created); `salt` changes the layer contents.
BuiltOutput MakeBuiltOutput(const std::filesystem::path& dir, const std::string& name,
                            const std::string& salt = "");

/// sha256 of every file under blobs/sha256 of a layout, "sha256:<hex>", sorted;
/// REQUIREs that each file's name is its digest.
std::vector<std::string> LayoutBlobDigests(const std::filesystem::path& layout);

/// Every regular file under `dir` with its SHA-256, for "left untouched" checks.
std::map<std::string, std::string> TreeHashes(const std::filesystem::path& dir);

}  // namespace cairn::testing
