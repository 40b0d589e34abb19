#include "cairn/deb/package.h"

#include <catch2/catch.hpp>
#include <string>

#include "cairn/file_util.h"
#include "support/test_support.h"

namespace cairn::deb {
namespace {

using cairn::testing::TestData;

std::string ExcerptText() {
  auto text = ReadFile(TestData() / "deb/Packages-excerpt");
  REQUIRE(text.ok());
  return *text;
}

const Package& Named(const std::vector<Package>& packages, const std::string& name) {
  for (const Package& p : packages) {
    if (p.name == name) return p;
  }
  FAIL("no package " << name);
  return packages.front();
}

void CheckRelationError(std::string_view text, const std::string& message) {
  INFO("relations: " << text);
  auto r = ParseRelations(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == message);
}

Result<Package> FromText(std::string_view text) {
  auto ps = ParseControlFile(text, "ctl");
  REQUIRE(ps.ok());
  REQUIRE(ps->size() == 1);
  return PackageFromParagraph((*ps)[0], "ctl");
}

void CheckPackageError(const std::string& text, const std::string& message) {
  INFO(text);
  auto r = FromText(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == message);
}

TEST_CASE("relations parse into alternatives and format canonically", "[repo][deb][package]") {
  auto r = ParseRelations("libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0] == Alternatives{Relation{"libc6", "", RelationOp::kGreaterEq, "2.36"}});
  CHECK((*r)[1] == Alternatives{Relation{"debconf", "", RelationOp::kGreaterEq, "0.5"},
                                Relation{"debconf-2.0", "", RelationOp::kAny, ""}});
  CHECK(FormatRelations(*r) == "libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0");

  // Whitespace and line breaks are allowed between all tokens.
  auto spaced = ParseRelations("  a(>=1.0)|b  ,\n c:any ( << 2:1.0~rc1 )\t,d:amd64 ");
  REQUIRE(spaced.ok());
  CHECK(FormatRelations(*spaced) == "a (>= 1.0) | b, c:any (<< 2:1.0~rc1), d:amd64");
  CHECK((*spaced)[1][0].arch_qualifier == "any");
  CHECK((*spaced)[1][0].version == "2:1.0~rc1");

  CHECK(ParseRelations("")->empty());
  CHECK(ParseRelations(" \n ")->empty());
}

TEST_CASE("every relation operator, including the obsolete ones", "[repo][deb][package]") {
  struct Case {
    const char* text;
    RelationOp op;
    const char* canonical;
  };
  for (const Case& c : {
           Case{"a (<< 1)", RelationOp::kLess, "a (<< 1)"},
           Case{"a (<= 1)", RelationOp::kLessEq, "a (<= 1)"},
           Case{"a (= 1)", RelationOp::kEqual, "a (= 1)"},
           Case{"a (>= 1)", RelationOp::kGreaterEq, "a (>= 1)"},
           Case{"a (>> 1)", RelationOp::kGreater, "a (>> 1)"},
           Case{"a (< 1)", RelationOp::kLessEq, "a (<= 1)"},     // obsolete '<' is '<='
           Case{"a (> 1)", RelationOp::kGreaterEq, "a (>= 1)"},  // obsolete '>' is '>='
           Case{"a (1)", RelationOp::kEqual, "a (= 1)"},         // dpkg's implicit exact match
           Case{"a", RelationOp::kAny, "a"},
       }) {
    INFO(c.text);
    auto r = ParseRelations(c.text);
    REQUIRE(r.ok());
    CHECK((*r)[0][0].op == c.op);
    CHECK(FormatRelations(*r) == c.canonical);
  }
}

TEST_CASE("relation syntax errors say what was expected", "[repo][deb][package]") {
  CheckRelationError("a, , b", "expected a package name (got ', b')");
  CheckRelationError("a,", "expected a package name (got end of text)");
  CheckRelationError("a | | b", "expected a package name (got '| b')");
  CheckRelationError("a b", "unexpected 'b' after 'a' (expected ',' or '|')");
  CheckRelationError("a (>= 1) b", "unexpected 'b' after 'a (>= 1)' (expected ',' or '|')");
  CheckRelationError("Foo_bar!",
                     "invalid package name 'Foo_bar!': character '!' not allowed (expected "
                     "letters, digits and '-+._')");
  CheckRelationError("-a", "invalid package name '-a': must start with a letter or digit");
  CheckRelationError("a:", "expected an architecture after 'a:' (got end of text)");
  CheckRelationError(
      "a:am_d64", "invalid architecture 'am_d64' in 'a:am_d64' (expected letters, digits and '-')");
  CheckRelationError("a [amd64]",
                     "architecture restriction '[amd64]' after 'a' is not allowed in a binary "
                     "package relation");
  CheckRelationError("a (>= 1) [!i386 arm64], b",
                     "architecture restriction '[!i386 arm64]' after 'a (>= 1)' is not allowed "
                     "in a binary package relation");
  CheckRelationError("a (>= 1) <!nocheck>",
                     "build profile '<!nocheck>' after 'a (>= 1)' is not allowed in a binary "
                     "package relation");
  CheckRelationError("a (<> 1)",
                     "bad version relation '<>' for 'a' (expected '<<', '<=', '=', '>=' or '>>')");
  CheckRelationError("a (>= 1", "unterminated version for 'a' (expected ')')");
  CheckRelationError("a (>= 1 2)", "unexpected '2)' in version of 'a' (expected ')')");
  CheckRelationError("a (>= 1 (2))", "unexpected '(2))' in version of 'a' (expected ')')");
  CheckRelationError("a (>= 1:)",
                     "relation 'a': bad version '1:': nothing after colon in version number");
  CheckRelationError("a (>= )", "relation 'a': bad version '': version string is empty");
}

TEST_CASE("a real Packages excerpt becomes Package values", "[repo][deb][package]") {
  std::string text = ExcerptText();
  auto r = ParsePackagesIndex(text, "Packages", "http://deb.debian.org/debian bookworm/main amd64",
                              "http://deb.debian.org/debian");
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  REQUIRE(r->size() == 5);
  for (const Package& p : *r) {
    CHECK(p.repository == "http://deb.debian.org/debian bookworm/main amd64");
    CHECK(p.archive_url == "http://deb.debian.org/debian");
    // Debian writes relation fields in canonical form, so they format back exactly.
    for (const char* field : {"Depends", "Pre-Depends", "Recommends", "Suggests", "Conflicts",
                              "Breaks", "Replaces", "Provides"}) {
      const RelationList* list = nullptr;
      std::string f = field;
      if (f == "Depends") list = &p.depends;
      if (f == "Pre-Depends") list = &p.pre_depends;
      if (f == "Recommends") list = &p.recommends;
      if (f == "Suggests") list = &p.suggests;
      if (f == "Conflicts") list = &p.conflicts;
      if (f == "Breaks") list = &p.breaks;
      if (f == "Replaces") list = &p.replaces;
      if (f == "Provides") list = &p.provides;
      INFO(p.name << " " << field);
      CHECK(FormatRelations(*list) == p.paragraph.Get(field));
    }
  }

  const Package& libc6 = Named(*r, "libc6");
  CHECK(libc6.version == "2.36-9+deb12u14");
  CHECK(libc6.architecture == "amd64");
  CHECK(libc6.multi_arch == "same");
  CHECK_FALSE(libc6.essential);
  CHECK(libc6.priority == "optional");
  CHECK(libc6.section == "libs");
  CHECK(libc6.maintainer == "GNU Libc Maintainers <debian-glibc@lists.debian.org>");
  CHECK(libc6.homepage == "https://www.gnu.org/software/libc/libc.html");
  CHECK(libc6.description == "GNU C Library: Shared libraries");
  CHECK(libc6.source == "glibc");
  CHECK(libc6.source_version == "2.36-9+deb12u14");
  CHECK(libc6.installed_size_kib == 13001);
  CHECK(libc6.filename == "pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb");
  CHECK(libc6.size == 2759320);
  CHECK(libc6.sha256 == "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf");
  CHECK(libc6.md5sum == "8d98f0c882f269aaee8437bcfe89346e");
  CHECK(libc6.depends == RelationList{{Relation{"libgcc-s1", "", RelationOp::kAny, ""}}});
  REQUIRE(libc6.suggests.size() == 6);
  CHECK(libc6.suggests[1].size() == 2);
  CHECK(libc6.breaks.size() == 27);
  CHECK(libc6.breaks[6] == Alternatives{Relation{"gnumach-image-1.8-486", "", RelationOp::kLess,
                                                 "2:1.8+git20210923~"}});
  CHECK(libc6.paragraph.Get("Tag") == "role::shared-lib");
  CHECK(libc6.DpkgName() == "libc6:amd64");
  CHECK(libc6.FileName() == "libc6_2.36-9+deb12u14_amd64.deb");

  const Package& grep = Named(*r, "grep");
  CHECK(grep.essential);
  CHECK(grep.multi_arch == "foreign");
  CHECK(grep.source == "grep");
  CHECK(grep.source_version == "3.8-5");
  CHECK(grep.pre_depends ==
        RelationList{{Relation{"libc6", "", RelationOp::kGreaterEq, "2.34"}},
                     {Relation{"libpcre2-8-0", "", RelationOp::kGreaterEq, "10.32"}}});
  CHECK(grep.depends == RelationList{{Relation{"dpkg", "", RelationOp::kGreaterEq, "1.15.4"},
                                      Relation{"install-info", "", RelationOp::kAny, ""}}});
  CHECK(grep.provides == RelationList{{Relation{"rgrep", "", RelationOp::kAny, ""}}});
  CHECK(grep.conflicts == RelationList{{Relation{"rgrep", "", RelationOp::kAny, ""}}});
  CHECK(grep.DpkgName() == "grep");

  const Package& gcc = Named(*r, "libgcc-s1");
  CHECK(gcc.is_protected);
  CHECK_FALSE(gcc.essential);
  CHECK(gcc.source == "gcc-12");
  CHECK(gcc.provides ==
        RelationList{{Relation{"libgcc1", "", RelationOp::kEqual, "1:12.2.0-14+deb12u1"}}});
  CHECK(gcc.replaces == RelationList{{Relation{"libgcc1", "", RelationOp::kLess, "1:10"}}});
  CHECK(gcc.DpkgName() == "libgcc-s1:amd64");

  // A binNMU: the source version differs from the binary version; epoch in the name.
  const Package& argus = Named(*r, "argus-client");
  CHECK(argus.version == "1:3.0.8.2-6.1+b3");
  CHECK(argus.source == "argus-clients");
  CHECK(argus.source_version == "1:3.0.8.2-6.1");
  CHECK(argus.multi_arch.empty());
  CHECK(argus.depends.back() == Alternatives{Relation{"perl", "any", RelationOp::kAny, ""}});
  CHECK(argus.FileName() == "argus-client_1%3a3.0.8.2-6.1+b3_amd64.deb");
  CHECK(argus.DpkgName() == "argus-client");

  const Package& tz = Named(*r, "tzdata");
  CHECK(tz.architecture == "all");
  CHECK(tz.FileName() == "tzdata_2026b-0+deb12u1_all.deb");
}

TEST_CASE("a .deb control file becomes a Package without index fields", "[repo][deb][package]") {
  auto p = FromText(
      "Package: hello\n"
      "Version: 2.10-3\n"
      "Architecture: arm64\n"
      "Multi-Arch: no\n"
      "Essential: no\n"
      "Installed-Size: 280\n"
      "Depends: libc6 (>= 2.34)\n"
      "Description: example package based on GNU hello\n"
      " The GNU hello program produces a familiar, friendly greeting.\n");
  REQUIRE(p.ok());
  CHECK(p->multi_arch.empty());
  CHECK_FALSE(p->essential);
  CHECK(p->description == "example package based on GNU hello");
  CHECK(p->source == "hello");
  CHECK(p->source_version == "2.10-3");
  CHECK(p->filename.empty());
  CHECK(p->sha256.empty());
  CHECK(p->size == 0);
  CHECK(p->installed_size_kib == 280);
  CHECK(p->DpkgName() == "hello");
  CHECK(p->FileName() == "hello_2.10-3_arm64.deb");
  CHECK(p->paragraph.fields.size() == 8);
}

TEST_CASE("bad package stanzas name origin, line and package", "[repo][deb][package]") {
  const std::string head = "Package: a\nVersion: 1.0\nArchitecture: amd64\n";
  CheckPackageError("Version: 1\nArchitecture: all\n", "ctl:1: paragraph has no 'Package' field");
  CheckPackageError("Package: a_b!\nVersion: 1\n",
                    "ctl:1: invalid package name 'a_b!': character '!' not allowed (expected "
                    "letters, digits and '-+._')");
  CheckPackageError("Package: a\nArchitecture: all\n",
                    "ctl:1: package 'a': missing 'Version' field");
  CheckPackageError("Package: a\nVersion: 1\n", "ctl:1: package 'a': missing 'Architecture' field");
  CheckPackageError("Package: a\nVersion: 1:\nArchitecture: all\n",
                    "ctl:1: package 'a': bad version '1:': nothing after colon in version number");
  CheckPackageError("Package: a\nVersion: 1\nArchitecture: amd64 i386\n",
                    "ctl:1: package 'a': bad 'Architecture' value 'amd64 i386' (expected one "
                    "architecture name)");
  CheckPackageError(
      head + "Size: 12k\n",
      "ctl:1: package 'a': bad 'Size' value '12k' (expected a decimal number of bytes)");
  CheckPackageError(head + "Installed-Size: -1\n",
                    "ctl:1: package 'a': bad 'Installed-Size' value '-1' (expected a decimal "
                    "number of KiB)");
  CheckPackageError(head + "Multi-Arch: sometimes\n",
                    "ctl:1: package 'a': bad 'Multi-Arch' value 'sometimes' (expected 'no', "
                    "'same', 'foreign' or 'allowed')");
  CheckPackageError(head + "Essential: maybe\n",
                    "ctl:1: package 'a': bad 'Essential' value 'maybe' (expected 'yes' or 'no')");
  CheckPackageError(
      head + "SHA256: abc\n",
      "ctl:1: package 'a': bad 'SHA256' value 'abc' (expected 64 hexadecimal digits)");
  CheckPackageError(head + "Source: b (1.0\n",
                    "ctl:1: package 'a': bad 'Source' value 'b (1.0' (expected 'name' or 'name "
                    "(version)')");
  CheckPackageError(
      head + "Depends: b,\n",
      "ctl:1: package 'a': 'Depends' field: expected a package name (got end of text)");
  CheckPackageError(head + "Conflicts: b | c\n",
                    "ctl:1: package 'a': 'Conflicts' field: alternatives ('|') are not allowed "
                    "here (got 'b | c')");
  CheckPackageError(head + "Provides: b (= 1) | c\n",
                    "ctl:1: package 'a': 'Provides' field: alternatives ('|') are not allowed "
                    "here (got 'b (= 1) | c')");
}

TEST_CASE("index entries must say where the .deb is and what it hashes to",
          "[repo][deb][package]") {
  std::string text = ExcerptText();
  // Drop the SHA256 line of the second stanza (libgcc-s1, line 22).
  size_t second = text.find("Package: libgcc-s1");
  size_t sha = text.find("SHA256: ", second);
  std::string without = text.substr(0, sha) + text.substr(text.find('\n', sha) + 1);
  auto r = ParsePackagesIndex(without, "Packages", "r", "u");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() ==
        "Packages:22: package 'libgcc-s1': missing 'SHA256' field (expected in every Packages "
        "index entry)");

  auto no_file =
      ParsePackagesIndex("Package: a\nVersion: 1\nArchitecture: all\nSize: 1\n", "P", "r", "u");
  REQUIRE_FALSE(no_file.ok());
  CHECK(no_file.error().message() ==
        "P:1: package 'a': missing 'Filename' field (expected in every Packages index entry)");

  // Errors from later stanzas carry their own line.
  std::string broken = text + "\nPackage: z\nVersion: 1\nArchitecture: all\nDepends: (\n";
  auto b = ParsePackagesIndex(broken, "Packages", "r", "u");
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message() ==
        "Packages:111: package 'z': 'Depends' field: expected a package name (got '(')");
}

TEST_CASE("DpkgName and FileName follow dpkg and apt naming", "[repo][deb][package]") {
  Package p;
  p.name = "libfoo1";
  p.version = "2:1.0-1";
  p.architecture = "arm64";
  CHECK(p.DpkgName() == "libfoo1");
  p.multi_arch = "same";
  CHECK(p.DpkgName() == "libfoo1:arm64");
  p.multi_arch = "foreign";
  CHECK(p.DpkgName() == "libfoo1");
  CHECK(p.FileName() == "libfoo1_2%3a1.0-1_arm64.deb");
}

}  // namespace
}  // namespace cairn::deb
