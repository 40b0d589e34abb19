#include "cairn/config/show.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace cairn::config {
namespace {

const char* PathTypeName(PathMutation::Type t) {
  switch (t) {
    case PathMutation::Type::kDirectory: return "directory";
    case PathMutation::Type::kEmptyFile: return "empty-file";
    case PathMutation::Type::kHardLink: return "hardlink";
    case PathMutation::Type::kSymLink: return "symlink";
    case PathMutation::Type::kPermissions: return "permissions";
  }
  return "directory";
}

// A plain scalar that a YAML 1.1 reader (yaml.v3, i.e. apko) would take for a
// bool, null or number must be quoted to stay a string.
bool LooksTyped(const std::string& s) {
  static const std::regex typed(
      "~|null|true|false|yes|no|on|off|y|n|[-+]?\\.inf|\\.nan|0x[0-9a-f_]+|0o[0-7_]+|0b[01_]+|"
      "[-+]?(?:[0-9][0-9_]*(?:\\.[0-9_]*)?|\\.[0-9_]+)(?:e[-+]?[0-9]+)?",
      std::regex::icase | std::regex::optimize);
  return std::regex_match(s, typed);
}

bool LiteralSafe(const std::string& s) {
  // Literal blocks with clip chomping keep exactly one final newline; leading
  // spaces would be taken for indentation, trailing spaces are fragile.
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s[0] == ' ' || s[0] == '\n' || s[0] == '\t') return false;
  if (s.find('\r') != std::string::npos || s.find('\t') != std::string::npos) return false;
  if (s.find(" \n") != std::string::npos) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 || c == '\n'; });
}

void Str(YAML::Emitter& out, const std::string& s) {
  if (s.find('\n') != std::string::npos) {
    // yaml-cpp writes the final newline itself; passing it too adds a blank line.
    if (LiteralSafe(s)) out << YAML::Literal << s.substr(0, s.size() - 1);
    else out << YAML::DoubleQuoted << s;
  } else if (s.empty() || LooksTyped(s)) {
    out << YAML::DoubleQuoted << s;
  } else {
    out << s;
  }
}

void Key(YAML::Emitter& out, const char* k) { out << YAML::Key << k << YAML::Value; }

template <typename T>
void Field(YAML::Emitter& out, const char* k, const T& v) {
  Key(out, k);
  out << v;
}

void StrList(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  if (items.empty()) return;
  Key(out, key);
  out << YAML::BeginSeq;
  for (const std::string& s : items) Str(out, s);
  out << YAML::EndSeq;
}

std::vector<std::string> Values(const std::vector<LString>& items) {
  std::vector<std::string> out;
  for (const LString& s : items) out.push_back(s.value);
  return out;
}

void StrMap(YAML::Emitter& out, const char* key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  Key(out, key);
  out << YAML::BeginMap;
  for (const auto& [k, v] : m) {
    out << YAML::Key;
    Str(out, k);
    out << YAML::Value;
    Str(out, v);
  }
  out << YAML::EndMap;
}

void Scalar(YAML::Emitter& out, const char* key, const std::string& v) {
  if (v.empty()) return;
  Key(out, key);
  Str(out, v);
}

std::string Octal(uint32_t mode) { return fmt::format("0o{:o}", mode); }

void Bool(YAML::Emitter& out, const char* key, const std::optional<bool>& v) {
  if (v) Field(out, key, *v);
}

