// PrettyJson must lay out JSON exactly as nlohmann's dump(2) does (the SBOM's
// bytes, and so its golden files and digests, depend on it).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sbom/pretty_json.h"

namespace cairn::sbom::internal {
namespace {

TEST_CASE("PrettyJson writes what ordered_json::dump(2) writes", "[sbom][json]") {
  const std::string odd = std::string("tab\there \"q\" back\\slash \x01 nul") + '\0' +
                          " del\x7f caf\xc3\xa9 bad\xff\xfe end";
  nlohmann::ordered_json want = {
      {"empty_object", nlohmann::ordered_json::object()},
      {"empty_array", nlohmann::ordered_json::array()},
      {"flag", false},
      {"nested", {{"list", {"a", odd, nlohmann::ordered_json::object()}}, {"yes", true}}},
      {odd, "key with escapes"},
  };
  PrettyJson j;
  j.BeginObject();
  j.Key("empty_object");
  j.BeginObject();
  j.EndObject();
  j.Key("empty_array");
  j.BeginArray();
  j.EndArray();
  j.Key("flag");
  j.Bool(false);
  j.Key("nested");
  j.BeginObject();
  j.Key("list");
  j.BeginArray();
  j.String("a");
  j.String(odd);
  j.BeginObject();
  j.EndObject();
  j.EndArray();
  j.Key("yes");
  j.Bool(true);
  j.EndObject();
  j.Member(odd, "key with escapes");
  j.EndObject();
  CHECK(j.Take() == want.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace
}  // namespace cairn::sbom::internal
