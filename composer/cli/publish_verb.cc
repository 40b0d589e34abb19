// publish: push a build output (or any OCI layout) to a registry; also the
// push step of `cairn build --push REF`.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "cairn/pipeline.h"
#include "cairn/publish/credentials.h"
#include "cairn/publish/publish.h"
#include "cli/verbs.h"

namespace cairn::cli {
namespace fs = std::filesystem;

Result<publish::PublishReport> PublishDir(const Invocation& inv, const fs::path& dir,
                                          const std::string& ref, Reporter& reporter) {
  CAIRN_ASSIGN_OR_RETURN(publish::Reference target, publish::ParseReference(ref));
  publish::PublishOptions o;
  o.dir = dir;
  o.ref_name = inv.get("ref");
  o.files = inv.has("files");
  o.registry.plain_http = inv.has("plain-http");
  o.registry.credentials = publish::DockerConfigCredentials();
  fs::path cache = inv.get("cache-dir");
  o.mount_record = (cache.empty() ? DefaultCacheDir() : cache) / "publish" / "mounts.json";
  auto transport = publish::MakeCurlTransport();
  return publish::Publish(target, o, *transport, reporter);
}

std::string PushedLines(const std::string& ref, const publish::PublishReport& report) {
  auto target = publish::ParseReference(ref);
  std::string repo = target.ok() ? target->registry + "/" + target->repository : ref;
  std::string out;
  for (const auto& t : report.tags)
    out += fmt::format("{} {}:{}\n", t.descriptor.digest, repo, t.tag);
  return out;
}

Status RunPublish(const Invocation& inv, Reporter& reporter) {
  const std::string& ref = inv.args.at(1);
  CAIRN_ASSIGN_OR_RETURN(auto report, PublishDir(inv, inv.args.at(0), ref, reporter));
  std::string out = PushedLines(ref, report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return {};
}

}  // namespace cairn::cli
