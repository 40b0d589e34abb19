// Reading and writing lock files (schema in include/cairn/lock/lock.h).
//
// Reading is strict: every field is checked for presence and type, unknown
// fields are rejected, and each error names the field by its JSON path
// ("archs.x86_64.packages[2].checksum") so a hand-edited lock is easy to fix.

#include "cairn/lock/lock.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"

namespace cairn::lock {
namespace {

using nlohmann::json;

enum class Kind { kString, kObject, kArray, kInteger, kSize };

const char* Expected(Kind kind) {
  switch (kind) {
    case Kind::kString: return "a string";
    case Kind::kObject: return "an object";
    case Kind::kArray: return "an array";
    case Kind::kInteger: return "an integer";
    case Kind::kSize: return "a non-negative integer";
  }
  return "";
}

bool Matches(const json& v, Kind kind) {
  switch (kind) {
    case Kind::kString: return v.is_string();
    case Kind::kObject: return v.is_object();
    case Kind::kArray: return v.is_array();
    case Kind::kInteger: return v.is_number_integer();
    case Kind::kSize: return v.is_number_unsigned();
  }
  return false;
}

std::string Describe(const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return "a negative number";
  if (v.is_number()) return v.is_number_float() ? "a fractional number" : "a number";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  return "null";
}

/// Walks the parsed document, producing located kConfig errors.
class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  Error Fail(std::string message) const {
    return Error(Code::kConfig, std::move(message)).At(SourceLoc{file_});
  }

  /// Checks that `obj` (at `path`) has only the listed keys.
  Status OnlyKeys(const json& obj, const std::string& path,
                  std::initializer_list<const char*> keys) const {
    for (const auto& item : obj.items()) {
      const std::string& key = item.key();
      if (std::find_if(keys.begin(), keys.end(), [&](const char* k) { return key == k; }) ==
          keys.end())
        return Fail(fmt::format("unknown field '{}'", Join(path, key)));
    }
    return {};
  }

  /// The member `key` of `obj`, required to be of `kind`.
  Result<const json*> Get(const json& obj, const std::string& path, const char* key,
                          Kind kind) const {
    std::string name = Join(path, key);
    auto it = obj.find(key);
    if (it == obj.end())
      return Fail(fmt::format("missing field '{}' (expected {})", name, Expected(kind)));
    return Check(*it, name, kind);
  }

  Result<const json*> Check(const json& v, const std::string& name, Kind kind) const {
    if (!Matches(v, kind))
      return Fail(fmt::format("field '{}' is {} (expected {})", name, Describe(v), Expected(kind)));
    return &v;
  }

