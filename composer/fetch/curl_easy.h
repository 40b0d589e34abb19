// Private to the modules that speak HTTP (fetch, publish): a move-only libcurl
// easy handle and the classification of libcurl failures worth retrying.
//
//   CAIRN_ASSIGN_OR_RETURN(auto curl, fetch::internal::CurlEasy::Open());
//   CAIRN_TRY(curl.Set(CURLOPT_URL, url.c_str(), "URL"));
//   CURLcode rc = curl_easy_perform(curl.get());
//   bool again = fetch::internal::IsTransient(rc);
// Open() runs curl_global_init once per process.
#pragma once

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>

#include "cairn/result.h"

namespace cairn::fetch::internal {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

/// A move-only curl easy handle.
class CurlEasy {
 public:
  static Result<CurlEasy> Open();

  CURL* get() const { return handle_.get(); }

  /// Sets an option; libcurl's own text on failure.
  template <typename T>
  Status Set(CURLoption option, T value, const char* name) {
    CURLcode rc = curl_easy_setopt(handle_.get(), option, value);
    if (rc != CURLE_OK)
      return IoError(fmt::format("cannot set libcurl option {}: {}", name, curl_easy_strerror(rc)));
    return {};
  }

 private:
  explicit CurlEasy(CURL* handle) : handle_(handle) {}
  std::unique_ptr<CURL, CurlEasyDeleter> handle_;
};

/// A failure another attempt may get past: refused or reset connections, timeouts.
bool IsTransient(CURLcode rc);

}  // namespace cairn::fetch::internal
