// The push side of the OCI distribution API: ping, blob HEAD, mount, upload
// (one PUT, or PATCH chunks then PUT), manifest PUT and GET, with bounded
// retries. Authentication is in registry_auth.cc.
#include "cairn/publish/registry_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "cairn/digest.h"
#include "cairn/interrupt.h"
#include "cairn/percent_encode.h"
#include "publish/registry_text.h"

namespace cairn::publish {
namespace {

constexpr const char* kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

std::string WithQuery(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

/// Sleeps `delay` in short slices so Ctrl-C is not held up by a backoff.
Status InterruptibleSleep(std::chrono::milliseconds delay) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    CAIRN_TRY(CheckInterrupted());
    auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return CheckInterrupted();
}

/// Hashes the file and compares size and digest with the descriptor.
Status VerifyLocalBlob(const oci::Descriptor& blob, const std::filesystem::path& file) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(file, ec);
  if (ec)
    return NotFoundError(fmt::format("blob {} is missing from the layout ('{}': {})", blob.digest,
                                     file.string(), ec.message()));
  if (size != blob.size)
    return IntegrityError(fmt::format("blob {} ('{}') holds {} bytes but its descriptor says {}",
                                      blob.digest, file.string(), size, blob.size));
  CAIRN_ASSIGN_OR_RETURN(std::string hex, Sha256FileHex(file.string()));
  if ("sha256:" + hex != blob.digest)
    return IntegrityError(
        fmt::format("blob '{}' hashes to sha256:{}, not {}: the layout is corrupt", file.string(),
                    hex, blob.digest));
  return {};
}

}  // namespace

RegistryClient::RegistryClient(Reference target, RegistryOptions options, HttpTransport& transport,
                               Reporter& reporter)
    : target_(std::move(target)),
      options_(std::move(options)),
      transport_(transport),
      reporter_(reporter) {}

std::string RegistryClient::BaseUrl() const {
  return fmt::format("{}://{}/v2/", options_.plain_http ? "http" : "https", target_.ApiHost());
}

std::string RegistryClient::RepoUrl(std::string_view suffix) const {
  return BaseUrl() + target_.repository + "/" + std::string(suffix);
}