void ShowDebian(YAML::Emitter& out, const Debian& d) {
  Key(out, "debian");
  out << YAML::BeginMap;
  if (!d.sources.empty()) {
    Key(out, "sources");
    out << YAML::BeginSeq;
    for (const DebianSource& s : d.sources) {
      out << YAML::BeginMap;
      Scalar(out, "url", s.url.value);
      StrList(out, "suites", Values(s.suites));
      StrList(out, "components", Values(s.components));
      StrList(out, "keyring", Values(s.keyring));
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  Bool(out, "recommends", d.recommends);
  Bool(out, "essential", d.essential);
  Bool(out, "required", d.required);
  Bool(out, "allow-expired", d.allow_expired);
  out << YAML::EndMap;
}

}  // namespace

std::string ShowImage(const Image& img) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  Scalar(out, "name", img.name.value);
  Scalar(out, "description", img.description.value);

  const Contents& c = img.contents;
  if (!c.repositories.empty() || !c.build_repositories.empty() ||
      !c.runtime_repositories.empty() || !c.keyring.empty() || !c.packages.empty() ||
      !c.debian.empty()) {
    Key(out, "contents");
    out << YAML::BeginMap;
    StrList(out, "repositories", Values(c.repositories));
    StrList(out, "build_repositories", Values(c.build_repositories));
    StrList(out, "runtime_repositories", Values(c.runtime_repositories));
    StrList(out, "keyring", Values(c.keyring));
    StrList(out, "packages", Values(c.packages));
    if (!c.debian.empty()) ShowDebian(out, c.debian);
    out << YAML::EndMap;
  }
  StrList(out, "archs", Values(img.archs));

  const Accounts& a = img.accounts;
  if (!a.groups.empty() || !a.users.empty() || !a.run_as.value.empty()) {
    Key(out, "accounts");
    out << YAML::BeginMap;
    if (!a.groups.empty()) {
      Key(out, "groups");
      out << YAML::BeginSeq;
      for (const Group& g : a.groups) {
        out << YAML::BeginMap;
        Scalar(out, "groupname", g.groupname.value);
        if (g.gid) Field(out, "gid", *g.gid);
        StrList(out, "members", g.members);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    if (!a.users.empty()) {
      Key(out, "users");
      out << YAML::BeginSeq;
      for (const User& u : a.users) {
        out << YAML::BeginMap;
        Scalar(out, "username", u.username.value);
        if (u.uid) Field(out, "uid", *u.uid);
        if (u.gid) Field(out, "gid", *u.gid);
        Scalar(out, "shell", u.shell);
        Scalar(out, "homedir", u.homedir);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    if (!a.run_as.value.empty()) {
      Key(out, "run-as");
      Str(out, a.run_as.value);  // quotes "65532", which apko reads as a string
    }
    out << YAML::EndMap;
  }

  const Entrypoint& e = img.entrypoint;
  if (!e.empty()) {
    Key(out, "entrypoint");
    out << YAML::BeginMap;
    Scalar(out, "type", e.type);
    Scalar(out, "command", e.command);
    Scalar(out, "shell-fragment", e.shell_fragment);
    StrMap(out, "services", e.services);
    out << YAML::EndMap;
  }
  Scalar(out, "cmd", img.cmd);
  Scalar(out, "stop-signal", img.stop_signal);
  Scalar(out, "work-dir", img.work_dir);
  StrMap(out, "environment", img.environment);
  StrMap(out, "annotations", img.annotations);
  StrList(out, "volumes", img.volumes);

  if (!img.paths.empty()) {
    Key(out, "paths");
    out << YAML::BeginSeq;
    for (const PathMutation& p : img.paths) {
      out << YAML::BeginMap;
      Scalar(out, "path", p.path.value);
      Field(out, "type", PathTypeName(p.type));
      Scalar(out, "source", p.source.value);
      Field(out, "uid", p.uid);
      Field(out, "gid", p.gid);
      Field(out, "permissions", Octal(p.permissions));
      if (p.recursive) Field(out, "recursive", true);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!img.files.empty()) {
    Key(out, "files");
    out << YAML::BeginSeq;
    for (const InlineFile& f : img.files) {
      out << YAML::BeginMap;
      Scalar(out, "path", f.path.value);
      Field(out, "mode", Octal(f.mode));
      Field(out, "uid", f.uid);
      Field(out, "gid", f.gid);
      Key(out, "content");
      Str(out, f.content);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  StrList(out, "layers", Values(img.layers));
  StrList(out, "boards", Values(img.boards));
  Scalar(out, "vcs-url", img.vcs_url);
  if (!img.layering.empty()) {
    Key(out, "layering");
    out << YAML::BeginMap;
    Scalar(out, "strategy", img.layering.strategy);
    if (img.layering.budget) Field(out, "budget", *img.layering.budget);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  std::string text = out.c_str();
  if (text == "{}") text.clear();  // nothing declared
  return text + "\n";
}

nlohmann::json ImageToJson(const Image& img) {
  using nlohmann::json;
  auto values = [](const std::vector<LString>& v) {
    json a = json::array();
    for (const LString& s : v) a.push_back(s.value);
    return a;
  };
  json j = json::object();
  j["name"] = img.name.value;
  j["description"] = img.description.value;
  j["contents"] = {{"repositories", values(img.contents.repositories)},
                   {"build_repositories", values(img.contents.build_repositories)},
                   {"runtime_repositories", values(img.contents.runtime_repositories)},
                   {"keyring", values(img.contents.keyring)},
                   {"packages", values(img.contents.packages)}};
  if (!img.contents.debian.empty()) {
    const Debian& d = img.contents.debian;
    json sources = json::array();
    for (const DebianSource& s : d.sources) {
      sources.push_back({{"url", s.url.value},
                         {"suites", values(s.suites)},
                         {"components", values(s.components)},
                         {"keyring", values(s.keyring)}});
    }
    json debian = {{"sources", sources}};
    auto opt = [&](const char* k, const std::optional<bool>& v) {
      if (v) debian[k] = *v;
    };
    opt("recommends", d.recommends);
    opt("essential", d.essential);
    opt("required", d.required);
    opt("allow-expired", d.allow_expired);
    j["contents"]["debian"] = debian;
  }
  j["archs"] = values(img.archs);
  json groups = json::array();
  for (const Group& g : img.accounts.groups) {
    json o = {{"groupname", g.groupname.value}, {"members", g.members}};
    if (g.gid) o["gid"] = *g.gid;
    groups.push_back(o);
  }
  json users = json::array();
  for (const User& u : img.accounts.users) {
    json o = {{"username", u.username.value}, {"shell", u.shell}, {"homedir", u.homedir}};
    if (u.uid) o["uid"] = *u.uid;
    if (u.gid) o["gid"] = *u.gid;
    users.push_back(o);
  }
  j["accounts"] = {{"groups", groups}, {"users", users}, {"run-as", img.accounts.run_as.value}};
  j["entrypoint"] = {{"type", img.entrypoint.type},
                     {"command", img.entrypoint.command},
                     {"shell-fragment", img.entrypoint.shell_fragment},
                     {"services", img.entrypoint.services}};
  j["cmd"] = img.cmd;
  j["stop-signal"] = img.stop_signal;
  j["work-dir"] = img.work_dir;
  j["environment"] = img.environment;
  j["annotations"] = img.annotations;
  j["volumes"] = img.volumes;
  json paths = json::array();
  for (const PathMutation& p : img.paths) {
    paths.push_back({{"path", p.path.value},
                     {"type", PathTypeName(p.type)},
                     {"source", p.source.value},
                     {"uid", p.uid},
                     {"gid", p.gid},
                     {"permissions", p.permissions},
                     {"recursive", p.recursive}});
  }
  j["paths"] = paths;
  json files = json::array();
  for (const InlineFile& f : img.files) {
    files.push_back({{"path", f.path.value},
                     {"content", f.content},
                     {"mode", f.mode},
                     {"uid", f.uid},
                     {"gid", f.gid}});
  }
  j["files"] = files;
  j["layers"] = values(img.layers);
  j["boards"] = values(img.boards);
  j["vcs-url"] = img.vcs_url;
  json layering = {{"strategy", img.layering.strategy}};
  layering["budget"] = img.layering.budget ? json(*img.layering.budget) : json(nullptr);
  j["layering"] = layering;
  return j;
}

}  // namespace cairn::config