  Result<std::string> String(const json& obj, const std::string& path, const char* key) const {
    CAIRN_ASSIGN_OR_RETURN(const json* v, Get(obj, path, key, Kind::kString));
    return v->get<std::string>();
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  const std::string& file_;
};

Result<LockedPackage> ReadPackage(const Reader& r, const json& v, const std::string& path) {
  CAIRN_TRY(r.Check(v, path, Kind::kObject));
  CAIRN_TRY(r.OnlyKeys(v, path, {"name", "version", "arch", "url", "checksum", "size", "datahash",
                                 "repository", "sha256"}));
  LockedPackage p;
  CAIRN_ASSIGN_OR_RETURN(p.name, r.String(v, path, "name"));
  CAIRN_ASSIGN_OR_RETURN(p.version, r.String(v, path, "version"));
  CAIRN_ASSIGN_OR_RETURN(p.arch, r.String(v, path, "arch"));
  CAIRN_ASSIGN_OR_RETURN(p.url, r.String(v, path, "url"));
  CAIRN_ASSIGN_OR_RETURN(p.checksum, r.String(v, path, "checksum"));
  CAIRN_ASSIGN_OR_RETURN(const json* size, r.Get(v, path, "size", Kind::kSize));
  p.size = size->get<uint64_t>();
  if (v.contains("datahash")) {
    CAIRN_ASSIGN_OR_RETURN(p.datahash, r.String(v, path, "datahash"));
  }
  CAIRN_ASSIGN_OR_RETURN(p.repository, r.String(v, path, "repository"));
  if (v.contains("sha256")) {
    CAIRN_ASSIGN_OR_RETURN(p.sha256, r.String(v, path, "sha256"));
  }
  return p;
}

Result<Lock> ReadDocument(const Reader& r, const json& doc) {
  Lock lock;
  if (!doc.is_object())
    return r.Fail(fmt::format("the lock is {} (expected an object)", Describe(doc)));
  CAIRN_TRY(r.OnlyKeys(doc, "", {"version", "format", "config", "keyring", "repositories",
                                 "archs"}));
  CAIRN_ASSIGN_OR_RETURN(const json* version, r.Get(doc, "", "version", Kind::kInteger));
  if (*version != kLockVersion)
    return r.Fail(fmt::format("unsupported lock version {} (expected {})", version->dump(),
                              kLockVersion));
  if (doc.contains("format")) {
    CAIRN_ASSIGN_OR_RETURN(lock.format, r.String(doc, "", "format"));
    if (lock.format != "apk" && lock.format != "deb")
      return r.Fail(fmt::format("field 'format' is '{}' (expected 'apk' or 'deb')", lock.format));
  }

  CAIRN_ASSIGN_OR_RETURN(const json* config, r.Get(doc, "", "config", Kind::kObject));
  CAIRN_TRY(r.OnlyKeys(*config, "config", {"files", "sha256"}));
  CAIRN_ASSIGN_OR_RETURN(const json* files, r.Get(*config, "config", "files", Kind::kArray));
  for (size_t i = 0; i < files->size(); ++i) {
    std::string path = fmt::format("config.files[{}]", i);
    CAIRN_TRY(r.Check((*files)[i], path, Kind::kObject));
    CAIRN_TRY(r.OnlyKeys((*files)[i], path, {"path", "sha256"}));
    LockedFile f;
    CAIRN_ASSIGN_OR_RETURN(f.path, r.String((*files)[i], path, "path"));
    CAIRN_ASSIGN_OR_RETURN(f.sha256, r.String((*files)[i], path, "sha256"));
    lock.config.files.push_back(std::move(f));
  }
  CAIRN_ASSIGN_OR_RETURN(lock.config.sha256, r.String(*config, "config", "sha256"));

  CAIRN_ASSIGN_OR_RETURN(const json* keyring, r.Get(doc, "", "keyring", Kind::kArray));
  for (size_t i = 0; i < keyring->size(); ++i) {
    std::string path = fmt::format("keyring[{}]", i);
    CAIRN_TRY(r.Check((*keyring)[i], path, Kind::kObject));
    CAIRN_TRY(r.OnlyKeys((*keyring)[i], path, {"name", "sha256"}));
    LockedKey k;
    CAIRN_ASSIGN_OR_RETURN(k.name, r.String((*keyring)[i], path, "name"));
    CAIRN_ASSIGN_OR_RETURN(k.sha256, r.String((*keyring)[i], path, "sha256"));
    lock.keyring.push_back(std::move(k));
  }

  CAIRN_ASSIGN_OR_RETURN(const json* repos, r.Get(doc, "", "repositories", Kind::kArray));
  for (size_t i = 0; i < repos->size(); ++i) {
    std::string path = fmt::format("repositories[{}]", i);
    CAIRN_TRY(r.Check((*repos)[i], path, Kind::kObject));
    CAIRN_TRY(r.OnlyKeys((*repos)[i], path, {"url", "tag"}));
    LockedRepository repo;
    CAIRN_ASSIGN_OR_RETURN(repo.url, r.String((*repos)[i], path, "url"));
    CAIRN_ASSIGN_OR_RETURN(repo.tag, r.String((*repos)[i], path, "tag"));
    lock.repositories.push_back(std::move(repo));
  }

  CAIRN_ASSIGN_OR_RETURN(const json* archs, r.Get(doc, "", "archs", Kind::kObject));
  for (const auto& [arch, value] : archs->items()) {
    std::string path = "archs." + arch;
    CAIRN_TRY(r.Check(value, path, Kind::kObject));
    LockedArch& out = lock.archs[arch];
    if (value.contains("layers")) {
      CAIRN_TRY(r.OnlyKeys(value, path, {"arch", "layers"}));
      if (value.contains("arch")) {
        CAIRN_ASSIGN_OR_RETURN(out.arch, r.String(value, path, "arch"));
      }
      CAIRN_ASSIGN_OR_RETURN(const json* layers, r.Get(value, path, "layers", Kind::kArray));
      for (size_t l = 0; l < layers->size(); ++l) {
        std::string lpath = fmt::format("{}.layers[{}]", path, l);
        const json& lv = (*layers)[l];
        CAIRN_TRY(r.Check(lv, lpath, Kind::kObject));
        CAIRN_TRY(r.OnlyKeys(lv, lpath, {"name", "packages"}));
        LockedLayer layer;
        CAIRN_ASSIGN_OR_RETURN(layer.name, r.String(lv, lpath, "name"));
        CAIRN_ASSIGN_OR_RETURN(const json* packages, r.Get(lv, lpath, "packages", Kind::kArray));
        for (size_t i = 0; i < packages->size(); ++i) {
          CAIRN_ASSIGN_OR_RETURN(
              LockedPackage p,
              ReadPackage(r, (*packages)[i], fmt::format("{}.packages[{}]", lpath, i)));
          out.packages.push_back(p);
          layer.packages.push_back(std::move(p));
        }
        out.layers.push_back(std::move(layer));
      }
      continue;
    }
    CAIRN_TRY(r.OnlyKeys(value, path, {"packages"}));
    CAIRN_ASSIGN_OR_RETURN(const json* packages, r.Get(value, path, "packages", Kind::kArray));
    for (size_t i = 0; i < packages->size(); ++i) {
      CAIRN_ASSIGN_OR_RETURN(LockedPackage p,
                             ReadPackage(r, (*packages)[i], fmt::format("{}.packages[{}]", path, i)));
      out.packages.push_back(std::move(p));
    }
  }
  return lock;
}

/// A located error for malformed JSON, using nlohmann's own line and column.
Error SyntaxError(std::string_view text, const std::string& file, const std::string& what) {
  static const std::regex kPos(R"(line (\d+), column (\d+): (.*))");
  std::smatch m;
  SourceLoc loc{file};
  std::string message = what;
  if (std::regex_search(what, m, kPos)) {
    loc.line = std::stoi(m[1]);
    loc.col = std::stoi(m[2]);
    message = m[3];
    size_t start = 0;
    for (int line = 1; line < loc.line && start != std::string_view::npos; ++line) {
      start = text.find('\n', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start != std::string_view::npos && start <= text.size()) {
      size_t end = text.find('\n', start);
      loc.line_text = std::string(text.substr(start, end == std::string_view::npos ? end : end - start));
    }
  }
  return Error(Code::kConfig, "invalid JSON: " + message).At(std::move(loc));
}

}  // namespace

Result<Lock> ParseLock(std::string_view text, const std::string& file) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return SyntaxError(text, file, e.what());
  }
  return ReadDocument(Reader(file), doc);
}

