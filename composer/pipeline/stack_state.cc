// StackState's per-layer record: every field spelled out in cairn's binary
// record format (binary_record.h), so a restored record is the record
// composed (no detour through apk's or dpkg's own formats, which leave fields
// out) and thousands of packages decode in milliseconds.
#include "pipeline/stack_state.h"

#include <fmt/format.h>

#include "cairn/binary_record.h"

namespace cairn::pipeline {
namespace {

constexpr std::string_view kMagic = "cairn-layer-state 1\n";

void PutDeps(BinaryWriter& w, const std::vector<apk::Dependency>& deps) {
  w.U64(deps.size());
  for (const auto& d : deps) {
    w.Str(d.name);
    w.U64(static_cast<uint64_t>(d.op));
    w.Str(d.version);
    w.Str(d.tag);
    w.U64(d.conflict ? 1 : 0);
  }
}

bool GetDeps(BinaryReader& r, std::vector<apk::Dependency>& deps) {
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  deps.resize(n);
  for (auto& d : deps) {
    uint64_t op = 0, conflict = 0;
    if (!r.Str(d.name) || !r.U64(op) || op > static_cast<uint64_t>(apk::VersionOp::kChecksum) ||
        !r.Str(d.version) || !r.Str(d.tag) || !r.U64(conflict))
      return false;
    d.op = static_cast<apk::VersionOp>(op);
    d.conflict = conflict != 0;
  }
  return true;
}

void PutStrings(BinaryWriter& w, const std::vector<std::string>& v) {
  w.U64(v.size());
  for (const auto& s : v) w.Str(s);
}

bool GetStrings(BinaryReader& r, std::vector<std::string>& v) {
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  v.resize(n);
  for (auto& s : v)
    if (!r.Str(s)) return false;
  return true;
}

void PutMap(BinaryWriter& w, const std::map<std::string, std::string>& m) {
  w.U64(m.size());
  for (const auto& [k, v] : m) {
    w.Str(k);
    w.Str(v);
  }
}

bool GetMapInto(BinaryReader& r, std::map<std::string, std::string>& m) {
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!r.Str(k) || !r.Str(v)) return false;
    m[std::move(k)] = std::move(v);
  }
  return true;
}

void PutInfo(BinaryWriter& w, const apk::PackageInfo& p) {
  for (const std::string* s : {&p.checksum, &p.name, &p.version, &p.arch, &p.description, &p.url,
                               &p.license, &p.origin, &p.maintainer, &p.commit, &p.datahash,
                               &p.repository})
    w.Str(*s);
  w.U64(p.size);
  w.U64(p.installed_size);
  w.I64(p.build_time);
  w.I64(p.provider_priority);
  w.U64(p.has_provider_priority ? 1 : 0);
  w.I64(p.replaces_priority);
  PutDeps(w, p.depends);
  w.U64(p.provides.size());
  for (const auto& pr : p.provides) {
    w.Str(pr.name);
    w.Str(pr.version);
  }
  PutDeps(w, p.install_if);
  PutDeps(w, p.replaces);
  PutStrings(w, p.triggers);
}

bool GetInfo(BinaryReader& r, apk::PackageInfo& p) {
  for (std::string* s : {&p.checksum, &p.name, &p.version, &p.arch, &p.description, &p.url,
                         &p.license, &p.origin, &p.maintainer, &p.commit, &p.datahash,
                         &p.repository})
    if (!r.Str(*s)) return false;
  uint64_t has_priority = 0, provides = 0;
  if (!r.Int(p.size) || !r.Int(p.installed_size) || !r.Int(p.build_time) ||
      !r.Int(p.provider_priority) || !r.U64(has_priority) || !r.Int(p.replaces_priority) ||
      !GetDeps(r, p.depends) || !r.Count(provides))
    return false;
  p.has_provider_priority = has_priority != 0;
  p.provides.resize(provides);
  for (auto& pr : p.provides)
    if (!r.Str(pr.name) || !r.Str(pr.version)) return false;
  return GetDeps(r, p.install_if) && GetDeps(r, p.replaces) && GetStrings(r, p.triggers);
}

