#include <strings.h>

#include "cairn/publish/http.h"

namespace cairn::publish {
namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (SameName(n, name)) return v;
  return "";
}

std::vector<std::string> HttpResponse::Headers(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers)
    if (SameName(n, name)) out.push_back(v);
  return out;
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (SameName(n, name)) return true;
  return false;
}

}  // namespace cairn::publish
