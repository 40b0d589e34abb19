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

inline Result<Image> LoadText(const testing::ScratchDir& dir, const std::string& text,
                              const std::string& name = "image.yaml") {
  return LoadImage(WriteDecl(dir, name, text));
}

}  // namespace cairn::config::test