std::string RegistryClient::ResolveLocation(const HttpResponse& response) const {
  std::string loc = response.Header("Location");
  if (loc.empty() || loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  std::string base = BaseUrl();                          // scheme://host/v2/
  std::string origin = base.substr(0, base.size() - 4);  // scheme://host
  return loc.front() == '/' ? origin + loc : origin + "/" + loc;
}

RegistryClient::Attempt RegistryClient::Failed(const HttpResponse& response,
                                               const std::string& what) const {
  std::string detail = internal::RegistryErrorText(response);
  std::string message =
      fmt::format("{}: registry '{}' answered {}{}", what, target_.registry,
                  internal::StatusText(response.status), detail.empty() ? "" : " (" + detail + ")");
  Error e = response.status == 404 ? NotFoundError(message) : IoError(message);
  if (response.status == 401 || response.status == 403)
    e.Hint(authorization_.empty()
               ? fmt::format("the registry needs credentials: run 'docker login {}' or add them "
                             "to the Docker config file",
                             target_.registry)
               : fmt::format("check the credentials for '{}' in the Docker config file (or "
                             "its credential helper) and the rights on '{}'",
                             target_.registry, target_.repository));
  if (response.status == 400 && detail.find("DIGEST_INVALID") != std::string::npos)
    e = IntegrityError(message);
  bool retryable = response.status >= 500 || response.status == 429 || response.status == 408;
  return {std::move(e), retryable};
}

Status RegistryClient::Retrying(const std::string& what, const std::function<Attempt()>& once) {
  std::chrono::milliseconds delay = options_.retry_backoff;
  for (int attempt = 0;; ++attempt) {
    Attempt a = once();
    if (a.status.ok()) return {};
    if (!a.retryable || attempt >= options_.retries) {
      Error e = std::move(a.status).error();
      if (attempt > 0 && e.hint().empty())
        e.Hint(fmt::format("gave up after {} attempts", attempt + 1));
      return e;
    }
    Error shown = a.status.error();
    shown.Hint("");  // the hint belongs to the final error, not to each retry's line
    reporter_.Warn(
        fmt::format("{} failed ({}); retrying in {} ms", what, shown.Render(), delay.count()));
    CAIRN_TRY(InterruptibleSleep(delay));
    delay *= 2;
  }
}

Status RegistryClient::Ping() {
  std::string url = BaseUrl();
  return Retrying(fmt::format("reaching registry '{}'", target_.registry), [&]() -> Attempt {
    HttpExchange x = SendAuthenticated({.method = "GET", .url = url, .follow_redirects = true});
    // An authentication failure comes with the 401 that caused it; only a
    // missing response means the registry could not be reached.
    if (!x.status.ok() && x.response.status != 0) return {std::move(x.status), false};
    if (!x.status.ok()) {
      Error e = std::move(x.status).error().Context(
          fmt::format("cannot reach registry '{}'", target_.registry));
      if (!options_.plain_http) e.Hint("for a registry that speaks plain HTTP, pass --plain-http");
      return {std::move(e), x.retryable};
    }
    if (x.response.status == 200) return {};
    if (x.response.status == 404)
      return {IoError(fmt::format("'{}' does not serve the OCI distribution API ({} answered {})",
                                  target_.registry, url, internal::StatusText(404))),
              false};
    return Failed(x.response, fmt::format("checking the API of registry '{}'", target_.registry));
  });
}

Result<bool> RegistryClient::HasBlob(std::string_view digest) {
  bool exists = false;
  std::string url = RepoUrl("blobs/" + std::string(digest));
  CAIRN_TRY(Retrying(fmt::format("checking blob {}", digest), [&]() -> Attempt {
    HttpExchange x = SendAuthenticated({.method = "HEAD", .url = url, .follow_redirects = true});
    if (!x.status.ok()) return {std::move(x.status), x.retryable};
    if (x.response.status == 200 || x.response.status == 404) {
      exists = x.response.status == 200;
      return {};
    }
    return Failed(x.response, fmt::format("checking blob {} in '{}'", digest, target_.repository));
  }));
  return exists;
}

RegistryClient::Attempt RegistryClient::StartUpload(std::string_view digest,
                                                    const std::vector<std::string>& mount_from,
                                                    bool& mounted, std::string& location) {
  std::string url = RepoUrl("blobs/uploads/");
  std::string from = mount_from.empty() ? "" : mount_from.front();
  if (!from.empty()) {
    url = WithQuery(url, fmt::format("mount={}&from={}", PercentEncode(digest),
                                     PercentEncode(from)));
    // A Bearer token must also allow pulling from the source repository.
    if (std::find(extra_pull_scopes_.begin(), extra_pull_scopes_.end(), from) ==
        extra_pull_scopes_.end())
      extra_pull_scopes_.push_back(from);
  }
  HttpExchange x = SendAuthenticated({.method = "POST", .url = url});
  if (!x.status.ok()) return {std::move(x.status), x.retryable};
  if (x.response.status == 201 && !from.empty()) {
    mounted = true;
    return {};
  }
  if (x.response.status != 202)
    return Failed(x.response, fmt::format("starting the upload of blob {} to '{}'", digest,
                                          target_.repository));
  ++stats_.uploads_started;
  location = ResolveLocation(x.response);
  if (location.empty())
    return {IoError(fmt::format("registry '{}' started an upload of {} without a Location",
                                target_.registry, digest)),
            false};
  return {};
}

RegistryClient::Attempt RegistryClient::UploadChunks(const oci::Descriptor& blob,
                                                     const std::filesystem::path& file,
                                                     std::string& location) {
  for (uint64_t offset = 0; offset < blob.size; offset += options_.chunk_size) {
    uint64_t n = std::min<uint64_t>(options_.chunk_size, blob.size - offset);
    HttpRequest r{.method = "PATCH", .url = location};
    r.headers = {{"Content-Type", "application/octet-stream"},
                 {"Content-Range", fmt::format("{}-{}", offset, offset + n - 1)}};
    r.body_file = file;
    r.body_offset = offset;
    r.body_length = n;
    HttpExchange x = SendAuthenticated(std::move(r));
    if (!x.status.ok()) return {std::move(x.status), x.retryable};
    stats_.bytes_uploaded += n;
    if (x.response.status != 202)
      return Failed(x.response, fmt::format("uploading bytes {}-{} of blob {}", offset,
                                            offset + n - 1, blob.digest));
    location = ResolveLocation(x.response);
    if (location.empty())
      return {IoError(fmt::format("registry '{}' accepted a chunk of {} without a Location",
                                  target_.registry, blob.digest)),
              false};
  }
  return {};
}

RegistryClient::Attempt RegistryClient::Upload(const oci::Descriptor& blob, const BlobBody& body,
                                               std::string location) {
  HttpRequest put{.method = "PUT"};
  put.headers = {{"Content-Type", "application/octet-stream"}};
  if (body.file.empty()) {
    put.body = std::string(body.bytes);
  } else if (options_.chunk_size > 0 && blob.size > options_.chunk_size) {
    if (Attempt a = UploadChunks(blob, body.file, location); !a.status.ok()) return a;
  } else {
    put.body_file = body.file;
    put.body_length = blob.size;
  }
  put.url = WithQuery(location, "digest=" + PercentEncode(blob.digest));
  uint64_t sent = put.BodySize();
  HttpExchange x = SendAuthenticated(std::move(put));
  if (!x.status.ok()) return {std::move(x.status), x.retryable};
  stats_.bytes_uploaded += sent;
  if (x.response.status != 201)
    return Failed(x.response,
                  fmt::format("uploading blob {} to '{}'", blob.digest, target_.repository));
  std::string stored = x.response.Header("Docker-Content-Digest");
  if (!stored.empty() && stored != blob.digest)
    return {IntegrityError(fmt::format("registry '{}' stored blob {} as {}", target_.registry,
                                       blob.digest, stored)),
            false};
  return {};
}

Result<BlobOutcome> RegistryClient::PushBlob(const oci::Descriptor& blob,
                                             const std::filesystem::path& file,
                                             const std::vector<std::string>& mount_from) {
  return PushBody(blob, {file, {}}, mount_from);
}

Result<BlobOutcome> RegistryClient::PushBlobBytes(const oci::Descriptor& blob,
                                                  std::string_view bytes) {
  return PushBody(blob, {{}, bytes}, {});
}

Result<BlobOutcome> RegistryClient::PushBody(const oci::Descriptor& blob, const BlobBody& body,
                                             const std::vector<std::string>& mount_from) {
  CAIRN_ASSIGN_OR_RETURN(bool exists, HasBlob(blob.digest));
  if (exists) return BlobOutcome::kExisted;
  // Checked before anything is sent, so a corrupt layout pushes nothing of this blob.
  if (!body.file.empty()) {
    CAIRN_TRY(VerifyLocalBlob(blob, body.file));
  } else if (body.bytes.size() != blob.size || "sha256:" + Sha256Hex(body.bytes) != blob.digest) {
    return InternalError(
        fmt::format("in-memory blob does not match its descriptor {}", blob.digest));
  }
  bool mounted = false;
  std::string location;
  CAIRN_TRY(Retrying(fmt::format("starting the upload of blob {}", blob.digest),
                     [&] { return StartUpload(blob.digest, mount_from, mounted, location); }));
  if (mounted) return BlobOutcome::kMounted;
  bool fresh = true;  // the first attempt uses the session opened above, retries open a new one
  CAIRN_TRY(Retrying(fmt::format("uploading blob {}", blob.digest), [&]() -> Attempt {
    if (!fresh) {
      bool unused = false;
      if (Attempt a = StartUpload(blob.digest, {}, unused, location); !a.status.ok()) return a;
    }
    fresh = false;
    return Upload(blob, body, location);
  }));
  return BlobOutcome::kUploaded;
}

Result<PutManifestResult> RegistryClient::PutManifest(std::string_view reference,
                                                      std::string_view media_type,
                                                      std::string_view bytes) {
  PutManifestResult out;
  std::string digest = "sha256:" + Sha256Hex(bytes);
  std::string url = RepoUrl("manifests/" + std::string(reference));
  std::string what =
      fmt::format("pushing manifest {} as '{}:{}'", digest, target_.repository, reference);
  CAIRN_TRY(Retrying(what, [&]() -> Attempt {
    HttpRequest r{.method = "PUT", .url = url};
    r.headers = {{"Content-Type", std::string(media_type)}};
    r.body = std::string(bytes);
    HttpExchange x = SendAuthenticated(std::move(r));
    if (!x.status.ok()) return {std::move(x.status), x.retryable};
    if (x.response.status != 201) return Failed(x.response, what);
    out.digest = x.response.Header("Docker-Content-Digest");
    out.subject_indexed = x.response.HasHeader("OCI-Subject");
    return {};
  }));
  if (!out.digest.empty() && out.digest != digest)
    return IntegrityError(fmt::format("registry '{}' stored manifest {} as {}", target_.registry,
                                      digest, out.digest));
  out.digest = digest;
  return out;
}

Status RegistryClient::PullBlob(const oci::Descriptor& blob, const std::filesystem::path& dest) {
  std::string url = RepoUrl("blobs/" + blob.digest);
  std::string what = fmt::format("downloading blob {} from '{}'", blob.digest, target_.repository);
  bool missing = false;
  Status got = Retrying(what, [&]() -> Attempt {
    HttpRequest r{.method = "GET", .url = url, .follow_redirects = true};
    r.response_file = dest;
    r.response_file_limit = blob.size;
    HttpExchange x = SendAuthenticated(std::move(r));
    if (!x.status.ok()) return {std::move(x.status), x.retryable};
    if (x.response.status == 404) {
      missing = true;
      return {};
    }
    if (x.response.status != 200) return Failed(x.response, what);
    return {};
  });
  auto fail = [&](Error e) -> Status {
    std::error_code ec;
    std::filesystem::remove(dest, ec);
    return e;
  };
  if (!got.ok()) return fail(std::move(got).error());
  if (missing)
    return fail(NotFoundError(
        fmt::format("repository '{}' has no blob {}", target_.repository, blob.digest)));
  // Whatever the registry sent must be the blob asked for, byte for byte.
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(dest, ec);
  if (ec) size = 0;  // an empty 200 body creates no file
  stats_.bytes_downloaded += size;
  if (size != blob.size)
    return fail(IntegrityError(fmt::format("registry '{}' sent {} bytes for blob {} (expected {})",
                                           target_.registry, size, blob.digest, blob.size)));
  auto hex = Sha256FileHex(dest.string());
  if (!hex.ok()) return fail(std::move(hex).error());
  if ("sha256:" + *hex != blob.digest)
    return fail(IntegrityError(fmt::format("registry '{}' sent bytes hashing to sha256:{} for blob {}",
                                           target_.registry, *hex, blob.digest)));
  return {};
}

Result<std::optional<RemoteManifest>> RegistryClient::GetManifest(std::string_view reference) {
  std::optional<RemoteManifest> out;
  std::string url = RepoUrl("manifests/" + std::string(reference));
  std::string what = fmt::format("reading manifest '{}:{}'", target_.repository, reference);
  CAIRN_TRY(Retrying(what, [&]() -> Attempt {
    HttpRequest r{.method = "GET", .url = url, .follow_redirects = true};
    r.headers = {{"Accept", kManifestAccept}};
    HttpExchange x = SendAuthenticated(std::move(r));
    if (!x.status.ok()) return {std::move(x.status), x.retryable};
    if (x.response.status == 404) return {};
    if (x.response.status != 200) return Failed(x.response, what);
    out = RemoteManifest{x.response.Header("Content-Type"), std::move(x.response.body)};
    return {};
  }));
  return out;
}

Result<std::optional<std::string>> RegistryClient::GetReferrers(std::string_view digest) {
  std::optional<std::string> out;
  std::string url = RepoUrl("referrers/" + std::string(digest));
  std::string what = fmt::format("listing the referrers of {}", digest);
  CAIRN_TRY(Retrying(what, [&]() -> Attempt {
    HttpRequest r{.method = "GET", .url = url, .follow_redirects = true};
    r.headers = {{"Accept", "application/vnd.oci.image.index.v1+json"}};
    HttpExchange x = SendAuthenticated(std::move(r));
    if (!x.status.ok()) return {std::move(x.status), x.retryable};
    // A registry with the API answers 200 even for a digest without referrers.
    if (x.response.status == 404) return {};
    if (x.response.status != 200) return Failed(x.response, what);
    out = std::move(x.response.body);
    return {};
  }));
  return out;
}

}  // namespace cairn::publish
