// RegistryClient against a scripted transport: the request sequences of the
// auth flows, retries, mounts and uploads, and the errors users see.
#include "cairn/publish/registry_client.h"

#include <catch2/catch.hpp>
#include <deque>
#include <fstream>

#include "cairn/digest.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using cairn::Code;
using namespace cairn::publish;

namespace {

/// Answers requests from a script, in order, and records them.
class ScriptedTransport : public HttpTransport {
 public:
  struct Step {
    std::string expect;  ///< "METHOD url" the request must match (url prefix)
    HttpExchange answer;
  };

  void Answer(std::string expect, int status,
              std::vector<std::pair<std::string, std::string>> headers = {},
              std::string body = "") {
    HttpExchange x;
    x.response.status = status;
    x.response.headers = std::move(headers);
    x.response.body = std::move(body);
    script_.push_back({std::move(expect), std::move(x)});
  }
  void Fail(std::string expect, bool retryable) {
    HttpExchange x;
    x.status = cairn::IoError("connection refused");
    x.retryable = retryable;
    script_.push_back({std::move(expect), std::move(x)});
  }

  HttpExchange Send(const HttpRequest& r) override {
    std::string line = r.method + " " + r.url;
    std::string auth;
    for (const auto& [n, v] : r.headers)
      if (n == "Authorization") auth = v;
    requests.push_back(line + (auth.empty() ? "" : " [" + auth + "]"));
    bodies.push_back(r.body_file.empty() ? r.body
                                         : "<file " + std::to_string(r.body_offset) + "+" +
                                               std::to_string(r.body_length) + ">");
    sent_headers.push_back(r.headers);
    if (script_.empty()) FAIL("unexpected request " << line);
    Step s = std::move(script_.front());
    script_.pop_front();
    if (line.rfind(s.expect, 0) != 0) FAIL("expected '" << s.expect << "', got '" << line << "'");
    return std::move(s.answer);
  }

  bool Done() const { return script_.empty(); }
  std::vector<std::string> requests;
  std::vector<std::string> bodies;
  std::vector<std::vector<std::pair<std::string, std::string>>> sent_headers;

 private:
  std::deque<Step> script_;
};

const std::string kBase = "https://r.example/v2/";

RegistryOptions Fast(CredentialLookup credentials = {}) {
  RegistryOptions o;
  o.retries = 2;
  o.retry_backoff = std::chrono::milliseconds(1);
  o.credentials = std::move(credentials);
  return o;
}

CredentialLookup Fixed(std::string user, std::string password) {
  return [=](std::string_view registry) -> cairn::Result<std::optional<Credential>> {
    CHECK(registry == "r.example");
    return std::optional<Credential>(Credential{user, password, ""});
  };
}

Reference Target() { return ParseReference("r.example/team/app:1").value(); }

struct BlobFixture {
  BlobFixture() : dir("registry-client") {
    content = std::string(2500, 'x') + "end";
    file = dir.path() / "blob";
    std::ofstream(file, std::ios::binary) << content;
    blob = {"application/octet-stream",
            "sha256:" + cairn::Sha256Hex(content),
            content.size(),
            std::nullopt,
            {}};
  }
  cairn::testing::ScratchDir dir;
  std::string content;
  fs::path file;
  cairn::oci::Descriptor blob;
};

}  // namespace

