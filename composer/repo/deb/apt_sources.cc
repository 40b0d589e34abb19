#include "cairn/deb/apt_sources.h"

#include <algorithm>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "cairn/deb/control.h"
#include "cairn/file_util.h"

namespace cairn::deb {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(std::move(w));
  return out;
}

std::string TrimSlash(std::string uri) {
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri;
}

}  // namespace

Result<std::vector<AptSource>> ParseOneLineSources(std::string_view text, std::string_view origin) {
  std::vector<AptSource> out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::vector<std::string> words = Words(line);
    if (words.empty()) {
      if (end == text.size()) break;
      continue;
    }
    AptSource src;
    src.origin = fmt::format("{}:{}", origin, line_no);
    src.types = {words[0]};
    if (words[0] != "deb" && words[0] != "deb-src")
      return ConfigError(SourceLoc{}, fmt::format("{}: unknown source type '{}' (expected 'deb' "
                                                  "or 'deb-src')", src.origin, words[0]));
    size_t i = 1;
    // Options: "[opt=val opt=val]" possibly split over several words.
    if (i < words.size() && words[i].front() == '[') {
      std::string opts;
      while (i < words.size()) {
        opts += words[i] + " ";
        bool closed = words[i].back() == ']';
        ++i;
        if (closed) break;
      }
      if (opts.empty() || opts[opts.size() - 2] != ']')
        return ConfigError(SourceLoc{}, fmt::format("{}: unterminated '[' option list", src.origin));
      for (const std::string& o : Words(std::string_view(opts).substr(1, opts.size() - 3))) {
        if (o.rfind("signed-by=", 0) == 0) src.signed_by = o.substr(10);
      }
    }
    if (i + 1 >= words.size())
      return ConfigError(SourceLoc{}, fmt::format("{}: expected 'deb [options] uri suite "
                                                  "[component...]'", src.origin));
    src.uris = {TrimSlash(words[i])};
    src.suites = {words[i + 1]};
    src.components.assign(words.begin() + static_cast<std::ptrdiff_t>(i + 2), words.end());
    out.push_back(std::move(src));
    if (end == text.size()) break;
  }
  return out;
}

Result<std::vector<AptSource>> ParseDeb822Sources(std::string_view text, std::string_view origin) {
  CAIRN_ASSIGN_OR_RETURN(auto paragraphs, ParseControlFile(text, origin));
  std::vector<AptSource> out;
  for (const Paragraph& p : paragraphs) {
    AptSource src;
    src.origin = fmt::format("{}:{}", origin, p.line);
    src.types = Words(p.Get("Types"));
    for (std::string& u : Words(p.Get("URIs"))) src.uris.push_back(TrimSlash(std::move(u)));
    src.suites = Words(p.Get("Suites"));
    src.components = Words(p.Get("Components"));
    src.signed_by = p.Get("Signed-By");
    std::string enabled = p.Get("Enabled");
    src.enabled = !(enabled == "no" || enabled == "false");
    if (src.types.empty() || src.uris.empty() || src.suites.empty())
      return ConfigError(SourceLoc{}, fmt::format("{}: a source needs Types, URIs and Suites",
                                                  src.origin));
    out.push_back(std::move(src));
  }
  return out;
}

Result<std::vector<AptSource>> ReadHostAptSources(const fs::path& etc_apt) {
  std::vector<AptSource> out;
  auto add = [&](const fs::path& file, bool deb822) -> Status {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
    auto parsed = deb822 ? ParseDeb822Sources(text, file.string())
                         : ParseOneLineSources(text, file.string());
    if (!parsed.ok()) return std::move(parsed).error();
    for (AptSource& s : *parsed) out.push_back(std::move(s));
    return {};
  };
  std::error_code ec;
  if (fs::is_regular_file(etc_apt / "sources.list", ec)) CAIRN_TRY(add(etc_apt / "sources.list", false));
  std::vector<fs::path> parts;
  for (fs::directory_iterator it(etc_apt / "sources.list.d", ec), end; !ec && it != end;
       it.increment(ec)) {
    parts.push_back(it->path());
  }
  std::sort(parts.begin(), parts.end());
  for (const fs::path& p : parts) {
    if (p.extension() == ".list") CAIRN_TRY(add(p, false));
    else if (p.extension() == ".sources") CAIRN_TRY(add(p, true));
  }
  return out;
}

std::optional<std::string> FindArchiveForSuite(const std::vector<AptSource>& sources,
                                               std::string_view suite) {
  for (const AptSource& s : sources) {
    if (!s.enabled || s.uris.empty()) continue;
    if (std::find(s.types.begin(), s.types.end(), "deb") == s.types.end()) continue;
    if (std::find(s.suites.begin(), s.suites.end(), suite) != s.suites.end()) return s.uris[0];
  }
  return std::nullopt;
}

}  // namespace cairn::deb
