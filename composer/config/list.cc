#include "cairn/config/list.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "cairn/file_util.h"
#include "config/yaml_node.h"

namespace cairn::config {
namespace fs = std::filesystem;
namespace {

Result<std::string> ReadDescription(const fs::path& file) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  CAIRN_ASSIGN_OR_RETURN(auto yaml, internal::YamlFile::Parse(file.string(), text));
  const YAML::Node& root = yaml.root();
  if (root.IsNull()) return std::string();
  if (!root.IsMap()) return internal::WrongType(yaml, root, "the document", "a mapping");
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != "description") continue;
    CAIRN_ASSIGN_OR_RETURN(std::string d, internal::ReadString(yaml, it->second, "description"));
    size_t nl = d.find('\n');
    return nl == std::string::npos ? d : d.substr(0, nl);
  }
  return std::string();
}

Status Scan(const fs::path& root, const std::string& kind, std::vector<DeclarationInfo>& all) {
  fs::path dir = root / kind;
  std::vector<DeclarationInfo> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  fs::directory_iterator it(dir, ec);
  if (ec) return ErrnoError(fmt::format("cannot list '{}'", dir.string()), ec.value());
  for (const fs::directory_entry& e : it) {
    std::string ext = e.path().extension().string();
    if ((ext != ".yaml" && ext != ".yml") || !e.is_regular_file(ec)) continue;
    DeclarationInfo info;
    info.kind = kind;
    info.name = e.path().stem().string();
    info.file = e.path();
    CAIRN_ASSIGN_OR_RETURN(info.description, ReadDescription(e.path()));
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const DeclarationInfo& a, const DeclarationInfo& b) {
    return a.name != b.name ? a.name < b.name : a.file < b.file;
  });
  for (DeclarationInfo& d : out) all.push_back(std::move(d));
  return {};
}

}  // namespace

Result<std::vector<DeclarationInfo>> ListDeclarations(const fs::path& project_root) {
  std::error_code ec;
  if (!fs::is_directory(project_root, ec)) {
    return NotFoundError(fmt::format("project directory '{}' does not exist", project_root.string()));
  }
  std::vector<DeclarationInfo> all;
  for (const char* kind : {"images", "layers", "boards"}) CAIRN_TRY(Scan(project_root, kind, all));
  return all;
}

}  // namespace cairn::config