TEST_CASE("Bearer: the challenge leads to a token asked with Basic credentials",
          "[publish][client][auth]") {
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryClient client(Target(), Fast(Fixed("u", "p")), t, reporter);
  t.Answer(
      "GET " + kBase, 401,
      {{"WWW-Authenticate", R"(Bearer realm="https://auth.example/token",service="r.example")"}});
  t.Answer(
      "GET "
      "https://auth.example/token?service=r.example&scope=repository%3Ateam%2Fapp%3Apull%2Cpush",
      200, {}, R"({"token":"tok-1","expires_in":300})");
  t.Answer("GET " + kBase, 200);
  REQUIRE(client.Ping().ok());
  // The token is reused; an insufficient scope for a mount asks again with both scopes.
  t.Answer("HEAD " + kBase + "team/app/blobs/sha256:aa", 404);
  REQUIRE(client.HasBlob("sha256:aa").ok());
  CHECK(t.Done());
  CHECK(t.requests ==
        std::vector<std::string>{
            "GET https://r.example/v2/",
            "GET "
            "https://auth.example/"
            "token?service=r.example&scope=repository%3Ateam%2Fapp%3Apull%2Cpush [Basic dTpw]",
            "GET https://r.example/v2/ [Bearer tok-1]",
            "HEAD https://r.example/v2/team/app/blobs/sha256:aa [Bearer tok-1]"});
}

TEST_CASE("Bearer with an identity token uses the refresh-token grant and scopes add mount sources",
          "[publish][client][auth]") {
  BlobFixture f;
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  auto lookup = [](std::string_view) -> cairn::Result<std::optional<Credential>> {
    return std::optional<Credential>(Credential{"", "", "refresh-9"});
  };
  RegistryClient client(Target(), Fast(lookup), t, reporter);
  t.Answer("HEAD " + kBase + "team/app/blobs/" + f.blob.digest, 404);
  t.Answer(
      "POST " + kBase + "team/app/blobs/uploads/?mount=", 401,
      {{"WWW-Authenticate",
        R"(Bearer realm="https://auth.example/token",service="r.example",scope="repository:team/app:pull,push repository:team/base:pull")"}});
  t.Answer("POST https://auth.example/token", 200, {}, R"({"access_token":"tok-2"})");
  t.Answer("POST " + kBase + "team/app/blobs/uploads/?mount=", 201);
  auto how = client.PushBlob(f.blob, f.file, {"team/base"});
  REQUIRE(how.ok());
  CHECK(*how == BlobOutcome::kMounted);
  CHECK(t.Done());
  CHECK(t.requests[1] == "POST " + kBase + "team/app/blobs/uploads/?mount=sha256%3A" +
                             f.blob.digest.substr(7) + "&from=team%2Fbase");
  CHECK(t.bodies[2] ==
        "grant_type=refresh_token&client_id=cairn&refresh_token=refresh-9&service=r.example&"
        "scope=repository%3Ateam%2Fapp%3Apull%2Cpush%20repository%3Ateam%2Fbase%3Apull");
  CHECK(t.requests[3].find("[Bearer tok-2]") != std::string::npos);
  CHECK(client.stats().uploads_started == 0);
  CHECK(client.stats().bytes_uploaded == 0);
}

TEST_CASE("Basic: wrong credentials give the registry's message and a hint",
          "[publish][client][auth]") {
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryClient client(Target(), Fast(Fixed("u", "wrong")), t, reporter);
  const std::string denied =
      R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]})";
  t.Answer("GET " + kBase, 401, {{"WWW-Authenticate", R"(Basic realm="basic-realm")"}}, denied);
  t.Answer("GET " + kBase, 401, {{"WWW-Authenticate", R"(Basic realm="basic-realm")"}}, denied);
  auto s = client.Ping();
  REQUIRE_FALSE(s.ok());
  CHECK(t.Done());
  CHECK(t.requests.back() == "GET https://r.example/v2/ [Basic dTp3cm9uZw==]");
  CHECK(s.error().Render() ==
        "checking the API of registry 'r.example': registry 'r.example' answered HTTP 401 "
        "Unauthorized (UNAUTHORIZED: authentication required)\n"
        "hint: check the credentials for 'r.example' in the Docker config file (or its credential "
        "helper) and the rights on 'team/app'");
}

TEST_CASE("Basic without credentials says how to log in", "[publish][client][auth]") {
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryClient client(Target(), Fast(), t, reporter);
  t.Answer("GET " + kBase, 401, {{"WWW-Authenticate", R"(Basic realm="basic-realm")"}});
  auto s = client.Ping();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().Render() ==
        "registry 'r.example' needs a user name and password\n"
        "hint: run 'docker login r.example' or add the registry to the Docker config file");
}

TEST_CASE("transient failures are retried with backoff then reported", "[publish][client]") {
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryClient client(Target(), Fast(), t, reporter);
  t.Fail("GET " + kBase, true);
  t.Answer("GET " + kBase, 503, {}, R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})");
  t.Answer("GET " + kBase, 200);
  REQUIRE(client.Ping().ok());
  CHECK(t.Done());
  std::vector<std::string> lines;
  for (const auto& l : reporter.lines())
    if (l.rfind("warning: ", 0) == 0) lines.push_back(l);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("warning: reaching registry 'r.example' failed (cannot reach registry "
                      "'r.example': connection refused") == 0);
  CHECK(lines[1].find(
            "answered HTTP 503 Service Unavailable (UNAVAILABLE: try later)); retrying in 2 ms") !=
        std::string::npos);

  // Three failures in a row (retries = 2): the last error, and how many attempts were made.
  t.Answer("HEAD " + kBase + "team/app/blobs/sha256:bb", 502);
  t.Answer("HEAD " + kBase + "team/app/blobs/sha256:bb", 502);
  t.Answer("HEAD " + kBase + "team/app/blobs/sha256:bb", 500, {}, "upstream broke\nmore");
  auto has = client.HasBlob("sha256:bb");
  REQUIRE_FALSE(has.ok());
  CHECK(has.error().Render() ==
        "checking blob sha256:bb in 'team/app': registry 'r.example' answered HTTP 500 Internal "
        "Server Error (upstream broke)\nhint: gave up after 3 attempts");

  // A connection failure that is not transient (TLS verification) is not retried.
  t.Fail("HEAD " + kBase, false);
  auto tls = client.HasBlob("sha256:cc");
  REQUIRE_FALSE(tls.ok());
  CHECK(t.Done());
}

