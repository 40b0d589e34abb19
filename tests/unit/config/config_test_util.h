// Shared by the config tests: write a declaration into a scratch directory and load it.
#pragma once

#include <fstream>
#include <string>

#include "cairn/config/loader.h"
#include "support/test_support.h"

namespace cairn::config::test {

inline std::filesystem::path WriteDecl(const testing::ScratchDir& dir, const std::string& name,
                                       const std::string& text) {
  std::filesystem::path p = dir.path() / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

/// `e` rendered, with the path of the scratch declaration `name` shown as "F".
inline std::string RenderedAsF(const Error& e, const testing::ScratchDir& dir,
                               const std::string& name = "image.yaml") {
  std::string out = e.Render();
  const std::string path = (dir.path() / name).string();
  for (size_t at; (at = out.find(path)) != std::string::npos;) out.replace(at, path.size(), "F");
  return out;
}

inline Result<Image> LoadText(const testing::ScratchDir& dir, const std::string& text,
                              const std::string& name = "image.yaml") {
  return LoadImage(WriteDecl(dir, name, text));
}

/// A scratch project (layers/, boards/, images/ as the test writes them).
struct Project {
  testing::ScratchDir dir{"config-project"};
  std::filesystem::path Write(const std::string& rel, const std::string& text) const {
    return WriteDecl(dir, rel, text);
  }
  /// The absolute path of `rel`, as errors and SourceLocs show it.
  std::string Path(const std::string& rel) const { return (dir.path() / rel).string(); }
  Result<Image> Load(const std::string& rel) const { return LoadImage(dir.path() / rel); }
};

/// The values of a located list.
/// tests/data/config/layered: a project with layers/, boards/ and images/.
inline std::string Layered() { return (testing::TestData() / "config" / "layered").string(); }

inline std::vector<std::string> Values(const std::vector<LString>& v) {
  std::vector<std::string> out;
  for (const LString& s : v) out.push_back(s.value);
  return out;
}

}  // namespace cairn::config::test
