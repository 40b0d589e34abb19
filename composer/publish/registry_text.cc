#include "publish/registry_text.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

namespace cairn::publish::internal {

std::string RegistryErrorText(const HttpResponse& response) {
  if (response.body.empty()) return "";
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    std::string out;
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.value("code", "");
      std::string message = e.value("message", "");
      if (!out.empty()) out += "; ";
      out += code.empty() ? message : message.empty() ? code : code + ": " + message;
    }
    if (!out.empty()) return out;
  }
  // Not the API's error JSON (a proxy's page, "404 page not found"): its first line, short.
  std::string_view body = response.body;
  body = body.substr(0, body.find('\n'));
  if (body.size() > 200) body = body.substr(0, 200);
  for (char c : body)
    if (!std::isprint(static_cast<unsigned char>(c))) return "";
  return std::string(body);
}

std::string StatusText(int status) {
  const char* reason = "";
  switch (status) {
    case 400:
      reason = " Bad Request";
      break;
    case 401:
      reason = " Unauthorized";
      break;
    case 403:
      reason = " Forbidden";
      break;
    case 404:
      reason = " Not Found";
      break;
    case 405:
      reason = " Method Not Allowed";
      break;
    case 409:
      reason = " Conflict";
      break;
    case 413:
      reason = " Payload Too Large";
      break;
    case 416:
      reason = " Range Not Satisfiable";
      break;
    case 429:
      reason = " Too Many Requests";
      break;
    case 500:
      reason = " Internal Server Error";
      break;
    case 502:
      reason = " Bad Gateway";
      break;
    case 503:
      reason = " Service Unavailable";
      break;
    case 504:
      reason = " Gateway Timeout";
      break;
    default:
      break;
  }
  return fmt::format("HTTP {}{}", status, reason);
}

}  // namespace cairn::publish::internal
