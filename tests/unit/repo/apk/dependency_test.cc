#include <catch2/catch.hpp>

#include "cairn/apk/package.h"

namespace cairn::apk {
namespace {

Dependency Parsed(const std::string& atom) {
  auto d = Dependency::Parse(atom);
  INFO(atom << ": " << (d ? "" : d.error().message()));
  REQUIRE(d.ok());
  return *d;
}

TEST_CASE("atoms parse into name, tag, operator and version", "[repo][apk][dependency]") {
  Dependency d = Parsed("!busybox@edge>=1.35.0-r1");
  CHECK(d.conflict);
  CHECK(d.name == "busybox");
  CHECK(d.tag == "edge");
  CHECK(d.op == VersionOp::kGreaterEq);
  CHECK(d.version == "1.35.0-r1");

  struct Case { const char* atom; VersionOp op; const char* name; const char* version; };
  const Case cases[] = {
      {"musl", VersionOp::kAny, "musl", ""},
      {"musl=1.2.3-r5", VersionOp::kEqual, "musl", "1.2.3-r5"},
      {"a<1", VersionOp::kLess, "a", "1"},
      {"a<=1", VersionOp::kLessEq, "a", "1"},
      {"a>1", VersionOp::kGreater, "a", "1"},
      {"a>=1", VersionOp::kGreaterEq, "a", "1"},
      {"a~1.6", VersionOp::kFuzzy, "a", "1.6"},
      {"a=~1.6", VersionOp::kFuzzy, "a", "1.6"},
      {"a>~1.6", VersionOp::kGreaterFuzzy, "a", "1.6"},
      {"a<~1.6", VersionOp::kLessFuzzy, "a", "1.6"},
      {"a><Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", VersionOp::kChecksum, "a",
       "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc="},
      {"so:libc.musl-x86_64.so.1", VersionOp::kAny, "so:libc.musl-x86_64.so.1", ""},
      {"so:libstdc++.so.6", VersionOp::kAny, "so:libstdc++.so.6", ""},
      {"cmd:[", VersionOp::kAny, "cmd:[", ""},
      {"pc:libffi>=3.4", VersionOp::kGreaterEq, "pc:libffi", "3.4"},
      {"/bin/sh", VersionOp::kAny, "/bin/sh", ""},
      {"py3.11:foo,bar[x]", VersionOp::kAny, "py3.11:foo,bar[x]", ""},
  };
  for (const auto& c : cases) {
    Dependency p = Parsed(c.atom);
    CHECK(p.op == c.op);
    CHECK(p.name == c.name);
    CHECK(p.version == c.version);
    CHECK_FALSE(p.conflict);
  }
}

TEST_CASE("Format writes the canonical atom back", "[repo][apk][dependency]") {
  for (const char* atom : {"!busybox", "busybox@edge", "so:libc.musl-x86_64.so.1", "musl>=1.2",
                           "a<1", "a<=1", "a>1", "a~1.6", "a>~1.6", "a<~1.6",
                           "a><Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", "!foo@t=1.0-r0"}) {
    CHECK(Parsed(atom).Format() == atom);
  }
  CHECK(Parsed("a=~1.6").Format() == "a~1.6");
}

TEST_CASE("bad atoms say what was expected", "[repo][apk][dependency]") {
  struct Case { const char* atom; const char* message; };
  const Case cases[] = {
      {"", "invalid dependency '': expected a package name"},
      {"!", "invalid dependency '!': expected a package name"},
      {">=1.0", "invalid dependency '>=1.0': expected a package name"},
      {"foo@", "invalid dependency 'foo@': expected a repository tag after '@'"},
      {"foo>=", "invalid dependency 'foo>=': expected a version after '>='"},
      {"foo>=1.0-", "invalid dependency 'foo>=1.0-': invalid version '1.0-'"},
      {"foo<>=1", "invalid dependency 'foo<>=1': unknown operator '<>=' (expected one of = < > <= >= ~ >~ <~ ><)"},
      {"foo><abc", "invalid dependency 'foo><abc': expected a Q1 identity hash after '><'"},
      {"fo o", "invalid dependency 'fo o': unexpected character ' ' in name (expected letters, digits or + - . _ : / , [ ])"},
      {"foo*", "invalid dependency 'foo*': unexpected character '*' in name (expected letters, digits or + - . _ : / , [ ])"},
  };
  for (const auto& c : cases) {
    auto d = Dependency::Parse(c.atom);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().message() == c.message);
    CHECK(d.error().code() == Code::kConfig);
  }
}

TEST_CASE("dependency lists split on spaces and newlines", "[repo][apk][dependency]") {
  auto list = ParseDependencyList("  so:libc.musl-aarch64.so.1 busybox=1.35.0-r29\n!foo  ");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].name == "so:libc.musl-aarch64.so.1");
  CHECK((*list)[1].Format() == "busybox=1.35.0-r29");
  CHECK((*list)[2].conflict);
  CHECK(ParseDependencyList("")->empty());
  auto bad = ParseDependencyList("ok bad>=");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "invalid dependency 'bad>=': expected a version after '>='");
}

}  // namespace
}  // namespace cairn::apk
