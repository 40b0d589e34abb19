// APKINDEX text and .PKGINFO parsing, and index record formatting.
//
// Both formats map onto PackageInfo; the index writer follows apk-tools'
// apk_pkg_write_index_header field order so records round-trip byte for byte.
#include "cairn/apk/index_text.h"

#include <charconv>
#include <string>

namespace cairn::apk {
namespace {

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Error NumberError(std::string_view what, std::string_view value) {
  return Error(Code::kIntegrity, "bad number '" + std::string(value) + "' for " +
                                     std::string(what) + " (expected decimal digits)");
}

Result<std::vector<Provide>> ParseProvides(std::string_view text) {
  auto parsed = ParseIndexDependencyList(text);
  if (!parsed) return Error(Code::kIntegrity, parsed.error().message());
  auto deps = std::move(parsed).value();
  std::vector<Provide> out;
  for (auto& d : deps) {
    if (d.conflict || !d.tag.empty() || (d.op != VersionOp::kAny && d.op != VersionOp::kEqual)) {
      return Error(Code::kIntegrity,
                   "invalid provide '" + d.Format() + "' (expected name or name=version)");
    }
    out.push_back(Provide{std::move(d.name), std::move(d.version)});
  }
  return out;
}

Result<std::vector<Dependency>> ParseDeps(std::string_view text) {
  auto deps = ParseIndexDependencyList(text);
  if (!deps) return Error(Code::kIntegrity, deps.error().message());
  return std::move(deps).value();
}

std::string JoinDeps(const std::vector<Dependency>& deps) {
  std::string out;
  for (const auto& d : deps) {
    if (!out.empty()) out += ' ';
    out += d.Format();
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<void> ApplyIndexField(char letter, std::string_view value, PackageInfo* pkg) {
  switch (letter) {
    case 'C': pkg->checksum = std::string(value); break;
    case 'P': pkg->name = std::string(value); break;
    case 'V': pkg->version = std::string(value); break;
    case 'A': pkg->arch = std::string(value); break;
    case 'S':
      if (!ParseNumber(value, &pkg->size)) return NumberError("S: (size)", value);
      break;
    case 'I':
      if (!ParseNumber(value, &pkg->installed_size)) return NumberError("I: (installed size)", value);
      break;
    case 'T': pkg->description = std::string(value); break;
    case 'U': pkg->url = std::string(value); break;
    case 'L': pkg->license = std::string(value); break;
    case 'o': pkg->origin = std::string(value); break;
    case 'm': pkg->maintainer = std::string(value); break;
    case 't':
      if (!ParseNumber(value, &pkg->build_time)) return NumberError("t: (build time)", value);
      break;
    case 'c': pkg->commit = std::string(value); break;
    case 'k':
      if (!ParseNumber(value, &pkg->provider_priority)) {
        return NumberError("k: (provider priority)", value);
      }
      pkg->has_provider_priority = true;
      break;
    case 'D': { CAIRN_ASSIGN_OR_RETURN(pkg->depends, ParseDeps(value)); break; }
    case 'p': { CAIRN_ASSIGN_OR_RETURN(pkg->provides, ParseProvides(value)); break; }
    case 'i': { CAIRN_ASSIGN_OR_RETURN(pkg->install_if, ParseDeps(value)); break; }
    case 'r': { CAIRN_ASSIGN_OR_RETURN(pkg->replaces, ParseDeps(value)); break; }
    case 'q':
      if (!ParseNumber(value, &pkg->replaces_priority)) {
        return NumberError("q: (replaces priority)", value);
      }
      break;
    default: break;  // unknown letters are skipped, like apk-tools
  }
  return {};
}

Result<std::vector<PackageInfo>> ParseApkIndexText(std::string_view text,
                                                   std::string_view source_name) {
  std::vector<PackageInfo> out;
  PackageInfo cur;
  bool in_record = false;
  int record_line = 0;
  int line_no = 0;
  auto at = [&](int line) { return std::string(source_name) + ":" + std::to_string(line) + ": "; };
  auto finish = [&]() -> Result<void> {
    if (!in_record) return {};
    if (cur.name.empty()) {
      return Error(Code::kIntegrity, at(record_line) + "record has no package name (expected a P: line)");
    }
    if (cur.version.empty()) {
      return Error(Code::kIntegrity, at(record_line) + "package '" + cur.name +
                                         "' has no version (expected a V: line)");
    }
    out.push_back(std::move(cur));
    cur = PackageInfo();
    in_record = false;
    return {};
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    ++line_no;
    if (line.empty()) {
      CAIRN_TRY(finish());
    } else {
      if (line.size() < 2 || line[1] != ':') {
        return Error(Code::kIntegrity, at(line_no) + "malformed line '" + std::string(line) +
                                           "' (expected 'X:value')");
      }
      if (!in_record) {
        in_record = true;
        record_line = line_no;
      }
      auto r = ApplyIndexField(line[0], line.substr(2), &cur);
      if (!r) return Error(r.error().code(), at(line_no) + r.error().message());
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  CAIRN_TRY(finish());
  return out;
}

std::string FormatIndexRecord(const PackageInfo& p) {
  std::string o;
  o.reserve(512);
  o += "C:" + p.checksum + "\n";
  o += "P:" + p.name + "\n";
  o += "V:" + p.version + "\n";
  if (!p.arch.empty()) o += "A:" + p.arch + "\n";
  o += "S:" + std::to_string(p.size) + "\n";
  o += "I:" + std::to_string(p.installed_size) + "\n";
  o += "T:" + p.description + "\n";
  o += "U:" + p.url + "\n";
  o += "L:" + p.license + "\n";
  if (!p.origin.empty()) o += "o:" + p.origin + "\n";
  if (!p.maintainer.empty()) o += "m:" + p.maintainer + "\n";
  if (p.build_time != 0) o += "t:" + std::to_string(p.build_time) + "\n";
  if (!p.commit.empty()) o += "c:" + p.commit + "\n";
  if (p.provider_priority != 0) o += "k:" + std::to_string(p.provider_priority) + "\n";
  if (!p.depends.empty()) o += "D:" + JoinDeps(p.depends) + "\n";
  if (!p.provides.empty()) {
    o += "p:";
    for (size_t i = 0; i < p.provides.size(); ++i) {
      if (i) o += ' ';
      o += p.provides[i].name;
      if (!p.provides[i].version.empty()) o += "=" + p.provides[i].version;
    }
    o += "\n";
  }
  if (!p.install_if.empty()) o += "i:" + JoinDeps(p.install_if) + "\n";
  return o;
}

Result<PackageInfo> ParsePkgInfo(std::string_view text) {
  PackageInfo p;
  int line_no = 0;
  size_t pos = 0;
  auto at = [&]() { return ".PKGINFO:" + std::to_string(line_no) + ": "; };
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    std::string_view t = Trim(line);
    if (t.empty() || t.front() == '#') continue;
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) {
      return Error(Code::kIntegrity, at() + "malformed line '" + std::string(t) +
                                         "' (expected 'key = value')");
    }
    std::string_view key = Trim(t.substr(0, eq));
    std::string_view value = Trim(t.substr(eq + 1));
    auto fail = [&](const Error& e) {
      return Error(e.code(), at() + e.message());
    };
    auto apply = [&](char letter) -> Result<void> {
      auto r = ApplyIndexField(letter, value, &p);
      if (!r) return fail(r.error());
      return {};
    };
    auto append = [&](std::vector<Dependency>* list) -> Result<void> {
      auto deps = ParseDeps(value);
      if (!deps) return fail(deps.error());
      for (auto& d : *deps) list->push_back(std::move(d));
      return {};
    };
    if (key == "pkgname") CAIRN_TRY(apply('P'));
    else if (key == "pkgver") CAIRN_TRY(apply('V'));
    else if (key == "pkgdesc") CAIRN_TRY(apply('T'));
    else if (key == "url") CAIRN_TRY(apply('U'));
    else if (key == "builddate") CAIRN_TRY(apply('t'));
    else if (key == "maintainer") CAIRN_TRY(apply('m'));
    else if (key == "size") CAIRN_TRY(apply('I'));
    else if (key == "arch") CAIRN_TRY(apply('A'));
    else if (key == "origin") CAIRN_TRY(apply('o'));
    else if (key == "commit") CAIRN_TRY(apply('c'));
    else if (key == "license") CAIRN_TRY(apply('L'));
    else if (key == "provider_priority") CAIRN_TRY(apply('k'));
    else if (key == "replaces_priority") CAIRN_TRY(apply('q'));
    else if (key == "depend") CAIRN_TRY(append(&p.depends));
    else if (key == "install_if") CAIRN_TRY(append(&p.install_if));
    else if (key == "replaces") CAIRN_TRY(append(&p.replaces));
    else if (key == "provides") {
      auto prov = ParseProvides(value);
      if (!prov) return fail(prov.error());
      for (auto& v : *prov) p.provides.push_back(std::move(v));
    } else if (key == "datahash") {
      p.datahash = std::string(value);
    } else if (key == "triggers") {
      size_t i = 0;
      while (i < value.size()) {
        while (i < value.size() && value[i] == ' ') ++i;
        size_t s = i;
        while (i < value.size() && value[i] != ' ') ++i;
        if (i > s) p.triggers.emplace_back(value.substr(s, i - s));
      }
    }
    // Other keys (e.g. pkgbase) are ignored, as apk-tools ignores them.
  }
  if (p.name.empty()) return Error(Code::kIntegrity, ".PKGINFO: no 'pkgname' (expected 'pkgname = <name>')");
  if (p.version.empty()) return Error(Code::kIntegrity, ".PKGINFO: no 'pkgver' for '" + p.name + "'");
  return p;
}

}  // namespace cairn::apk
