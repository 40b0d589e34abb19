// A tiny HTTP/1.1 server for fetch tests: binds 127.0.0.1 on a free port and
// serves scripted routes from a background thread, including misbehaviour a
// real server would only show by accident (stalls, early close, a wrong
// Content-Length, 5xx bursts, redirects). Every connection is closed after one
// response; the destructor wakes stalled handlers and joins every thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {

struct HttpRoute {
  int status = 200;
  std::string body;
  /// Announced Content-Length; the real body size when unset.
  std::optional<size_t> content_length;
  /// Send only this many body bytes, then close (or stall).
  std::optional<size_t> send_bytes;
  /// After sending, hold the connection open without sending more.
  bool stall = false;
  /// Location header (for 3xx).
  std::string location;
  /// Answer 503 to this many requests before behaving as above.
  int fail_first = 0;
  /// Wait before answering.
  std::chrono::milliseconds delay{0};
};

class TestHttpServer {
 public:
  TestHttpServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0)
      std::abort();
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestHttpServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    accept_thread_.join();
    for (auto& t : handlers_) t.join();
    ::close(listen_fd_);
  }

  void Route(const std::string& path, HttpRoute route) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[path] = std::move(route);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int Hits(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_[path];
  }

 private:
  void AcceptLoop() {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
      }
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      handlers_.emplace_back([this, fd] { Handle(fd); });
    }
  }

  static void SendAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  void Handle(int fd) {
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    size_t sp1 = request.find(' ');
    size_t sp2 = request.find(' ', sp1 + 1);
    std::string path = sp1 == std::string::npos ? "" : request.substr(sp1 + 1, sp2 - sp1 - 1);
    HttpRoute route;
    bool found = false;
    int hit = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hit = ++hits_[path];
      auto it = routes_.find(path);
      if (it != routes_.end()) {
        route = it->second;
        found = true;
      }
    }
    if (!found) route = HttpRoute{404, "not found\n"};
    if (hit <= route.fail_first) route = HttpRoute{503, "busy\n"};
    if (route.delay.count() > 0) std::this_thread::sleep_for(route.delay);
    size_t announced = route.content_length.value_or(route.body.size());
    std::string head = "HTTP/1.1 " + std::to_string(route.status) + " Scripted\r\n" +
                       "Content-Length: " + std::to_string(announced) + "\r\n" +
                       "Connection: close\r\n";
    if (!route.location.empty()) head += "Location: " + route.location + "\r\n";
    head += "\r\n";
    SendAll(fd, head);
    SendAll(fd, route.body.substr(0, route.send_bytes.value_or(route.body.size())));
    if (route.stall) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(20), [this] { return stop_; });
    }
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, HttpRoute> routes_;
  std::map<std::string, int> hits_;
  std::thread accept_thread_;
  std::vector<std::thread> handlers_;  // touched only by the accept thread until it is joined
};

}  // namespace cairn::testing
