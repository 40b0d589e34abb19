// RegistryServer: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with
// a free port and its storage in a scratch directory, for push/pull tests.
//
//   testing::RegistryServer registry(scratch.path() / "registry");
//   ... push to registry.host() + "/repo:tag" with plain HTTP ...
//   registry.Stop();  registry.Start();  // same port and storage: a registry that came back
// Start waits until /v2/ answers; the destructor kills the server (SIGTERM,
// then SIGKILL) and reaps it, whatever the test did.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace cairn::testing {

class RegistryServer {
 public:
  /// Starts a registry keeping its files under `dir`; `htpasswd` (bcrypt
  /// entries, "user:$2y$...") turns on Basic authentication when not empty.
  explicit RegistryServer(const std::filesystem::path& dir, const std::string& htpasswd = "");
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  /// "127.0.0.1:<port>".
  std::string host() const;
  int port() const { return port_; }
  /// The registry's storage root (docker/registry/v2/...).
  std::filesystem::path storage() const { return dir_ / "storage"; }
  /// What the server printed (for failure messages).
  std::string Log() const;

  /// Kills the server and waits for it (a registry that goes away).
  void Stop();
  /// Starts it again on the same port and storage; REQUIREs that /v2/ answers.
  void Start();

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// A TCP port on 127.0.0.1 nothing listens on right now.
int FreeLoopbackPort();

}  // namespace cairn::testing