TEST_CASE(
    "an upload is HEAD then POST then one PUT with the digest and a retry opens a new session",
    "[publish][client][upload]") {
  BlobFixture f;
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryClient client(Target(), Fast(), t, reporter);
  const std::string uploads = kBase + "team/app/blobs/uploads/";
  t.Answer("HEAD " + kBase + "team/app/blobs/" + f.blob.digest, 404);
  t.Answer("POST " + uploads, 202, {{"Location", "/v2/team/app/blobs/uploads/u1?_state=s1"}});
  t.Fail("PUT " + uploads + "u1?_state=s1&digest=sha256%3A", true);
  t.Answer("POST " + uploads, 202,
           {{"Location", "https://r.example/v2/team/app/blobs/uploads/u2"}});
  t.Answer("PUT " + uploads + "u2?digest=sha256%3A", 201,
           {{"Docker-Content-Digest", f.blob.digest}});
  auto how = client.PushBlob(f.blob, f.file);
  REQUIRE(how.ok());
  CHECK(*how == BlobOutcome::kUploaded);
  CHECK(t.Done());
  CHECK(t.bodies[4] == "<file 0+2503>");
  CHECK(client.stats().uploads_started == 2);
  CHECK(client.stats().requests == 5);
}

TEST_CASE("a chunked upload sends PATCH ranges following each Location then a PUT",
          "[publish][client][upload]") {
  BlobFixture f;
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryOptions o = Fast();
  o.chunk_size = 1000;
  RegistryClient client(Target(), o, t, reporter);
  const std::string uploads = kBase + "team/app/blobs/uploads/";
  t.Answer("HEAD " + kBase + "team/app/blobs/", 404);
  t.Answer("POST " + uploads, 202, {{"Location", uploads + "u?s=0"}});
  t.Answer("PATCH " + uploads + "u?s=0", 202, {{"Location", uploads + "u?s=1"}});
  t.Answer("PATCH " + uploads + "u?s=1", 202, {{"Location", uploads + "u?s=2"}});
  t.Answer("PATCH " + uploads + "u?s=2", 202, {{"Location", uploads + "u?s=3"}});
  t.Answer("PUT " + uploads + "u?s=3&digest=", 201);
  REQUIRE(client.PushBlob(f.blob, f.file).ok());
  CHECK(t.Done());
  CHECK(t.bodies[2] == "<file 0+1000>");
  CHECK(t.bodies[3] == "<file 1000+1000>");
  CHECK(t.bodies[4] == "<file 2000+503>");
  CHECK(t.bodies[5].empty());
  auto range = [&](size_t i) {
    for (const auto& [n, v] : t.sent_headers[i])
      if (n == "Content-Range") return v;
    return std::string();
  };
  CHECK(range(2) == "0-999");
  CHECK(range(4) == "2000-2502");
  CHECK(client.stats().bytes_uploaded == 2503);
}

