#include "fetch/curl_easy.h"

#include <mutex>

namespace cairn::fetch::internal {

Result<CurlEasy> CurlEasy::Open() {
  static std::once_flag once;
  static CURLcode init_rc = CURLE_OK;
  std::call_once(once, [] { init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_rc != CURLE_OK)
    return IoError(fmt::format("cannot initialise libcurl: {}", curl_easy_strerror(init_rc)));
  CURL* handle = curl_easy_init();
  if (!handle) return IoError("cannot create a libcurl handle");
  return CurlEasy(handle);
}

bool IsTransient(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace cairn::fetch::internal
