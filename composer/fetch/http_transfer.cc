// http(s) downloads through libcurl, behind a small RAII handle.
//
// Redirects may only lead to http or https (a server must not be able to
// point us at file:///etc/shadow), at most 5 of them. A connection that
// stalls (no byte for stall_timeout) is abandoned, and a body shorter
// or longer than its Content-Length is an error, never a silently short file.

#include <curl/curl.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "cairn/interrupt.h"
#include "fetch/curl_easy.h"
#include "fetch/transfer.h"

namespace cairn::fetch::internal {
namespace {

struct Sink {
  int fd = -1;
  curl_off_t written = 0;
  int write_errno = 0;
  // Stall detection: libcurl's LOW_SPEED_* averages over several seconds, so a
  // server that sent a few bytes and went quiet was noticed late; we measure
  // the time since the last byte instead.
  std::chrono::milliseconds stall_timeout{0};
  curl_off_t last_seen = -1;
  std::chrono::steady_clock::time_point last_progress = std::chrono::steady_clock::now();
  bool stalled = false;
  bool interrupted = false;
};

int OnProgress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* sink = static_cast<Sink*>(user);
  if (InterruptRequested()) {
    sink->interrupted = true;
    return 1;
  }
  auto now = std::chrono::steady_clock::now();
  if (dlnow != sink->last_seen) {
    sink->last_seen = dlnow;
    sink->last_progress = now;
    return 0;
  }
  if (now - sink->last_progress >= sink->stall_timeout) {
    sink->stalled = true;
    return 1;  // aborts the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

size_t WriteToSink(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * nmemb;
  if (!WriteAll(sink->fd, data, n)) {
    sink->write_errno = errno;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->written += static_cast<curl_off_t>(n);
  return n;
}

Status Configure(CurlEasy& curl, const std::string& url, Sink& sink, char* error_buffer,
                 const TransferOptions& options) {
  CAIRN_TRY(curl.Set(CURLOPT_URL, url.c_str(), "URL"));
  CAIRN_TRY(curl.Set(CURLOPT_ERRORBUFFER, error_buffer, "ERRORBUFFER"));
  CAIRN_TRY(curl.Set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR"));
  CAIRN_TRY(curl.Set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR"));
  CAIRN_TRY(curl.Set(CURLOPT_FOLLOWLOCATION, 1L, "FOLLOWLOCATION"));
  CAIRN_TRY(curl.Set(CURLOPT_MAXREDIRS, 5L, "MAXREDIRS"));
  CAIRN_TRY(curl.Set(CURLOPT_NOSIGNAL, 1L, "NOSIGNAL"));
  CAIRN_TRY(curl.Set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()),
                     "CONNECTTIMEOUT_MS"));
  sink.stall_timeout = options.stall_timeout;
  CAIRN_TRY(curl.Set(CURLOPT_NOPROGRESS, 0L, "NOPROGRESS"));
  CAIRN_TRY(curl.Set(CURLOPT_XFERINFOFUNCTION, &OnProgress, "XFERINFOFUNCTION"));
  CAIRN_TRY(curl.Set(CURLOPT_XFERINFODATA, static_cast<void*>(&sink), "XFERINFODATA"));
  CAIRN_TRY(curl.Set(CURLOPT_USERAGENT, "cairn", "USERAGENT"));
  CAIRN_TRY(curl.Set(CURLOPT_WRITEFUNCTION, &WriteToSink, "WRITEFUNCTION"));
  CAIRN_TRY(curl.Set(CURLOPT_WRITEDATA, static_cast<void*>(&sink), "WRITEDATA"));
  return {};
}

}  // namespace

TransferOutcome HttpGet(const std::string& url, int fd, const TransferOptions& options) {
  auto curl = CurlEasy::Open();
  if (!curl) return {std::move(curl).error(), false};
  Sink sink{fd};
  char error_buffer[CURL_ERROR_SIZE] = {};
  if (Status s = Configure(*curl, url, sink, error_buffer, options); !s)
    return {std::move(s).error(), false};

  CURLcode rc = curl_easy_perform(curl->get());
  if (rc != CURLE_OK) {
    if (rc == CURLE_WRITE_ERROR && sink.write_errno != 0)
      return {ErrnoError(fmt::format("cannot write the download of '{}'", url), sink.write_errno),
              false};
    if (rc == CURLE_ABORTED_BY_CALLBACK && sink.interrupted)
      return {CheckInterrupted().error(), false};
    if (rc == CURLE_ABORTED_BY_CALLBACK && sink.stalled)
      return {IoError(fmt::format("cannot download '{}': no data received for {} ms", url,
                                  options.stall_timeout.count())),
              true};
    std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    return {IoError(fmt::format("cannot download '{}': {}", url, detail)), IsTransient(rc)};
  }

  long status = 0;
  curl_easy_getinfo(curl->get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) {
    std::string message = fmt::format("cannot download '{}': HTTP {}", url, status);
    if (status == 404 || status == 410) return {NotFoundError(message), false};
    bool transient = status >= 500 || status == 408 || status == 429;
    return {IoError(message), transient};
  }
  // libcurl already fails a body cut short (CURLE_PARTIAL_FILE); this also
  // catches a server that sends more than it announced.
  curl_off_t announced = -1;
  curl_easy_getinfo(curl->get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
  if (announced >= 0 && announced != sink.written) {
    return {IoError(fmt::format("cannot download '{}': received {} bytes (Content-Length {})", url,
                                sink.written, announced)),
            true};
  }
  return {};
}

}  // namespace cairn::fetch::internal
