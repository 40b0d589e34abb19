// The HTTP seam of the registry client: one request in, one response out.
//
// RegistryClient only talks through HttpTransport, so unit tests script a
// registry's answers with a fake; MakeCurlTransport() is the real one:
//   auto transport = publish::MakeCurlTransport({});
//   HttpExchange x = transport->Send({.method = "GET", .url = "https://r.example/v2/"});
//   if (!x.status) ... x.retryable says whether another attempt may succeed
// A response with any HTTP status is a successful exchange; `status` is set only
// when no response arrived (connection refused, TLS failure, timeout, reset).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/result.h"

namespace cairn::publish {

/// One request. The body is `body`, or `body_length` bytes of `body_file`
/// from `body_offset` (streamed, never read whole into memory).
struct HttpRequest {
  std::string method;  ///< GET, HEAD, POST, PUT, PATCH
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::filesystem::path body_file;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  /// Follow redirects (GET and HEAD only; a blob may live behind a CDN).
  bool follow_redirects = false;
  /// When set, the body of a 200 response is written to this file (created
  /// or truncated) instead of HttpResponse::body, and more than
  /// `response_file_limit` bytes is an error: how blobs are downloaded.
  /// Other responses (errors, redirects) stay in memory as usual.
  std::filesystem::path response_file;
  uint64_t response_file_limit = 0;

  /// The number of body bytes sent.
  uint64_t BodySize() const { return body_file.empty() ? body.size() : body_length; }
};

/// One response; header names keep their case, Header() compares without it.
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first value of header `name`, or "" when absent.
  std::string Header(std::string_view name) const;
  /// Every value of header `name`, in order.
  std::vector<std::string> Headers(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

/// What Send returns: a response, or why none arrived.
struct HttpExchange {
  Status status;
  bool retryable = false;  ///< a transient failure: another attempt may succeed
  HttpResponse response;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpExchange Send(const HttpRequest& request) = 0;
};

/// Settings of the libcurl transport. TLS peers are always verified.
struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{30000};
  /// A transfer that moves no byte for this long is abandoned (a stalled server).
  std::chrono::milliseconds stall_timeout{60000};
  /// Responses larger than this are an error (manifests are at most 4 MiB).
  uint64_t max_response_bytes = 8u << 20;
};

/// The libcurl transport (http and https only; Ctrl-C aborts a transfer).
std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options = {});

}  // namespace cairn::publish
