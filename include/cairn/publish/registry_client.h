// A client of one registry over the OCI distribution API (v2), for pushing.
//
//   publish::RegistryClient client(ref, {.credentials = lookup}, *transport, reporter);
//   CAIRN_TRY(client.Ping());
//   CAIRN_ASSIGN_OR_RETURN(auto how, client.PushBlob(descriptor, blob_path, {"other/repo"}));
//   CAIRN_ASSIGN_OR_RETURN(auto put, client.PutManifest("1.0", media_type, bytes));
//
// Authentication follows the registry's 401 challenge: Bearer (a token from
// the realm, asked with Basic credentials or an identity token when there are
// any, anonymously otherwise) or Basic. Transient failures (connection
// errors, 5xx, 429) are retried a bounded number of times with doubling
// backoff; other errors carry the registry's name, the HTTP status and the
// registry's own error text.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/oci/descriptor.h"
#include "cairn/publish/credentials.h"
#include "cairn/publish/http.h"
#include "cairn/publish/reference.h"
#include "cairn/publish/www_authenticate.h"
#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn::publish {

struct RegistryOptions {
  /// Speak http:// instead of https:// (a local test registry); never implied.
  bool plain_http = false;
  /// Extra attempts after a transient failure.
  int retries = 3;
  /// Wait before the first retry; doubled before each further one.
  std::chrono::milliseconds retry_backoff{500};
  /// Blobs larger than this are uploaded in PATCH chunks of this size; 0 sends
  /// every blob in one PUT.
  uint64_t chunk_size = 64u << 20;
  /// Where credentials come from; empty means anonymous only.
  CredentialLookup credentials;
};

/// How a blob reached the registry.
enum class BlobOutcome { kExisted, kMounted, kUploaded };

/// What a manifest PUT answered.
struct PutManifestResult {
  std::string digest;  ///< Docker-Content-Digest, checked against the bytes sent
  /// The registry answered with OCI-Subject: it indexes `subject` itself (OCI 1.1 referrers API).
  bool subject_indexed = false;
};

/// A manifest as the registry serves it.
struct RemoteManifest {
  std::string media_type;
  std::string bytes;
};

/// Counts of what went over the wire, for progress reports and tests.
struct ClientStats {
  size_t requests = 0;          ///< HTTP exchanges, retries and auth included
  size_t uploads_started = 0;   ///< upload sessions opened (POST without a mount)
  uint64_t bytes_uploaded = 0;  ///< blob bytes sent (retries included)
  uint64_t bytes_downloaded = 0;  ///< blob bytes received by PullBlob
};

class RegistryClient {
 public:
  /// A client for `target`'s registry and repository (tag and digest unused).
  RegistryClient(Reference target, RegistryOptions options, HttpTransport& transport,
                 Reporter& reporter);

  const Reference& target() const { return target_; }
  const ClientStats& stats() const { return stats_; }

  /// GET /v2/: checks the registry speaks the API and authenticates up front.
  Status Ping();
  /// Whether the repository holds the blob (HEAD).
  Result<bool> HasBlob(std::string_view digest);
  /// Makes the blob present: nothing when it already is, a cross-repository
  /// mount from the first of `mount_from` that holds it, else an upload of
  /// `file`, whose size and digest are checked first (kIntegrity, nothing sent).
  Result<BlobOutcome> PushBlob(const oci::Descriptor& blob, const std::filesystem::path& file,
                               const std::vector<std::string>& mount_from = {});
  /// PushBlob for a small blob held in memory (an artifact's empty config).
  Result<BlobOutcome> PushBlobBytes(const oci::Descriptor& blob, std::string_view bytes);
  /// Downloads the blob to `dest` (created or replaced) and checks it is
  /// `blob.size` bytes with `blob.digest`; kIntegrity otherwise (a registry
  /// serving other bytes), kNotFound when the repository has no such blob.
  /// On any error `dest` is removed.
  Status PullBlob(const oci::Descriptor& blob, const std::filesystem::path& dest);
  /// PUT /v2/<repo>/manifests/<reference> (a tag or the digest).
  Result<PutManifestResult> PutManifest(std::string_view reference, std::string_view media_type,
                                        std::string_view bytes);
  /// GET a manifest by tag or digest; nullopt when the registry has none.
  Result<std::optional<RemoteManifest>> GetManifest(std::string_view reference);
  /// GET /v2/<repo>/referrers/<digest> (OCI 1.1); nullopt when the registry
  /// does not serve the referrers API.
  Result<std::optional<std::string>> GetReferrers(std::string_view digest);

 private:
  struct Attempt {
    Status status;
    bool retryable = false;
  };
  /// Where an upload's bytes come from: `file`, or `bytes` when file is empty.
  struct BlobBody {
    std::filesystem::path file;
    std::string_view bytes;
  };

  std::string BaseUrl() const;
  std::string RepoUrl(std::string_view suffix) const;
  HttpExchange SendAuthenticated(HttpRequest request);
  Status Retrying(const std::string& what, const std::function<Attempt()>& once);
  Attempt Failed(const HttpResponse& response, const std::string& what) const;
  Attempt StartUpload(std::string_view digest, const std::vector<std::string>& mount_from,
                      bool& mounted, std::string& location);
  Result<BlobOutcome> PushBody(const oci::Descriptor& blob, const BlobBody& body,
                               const std::vector<std::string>& mount_from);
  Attempt Upload(const oci::Descriptor& blob, const BlobBody& body, std::string location);
  Attempt UploadChunks(const oci::Descriptor& blob, const std::filesystem::path& file,
                       std::string& location);
  std::string ResolveLocation(const HttpResponse& response) const;
  Status AuthenticateFrom(const HttpResponse& challenge_response);
  Status FetchToken(const AuthChallenge& bearer, const std::optional<Credential>& credential);

  Reference target_;
  RegistryOptions options_;
  HttpTransport& transport_;
  Reporter& reporter_;
  ClientStats stats_;
  std::string authorization_;  ///< the Authorization header value in use; empty: none
  std::vector<std::string> extra_pull_scopes_;  ///< repositories mounted from
};

}  // namespace cairn::publish
