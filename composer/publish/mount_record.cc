#include "publish/mount_record.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cairn/file_util.h"

namespace cairn::publish::internal {
namespace {

using Map = std::map<std::string, std::map<std::string, std::string>>;

Map ReadMap(const std::filesystem::path& file) {
  Map out;
  auto text = ReadFile(file);
  if (!text.ok()) return out;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return out;  // a damaged hint file is as good as none
  for (const auto& [registry, blobs] : j.items()) {
    if (!blobs.is_object()) continue;
    for (const auto& [digest, repo] : blobs.items())
      if (repo.is_string()) out[registry][digest] = repo.get<std::string>();
  }
  return out;
}

}  // namespace

MountRecord MountRecord::Load(const std::filesystem::path& file) {
  MountRecord r;
  r.file_ = file;
  if (!file.empty()) r.known_ = ReadMap(file);
  return r;
}

std::vector<std::string> MountRecord::SourcesFor(const std::string& registry,
                                                 const std::string& digest,
                                                 const std::string& repository) const {
  std::vector<std::string> out;
  for (const Map* m : {&added_, &known_}) {
    auto r = m->find(registry);
    if (r == m->end()) continue;
    auto d = r->second.find(digest);
    if (d != r->second.end() && d->second != repository) out.push_back(d->second);
  }
  return out;
}

void MountRecord::Note(const std::string& registry, const std::string& digest,
                       const std::string& repository) {
  added_[registry][digest] = repository;
}

Status MountRecord::Save() const {
  if (file_.empty() || added_.empty()) return {};
  CAIRN_TRY(MakeDirs(file_.parent_path()));
  CAIRN_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(file_.string() + ".lock"));
  Map merged = ReadMap(file_);  // another push may have written since Load
  for (const auto& [registry, blobs] : added_)
    for (const auto& [digest, repo] : blobs) merged[registry][digest] = repo;
  nlohmann::json j = merged;
  return WriteFileAtomic(file_, j.dump(1) + "\n");
}

}  // namespace cairn::publish::internal
