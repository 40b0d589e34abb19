#include "output/disk/boot_config.h"

#include <cstdint>

#include <fmt/format.h>

#include "cairn/uki/pe.h"
#include "output/disk/text_lines.h"

namespace cairn::disk::internal {

BootEntry ParseLoaderEntry(std::string_view text, std::string_view file) {
  BootEntry e{.loader = "systemd-boot", .file = std::string(file)};
  std::string efi;
  for (std::string_view line : SplitLines(text)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto [key, value] = SplitWord(line);
    if (key == "title")
      e.title = value;
    else if (key == "linux")
      e.kernel = value;
    else if (key == "efi")
      efi = value;
    else if (key == "initrd")
      e.initrds.emplace_back(value);
    else if (key == "devicetree")
      e.devicetree = value;
    else if (key == "options" && !value.empty())
      e.options += (e.options.empty() ? "" : " ") + std::string(value);
  }
  // An entry that starts an EFI program (a UKI, say) has no linux line.
  if (e.kernel.empty()) e.kernel = efi;
  return e;
}

namespace {

// Reads one shell-like word of GRUB's script syntax from `s` at `pos`:
// 'single' and "double" quoted parts and backslash escapes, concatenated
// until unquoted blank. Advances `pos` past the word.
std::string ReadGrubWord(std::string_view s, size_t& pos) {
  std::string out;
  while (pos < s.size() && s[pos] != ' ' && s[pos] != '\t') {
    char c = s[pos++];
    if (c == '\'') {
      while (pos < s.size() && s[pos] != '\'') out.push_back(s[pos++]);
      ++pos;
    } else if (c == '"') {
      while (pos < s.size() && s[pos] != '"') {
        if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
        out.push_back(s[pos++]);
      }
      ++pos;
    } else if (c == '\\' && pos < s.size()) {
      out.push_back(s[pos++]);
    } else {
      out.push_back(c);
    }
  }
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  return out;
}

// How much a line opens ({) or closes (}) blocks, ignoring quoted text and ${variable} references.
int BraceDelta(std::string_view s) {
  int delta = 0;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) break;  // comment
    if (c == '\'' || c == '"')
      quote = c;
    else if (c == '\\')
      ++i;
    else if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      size_t close = s.find('}', i);
      if (close == std::string_view::npos) break;
      i = close;
    } else if (c == '{')
      ++delta;
    else if (c == '}')
      --delta;
  }
  return delta;
}

std::vector<std::string> GrubWords(std::string_view line) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < line.size()) words.push_back(ReadGrubWord(line, pos));
  return words;
}

}  // namespace

std::vector<BootEntry> ParseGrubConfig(std::string_view text, std::string_view file) {
  std::vector<BootEntry> out;
  std::optional<BootEntry> cur;
  int depth = 0, entry_depth = 0;
  for (std::string_view line : SplitLines(text)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto [key, rest] = SplitWord(line);
    if (key == "menuentry" && !cur) {
      size_t pos = 0;
      cur =
          BootEntry{.loader = "grub", .file = std::string(file), .title = ReadGrubWord(rest, pos)};
      entry_depth = depth;
    } else if (cur && (key == "linux" || key == "linuxefi" || key == "linux16") &&
               cur->kernel.empty()) {
      size_t pos = 0;
      cur->kernel = ReadGrubWord(rest, pos);
      cur->options = std::string(Trim(rest.substr(pos)));
    } else if (cur && (key == "initrd" || key == "initrdefi" || key == "initrd16")) {
      for (auto& w : GrubWords(rest)) cur->initrds.push_back(std::move(w));
    } else if (cur && key == "devicetree") {
      size_t pos = 0;
      cur->devicetree = ReadGrubWord(rest, pos);
    }
    depth += BraceDelta(line);
    if (cur && depth <= entry_depth) {
      out.push_back(std::move(*cur));
      cur.reset();
    }
  }
  if (cur) out.push_back(std::move(*cur));  // unterminated: still worth reporting
  return out;
}

std::vector<BootEntry> ParseExtlinuxConfig(std::string_view text, std::string_view file) {
  std::vector<BootEntry> out;
  for (std::string_view line : SplitLines(text)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto [word, value] = SplitWord(line);
    std::string key = Lowercase(word);
    if (key == "label") {
      out.push_back({.loader = "extlinux", .file = std::string(file), .title = std::string(value)});
      continue;
    }
    if (out.empty()) continue;  // global settings (default, timeout, menu title)
    BootEntry& e = out.back();
    if (key == "kernel" || key == "linux") {
      e.kernel = value;
    } else if (key == "initrd") {
      for (std::string_view part : SplitOn(value, ','))
        if (!Trim(part).empty()) e.initrds.emplace_back(Trim(part));
    } else if (key == "append") {
      e.options = value;
    } else if (key == "fdt" || key == "devicetree") {
      e.devicetree = value;
    } else if (key == "fdtdir") {
      e.devicetree = "fdtdir " + std::string(value);
    }
  }
  return out;
}

namespace {

std::string PeMachine(uint32_t machine) {
  switch (machine) {
    case 0x8664:
      return "x86_64";
    case 0xaa64:
      return "aarch64";
    case 0x014c:
      return "i386";
    case 0x01c2:
    case 0x01c4:
      return "arm";
    case 0x5064:
      return "riscv64";
    default:
      return fmt::format("0x{:04x}", machine);
  }
}

}  // namespace

std::optional<PeInfo> ParsePeHeaders(std::string_view head) {
  // The UKI builder's parser (uki/pe.h) reads the same headers; only the
  // naming of machines differs (inspect names more of them).
  auto headers = uki::ParsePeHeaders(head);
  if (!headers.ok()) return std::nullopt;
  PeInfo info{.arch = PeMachine(headers->machine)};
  for (const auto& section : headers->sections) info.sections.push_back(section.name);
  return info;
}

}  // namespace cairn::disk::internal
