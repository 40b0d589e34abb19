#include "cairn/config/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "cairn/config/did_you_mean.h"
#include "cairn/file_util.h"
#include "config/merge.h"
#include "config/parse_file.h"
#include "config/parse_layer.h"
#include "config/yaml_node.h"

namespace cairn::config {
namespace fs = std::filesystem;
namespace {

struct Frame {
  fs::path identity;  // weakly canonical, to recognise a file reached two ways
  std::string display;
};

struct LoadState {
  fs::path top_dir;                     // cycle chains are shown relative to this
  std::vector<Frame> stack;             // the include chain being loaded
  std::vector<Frame> bases;             // the base chain being loaded
  std::vector<std::string> files_read;  // every file read, once, in order
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

std::string Chain(const LoadState& st, const std::vector<Frame>& frames,
                  std::vector<Frame>::const_iterator from, const std::string& last) {
  std::string chain;
  for (auto it = from; it != frames.end(); ++it) chain += ShortName(st, it->display) + " -> ";
  return chain + ShortName(st, last);
}

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec) && !fs::is_directory(p, ec);
}

// Reads a file and records it for the lock's config hash.
Result<std::string> ReadRecorded(const fs::path& path, LoadState& st) {
  std::string display = path.lexically_normal().string();
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (std::find(st.files_read.begin(), st.files_read.end(), display) == st.files_read.end()) {
    st.files_read.push_back(display);
  }
  return text;
}

Result<Image> LoadRecursive(const fs::path& path, const SourceLoc& from, LoadState& st) {
  std::string display = path.lexically_normal().string();
  fs::path identity = Identity(path);

  auto cycle = std::find_if(st.stack.begin(), st.stack.end(),
                            [&](const Frame& fr) { return fr.identity == identity; });
  if (cycle != st.stack.end()) {
    return ConfigError(from, fmt::format("include cycle: {}", Chain(st, st.stack, cycle, display)))
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
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadRecorded(path, st));
  CAIRN_ASSIGN_OR_RETURN(auto yaml, internal::YamlFile::Parse(display, text));
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

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The *.yaml / *.yml stems in `dir`, sorted.
std::vector<std::string> NamesIn(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!IsDir(dir)) return names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension().string();
    if ((ext == ".yaml" || ext == ".yml") && !e.is_directory(ec)) {
      names.push_back(e.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// The file a `layers:` / `boards:` / `base:` entry refers to. `kind` is the
// project directory ("layers", "boards", "images"), `noun` what it is called
// in messages ("layer", "board", "base image").
Result<fs::path> ResolveRef(const LString& ref, const std::string& kind, const std::string& noun) {
  fs::path declaring(ref.loc.file);
  const std::string& v = ref.value;
  if (EndsWith(v, ".yaml") || EndsWith(v, ".yml") || v.find('/') != std::string::npos) {
    fs::path p = fs::path(v).is_absolute() ? fs::path(v) : declaring.parent_path() / v;
    p = p.lexically_normal();
    if (!IsFile(p)) {
      return Error(Code::kNotFound, fmt::format("{} file '{}' does not exist", noun, p.string()))
          .At(ref.loc)
          .Hint(fmt::format("a path is relative to the file that declares it; "
                            "a name is looked "
                            "up in <project>/{}/",
                            kind));
    }
    return p;
  }
  std::optional<fs::path> root = FindProjectRoot(declaring);
  if (!root && kind == "images") {
    // A project of images only (no layers/ or boards/) can still name a base.
    for (fs::path d = fs::absolute(declaring).parent_path(); !d.empty(); d = d.parent_path()) {
      if (IsDir(d / "images")) {
        root = d;
        break;
      }
      if (d == d.parent_path()) break;
    }
  }
  if (!root) {
    return ConfigError(ref.loc, fmt::format("unknown {} '{}'", noun, v))
        .Hint(fmt::format("no project directory (one with layers/ or boards/) contains '{}'; "
                          "give a path ending in .yaml instead",
                          declaring.string()));
  }
  fs::path dir = (*root / kind).lexically_normal();
  for (const char* ext : {".yaml", ".yml"}) {
    fs::path p = dir / (v + ext);
    if (IsFile(p)) return p;
  }
  std::vector<std::string> names = NamesIn(dir);
  Error e = ConfigError(ref.loc, fmt::format("unknown {} '{}'", noun, v));
  if (auto s = SuggestClosest(v, names))
    return std::move(e).Hint(fmt::format("did you mean '{}'?", *s));
  if (names.empty())
    return std::move(e).Hint(fmt::format("'{}' has no {} files", dir.string(), noun));
  return std::move(e).Hint(
      fmt::format("the {} files in '{}' are {}", noun, dir.string(), QuoteList(names, " and ")));
}

Result<internal::YamlFile> ReadYaml(const fs::path& path, LoadState& st) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadRecorded(path, st));
  return internal::YamlFile::Parse(path.lexically_normal().string(), text);
}

Result<Layer> ReadLayer(const fs::path& path, LoadState& st) {
  CAIRN_ASSIGN_OR_RETURN(auto yaml, ReadYaml(path, st));
  return internal::ParseLayer(yaml, path.parent_path(), path.stem().string());
}

Result<Board> ReadBoard(const fs::path& path, LoadState& st) {
  CAIRN_ASSIGN_OR_RETURN(auto yaml, ReadYaml(path, st));
  return internal::ParseBoard(yaml, path.parent_path(), path.stem().string());
}

Result<Layer> LoadLayerRef(const LString& ref, LoadState& st) {
  CAIRN_ASSIGN_OR_RETURN(fs::path path, ResolveRef(ref, "layers", "layer"));
  CAIRN_ASSIGN_OR_RETURN(Layer layer, ReadLayer(path, st));
  layer.loc = ref.loc;
  return layer;
}

bool HasAnyRepository(const Contents& c) {
  return !c.repositories.empty() || !c.build_repositories.empty() ||
         !c.runtime_repositories.empty();
}

std::string SourceOf(const Image& img) { return img.contents.debian.empty() ? "apk" : "debian"; }

// The base's own contents as a stack entry (kind "image").
Layer OwnContentsLayer(const Image& base, const SourceLoc& at) {
  Layer own;
  own.source_file = base.source_file;
  own.kind = "image";
  own.name = base.name;
  own.description = base.description;
  if (!base.contents.packages.empty()) {
    PackageList& pl = own.packages[SourceOf(base)];
    pl.all = base.contents.packages;
    pl.loc = base.contents.loc;
  }
  own.accounts = base.accounts;
  own.accounts.run_as = {};
  own.files = base.files;
  own.paths = base.paths;
  own.loc = at;
  return own;
}

bool HasOwnContents(const Image& img) {
  return !img.contents.packages.empty() || !img.accounts.groups.empty() ||
         !img.accounts.users.empty() || !img.files.empty() || !img.paths.empty();
}

Result<Image> LoadFull(const fs::path& path, const SourceLoc& from, LoadState& st);

Status LoadBase(Image& img, LoadState& st) {
  const LString& ref = img.base;
  CAIRN_ASSIGN_OR_RETURN(fs::path path, ResolveRef(ref, "images", "base image"));
  CAIRN_ASSIGN_OR_RETURN(Image base, LoadFull(path, ref.loc, st));
  if (!base.boards.empty()) {
    return ConfigError(ref.loc, fmt::format("base image '{}' declares boards", base.name.value))
        .Hint(fmt::format("a base image is built without boards; 'boards:' is at {}",
                          base.boards.front().loc.ToString()));
  }
  Contents& c = img.contents;
  if (!HasAnyRepository(c) && c.debian.empty()) {
    c.repositories = base.contents.repositories;
    c.build_repositories = base.contents.build_repositories;
    c.runtime_repositories = base.contents.runtime_repositories;
    if (c.keyring.empty()) c.keyring = base.contents.keyring;
    c.debian = base.contents.debian;
  } else if (SourceOf(img) != SourceOf(base)) {
    auto describe = [](const std::string& s) {
      return s == "debian" ? "Debian sources" : "APK repositories";
    };
    return ConfigError(
               ref.loc,
               fmt::format("base image '{}' takes its packages from {}, this image "
                           "from {}",
                           base.name.value, describe(SourceOf(base)), describe(SourceOf(img))))
        .Hint("a base and the images built on it use the same package source");
  }
  if (img.archs.empty()) img.archs = base.archs;
  std::vector<Layer> stack = std::move(base.stack);
  if (HasOwnContents(base) || stack.empty()) stack.push_back(OwnContentsLayer(base, ref.loc));
  img.base_layer_count = stack.size();
  img.stack = std::move(stack);
  return {};
}

// Loads an image with its includes, then its base, layers and boards.
Result<Image> LoadFull(const fs::path& path, const SourceLoc& from, LoadState& st) {
  std::string display = path.lexically_normal().string();
  fs::path identity = Identity(path);
  auto cycle = std::find_if(st.bases.begin(), st.bases.end(),
                            [&](const Frame& fr) { return fr.identity == identity; });
  if (cycle != st.bases.end()) {
    return ConfigError(from, fmt::format("base cycle: {}", Chain(st, st.bases, cycle, display)))
        .Hint(
            "an image cannot be built on itself; remove one of these 'base:' "
            "entries");
  }
  st.bases.push_back({identity, display});
  CAIRN_ASSIGN_OR_RETURN(Image img, LoadRecursive(path, from, st));
  img.source_file = display;
  if (img.name.value.empty()) {
    img.name.value = path.stem().string();
    img.name.loc.file = img.source_file;
  }
  if (!img.base.value.empty()) CAIRN_TRY(LoadBase(img, st));
  for (const LString& ref : img.layers) {
    CAIRN_ASSIGN_OR_RETURN(Layer layer, LoadLayerRef(ref, st));
    img.stack.push_back(std::move(layer));
  }
  for (const LString& ref : img.boards) {
    CAIRN_ASSIGN_OR_RETURN(fs::path bpath, ResolveRef(ref, "boards", "board"));
    CAIRN_ASSIGN_OR_RETURN(Board board, ReadBoard(bpath, st));
    board.loc = ref.loc;
    for (const LString& lref : board.layers) {
      CAIRN_ASSIGN_OR_RETURN(Layer layer, LoadLayerRef(lref, st));
      board.layer_defs.push_back(std::move(layer));
    }
    img.board_defs.push_back(std::move(board));
  }
  st.bases.pop_back();
  return img;
}

template <typename T, typename Fn>
Result<T> Guarded(const fs::path& file, Fn fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    // yaml-cpp node access or std::filesystem should not throw here; if one
    // does, it is a bug, not a configuration error.
    return InternalError(fmt::format("loading '{}': {}", file.string(), e.what()));
  }
}

Result<fs::path> ExistingFile(const fs::path& file) {
  if (!IsFile(file)) {
    if (IsDir(file)) {
      return Error(Code::kConfig, fmt::format("declaration '{}' is a directory", file.string()));
    }
    return NotFoundError(fmt::format("declaration '{}' does not exist", file.string()));
  }
  return file;
}

}  // namespace

