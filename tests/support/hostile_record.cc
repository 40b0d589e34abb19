#include "support/hostile_record.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <fmt/format.h>

namespace cairn::testing {
namespace {

// `text` as a regular expression matching itself.
std::string Literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// Scratch directories (ScratchDir: "<base>/<name>.XXXXXX"), cache keys
// derived from their paths, and ports differ per run; the table must not.
std::string Stable(std::string text) {
  for (const std::filesystem::path& base :
       {std::filesystem::path(CAIRN_BINARY_DIR) / "test-scratch",
        std::filesystem::temp_directory_path() / "cairn-test-scratch"})
    text = std::regex_replace(text, std::regex(Literal(base.string()) + "/[^/' ]+"), "<scratch>");
  text = std::regex_replace(text, std::regex(Literal(CAIRN_BINARY_DIR)), "<build>");
  text = std::regex_replace(text, std::regex(Literal(CAIRN_SOURCE_DIR)), "<src>");
  text = std::regex_replace(text, std::regex("/url/[0-9a-f]{32}-"), "/url/<hash>-");
  text = std::regex_replace(text, std::regex("127\\.0\\.0\\.1:[0-9]+"), "127.0.0.1:PORT");
  return text;
}

// A JSON string; bytes outside printable ASCII are shown as \xNN text, so the
// report stays valid UTF-8 whatever hostile bytes a message quoted.
std::string Json(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

void RecordHostile(const std::string& category, const std::string& hostile_case,
                   const std::string& outcome) {
  const char* file = std::getenv("CAIRN_HOSTILE_REPORT");
  if (file == nullptr || *file == '\0') return;
  std::string test = Catch::getResultCapture().getCurrentTestName();
  std::ofstream out(file, std::ios::app);
  out << "{\"category\":" << Json(category) << ",\"case\":" << Json(hostile_case)
      << ",\"outcome\":" << Json(Stable(outcome)) << ",\"test\":" << Json(test) << "}\n";
  REQUIRE(out.good());
}

std::string OutcomeOf(const Error& e) {
  std::string text = e.message();
  for (const auto& c : e.context()) text = c + ": " + text;
  if (e.loc().known()) text = e.loc().ToString() + ": " + text;
  std::string out = fmt::format("refused ({}): {}", CodeName(e.code()), text);
  if (!e.hint().empty()) out += " (hint: " + e.hint() + ")";
  return out;
}

}  // namespace cairn::testing
