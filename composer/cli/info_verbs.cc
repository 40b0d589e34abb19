// Verbs that read declarations or describe cairn: show, list, validate, version, help.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cairn/config/list.h"
#include "cairn/config/loader.h"
#include "cairn/config/show.h"
#include "cairn/config/validate.h"
#include "cairn/pipeline.h"
#include "cli/verbs.h"

namespace cairn::cli {
namespace fs = std::filesystem;

namespace {
void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}
}  // namespace

Status RunShow(const Invocation& inv, Reporter&) {
  CAIRN_ASSIGN_OR_RETURN(config::Image image, config::LoadImage(inv.args.at(0)));
  if (inv.has("json")) {
    Print(config::ImageToJson(image).dump(2) + "\n");
  } else {
    Print(config::ShowImage(image));
  }
  return {};
}

Status RunList(const Invocation& inv, Reporter&) {
  std::string kind = inv.args.empty() ? "" : inv.args[0];
  if (!kind.empty() && kind != "images" && kind != "layers" && kind != "boards")
    return UsageError(fmt::format("'cairn list' lists images, layers or boards, not '{}'", kind))
        .Hint("see 'cairn list --help'");
  CAIRN_ASSIGN_OR_RETURN(auto decls, config::ListDeclarations(fs::current_path()));
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  std::string out;
  for (const auto& d : decls) {
    if (!kind.empty() && d.kind != kind) continue;
    if (inv.has("json")) {
      j[d.kind].push_back({{"name", d.name}, {"file", d.file.string()}, {"description", d.description}});
    } else {
      out += fmt::format("{:<7} {:<24} {}\n", d.kind.substr(0, d.kind.size() - 1), d.name,
                         d.description);
    }
  }
  Print(inv.has("json") ? j.dump(2) + "\n" : out);
  return {};
}

Status RunValidate(const Invocation& inv, Reporter& reporter) {
  std::optional<Error> first;
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& file : inv.args) {
    Status st = [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(config::Image image, config::LoadImage(file));
      return config::Validate(image);
    }();
    if (inv.has("json")) {
      j.push_back({{"file", file}, {"ok", st.ok()}, {"error", st.ok() ? "" : st.error().Render()}});
    } else if (st.ok()) {
      Print(file + ": ok\n");
    }
    if (!st.ok()) {
      if (!inv.has("json") && first) reporter.Warn(st.error().Render());
      if (!first) first = st.error();
    }
  }
  if (inv.has("json")) Print(j.dump(2) + "\n");
  if (first) return *first;
  return {};
}

Status RunVersion(const Invocation& inv, Reporter&) {
  if (inv.has("json")) {
    Print(nlohmann::ordered_json{{"version", Version()}}.dump() + "\n");
  } else {
    Print(fmt::format("cairn {}\n", Version()));
  }
  return {};
}

Status RunHelp(const Invocation& inv, Reporter&) {
  if (inv.args.empty()) {
    Print(GeneralHelp());
    return {};
  }
  const VerbSpec* v = FindVerb(inv.args[0]);
  if (!v) return UsageError(fmt::format("no help for unknown verb '{}'", inv.args[0])).Hint("see 'cairn --help'");
  Print(VerbHelp(*v));
  return {};
}

}  // namespace cairn::cli
