#include "support/registry_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "cairn/publish/http.h"

namespace cairn::testing {
namespace fs = std::filesystem;

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

RegistryServer::RegistryServer(const fs::path& dir, const std::string& htpasswd) : dir_(dir) {
  fs::create_directories(storage());
  port_ = FreeLoopbackPort();
  std::ofstream config(dir_ / "config.yml");
  config << "version: 0.1\n"
         << "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
         << "storage:\n  filesystem:\n    rootdirectory: " << storage().string() << "\n"
         << "  delete:\n    enabled: true\n"
         << "http:\n  addr: 127.0.0.1:" << port_ << "\n  secret: cairn-test-secret\n";
  if (!htpasswd.empty()) {
    std::ofstream(dir_ / "htpasswd") << htpasswd << "\n";
    config << "auth:\n  htpasswd:\n    realm: cairn-test\n    path: "
           << (dir_ / "htpasswd").string() << "\n";
  }
  config.close();
  Start();
}

RegistryServer::~RegistryServer() { Stop(); }

std::string RegistryServer::host() const { return "127.0.0.1:" + std::to_string(port_); }

std::string RegistryServer::Log() const {
  std::ifstream in(dir_ / "registry.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void RegistryServer::Start() {
  REQUIRE(pid_ < 0);
  REQUIRE(fs::exists("/usr/bin/docker-registry"));  // tools/setup.sh installs docker-registry
  std::string config = (dir_ / "config.yml").string();
  std::string log = (dir_ / "registry.log").string();
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    // A test binary killed by a ctest timeout must not leave the server running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (fd < 0 || devnull < 0) ::_exit(126);
    ::dup2(devnull, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close_range(3, ~0U, 0);
    ::execl("/usr/bin/docker-registry", "docker-registry", "serve", config.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto transport = publish::MakeCurlTransport({std::chrono::milliseconds(500)});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("docker-registry exited while starting:\n" << Log());
    }
    auto x = transport->Send({.method = "GET", .url = "http://" + host() + "/v2/"});
    if (x.status.ok() && (x.response.status == 200 || x.response.status == 401)) return;
    if (std::chrono::steady_clock::now() > deadline) {
      Stop();
      FAIL("docker-registry did not answer on " << host() << " within 20 s:\n" << Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void RegistryServer::Stop() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // 5 s to exit on its own
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace cairn::testing