Result<Lock> ReadLock(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().code() == Code::kNotFound)
      return NotFoundError(fmt::format("lock file '{}' does not exist", path.string()));
    return std::move(text).error();
  }
  return ParseLock(*text, path.string());
}

std::string FormatLock(const Lock& lock) {
  using nlohmann::ordered_json;
  ordered_json files = ordered_json::array();
  for (const auto& f : lock.config.files)
    files.push_back(ordered_json{{"path", f.path}, {"sha256", f.sha256}});
  ordered_json keyring = ordered_json::array();
  for (const auto& k : lock.keyring)
    keyring.push_back(ordered_json{{"name", k.name}, {"sha256", k.sha256}});
  ordered_json repos = ordered_json::array();
  for (const auto& r : lock.repositories)
    repos.push_back(ordered_json{{"url", r.url}, {"tag", r.tag}});
  ordered_json archs = ordered_json::object();
  auto package_list = [](const std::vector<LockedPackage>& list) {
    ordered_json packages = ordered_json::array();
    for (const auto& p : list) {
      ordered_json j{{"name", p.name},         {"version", p.version},
                     {"arch", p.arch},         {"url", p.url},
                     {"checksum", p.checksum}, {"size", p.size}};
      if (!p.datahash.empty()) j["datahash"] = p.datahash;
      j["repository"] = p.repository;
      if (!p.sha256.empty()) j["sha256"] = p.sha256;
      packages.push_back(std::move(j));
    }
    return packages;
  };
  for (const auto& [arch, locked] : lock.archs) {  // std::map: sorted by key
    if (locked.layers.empty()) {
      archs[arch] = ordered_json{{"packages", package_list(locked.packages)}};
      continue;
    }
    ordered_json layers = ordered_json::array();
    for (const auto& l : locked.layers)
      layers.push_back(ordered_json{{"name", l.name}, {"packages", package_list(l.packages)}});
    ordered_json target = ordered_json::object();
    if (!locked.arch.empty()) target["arch"] = locked.arch;
    target["layers"] = std::move(layers);
    archs[arch] = std::move(target);
  }
  ordered_json doc{{"version", lock.version}};
  if (lock.format != "apk") doc["format"] = lock.format;
  doc.update(ordered_json{{"config", ordered_json{{"files", std::move(files)},
                                           {"sha256", lock.config.sha256}}},
                   {"keyring", std::move(keyring)},
                   {"repositories", std::move(repos)},
                   {"archs", std::move(archs)}});
  // Invalid UTF-8 is replaced rather than thrown: a formatter cannot fail.
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string ConfigDigest(const std::vector<LockedFile>& files) {
  std::vector<const LockedFile*> sorted;
  for (const auto& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](const LockedFile* a, const LockedFile* b) { return a->path < b->path; });
  Hasher h = Hasher::Sha256();
  for (const LockedFile* f : sorted) h.Update(f->sha256 + "  " + f->path + "\n");
  return HexEncode(h.Finish());
}

LockedPackage FromPackageInfo(const apk::PackageInfo& info, std::string url) {
  return LockedPackage{info.name,  info.version,  info.arch,       std::move(url),
                       info.checksum, info.size, info.datahash, info.repository, ""};
}

apk::PackageInfo ToPackageInfo(const LockedPackage& package) {
  apk::PackageInfo info;
  info.name = package.name;
  info.version = package.version;
  info.arch = package.arch;
  info.checksum = package.checksum;
  info.size = package.size;
  info.datahash = package.datahash;
  info.repository = package.repository;
  return info;
}

}  // namespace cairn::lock