std::optional<fs::path> FindProjectRoot(const fs::path& file) {
  auto is_root = [](const fs::path& d) {
    fs::path probe = d.empty() ? fs::path(".") : d;
    return IsDir(probe / "layers") || IsDir(probe / "boards");
  };
  fs::path d = file.lexically_normal().parent_path();
  // Walk a relative path lexically first, so the root (and the file names in
  // messages) stay relative, then continue above the working directory.
  if (d.is_relative() && (d.empty() || *d.begin() != "..")) {
    for (;;) {
      if (is_root(d)) return d.empty() ? fs::path(".") : d;
      if (d.empty()) break;
      d = d.parent_path();
    }
    std::error_code ec;
    d = fs::current_path(ec).parent_path();
    if (ec) return std::nullopt;
  } else {
    d = fs::absolute(d).lexically_normal();
  }
  for (;;) {
    if (is_root(d)) return d;
    if (d == d.parent_path() || d.empty()) return std::nullopt;
    d = d.parent_path();
  }
}

Result<Image> LoadImage(const fs::path& file) {
  return Guarded<Image>(file, [&]() -> Result<Image> {
    LoadState st;
    st.top_dir = file.lexically_normal().parent_path();
    CAIRN_ASSIGN_OR_RETURN(Image img, LoadFull(file, SourceLoc{}, st));
    img.included_files = std::move(st.files_read);
    return img;
  });
}

Result<Layer> LoadLayer(const fs::path& file) {
  return Guarded<Layer>(file, [&]() -> Result<Layer> {
    CAIRN_ASSIGN_OR_RETURN(fs::path p, ExistingFile(file));
    LoadState st;
    return ReadLayer(p, st);
  });
}

Result<Board> LoadBoard(const fs::path& file) {
  return Guarded<Board>(file, [&]() -> Result<Board> {
    CAIRN_ASSIGN_OR_RETURN(fs::path p, ExistingFile(file));
    LoadState st;
    return ReadBoard(p, st);
  });
}

}  // namespace cairn::config
