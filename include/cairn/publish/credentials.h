// Registry credentials from Docker's client configuration, the file
// `docker login` writes: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
//
//   CAIRN_ASSIGN_OR_RETURN(auto config, publish::LoadDockerConfig());
//   CAIRN_ASSIGN_OR_RETURN(auto cred, publish::FindCredential(config, "localhost:5000"));
//   if (cred) ... cred->username, cred->password (or cred->identity_token)
//
// Lookup order is Docker's: a "credHelpers" entry for the registry, else the
// "credsStore" helper, else the "auths" entry (base64 "user:password" in
// "auth", or "username"/"password", or an "identitytoken"). Helpers run as
// `docker-credential-<name> get` with the server URL on stdin; their "not
// found" answer means no credentials, any other failure is an error.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/result.h"

namespace cairn::publish {

/// What a registry login holds; identity_token replaces the password for
/// OAuth2 registries (Docker's "<token>" user name).
struct Credential {
  std::string username;
  std::string password;
  std::string identity_token;
};

/// The parts of config.json that name credentials.
struct DockerConfig {
  std::filesystem::path path;                       ///< the file read; empty when there was none
  std::map<std::string, Credential> auths;          ///< normalised registry -> credential
  std::map<std::string, std::string> cred_helpers;  ///< normalised registry -> helper suffix
  std::string creds_store;                          ///< default helper suffix; empty when none
};

/// How a client asks for the credential of a registry (FindCredential over a
/// loaded config in the CLI; a fixed answer in tests).
using CredentialLookup =
    std::function<Result<std::optional<Credential>>(std::string_view registry)>;

/// Parses config.json text; kConfig errors name `path` and the bad entry.
Result<DockerConfig> ParseDockerConfig(std::string_view json, const std::filesystem::path& path);

/// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::filesystem::path DockerConfigPath();

/// Reads DockerConfigPath(); a missing file is an empty config.
Result<DockerConfig> LoadDockerConfig();

/// The registry an "auths" or "credHelpers" key names: the scheme and path
/// are dropped and Docker Hub's legacy names become "docker.io"
/// ("https://index.docker.io/v1/" -> "docker.io", "http://localhost:5000/" -> "localhost:5000").
std::string NormalizeRegistryKey(std::string_view key);

/// The server URL a credential helper is asked about: Docker Hub's
/// "https://index.docker.io/v1/", else the registry itself.
std::string HelperServerUrl(std::string_view registry);

/// Runs `docker-credential-<helper> get` for `server_url`; nullopt when the
/// helper has no credentials for it; kTool error when it fails otherwise.
Result<std::optional<Credential>> RunCredentialHelper(std::string_view helper,
                                                      std::string_view server_url);

/// The credential for `registry` (as in Reference::registry), or nullopt.
Result<std::optional<Credential>> FindCredential(const DockerConfig& config,
                                                 std::string_view registry);

/// FindCredential over the user's Docker config, read once when a registry
/// first asks (so a build that never meets a 401 never reads it).
CredentialLookup DockerConfigCredentials();

}  // namespace cairn::publish
