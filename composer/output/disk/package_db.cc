#include "output/disk/package_db.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "output/disk/text_lines.h"

namespace cairn::disk::internal {

std::map<std::string, std::string> ParseOsRelease(std::string_view text) {
  std::map<std::string, std::string> fields;
  for (std::string_view line : SplitLines(text)) {
    line = Trim(line);
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string_view::npos || eq == 0) continue;
    std::string key(line.substr(0, eq));
    std::string_view raw = line.substr(eq + 1);
    std::string value;
    char quote = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (quote == '\'') {
        if (c == '\'')
          quote = 0;
        else
          value.push_back(c);
      } else if (quote == '"') {
        if (c == '"')
          quote = 0;
        else if (c == '\\' && i + 1 < raw.size() &&
                 std::string_view("\\\"$`").find(raw[i + 1]) != std::string_view::npos)
          value.push_back(raw[++i]);
        else
          value.push_back(c);
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '\\' && i + 1 < raw.size()) {
        value.push_back(raw[++i]);
      } else {
        value.push_back(c);
      }
    }
    fields[key] = value;
  }
  return fields;
}

namespace {

void SortPackages(std::vector<InstalledPackage>& packages) {
  std::sort(packages.begin(), packages.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.arch, a.version) < std::tie(b.name, b.arch, b.version);
  });
}

// A record of either database: fields as read, where it started, and the
// first problem that makes it unusable.
struct Record {
  int line = 0;
  std::map<std::string, std::string> fields;  // dpkg: lowercased names
  std::optional<std::string> problem;
};

// Splits `text` into records at blank lines and hands each to `finish`.
// `field` parses one non-blank line into the record (or sets its problem).
template <typename Field, typename Finish>
void ForEachRecord(std::string_view text, Field field, Finish finish) {
  Record cur;
  int line_no = 0;
  bool open = false;
  for (std::string_view line : SplitLines(text)) {
    ++line_no;
    if (Trim(line).empty()) {
      if (open) finish(cur);
      cur = Record();
      open = false;
      continue;
    }
    if (!open) cur.line = line_no;
    open = true;
    if (!cur.problem) field(cur, line, line_no);
  }
  if (open) finish(cur);
}

}  // namespace

ParsedPackages ParseDpkgStatus(std::string_view text, std::string_view origin) {
  ParsedPackages out;
  auto field = [&](Record& r, std::string_view line, int line_no) {
    if (line[0] == ' ' || line[0] == '\t') return;  // continuation of a multi-line field
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      r.problem = fmt::format("{}:{}: expected 'Name: value' (got '{}')", origin, line_no, line);
      return;
    }
    r.fields[Lowercase(Trim(line.substr(0, colon)))] = std::string(Trim(line.substr(colon + 1)));
  };
  auto finish = [&](const Record& r) {
    auto get = [&](const char* name) {
      auto it = r.fields.find(name);
      return it == r.fields.end() ? std::string() : it->second;
    };
    const std::string package = get("package");
    if (r.problem) {
      out.problems.push_back(*r.problem + (package.empty() ? "" : " in package '" + package + "'"));
      return;
    }
    // Status is "want eflag state"; a package on hold is installed too.
    std::vector<std::string_view> status;
    const std::string status_text = get("status");
    for (std::string_view w : SplitOn(status_text, ' '))
      if (!w.empty()) status.push_back(w);
    const bool installed = status.size() == 3 && (status[0] == "install" || status[0] == "hold") &&
                           status[1] == "ok" && status[2] == "installed";
    if (!installed) return;
    if (package.empty() || get("version").empty()) {
      out.problems.push_back(
          fmt::format("{}:{}: installed package without {}", origin, r.line,
                      package.empty() ? "a Package field" : "a Version field ('" + package + "')"));
      return;
    }
    out.packages.push_back({package, get("version"), get("architecture")});
  };
  ForEachRecord(text, field, finish);
  SortPackages(out.packages);
  return out;
}

ParsedPackages ParseApkInstalled(std::string_view text, std::string_view origin) {
  ParsedPackages out;
  auto field = [&](Record& r, std::string_view line, int line_no) {
    if (line.size() < 2 || line[1] != ':') {
      r.problem = fmt::format("{}:{}: expected 'X:value' (got '{}')", origin, line_no, line);
      return;
    }
    // Only the first P:, V: and A: count; file lines (F:, R:, Z:, ...) repeat.
    r.fields.emplace(std::string(1, line[0]), std::string(line.substr(2)));
  };
  auto finish = [&](const Record& r) {
    auto get = [&](const char* key) {
      auto it = r.fields.find(key);
      return it == r.fields.end() ? std::string() : it->second;
    };
    if (r.problem) {
      out.problems.push_back(*r.problem);
      return;
    }
    if (get("P").empty() || get("V").empty()) {
      out.problems.push_back(fmt::format("{}:{}: record without a P: or V: line", origin, r.line));
      return;
    }
    out.packages.push_back({get("P"), get("V"), get("A")});
  };
  ForEachRecord(text, field, finish);
  SortPackages(out.packages);
  return out;
}

}  // namespace cairn::disk::internal
