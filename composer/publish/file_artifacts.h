// Private to publish: a build output's disk images, squashfs and erofs files,
// pushed as OCI artifacts that refer to their image, so a device pulls its OS
// image from the registry the way it pulls its apps.
//
// Each file gets an artifact manifest (artifactType below, the empty config,
// the file as its one layer, `subject` = the image it was made from) and a
// tag of its own: "<tag>-<kind>-<target>" when one tag is pushed (a
// multi-arch index or a single image), "<tag>-<kind>" when each board has its
// own tag ("<image>-<board>").
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cairn/result.h"

namespace cairn::publish::internal {

inline constexpr const char* kDiskRawArtifactType = "application/vnd.cairn.disk.raw.v1";
inline constexpr const char* kDiskQcow2ArtifactType = "application/vnd.cairn.disk.qcow2.v1";
inline constexpr const char* kSquashfsArtifactType = "application/vnd.cairn.squashfs.v1";
inline constexpr const char* kErofsArtifactType = "application/vnd.cairn.erofs.v1";

struct OutputFile {
  std::filesystem::path path;
  std::string kind;    ///< "disk", "squashfs", "erofs"
  std::string target;  ///< the board or arch it was made for (the file's stem)
  std::string artifact_type;
};

/// DIR/disk/*.img|*.qcow2, DIR/squashfs/*.squashfs, DIR/erofs/*.erofs of a
/// `cairn build` output, sorted by path; none is an empty list.
std::vector<OutputFile> FindOutputFiles(const std::filesystem::path& dir);

/// The tag of `file`'s artifact: see above. `tags` are the image tags pushed;
/// `image_tag` the one that names its image.
std::string ArtifactTag(const OutputFile& file, const std::string& image_tag, size_t tags);

}  // namespace cairn::publish::internal
