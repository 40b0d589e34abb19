// HttpTransport over libcurl (the easy handle RAII shared with fetch).
//
// Bodies stream from a file range with pread, responses are kept in memory up
// to a cap (manifests and error JSON) unless the request names a file for a
// 200 response's body (a blob download, capped at its size). A transfer that moves no byte for stall_timeout is abandoned,
// and Ctrl-C aborts it through the progress callback.
#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cairn/interrupt.h"
#include "cairn/publish/http.h"
#include "fetch/curl_easy.h"

namespace cairn::publish {
namespace {

using fetch::internal::CurlEasy;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

/// A read-only file descriptor closed on destruction.
class ReadFd {
 public:
  explicit ReadFd(int fd) : fd_(fd) {}
  ReadFd(const ReadFd&) = delete;
  ReadFd& operator=(const ReadFd&) = delete;
  ~ReadFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

/// State the libcurl callbacks share for one exchange.
struct Transfer {
  const HttpRequest* request = nullptr;
  int body_fd = -1;
  uint64_t sent = 0;
  int read_errno = 0;
  HttpResponse* response = nullptr;
  uint64_t max_response = 0;
  bool too_large = false;
  CURL* curl = nullptr;
  int out_fd = -1;  ///< response_file, opened on the first byte of a 200 body
  uint64_t written = 0;
  int write_errno = 0;
  bool file_too_large = false;
  std::chrono::milliseconds stall_timeout{0};
  curl_off_t last_seen = -1;
  std::chrono::steady_clock::time_point last_progress = std::chrono::steady_clock::now();
  bool stalled = false;
  bool interrupted = false;
};

size_t ReadBody(char* buffer, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const HttpRequest& r = *t->request;
  uint64_t left = r.BodySize() - t->sent;
  size_t n = static_cast<size_t>(std::min<uint64_t>(left, size * nmemb));
  if (n == 0) return 0;
  if (r.body_file.empty()) {
    std::memcpy(buffer, r.body.data() + t->sent, n);
  } else {
    ssize_t got;
    do {
      got = ::pread(t->body_fd, buffer, n, static_cast<off_t>(r.body_offset + t->sent));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
      t->read_errno = got < 0 ? errno : EIO;  // a file that shrank is an I/O error too
      return CURL_READFUNC_ABORT;
    }
    n = static_cast<size_t>(got);
  }
  t->sent += n;
  return n;
}

// A 200 body bound for request->response_file: opened on the first byte.
size_t WriteBodyToFile(Transfer* t, const char* data, size_t n) {
  const HttpRequest& r = *t->request;
  if (t->written + n > r.response_file_limit) {
    t->file_too_large = true;
    return 0;
  }
  if (t->out_fd < 0) {
    t->out_fd = ::open(r.response_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (t->out_fd < 0) {
      t->write_errno = errno;
      return 0;
    }
  }
  for (size_t done = 0; done < n;) {
    ssize_t w = ::write(t->out_fd, data + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      t->write_errno = errno;
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  t->written += n;
  return n;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  if (!t->request->response_file.empty()) {
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) return WriteBodyToFile(t, data, n);
  }
  if (t->response->body.size() + n > t->max_response) {
    t->too_large = true;
    return 0;
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // Each response (a redirect, a 100 Continue) starts with its status line.
  if (line.substr(0, 5) == "HTTP/") {
    t->response->headers.clear();
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  t->response->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  if (InterruptRequested()) {
    t->interrupted = true;
    return 1;
  }
  auto now = std::chrono::steady_clock::now();
  if (dlnow + ulnow != t->last_seen) {
    t->last_seen = dlnow + ulnow;
    t->last_progress = now;
    return 0;
  }
  if (now - t->last_progress >= t->stall_timeout) {
    t->stalled = true;
    return 1;
  }
  return 0;
}

bool AppendHeader(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (!grown) return false;
  (void)list.release();  // curl_slist_append returned the same list, now longer
  list.reset(grown);
  return true;
}

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options) : options_(options) {}
  HttpExchange Send(const HttpRequest& request) override;

 private:
  Status Configure(CurlEasy& curl, const HttpRequest& request, Transfer& t, curl_slist* headers,
                   char* error_buffer) const;
  CurlTransportOptions options_;
};

Status CurlTransport::Configure(CurlEasy& curl, const HttpRequest& r, Transfer& t,
                                curl_slist* headers, char* error_buffer) const {
  CAIRN_TRY(curl.Set(CURLOPT_URL, r.url.c_str(), "URL"));
  CAIRN_TRY(curl.Set(CURLOPT_ERRORBUFFER, error_buffer, "ERRORBUFFER"));
  CAIRN_TRY(curl.Set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR"));
  CAIRN_TRY(curl.Set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR"));
  CAIRN_TRY(curl.Set(CURLOPT_FOLLOWLOCATION, r.follow_redirects ? 1L : 0L, "FOLLOWLOCATION"));
  CAIRN_TRY(curl.Set(CURLOPT_MAXREDIRS, 5L, "MAXREDIRS"));
  CAIRN_TRY(curl.Set(CURLOPT_NOSIGNAL, 1L, "NOSIGNAL"));
  CAIRN_TRY(curl.Set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()),
                     "CONNECTTIMEOUT_MS"));
  CAIRN_TRY(curl.Set(CURLOPT_USERAGENT, "cairn", "USERAGENT"));
  CAIRN_TRY(curl.Set(CURLOPT_HTTPHEADER, headers, "HTTPHEADER"));
  CAIRN_TRY(curl.Set(CURLOPT_NOPROGRESS, 0L, "NOPROGRESS"));
  CAIRN_TRY(curl.Set(CURLOPT_XFERINFOFUNCTION, &OnProgress, "XFERINFOFUNCTION"));
  CAIRN_TRY(curl.Set(CURLOPT_XFERINFODATA, static_cast<void*>(&t), "XFERINFODATA"));
  CAIRN_TRY(curl.Set(CURLOPT_HEADERFUNCTION, &OnHeader, "HEADERFUNCTION"));
  CAIRN_TRY(curl.Set(CURLOPT_HEADERDATA, static_cast<void*>(&t), "HEADERDATA"));
  CAIRN_TRY(curl.Set(CURLOPT_WRITEFUNCTION, &WriteBody, "WRITEFUNCTION"));
  CAIRN_TRY(curl.Set(CURLOPT_WRITEDATA, static_cast<void*>(&t), "WRITEDATA"));
  if (r.method == "HEAD") {
    CAIRN_TRY(curl.Set(CURLOPT_NOBODY, 1L, "NOBODY"));
  } else if (r.method != "GET") {
    // Every other method sends a body (possibly empty) through the read callback.
    CAIRN_TRY(curl.Set(CURLOPT_UPLOAD, 1L, "UPLOAD"));
    CAIRN_TRY(curl.Set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.BodySize()),
                       "INFILESIZE_LARGE"));
    CAIRN_TRY(curl.Set(CURLOPT_READFUNCTION, &ReadBody, "READFUNCTION"));
    CAIRN_TRY(curl.Set(CURLOPT_READDATA, static_cast<void*>(&t), "READDATA"));
    CAIRN_TRY(curl.Set(CURLOPT_CUSTOMREQUEST, r.method.c_str(), "CUSTOMREQUEST"));
  }
  return {};
}

HttpExchange CurlTransport::Send(const HttpRequest& request) {
  HttpExchange x;
  auto fail = [&](Error e, bool retryable) {
    x.status = std::move(e);
    x.retryable = retryable;
    return std::move(x);
  };
  auto curl = CurlEasy::Open();
  if (!curl) return fail(std::move(curl).error(), false);

  std::unique_ptr<ReadFd> body;
  if (!request.body_file.empty()) {
    int fd = ::open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return fail(ErrnoError(fmt::format("cannot open '{}'", request.body_file.string()), errno),
                  false);
    body = std::make_unique<ReadFd>(fd);
  }
  Slist headers;
  // No "Expect: 100-continue": registries answer at once, and it costs a round trip.
  bool headers_ok = AppendHeader(headers, "Expect:");
  for (const auto& [name, value] : request.headers)
    headers_ok = headers_ok && AppendHeader(headers, name + ": " + value);
  if (!headers_ok) return fail(IoError("cannot build the request headers"), false);

  Transfer t;
  t.request = &request;
  t.curl = curl->get();
  t.body_fd = body ? body->get() : -1;
  t.response = &x.response;
  t.max_response = options_.max_response_bytes;
  t.stall_timeout = options_.stall_timeout;
  char error_buffer[CURL_ERROR_SIZE] = {};
  if (Status s = Configure(*curl, request, t, headers.get(), error_buffer); !s)
    return fail(std::move(s).error(), false);

  CURLcode rc = curl_easy_perform(curl->get());
  std::string what = fmt::format("{} {}", request.method, request.url);
  if (t.out_fd >= 0 && ::close(t.out_fd) != 0 && t.write_errno == 0) {
    t.write_errno = errno;
    rc = rc == CURLE_OK ? CURLE_WRITE_ERROR : rc;
  }
  if (rc != CURLE_OK) {
    if (t.write_errno != 0)
      return fail(ErrnoError(fmt::format("cannot write '{}'", request.response_file.string()),
                             t.write_errno),
                  false);
    if (t.interrupted) return fail(CheckInterrupted().error(), false);
    if (t.stalled)
      return fail(
          IoError(fmt::format("{}: no data moved for {} ms", what, options_.stall_timeout.count())),
          true);
    if (t.read_errno != 0)
      return fail(
          ErrnoError(fmt::format("cannot read '{}' while sending it", request.body_file.string()),
                     t.read_errno),
          false);
    if (t.too_large || t.file_too_large)
      return fail(IoError(fmt::format("{}: the response is larger than {} bytes", what,
                                      t.file_too_large ? request.response_file_limit
                                                       : options_.max_response_bytes)),
                  false);
    std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    // OpenSSL's "wrong version number" is a server answering plain HTTP where
    // TLS was asked for: it will answer the same way on every retry.
    bool plain_answer = rc == CURLE_SSL_CONNECT_ERROR &&
                        detail.find("wrong version number") != std::string::npos;
    return fail(IoError(fmt::format("{}: {}", what, detail)),
                fetch::internal::IsTransient(rc) && !plain_answer);
  }
  long status = 0;
  curl_easy_getinfo(curl->get(), CURLINFO_RESPONSE_CODE, &status);
  x.response.status = static_cast<int>(status);
  return x;
}

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace cairn::publish
