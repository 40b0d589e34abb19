// Docker's config.json and credential helpers (docker/cli's configfile and
// credentials packages describe the format and the lookup order).
#include "cairn/publish/credentials.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/publish/reference.h"
#include "cairn/subprocess.h"

namespace cairn::publish {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kHubServerUrl = "https://index.docker.io/v1/";
/// What docker-credential-helpers print when they hold nothing for a server.
constexpr std::string_view kHelperNotFound = "credentials not found in native keychain";

Result<std::string> StringMember(const nlohmann::json& obj, const char* name,
                                 const std::string& where) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return ConfigError(SourceLoc{where}, fmt::format("'{}' must be a string", name));
  return it->get<std::string>();
}

Result<Credential> AuthEntry(const std::string& key, const nlohmann::json& entry,
                             const fs::path& path) {
  std::string where = path.string();
  if (!entry.is_object())
    return ConfigError(SourceLoc{where}, fmt::format("auths entry '{}' must be an object", key));
  Credential c;
  CAIRN_ASSIGN_OR_RETURN(std::string auth, StringMember(entry, "auth", where));
  CAIRN_ASSIGN_OR_RETURN(c.username, StringMember(entry, "username", where));
  CAIRN_ASSIGN_OR_RETURN(c.password, StringMember(entry, "password", where));
  CAIRN_ASSIGN_OR_RETURN(c.identity_token, StringMember(entry, "identitytoken", where));
  if (!auth.empty()) {
    auto decoded = Base64Decode(auth);
    size_t colon = decoded.ok() ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return ConfigError(
          SourceLoc{where},
          fmt::format("auths entry '{}': 'auth' is not base64 of 'user:password'", key));
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  return c;
}

}  // namespace

std::string NormalizeRegistryKey(std::string_view key) {
  std::string_view k = key;
  for (std::string_view scheme : {"https://", "http://"})
    if (k.substr(0, scheme.size()) == scheme) k.remove_prefix(scheme.size());
  k = k.substr(0, k.find('/'));
  if (k == "index.docker.io" || k == "registry-1.docker.io" || k == "docker.io")
    return std::string(kDockerHub);
  return std::string(k);
}

std::string HelperServerUrl(std::string_view registry) {
  return registry == "docker.io" ? std::string(kHubServerUrl) : std::string(registry);
}

Result<DockerConfig> ParseDockerConfig(std::string_view json, const fs::path& path) {
  DockerConfig config;
  config.path = path;
  std::string where = path.string();
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return ConfigError(SourceLoc{where}, "not a JSON object (expected Docker's config.json)");
  if (auto it = j.find("auths"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return ConfigError(SourceLoc{where}, "'auths' must be an object");
    for (const auto& [key, entry] : it->items()) {
      CAIRN_ASSIGN_OR_RETURN(Credential c, AuthEntry(key, entry, path));
      config.auths[NormalizeRegistryKey(key)] = std::move(c);
    }
  }
  if (auto it = j.find("credHelpers"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return ConfigError(SourceLoc{where}, "'credHelpers' must be an object");
    for (const auto& [key, helper] : it->items()) {
      if (!helper.is_string() || helper.get<std::string>().empty())
        return ConfigError(SourceLoc{where},
                           fmt::format("credHelpers entry '{}' must name a helper", key));
      config.cred_helpers[NormalizeRegistryKey(key)] = helper.get<std::string>();
    }
  }
  CAIRN_ASSIGN_OR_RETURN(config.creds_store, StringMember(j, "credsStore", where));
  return config;
}

fs::path DockerConfigPath() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir)
    return fs::path(dir) / "config.json";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/") / ".docker" / "config.json";
}

Result<DockerConfig> LoadDockerConfig() {
  fs::path path = DockerConfigPath();
  std::error_code ec;
  if (!fs::exists(path, ec)) return DockerConfig{};
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseDockerConfig(text, path);
}

Result<std::optional<Credential>> RunCredentialHelper(std::string_view helper,
                                                      std::string_view server_url) {
  ProcessOptions opts;
  opts.argv = {fmt::format("docker-credential-{}", helper), "get"};
  opts.stdin_data = std::string(server_url);
  opts.timeout = std::chrono::seconds(60);
  CAIRN_ASSIGN_OR_RETURN(ProcessResult run, RunProcess(opts));
  if (!run.ok()) {
    if (run.stdout_data.find(kHelperNotFound) != std::string::npos ||
        run.stderr_data.find(kHelperNotFound) != std::string::npos)
      return std::optional<Credential>();
    return FailedProcessError(opts, run).Context(
        fmt::format("asking credential helper '{}' for '{}'", helper, server_url));
  }
  nlohmann::json j = nlohmann::json::parse(run.stdout_data, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("Secret") || !j["Secret"].is_string())
    return ToolError(
        fmt::format("credential helper 'docker-credential-{}' printed no JSON object with a "
                    "\"Secret\" for '{}'",
                    helper, server_url));
  Credential c;
  if (j.contains("Username") && j["Username"].is_string()) c.username = j["Username"];
  std::string secret = j["Secret"];
  // Docker's convention for OAuth2 identity tokens.
  if (c.username == "<token>") {
    c.username.clear();
    c.identity_token = secret;
  } else {
    c.password = secret;
  }
  return std::optional<Credential>(std::move(c));
}

Result<std::optional<Credential>> FindCredential(const DockerConfig& config,
                                                 std::string_view registry) {
  std::string key = NormalizeRegistryKey(registry);
  std::string helper;
  if (auto it = config.cred_helpers.find(key); it != config.cred_helpers.end()) {
    helper = it->second;
  } else {
    helper = config.creds_store;
  }
  if (!helper.empty()) {
    CAIRN_ASSIGN_OR_RETURN(auto c, RunCredentialHelper(helper, HelperServerUrl(key)));
    if (c) return c;
  }
  if (auto it = config.auths.find(key); it != config.auths.end()) {
    const Credential& c = it->second;
    if (!c.username.empty() || !c.identity_token.empty()) return std::optional<Credential>(c);
  }
  return std::optional<Credential>();
}

CredentialLookup DockerConfigCredentials() {
  auto config = std::make_shared<std::optional<DockerConfig>>();
  return [config](std::string_view registry) -> Result<std::optional<Credential>> {
    if (!*config) {
      CAIRN_ASSIGN_OR_RETURN(DockerConfig loaded, LoadDockerConfig());
      *config = std::move(loaded);
    }
    return FindCredential(**config, registry);
  };
}

}  // namespace cairn::publish
