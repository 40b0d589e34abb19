// Private to publish: which repository of a registry last received each blob,
// so pushing the same layers to another repository mounts them (POST
// ?mount=&from=) instead of uploading them again. Docker keeps the same kind
// of record (its v2 metadata by layer); ours is one JSON file
// {"<registry>": {"<digest>": "<repository>"}} in the cache directory,
// updated under a lock. It is only a hint: a wrong entry costs nothing, as the
// registry then starts an ordinary upload.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cairn/result.h"

namespace cairn::publish::internal {

class MountRecord {
 public:
  /// Reads `file` (a missing or unreadable one is an empty record); empty path: no record.
  static MountRecord Load(const std::filesystem::path& file);

  /// Repositories other than `repository` known to hold `digest` on `registry`.
  std::vector<std::string> SourcesFor(const std::string& registry, const std::string& digest,
                                      const std::string& repository) const;
  /// Remembers that `repository` now holds `digest`.
  void Note(const std::string& registry, const std::string& digest, const std::string& repository);
  /// Merges the new entries into the file (atomically, under a lock); no-op without a file.
  Status Save() const;

 private:
  using Map = std::map<std::string, std::map<std::string, std::string>>;
  std::filesystem::path file_;
  Map known_;
  Map added_;
};

}  // namespace cairn::publish::internal
