// WWW-Authenticate parsing, with headers as registries send them.
#include "cairn/publish/www_authenticate.h"

#include <catch2/catch.hpp>

using cairn::publish::ParseWwwAuthenticate;

TEST_CASE("a Bearer challenge yields realm and service and scope", "[publish][auth]") {
  // docker/distribution's token auth, verbatim.
  auto r = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push")");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].scheme == "bearer");
  CHECK((*r)[0].Param("realm") == "https://auth.docker.io/token");
  CHECK((*r)[0].Param("service") == "registry.docker.io");
  CHECK((*r)[0].Param("scope") == "repository:library/alpine:pull,push");
  CHECK((*r)[0].Param("error").empty());
}

TEST_CASE("several challenges with token values and spaces and escapes", "[publish][auth]") {
  auto r = ParseWwwAuthenticate(
      R"(Basic realm="Registry \"Realm\"", charset=UTF-8 ,  BEARER Realm = "https://a/t" , error="insufficient_scope")");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].scheme == "basic");
  CHECK((*r)[0].Param("realm") == "Registry \"Realm\"");
  CHECK((*r)[0].Param("charset") == "UTF-8");
  CHECK((*r)[1].scheme == "bearer");
  CHECK((*r)[1].Param("realm") == "https://a/t");
  CHECK((*r)[1].Param("error") == "insufficient_scope");
}

TEST_CASE("a scheme without parameters and a token68", "[publish][auth]") {
  auto r = ParseWwwAuthenticate("Negotiate, Basic realm=x");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].scheme == "negotiate");
  CHECK((*r)[0].params.empty());
  CHECK((*r)[1].Param("realm") == "x");
  auto t = ParseWwwAuthenticate("Custom abc/def+ghi");
  REQUIRE(t.ok());
  CHECK((*t)[0].Param("") == "abc/def+ghi");
}

TEST_CASE("malformed challenges are errors quoting the header", "[publish][auth]") {
  auto unterminated = ParseWwwAuthenticate(R"(Bearer realm="https://a)");
  REQUIRE_FALSE(unterminated.ok());
  CHECK(
      unterminated.error().message() ==
      R"(malformed WWW-Authenticate header 'Bearer realm="https://a': unterminated quoted value of 'realm')");
  auto junk = ParseWwwAuthenticate(R"(Bearer realm="a" service="b")");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().message().find("expected ',' after the value of 'realm'") !=
        std::string::npos);
  auto empty = ParseWwwAuthenticate(" , ");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message() == "malformed WWW-Authenticate header ' , ': no challenge");
  auto no_scheme = ParseWwwAuthenticate("=x");
  REQUIRE_FALSE(no_scheme.ok());
  CHECK(no_scheme.error().message().find("expected a scheme at offset 0") != std::string::npos);
}
