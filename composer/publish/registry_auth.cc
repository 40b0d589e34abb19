// Authentication of RegistryClient requests, driven by the registry's 401
// challenge (the distribution spec's token flow, docker/distribution
// docs/spec/auth/token.md): a Bearer challenge sends us to its realm for a
// token covering our repository (pull,push) and any repository we mount from
// (pull), with Basic credentials or an OAuth2 refresh token when the Docker
// config has some; a Basic challenge takes the credentials directly. A
// request is re-sent once with the new Authorization; a second 401 is the
// caller's error.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/percent_encode.h"
#include "cairn/publish/registry_client.h"
#include "cairn/publish/www_authenticate.h"
#include "publish/registry_text.h"

namespace cairn::publish {
namespace {

/// The scopes a token is asked for: the challenge's (space-separated), ours, and pulls.
std::vector<std::string> TokenScopes(const AuthChallenge& c, const std::string& repository,
                                     const std::vector<std::string>& pulls) {
  std::vector<std::string> scopes;
  auto add = [&](const std::string& s) {
    if (!s.empty() && std::find(scopes.begin(), scopes.end(), s) == scopes.end())
      scopes.push_back(s);
  };
  std::string given = c.Param("scope");
  for (size_t start = 0; start <= given.size();) {
    size_t space = given.find(' ', start);
    add(given.substr(start, space == std::string::npos ? std::string::npos : space - start));
    if (space == std::string::npos) break;
    start = space + 1;
  }
  add(fmt::format("repository:{}:pull,push", repository));
  for (const auto& p : pulls) add(fmt::format("repository:{}:pull", p));
  return scopes;
}

std::string BasicHeader(const Credential& c) {
  return "Basic " + Base64Encode(c.username + ":" + c.password);
}

}  // namespace

HttpExchange RegistryClient::SendAuthenticated(HttpRequest request) {
  auto send = [&](const HttpRequest& r) {
    HttpRequest with = r;
    if (!authorization_.empty()) with.headers.emplace_back("Authorization", authorization_);
    ++stats_.requests;
    HttpExchange x = transport_.Send(with);
    reporter_.Debug(fmt::format(
        "{} {} -> {}", r.method, r.url,
        x.status.ok() ? std::to_string(x.response.status) : x.status.error().message()));
    return x;
  };
  HttpExchange x = send(request);
  if (!x.status.ok() || x.response.status != 401) return x;
  std::string before = authorization_;
  if (Status s = AuthenticateFrom(x.response); !s.ok()) {
    x.status = std::move(s).error();
    x.retryable = false;
    return x;
  }
  if (authorization_ == before) return x;  // nothing new to try: the caller reports the 401
  return send(request);
}

Status RegistryClient::AuthenticateFrom(const HttpResponse& response) {
  std::vector<std::string> headers = response.Headers("WWW-Authenticate");
  if (headers.empty())
    return IoError(fmt::format("registry '{}' answered {} without a WWW-Authenticate challenge",
                               target_.registry, internal::StatusText(response.status)));
  std::vector<AuthChallenge> challenges;
  for (const auto& h : headers) {
    CAIRN_ASSIGN_OR_RETURN(auto parsed, ParseWwwAuthenticate(h));
    challenges.insert(challenges.end(), parsed.begin(), parsed.end());
  }
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  if (!bearer && !basic)
    return IoError(fmt::format("registry '{}' asks for authentication cairn does not speak ('{}')",
                               target_.registry, challenges.front().scheme));

  std::optional<Credential> cred;
  if (options_.credentials) {
    CAIRN_ASSIGN_OR_RETURN(cred, options_.credentials(target_.registry));
  }
  if (!bearer) {
    if (!cred || cred->username.empty())
      return IoError(fmt::format("registry '{}' needs a user name and password", target_.registry))
          .Hint(fmt::format("run 'docker login {}' or add the registry to the Docker config file",
                            target_.registry));
    authorization_ = BasicHeader(*cred);
    return {};
  }
  return FetchToken(*bearer, cred);
}

Status RegistryClient::FetchToken(const AuthChallenge& bearer,
                                  const std::optional<Credential>& cred) {
  std::string realm = bearer.Param("realm");
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
    return IoError(
        fmt::format("registry '{}' names no usable token realm ('{}')", target_.registry, realm));
  std::vector<std::string> scopes = TokenScopes(bearer, target_.repository, extra_pull_scopes_);
  std::string service = bearer.Param("service");
  HttpRequest r;
  if (cred && !cred->identity_token.empty()) {
    // OAuth2 refresh-token grant (Docker's identity tokens).
    r.method = "POST";
    r.url = realm;
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    std::string form = "grant_type=refresh_token&client_id=cairn&refresh_token=" +
                       PercentEncode(cred->identity_token);
    if (!service.empty()) form += "&service=" + PercentEncode(service);
    if (!scopes.empty()) {
      std::string joined;
      for (const auto& s : scopes) joined += (joined.empty() ? "" : " ") + s;
      form += "&scope=" + PercentEncode(joined);
    }
    r.body = form;
  } else {
    r.method = "GET";
    r.follow_redirects = true;
    std::string query;
    if (!service.empty()) query += "service=" + PercentEncode(service);
    for (const auto& s : scopes)
      query += (query.empty() ? "" : "&") + std::string("scope=") + PercentEncode(s);
    r.url =
        realm + (query.empty() ? "" : (realm.find('?') == std::string::npos ? "?" : "&") + query);
    if (cred && !cred->username.empty()) r.headers = {{"Authorization", BasicHeader(*cred)}};
  }
  ++stats_.requests;
  HttpExchange x = transport_.Send(r);
  std::string what =
      fmt::format("getting a token for registry '{}' from {}", target_.registry, realm);
  if (!x.status.ok()) return std::move(x.status).error().Context(what);
  if (x.response.status != 200) {
    Error e = IoError(fmt::format("{}: {}{}", what, internal::StatusText(x.response.status), [&] {
      std::string d = internal::RegistryErrorText(x.response);
      return d.empty() ? d : " (" + d + ")";
    }()));
    if (x.response.status == 401 || x.response.status == 403)
      e.Hint(cred ? fmt::format("check the credentials for '{}' in the Docker config file",
                                target_.registry)
                  : fmt::format("run 'docker login {}'", target_.registry));
    return e;
  }
  nlohmann::json j = nlohmann::json::parse(x.response.body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    if (j.contains("token") && j["token"].is_string()) token = j["token"];
    if (token.empty() && j.contains("access_token") && j["access_token"].is_string())
      token = j["access_token"];
  }
  if (token.empty()) return IoError(fmt::format("{}: the answer holds no token", what));
  authorization_ = "Bearer " + token;
  return {};
}

}  // namespace cairn::publish