void PutApk(BinaryWriter& w, const apk::InstalledPackage& p) {
  PutInfo(w, p.info);
  w.U64(p.files.size());
  for (const auto& f : p.files) {
    w.Str(f.path);
    w.U64(static_cast<uint64_t>(f.type));
    w.U64(f.uid);
    w.U64(f.gid);
    w.U64(f.mode);
    w.Str(f.sha1);
  }
  w.Str(p.repository_tag);
  w.Str(p.flags);
}

bool GetApk(BinaryReader& r, apk::InstalledPackage& p) {
  uint64_t files = 0;
  if (!GetInfo(r, p.info) || !r.Count(files)) return false;
  p.files.resize(files);
  for (auto& f : p.files) {
    uint64_t type = 0;
    if (!r.Str(f.path) || !r.U64(type) || type > static_cast<uint64_t>(rootfs::FileType::kFifo) ||
        !r.Int(f.uid) || !r.Int(f.gid) || !r.Int(f.mode) || !r.Str(f.sha1))
      return false;
    f.type = static_cast<rootfs::FileType>(type);
  }
  return r.Str(p.repository_tag) && r.Str(p.flags);
}

}  // namespace

StackState::Mark StackState::MarkNow() const {
  Mark m;
  m.apks = apks.packages.size();
  m.debs = debs.size();
  for (const auto& [k, v] : apks.scripts) m.scripts.insert(k);
  for (const auto& [k, v] : stanzas) m.stanzas.insert(k);
  return m;
}

std::string EncodeLayerState(const StackState& state, const StackState::Mark& before,
                             int64_t newest) {
  BinaryWriter w(kMagic);
  w.I64(newest);
  w.U64(state.apks.packages.size() - before.apks);
  for (size_t i = before.apks; i < state.apks.packages.size(); ++i)
    PutApk(w, state.apks.packages[i]);
  std::map<std::string, std::string> scripts;
  for (const auto& [k, v] : state.apks.scripts)
    if (!before.scripts.count(k)) scripts.emplace(k, v);
  PutMap(w, scripts);
  w.U64(state.debs.size() - before.debs);
  for (size_t i = before.debs; i < state.debs.size(); ++i) {
    const compose::InstalledDeb& d = state.debs[i];
    w.Str(d.control_text);
    PutStrings(w, d.paths);
    w.Str(d.md5sums_text);
    w.Str(d.conffiles_text);
    PutMap(w, d.control_members);
  }
  std::map<std::string, std::string> stanzas;
  for (const auto& [k, v] : state.stanzas)
    if (!before.stanzas.count(k)) stanzas.emplace(k, v);
  PutMap(w, stanzas);
  return w.Seal();
}

Result<int64_t> DecodeLayerState(std::string_view text, std::string_view source,
                                 StackState& state) {
  CAIRN_ASSIGN_OR_RETURN(BinaryReader r, BinaryReader::Open(text, kMagic, source));
  // Decode into a fresh state first: a malformed record must leave `state` as it was.
  StackState add;
  int64_t newest = 0;
  uint64_t apks = 0, debs = 0;
  if (!r.Int(newest) || !r.Count(apks)) return r.Corrupt("truncated");
  add.apks.packages.resize(apks);
  for (auto& p : add.apks.packages)
    if (!GetApk(r, p)) return r.Corrupt("truncated");
  if (!GetMapInto(r, add.apks.scripts) || !r.Count(debs)) return r.Corrupt("truncated");
  add.debs.resize(debs);
  for (auto& d : add.debs)
    if (!r.Str(d.control_text) || !GetStrings(r, d.paths) || !r.Str(d.md5sums_text) ||
        !r.Str(d.conffiles_text) || !GetMapInto(r, d.control_members))
      return r.Corrupt("truncated");
  if (!GetMapInto(r, add.stanzas) || !r.AtEnd()) return r.Corrupt("malformed");

  for (auto& p : add.apks.packages) state.apks.packages.push_back(std::move(p));
  for (auto& [k, v] : add.apks.scripts) state.apks.scripts[k] = std::move(v);
  for (auto& d : add.debs) state.debs.push_back(std::move(d));
  for (auto& [k, v] : add.stanzas) state.stanzas[k] = std::move(v);
  return newest;
}

}  // namespace cairn::pipeline
