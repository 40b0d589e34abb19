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

void EmitAccounts(YAML::Emitter& out, const Accounts& a) {
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
}

void EmitPaths(YAML::Emitter& out, const std::vector<PathMutation>& paths) {
  if (!paths.empty()) {
    Key(out, "paths");
    out << YAML::BeginSeq;
    for (const PathMutation& p : paths) {
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
}

void EmitFiles(YAML::Emitter& out, const std::vector<InlineFile>& files) {
  if (!files.empty()) {
    Key(out, "files");
    out << YAML::BeginSeq;
    for (const InlineFile& f : files) {
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
}

nlohmann::json ValuesJson(const std::vector<LString>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const LString& s : v) a.push_back(s.value);
  return a;
}

nlohmann::json PackagesJson(const std::map<std::string, PackageList>& packages) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [source, list] : packages) {
    nlohmann::json by_arch = nlohmann::json::object();
    for (const auto& [arch, names] : list.by_arch) by_arch[arch] = ValuesJson(names);
    j[source] = {{"all", ValuesJson(list.all)}, {"by-arch", by_arch}};
  }
  return j;
}

// `packages:` as the layer and board files write it: a plain list when no arch adds any.
void EmitPackages(YAML::Emitter& out, const char* key,
                  const std::map<std::string, PackageList>& packages) {
  if (packages.empty()) return;
  Key(out, key);
  out << YAML::BeginMap;
  for (const auto& [source, list] : packages) {
    if (list.by_arch.empty()) {
      Key(out, source.c_str());
      out << YAML::BeginSeq;
      for (const LString& p : list.all) Str(out, p.value);
      out << YAML::EndSeq;
      continue;
    }
    Key(out, source.c_str());
    out << YAML::BeginMap;
    StrList(out, "all", Values(list.all));
    for (const auto& [arch, names] : list.by_arch) StrList(out, arch.c_str(), Values(names));
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

std::string Finish(YAML::Emitter& out) {
  std::string text = out.c_str();
  if (text == "{}") text.clear();
  return text + "\n";
}

std::string Joined(const std::vector<LString>& items, std::string_view sep = ", ") {
  std::string out;
  for (const LString& s : items) {
    if (!out.empty()) out += sep;
    out += s.value;
  }
  return out;
}

// "apk: a, b" lines for each source (and "apk x86_64: c" per arch), each prefixed.
void PackageLines(std::string& out, const std::string& prefix,
                  const std::map<std::string, PackageList>& packages) {
  for (const auto& [source, list] : packages) {
    out += fmt::format("{}{}: {}\n", prefix, source, list.all.empty() ? "-" : Joined(list.all));
    for (const auto& [arch, names] : list.by_arch) {
      out += fmt::format("{}{} {}: {}\n", prefix, source, arch, Joined(names));
    }
  }
}

nlohmann::json AccountsJson(const Accounts& a) {
  using nlohmann::json;
  json groups = json::array();
  for (const Group& g : a.groups) {
    json o = {{"groupname", g.groupname.value}, {"members", g.members}};
    if (g.gid) o["gid"] = *g.gid;
    groups.push_back(o);
  }
  json users = json::array();
  for (const User& u : a.users) {
    json o = {{"username", u.username.value}, {"shell", u.shell}, {"homedir", u.homedir}};
    if (u.uid) o["uid"] = *u.uid;
    if (u.gid) o["gid"] = *u.gid;
    users.push_back(o);
  }
  return {{"groups", groups}, {"users", users}, {"run-as", a.run_as.value}};
}

nlohmann::json PathsJson(const std::vector<PathMutation>& items) {
  using nlohmann::json;
  json paths = json::array();
  for (const PathMutation& p : items) {
    paths.push_back({{"path", p.path.value},
                     {"type", PathTypeName(p.type)},
                     {"source", p.source.value},
                     {"uid", p.uid},
                     {"gid", p.gid},
                     {"permissions", p.permissions},
                     {"recursive", p.recursive}});
  }
  return paths;
}

nlohmann::json FilesJson(const std::vector<InlineFile>& items) {
  using nlohmann::json;
  json files = json::array();
  for (const InlineFile& f : items) {
    files.push_back({{"path", f.path.value},
                     {"content", f.content},
                     {"mode", f.mode},
                     {"uid", f.uid},
                     {"gid", f.gid}});
  }
  return files;
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

  EmitAccounts(out, img.accounts);

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

  EmitPaths(out, img.paths);
  EmitFiles(out, img.files);
  Scalar(out, "base", img.base.value);
  StrList(out, "layers", Values(img.layers));
  StrList(out, "boards", Values(img.boards));
  if (!img.outputs.empty()) {
    Key(out, "outputs");
    out << YAML::BeginSeq;
    for (const Output& o : img.outputs) {
      out << YAML::Flow << YAML::BeginMap;
      Scalar(out, "type", o.type.value);
      Scalar(out, "compression", o.compression.value);
      if (o.level) Scalar(out, "level", std::to_string(*o.level));
      Scalar(out, "layer", o.layer.value);
      Scalar(out, "contents", o.contents.value);
      Scalar(out, "format", o.format.value);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
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
  j["accounts"] = AccountsJson(img.accounts);
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
  j["paths"] = PathsJson(img.paths);
  j["files"] = FilesJson(img.files);
  j["base"] = img.base.value;
  j["layers"] = values(img.layers);
  j["boards"] = values(img.boards);
  json outputs = json::array();
  for (const Output& o : img.outputs) {
    json e = {{"type", o.type.value}};
    if (!o.compression.value.empty()) e["compression"] = o.compression.value;
    if (o.level) e["level"] = *o.level;
    if (!o.layer.value.empty()) e["layer"] = o.layer.value;
    if (!o.contents.value.empty()) e["contents"] = o.contents.value;
    if (!o.format.value.empty()) e["format"] = o.format.value;
    outputs.push_back(std::move(e));
  }
  j["outputs"] = std::move(outputs);
  json stack = json::array();
  for (const Layer& l : img.stack) stack.push_back(LayerToJson(l));
  j["stack"] = stack;
  j["base-layer-count"] = img.base_layer_count;
  json boards = json::array();
  for (const Board& b : img.board_defs) boards.push_back(BoardToJson(b));
  j["board-defs"] = boards;
  j["vcs-url"] = img.vcs_url;
  json layering = {{"strategy", img.layering.strategy}};
  layering["budget"] = img.layering.budget ? json(*img.layering.budget) : json(nullptr);
  j["layering"] = layering;
  return j;
}

nlohmann::json LayerToJson(const Layer& l) {
  return {{"name", l.name.value},
          {"kind", l.kind},
          {"file", l.source_file},
          {"description", l.description.value},
          {"requires", ValuesJson(l.required)},
          {"provides", ValuesJson(l.provides)},
          {"conflicts", ValuesJson(l.conflicts)},
          {"archs", ValuesJson(l.archs)},
          {"packages", PackagesJson(l.packages)},
          {"accounts", AccountsJson(l.accounts)},
          {"files", FilesJson(l.files)},
          {"paths", PathsJson(l.paths)},
          {"services", ValuesJson(l.services)},
          {"kernel-cmdline", ValuesJson(l.kernel_cmdline)}};
}

nlohmann::json BoardToJson(const Board& b) {
  using nlohmann::json;
  json partitions = json::array();
  for (const Partition& p : b.layout.partitions) {
    partitions.push_back({{"role", p.role.value},
                          {"size", p.size.value},
                          {"size-bytes", p.size_bytes},
                          {"filesystem", p.filesystem.value},
                          {"label", p.label.value},
                          {"slot", p.slot.value}});
  }
  json layer_defs = json::array();
  for (const Layer& l : b.layer_defs) layer_defs.push_back(LayerToJson(l));
  return {{"name", b.name.value},
          {"file", b.source_file},
          {"description", b.description.value},
          {"arch", b.arch.value},
          {"variant", b.variant.value},
          {"layers", ValuesJson(b.layers)},
          {"layer-defs", layer_defs},
          {"packages", PackagesJson(b.packages)},
          {"bootloader",
           {{"type", b.bootloader.type.value},
            {"u-boot", b.bootloader.uboot.value},
            {"packages", PackagesJson(b.bootloader.packages)}}},
          {"kernel",
           {{"flavour", b.kernel.flavour.value},
            {"cmdline", ValuesJson(b.kernel.cmdline)},
            {"console", b.kernel.console.value}}},
          {"device-trees", ValuesJson(b.device_trees)},
          {"files", FilesJson(b.files)},
          {"layout", {{"table", b.layout.table.value}, {"partitions", partitions}}},
          {"qemu",
           {{"machine", b.qemu.machine.value},
            {"cpu", b.qemu.cpu.value},
            {"firmware", b.qemu.firmware.value},
            {"memory", b.qemu.memory.value},
            {"extra-args", ValuesJson(b.qemu.extra_args)}}}};
}

std::string ShowLayer(const Layer& l) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  Scalar(out, "name", l.name.value);
  Scalar(out, "description", l.description.value);
  StrList(out, "requires", Values(l.required));
  StrList(out, "provides", Values(l.provides));
  StrList(out, "conflicts", Values(l.conflicts));
  StrList(out, "archs", Values(l.archs));
  EmitPackages(out, "packages", l.packages);
  EmitAccounts(out, l.accounts);
  EmitFiles(out, l.files);
  EmitPaths(out, l.paths);
  StrList(out, "services", Values(l.services));
  StrList(out, "kernel-cmdline", Values(l.kernel_cmdline));
  out << YAML::EndMap;
  return Finish(out);
}

std::string ShowBoard(const Board& b) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  Scalar(out, "name", b.name.value);
  Scalar(out, "description", b.description.value);
  Scalar(out, "arch", b.arch.value);
  Scalar(out, "variant", b.variant.value);
  StrList(out, "layers", Values(b.layers));
  EmitPackages(out, "packages", b.packages);
  if (!b.bootloader.type.value.empty() || !b.bootloader.packages.empty()) {
    Key(out, "bootloader");
    out << YAML::BeginMap;
    Scalar(out, "type", b.bootloader.type.value);
    Scalar(out, "u-boot", b.bootloader.uboot.value);
    EmitPackages(out, "packages", b.bootloader.packages);
    out << YAML::EndMap;
  }
  const KernelSettings& k = b.kernel;
  if (!k.flavour.value.empty() || !k.cmdline.empty() || !k.console.value.empty()) {
    Key(out, "kernel");
    out << YAML::BeginMap;
    Scalar(out, "flavour", k.flavour.value);
    StrList(out, "cmdline", Values(k.cmdline));
    Scalar(out, "console", k.console.value);
    out << YAML::EndMap;
  }
  StrList(out, "device-trees", Values(b.device_trees));
  EmitFiles(out, b.files);
  if (!b.layout.table.value.empty() || !b.layout.partitions.empty()) {
    Key(out, "layout");
    out << YAML::BeginMap;
    Scalar(out, "table", b.layout.table.value);
    if (!b.layout.partitions.empty()) {
      Key(out, "partitions");
      out << YAML::BeginSeq;
      for (const Partition& p : b.layout.partitions) {
        out << YAML::Flow << YAML::BeginMap;
        Scalar(out, "role", p.role.value);
        Scalar(out, "size", p.size.value);
        Scalar(out, "filesystem", p.filesystem.value);
        Scalar(out, "label", p.label.value);
        Scalar(out, "slot", p.slot.value);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  const QemuSettings& q = b.qemu;
  if (!q.machine.value.empty() || !q.cpu.value.empty() || !q.firmware.value.empty() ||
      !q.memory.value.empty() || !q.extra_args.empty()) {
    Key(out, "qemu");
    out << YAML::BeginMap;
    Scalar(out, "machine", q.machine.value);
    Scalar(out, "cpu", q.cpu.value);
    Scalar(out, "firmware", q.firmware.value);
    Scalar(out, "memory", q.memory.value);
    StrList(out, "extra-args", Values(q.extra_args));
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return Finish(out);
}

std::string ShowStack(const Image& img) {
  if (img.stack.empty() && img.board_defs.empty()) return "";
  std::string out = "#\n# stack, bottom first";
  if (img.base_layer_count > 0) {
    out += fmt::format(" ({} from base image '{}')", img.base_layer_count, img.base.value);
  }
  out += ":\n";
  size_t n = 0;
  for (const Layer& l : img.stack) {
    out += fmt::format("#   {}. {} ({}, {})\n", ++n, l.name.value, l.kind, l.source_file);
    PackageLines(out, "#        ", l.packages);
  }
  if (!img.board_defs.empty()) {
    out += fmt::format("#   {}. each board's layers not listed above, then board-<board>\n", ++n);
  }
  out += fmt::format("#   {}. {} (this image's own contents)\n", ++n, img.name.value);
  for (const Board& b : img.board_defs) {
    out += fmt::format("#\n# board {} ({}, {})\n", b.name.value, b.arch.value, b.source_file);
    if (!b.layers.empty()) out += fmt::format("#   layers: {}\n", Joined(b.layers));
    PackageLines(out, "#   packages ", b.packages);
    if (!b.bootloader.type.value.empty()) {
      out += fmt::format("#   bootloader: {}\n", b.bootloader.type.value);
      PackageLines(out, "#   bootloader packages ", b.bootloader.packages);
    }
    const KernelSettings& k = b.kernel;
    if (!k.flavour.value.empty()) out += fmt::format("#   kernel flavour: {}\n", k.flavour.value);
    if (!k.cmdline.empty()) out += fmt::format("#   kernel cmdline: {}\n", Joined(k.cmdline, " "));
    if (!k.console.value.empty()) out += fmt::format("#   console: {}\n", k.console.value);
    if (!b.layout.partitions.empty()) {
      out += fmt::format("#   layout: {}\n", b.layout.table.value);
      out += fmt::format("#     {:<9} {:>6} {:>12} {:<10} {:<16} {}\n", "role", "size", "bytes",
                         "filesystem", "label", "slot");
      for (const Partition& p : b.layout.partitions) {
        out += fmt::format("#     {:<9} {:>6} {:>12} {:<10} {:<16} {}\n", p.role.value,
                           p.size.value, p.size_bytes ? std::to_string(p.size_bytes) : "-",
                           p.filesystem.value, p.label.value, p.slot.value);
      }
    }
  }
  // Trailing spaces from the padded columns are noise in a diff.
  std::string trimmed;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    std::string line = out.substr(start, nl - start);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    trimmed += line + "\n";
    start = nl + 1;
  }
  return trimmed;
}

}  // namespace cairn::config