TEST_CASE("a blob the repository has is not sent and a corrupt local blob is never sent",
          "[publish][client][upload]") {
  BlobFixture f;
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryClient client(Target(), Fast(), t, reporter);
  t.Answer("HEAD " + kBase + "team/app/blobs/" + f.blob.digest, 200);
  auto existed = client.PushBlob(f.blob, f.file);
  REQUIRE(existed.ok());
  CHECK(*existed == BlobOutcome::kExisted);

  std::ofstream(f.file, std::ios::binary) << std::string(2503, 'y');  // same size, other bytes
  t.Answer("HEAD " + kBase + "team/app/blobs/" + f.blob.digest, 404);
  auto corrupt = client.PushBlob(f.blob, f.file);
  REQUIRE_FALSE(corrupt.ok());
  CHECK(corrupt.error().code() == Code::kIntegrity);
  CHECK(corrupt.error().message() == "blob '" + f.file.string() + "' hashes to sha256:" +
                                         cairn::Sha256Hex(std::string(2503, 'y')) + ", not " +
                                         f.blob.digest + ": the layout is corrupt");
  CHECK(t.Done());  // no POST, no PUT
  CHECK(t.requests.size() == 2);
}

TEST_CASE("manifests go with their media type and a digest the registry disagrees with is an error",
          "[publish][client][manifest]") {
  ScriptedTransport t;
  cairn::RecordingReporter reporter;
  RegistryClient client(Target(), Fast(), t, reporter);
  const std::string bytes = R"({"schemaVersion":2})";
  const std::string digest = "sha256:" + cairn::Sha256Hex(bytes);
  t.Answer("PUT " + kBase + "team/app/manifests/1", 201,
           {{"Docker-Content-Digest", digest}, {"OCI-Subject", "sha256:ff"}});
  auto put = client.PutManifest("1", "application/vnd.oci.image.manifest.v1+json", bytes);
  REQUIRE(put.ok());
  CHECK(put->digest == digest);
  CHECK(put->subject_indexed);
  CHECK(t.sent_headers[0] == std::vector<std::pair<std::string, std::string>>{
                                 {"Content-Type", "application/vnd.oci.image.manifest.v1+json"}});
  CHECK(t.bodies[0] == bytes);

  t.Answer("PUT " + kBase + "team/app/manifests/2", 201, {{"Docker-Content-Digest", "sha256:00"}});
  auto other = client.PutManifest("2", "application/vnd.oci.image.manifest.v1+json", bytes);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code() == Code::kIntegrity);
  CHECK(other.error().message() ==
        "registry 'r.example' stored manifest " + digest + " as sha256:00");

  t.Answer(
      "PUT " + kBase + "team/app/manifests/3", 400, {},
      R"({"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:12"}]})");
  auto unknown = client.PutManifest("3", "application/vnd.oci.image.manifest.v1+json", bytes);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message() ==
        "pushing manifest " + digest +
            " as 'team/app:3': registry 'r.example' answered HTTP 400 "
            "Bad Request (MANIFEST_BLOB_UNKNOWN: blob unknown to registry)");

  t.Answer("GET " + kBase + "team/app/manifests/missing", 404);
  auto missing = client.GetManifest("missing");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  t.Answer("GET " + kBase + "team/app/referrers/sha256:ab", 404, {}, "404 page not found\n");
  auto referrers = client.GetReferrers("sha256:ab");
  REQUIRE(referrers.ok());
  CHECK_FALSE(referrers->has_value());
  CHECK(t.Done());
}
