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

// "layers" or "boards" for a file in such a directory of a project, else "images".
std::string DeclarationKind(const fs::path& file) {
  std::string dir = file.lexically_normal().parent_path().filename().string();
  return dir == "layers" || dir == "boards" ? dir : "images";
}

Status RunShow(const Invocation& inv, Reporter&) {
  const fs::path file = inv.args.at(0);
  const bool json = inv.has("json");
  std::string kind = DeclarationKind(file);
  if (kind == "layers") {
    CAIRN_ASSIGN_OR_RETURN(config::Layer layer, config::LoadLayer(file));
    Print(json ? config::LayerToJson(layer).dump(2) + "\n" : config::ShowLayer(layer));
    return {};
  }
  if (kind == "boards") {
    CAIRN_ASSIGN_OR_RETURN(config::Board board, config::LoadBoard(file));
    Print(json ? config::BoardToJson(board).dump(2) + "\n" : config::ShowBoard(board));
    return {};
  }
  CAIRN_ASSIGN_OR_RETURN(config::Image image, config::LoadImage(file));
  if (json) {
    Print(config::ImageToJson(image).dump(2) + "\n");
  } else {
    // The stack is appended as comments, so the output still loads as a declaration.
    Print(config::ShowImage(image) + config::ShowStack(image));
  }
  return {};
}

namespace {
std::string Join(const std::vector<config::LString>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s.value;
  return out;
}

nlohmann::ordered_json Names(const std::vector<config::LString>& items) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& s : items) a.push_back(s.value);
  return a;
}

// Details of a layer or board for `cairn list`: the text in parentheses after
// the description, and the extra JSON fields.
Status Details(const config::DeclarationInfo& d, std::string& text, nlohmann::ordered_json& j) {
  std::vector<std::string> parts;
  if (d.kind == "boards") {
    CAIRN_ASSIGN_OR_RETURN(config::Board b, config::LoadBoard(d.file));
    parts.push_back(b.arch.value);
    if (!b.bootloader.type.value.empty()) parts.push_back(b.bootloader.type.value);
    if (!b.layers.empty()) parts.push_back("layers: " + Join(b.layers));
    j["arch"] = b.arch.value;
    j["bootloader"] = b.bootloader.type.value;
    j["layers"] = Names(b.layers);
  } else if (d.kind == "layers") {
    CAIRN_ASSIGN_OR_RETURN(config::Layer l, config::LoadLayer(d.file));
    if (!l.required.empty()) parts.push_back("requires: " + Join(l.required));
    if (!l.provides.empty()) parts.push_back("provides: " + Join(l.provides));
    if (!l.conflicts.empty()) parts.push_back("conflicts: " + Join(l.conflicts));
    if (!l.archs.empty()) parts.push_back("archs: " + Join(l.archs));
    j["requires"] = Names(l.required);
    j["provides"] = Names(l.provides);
    j["conflicts"] = Names(l.conflicts);
    j["archs"] = Names(l.archs);
  }
  for (size_t i = 0; i < parts.size(); ++i) text += (i ? "; " : "") + parts[i];
  if (!text.empty()) text = "(" + text + ")";
  return {};
}
}  // namespace

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
    nlohmann::ordered_json entry = {
        {"name", d.name}, {"file", d.file.string()}, {"description", d.description}};
    std::string details;
    CAIRN_TRY(Details(d, details, entry));
    if (inv.has("json")) {
      j[d.kind].push_back(entry);
    } else {
      std::string text = d.description;
      if (!details.empty()) text += (text.empty() ? "" : " ") + details;
      out += fmt::format("{:<7} {:<24} {}\n", d.kind.substr(0, d.kind.size() - 1), d.name, text);
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
