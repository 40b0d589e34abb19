// Building the OCI JSON documents; field names and omissions follow
// image-spec (config.md, manifest.md, image-index.md) and Go's omitempty, so
// output matches what registries and apko produce for the same values.
#include "image_json.h"

#include <time.h>

#include <fmt/format.h>

namespace cairn::oci {

using nlohmann::json;

std::string Rfc3339(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::string> CanonicalJson(const json& value) {
  try {
    // nlohmann objects are std::map-backed, so keys come out sorted.
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception& e) {
    return Error(Code::kConfig, fmt::format("cannot serialise JSON: {}", e.what()));
  }
}

Status ValidateRefName(std::string_view ref) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  auto bad = [&] {
    return UsageError(fmt::format(
        "invalid image reference name '{}' (expected letters and digits joined by one of "
        "'-._:@+', '--' or '/')",
        ref));
  };
  size_t i = 0;
  for (;;) {
    // component ::= alphanum (separator alphanum)*
    if (i >= ref.size() || !alnum(ref[i])) return bad();
    while (i < ref.size() && alnum(ref[i])) ++i;
    if (i == ref.size()) return {};
    if (ref[i] == '/') {
      ++i;
      continue;
    }
    if (ref.compare(i, 2, "--") == 0) {
      i += 2;
    } else if (std::string_view("-._:@+").find(ref[i]) != std::string_view::npos) {
      ++i;
    } else {
      return bad();
    }
    if (i >= ref.size() || !alnum(ref[i])) return bad();
  }
}

namespace internal {

json PlatformToJson(const Platform& p) {
  json j = {{"architecture", p.architecture}, {"os", p.os}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

json DescriptorToJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (d.platform) j["platform"] = PlatformToJson(*d.platform);
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

Result<Descriptor> DescriptorFromJson(const json& j) {
  try {
    Descriptor d;
    d.media_type = j.value("mediaType", "");
    d.digest = j.at("digest").get<std::string>();
    d.size = j.at("size").get<uint64_t>();
    if (j.contains("platform")) {
      const json& p = j.at("platform");
      Platform platform;
      platform.architecture = p.value("architecture", "");
      platform.os = p.value("os", "");
      platform.variant = p.value("variant", "");
      d.platform = platform;
    }
    if (j.contains("annotations"))
      d.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    return d;
  } catch (const json::exception& e) {
    return IntegrityError(fmt::format("malformed descriptor: {}", e.what()));
  }
}

json ImageConfigJson(const ImageConfigSpec& spec, const Platform& platform,
                     const std::vector<std::string>& diff_ids) {
  const std::string created = Rfc3339(spec.epoch);
  json config = json::object();
  if (!spec.env.empty()) config["Env"] = spec.env;
  if (!spec.entrypoint.empty()) config["Entrypoint"] = spec.entrypoint;
  if (!spec.cmd.empty()) config["Cmd"] = spec.cmd;
  if (!spec.work_dir.empty()) config["WorkingDir"] = spec.work_dir;
  if (!spec.user.empty()) config["User"] = spec.user;
  if (!spec.labels.empty()) config["Labels"] = spec.labels;
  if (!spec.stop_signal.empty()) config["StopSignal"] = spec.stop_signal;
  if (!spec.volumes.empty()) {
    json volumes = json::object();
    for (const auto& v : spec.volumes) volumes[v] = json::object();
    config["Volumes"] = volumes;
  }
  json history = json::array();
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    json h = {{"created", created}, {"created_by", "cairn"}};
    if (!spec.history_comment.empty()) h["comment"] = spec.history_comment;
    history.push_back(h);
  }
  json j = {
      {"architecture", platform.architecture},
      {"os", platform.os},
      {"created", created},
      {"config", config},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"history", history},
  };
  if (!platform.variant.empty()) j["variant"] = platform.variant;
  return j;
}

json ManifestJson(const Descriptor& config, const std::vector<Descriptor>& layers,
                  const std::map<std::string, std::string>& annotations) {
  json jl = json::array();
  for (const auto& l : layers) jl.push_back(DescriptorToJson(l));
  json j = {
      {"schemaVersion", 2},
      {"mediaType", kMediaTypeManifest},
      {"config", DescriptorToJson(config)},
      {"layers", jl},
  };
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

json IndexJson(const std::vector<Descriptor>& manifests,
               const std::map<std::string, std::string>& annotations) {
  json jm = json::array();
  for (const auto& m : manifests) jm.push_back(DescriptorToJson(m));
  json j = {{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", jm}};
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

}  // namespace internal
}  // namespace cairn::oci
