#include "cairn/config/loader.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "cairn/file_util.h"
#include "config/merge.h"
#include "config/parse_file.h"
#include "config/yaml_node.h"

namespace cairn::config {
namespace fs = std::filesystem;
namespace {

struct LoadState {
  fs::path top_dir;  // cycle chains are shown relative to this
  struct Frame {
    fs::path identity;  // weakly canonical, to recognise a file reached two ways
    std::string display;
  };
  std::vector<Frame> stack;
  std::vector<std::string> files_read;
};

fs::path Identity(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? fs::absolute(p, ec).lexically_normal() : c;
}

std::string ShortName(const LoadState& st, const std::string& display) {
  fs::path rel = fs::path(display).lexically_relative(st.top_dir);
  if (rel.empty() || *rel.begin() == "..") return display;
  return rel.string();
}

Result<Image> LoadRecursive(const fs::path& path, const SourceLoc& from, LoadState& st) {
  std::string display = path.lexically_normal().string();
  fs::path identity = Identity(path);

  auto cycle = std::find_if(st.stack.begin(), st.stack.end(),
                            [&](const LoadState::Frame& fr) { return fr.identity == identity; });
  if (cycle != st.stack.end()) {
    std::string chain;
    for (auto it = cycle; it != st.stack.end(); ++it) chain += ShortName(st, it->display) + " -> ";
    chain += ShortName(st, display);
    return ConfigError(from, fmt::format("include cycle: {}", chain))
        .Hint("remove one of these 'include:' entries");
  }

  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (from.known()) {
      return Error(Code::kNotFound, fmt::format("included file '{}' does not exist", display))
          .At(from)
          .Hint("include paths are relative to the file that includes them");
    }
    return NotFoundError(fmt::format("declaration '{}' does not exist", display));
  }
  if (fs::is_directory(path, ec)) {
    return Error(Code::kConfig, fmt::format("declaration '{}' is a directory", display)).At(from);
  }
  auto text = ReadFile(path);
  if (!text.ok()) return std::move(text).error();
  if (std::find(st.files_read.begin(), st.files_read.end(), display) == st.files_read.end()) {
    st.files_read.push_back(display);
  }

  CAIRN_ASSIGN_OR_RETURN(auto yaml, internal::YamlFile::Parse(display, *text));
  fs::path dir = path.parent_path();
  CAIRN_ASSIGN_OR_RETURN(internal::ParsedFile parsed, internal::ParseDeclaration(yaml, dir));

  // Includes are merged in order (a later include overrides an earlier one),
  // then this file is laid over the result.
  st.stack.push_back({identity, display});
  Image merged;
  for (const LString& inc : parsed.includes) {
    if (inc.value.empty()) return ConfigError(inc.loc, "empty 'include' path");
    fs::path inc_path = fs::path(inc.value).is_absolute() ? fs::path(inc.value) : dir / inc.value;
    CAIRN_ASSIGN_OR_RETURN(Image included, LoadRecursive(inc_path, inc.loc, st));
    merged = internal::MergeImages(std::move(merged), std::move(included));
  }
  st.stack.pop_back();
  return internal::MergeImages(std::move(merged), std::move(parsed.image));
}

}  // namespace

Result<Image> LoadImage(const fs::path& file) {
  LoadState st;
  st.top_dir = file.lexically_normal().parent_path();
  try {
    CAIRN_ASSIGN_OR_RETURN(Image img, LoadRecursive(file, SourceLoc{}, st));
    img.source_file = file.lexically_normal().string();
    img.included_files = std::move(st.files_read);
    if (img.name.value.empty()) {
      img.name.value = file.stem().string();
      img.name.loc.file = img.source_file;
    }
    return img;
  } catch (const std::exception& e) {
    // yaml-cpp node access or std::filesystem should not throw here; if one
    // does, it is a bug, not a configuration error.
    return InternalError(fmt::format("loading '{}': {}", file.string(), e.what()));
  }
}

}  // namespace cairn::config
