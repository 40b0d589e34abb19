// Helpers shared by tests: where fixtures live, scratch directories, running
// external tools and capturing their output.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cairn::testing {

/// ../shared/fixtures beside the checkout (CAIRN_SHARED_FIXTURES).
std::filesystem::path SharedFixtures();
/// tests/data in the source tree.
std::filesystem::path TestData();

/// A fresh directory under the build tree, removed when the object dies.
class ScratchDir {
 public:
  /// Under the build directory, or (outside_project) under the system's
  /// temporary directory, where no ancestor is a cairn project (layers/, boards/).
  explicit ScratchDir(const std::string& name, bool outside_project = false);
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};
/// The last `lines` lines of a command's output, after a line saying how many
/// came before: a failing build's error is at the end of its progress, and CI
/// shows only the first lines of a failure's messages.
std::string Tail(const std::string& text, size_t lines = 15);

/// Runs argv (no shell) with optional extra environment "K=V" entries; captures output.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {},
                         const std::filesystem::path& cwd = {});

}  // namespace cairn::testing
