// FindOutputFiles and ArtifactTag.
#include "publish/file_artifacts.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace cairn::publish::internal {

namespace fs = std::filesystem;

std::vector<OutputFile> FindOutputFiles(const fs::path& dir) {
  struct Kind {
    const char* subdir;
    const char* extension;
    const char* kind;
    const char* artifact_type;
  };
  static const Kind kKinds[] = {{"disk", ".img", "disk", kDiskRawArtifactType},
                                {"disk", ".qcow2", "disk", kDiskQcow2ArtifactType},
                                {"squashfs", ".squashfs", "squashfs", kSquashfsArtifactType},
                                {"erofs", ".erofs", "erofs", kErofsArtifactType}};
  std::vector<OutputFile> out;
  for (const Kind& k : kKinds) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / k.subdir, ec)) {
      if (!e.is_regular_file(ec) || e.path().extension() != k.extension) continue;
      out.push_back({e.path(), k.kind, e.path().stem().string(), k.artifact_type});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
  return out;
}

std::string ArtifactTag(const OutputFile& file, const std::string& image_tag, size_t tags) {
  if (tags == 1) return fmt::format("{}-{}-{}", image_tag, file.kind, file.target);
  return fmt::format("{}-{}", image_tag, file.kind);
}

}  // namespace cairn::publish::internal
