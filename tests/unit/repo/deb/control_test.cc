#include "cairn/deb/control.h"

#include <catch2/catch.hpp>
#include <string>

#include "cairn/file_util.h"
#include "support/test_support.h"

namespace cairn::deb {
namespace {

using cairn::testing::TestData;

std::string ReadOrFail(const std::string& path) {
  auto text = ReadFile(path);
  INFO(path);
  REQUIRE(text.ok());
  return *text;
}

// Every paragraph formatted back, separated by blank lines.
std::string FormatAll(const std::vector<Paragraph>& paragraphs) {
  std::string out;
  for (size_t i = 0; i < paragraphs.size(); ++i) {
    if (i > 0) out += "\n";
    out += FormatParagraph(paragraphs[i]);
  }
  return out;
}

void CheckError(std::string_view text, const std::string& message) {
  auto r = ParseControlFile(text, "t");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == message);
}

TEST_CASE("a real Packages excerpt parses and formats back byte for byte", "[repo][deb][control]") {
  std::string text = ReadOrFail((TestData() / "deb/Packages-excerpt").string());
  auto r = ParseControlFile(text, "Packages");
  REQUIRE(r.ok());
  const auto& ps = *r;
  REQUIRE(ps.size() == 5);
  CHECK(ps[0].Get("Package") == "argus-client");
  CHECK(ps[0].line == 1);
  const Paragraph& libc6 = ps[2];
  CHECK(libc6.Get("Package") == "libc6");
  CHECK(libc6.line == 45);
  CHECK(libc6.fields.size() == 22);
  CHECK(libc6.fields[0].name == "Package");
  CHECK(libc6.fields[1].name == "Source");
  CHECK(libc6.fields[1].value == "glibc");
  CHECK(libc6.fields[21].name == "SHA256");
  const Paragraph& grep = ps[3];
  CHECK(grep.Get("Package") == "grep");
  CHECK(grep.line == 68);
  // Field names compare case-insensitively; absent fields give nullptr / "".
  REQUIRE(grep.Find("pre-depends") != nullptr);
  CHECK(*grep.Find("PRE-DEPENDS") == "libc6 (>= 2.34), libpcre2-8-0 (>= 10.32)");
  CHECK(grep.Find("Source") == nullptr);
  CHECK(grep.Get("Source").empty());
  CHECK(grep.Get("Tag") ==
        "implemented-in::c, interface::commandline, role::program,\n"
        " scope::utility, suite::gnu, use::filtering, use::searching,\n"
        " works-with::file, works-with::text");
  CHECK(ps[4].Get("Package") == "tzdata");
  CHECK(FormatAll(ps) == text);
}

TEST_CASE("multi-line values keep continuation lines verbatim", "[repo][deb][control]") {
  std::string text =
      "Package: a\n"
      "Description: synopsis\n"
      " first line  \n"
      " .\n"
      "\tindented with a tab\t\n"
      "Conffiles:\n"
      " /etc/a 0123\n";
  auto r = ParseControlFile(text, "t");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  const Paragraph& p = (*r)[0];
  CHECK(p.Get("Description") == "synopsis\n first line  \n .\n\tindented with a tab\t");
  CHECK(p.Get("Conffiles") == "\n /etc/a 0123");
  CHECK(FormatParagraph(p) == text);
}

TEST_CASE("blanks around the first line of a value are dropped", "[repo][deb][control]") {
  auto r = ParseControlFile("A:   v w  \nB:\nC:\t \n  more\n", "t");
  REQUIRE(r.ok());
  const Paragraph& p = (*r)[0];
  CHECK(p.Get("A") == "v w");
  CHECK(p.Get("B").empty());
  REQUIRE(p.Find("B") != nullptr);
  CHECK(p.Get("C") == "\n  more");
  CHECK(FormatParagraph(p) == "A: v w\nB:\nC:\n  more\n");
}

TEST_CASE("empty and whitespace-only lines separate paragraphs", "[repo][deb][control]") {
  auto r = ParseControlFile("\n\nA: 1\n \t \nB: 2\n\n\n\nC: 3\nD: 4", "t");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].line == 3);
  CHECK((*r)[0].Get("A") == "1");
  CHECK((*r)[1].line == 5);
  CHECK((*r)[2].line == 9);
  CHECK((*r)[2].Get("D") == "4");  // no final newline is fine
  // The same field in different paragraphs is not a duplicate.
  auto same = ParseControlFile("Package: a\n\nPackage: b\n", "t");
  REQUIRE(same.ok());
  CHECK(same->size() == 2);
}

TEST_CASE("comment lines are skipped, even inside a value", "[repo][deb][control]") {
  auto r = ParseControlFile("# head\nA: x\n y\n# between\n z\n#tail\n\n# only a comment\n", "t");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].line == 2);
  CHECK((*r)[0].Get("A") == "x\n y\n z");
}

TEST_CASE("empty input gives no paragraphs", "[repo][deb][control]") {
  for (const char* text : {"", "\n", " \n\t\n", "# c\n\n"}) {
    auto r = ParseControlFile(text, "t");
    REQUIRE(r.ok());
    CHECK(r->empty());
  }
}

TEST_CASE("control syntax errors name the origin and line", "[repo][deb][control]") {
  CheckError("A: 1\r\nB: 2\r\n",
             "t:1: carriage return in control data (expected '\\n' line endings, not CRLF)");
  CheckError("A: 1\nB: 2\r\n",
             "t:2: carriage return in control data (expected '\\n' line endings, not CRLF)");
  CheckError("A: 1\nB\n", "t:2: expected 'Name: value' (got 'B')");
  CheckError("A: 1\n" + std::string(70, 'x') + "\n",
             "t:2: expected 'Name: value' (got '" + std::string(60, 'x') + "...')");
  CheckError(" x\n", "t:1: continuation line outside a field (expected 'Name: value', got ' x')");
  CheckError("A: 1\n\n cont\n",
             "t:3: continuation line outside a field (expected 'Name: value', got ' cont')");
  CheckError(": v\n", "t:1: empty field name (expected 'Name: value', got ': v')");
  CheckError("-A: v\n", "t:1: field name '-A' cannot start with '-'");
  CheckError("Pack age: v\n",
             "t:1: field name 'Pack age' contains whitespace (expected 'Name: value')");
  CheckError("Package: a\nVersion: 1\npackage: b\n",
             "t:3: duplicate value for 'package' field (first given on line 1)");
  CheckError("\nA: 1\nB: 2\n\nC: 1\nD:\n more\nD: 2\n",
             "t:8: duplicate value for 'D' field (first given on line 6)");
}

TEST_CASE("the host's dpkg status database parses", "[repo][deb][control]") {
  std::string text = ReadOrFail("/var/lib/dpkg/status");
  auto r = ParseControlFile(text, "/var/lib/dpkg/status");
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  // Count stanzas and rebuild the expected text independently of the parser:
  // the only change FormatParagraph makes is dropping blanks that end a
  // field's first line.
  size_t stanzas = 0;
  std::string expected;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("Package: ", 0) == 0) ++stanzas;
    if (!line.empty() && line[0] != ' ') {
      while (line.back() == ' ' || line.back() == '\t') line.pop_back();
    }
    expected += line + "\n";
  }
  CHECK(stanzas > 50);
  CHECK(r->size() == stanzas);
  // dpkg ends every stanza, the last one too, with a blank line.
  CHECK(FormatAll(*r) + "\n" == expected);
}

}  // namespace
}  // namespace cairn::deb
