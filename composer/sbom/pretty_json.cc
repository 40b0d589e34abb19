// PrettyJson: nlohmann's dump(2) layout, written directly. Strings that are
// plain printable ASCII are copied as they are; any other string is escaped
// by nlohmann itself (control characters, invalid UTF-8 replaced by U+FFFD),
// so the text is byte for byte what dump(2) gives.
#include "sbom/pretty_json.h"

#include <nlohmann/json.hpp>

namespace cairn::sbom::internal {

void PrettyJson::Indent(size_t depth) { out_.append(2 * depth, ' '); }

void PrettyJson::BeforeValue() {
  if (stack_.empty() || !stack_.back().array) return;  // top level, or after Key()
  Level& level = stack_.back();
  out_ += level.empty ? "\n" : ",\n";
  level.empty = false;
  Indent(stack_.size());
}

void PrettyJson::Open(char bracket, bool array) {
  BeforeValue();
  out_ += bracket;
  stack_.push_back({array, true});
}

void PrettyJson::Close(char bracket) {
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) {
    out_ += '\n';
    Indent(stack_.size());
  }
  out_ += bracket;
}

void PrettyJson::BeginObject() { Open('{', false); }
void PrettyJson::EndObject() { Close('}'); }
void PrettyJson::BeginArray() { Open('[', true); }
void PrettyJson::EndArray() { Close(']'); }

void PrettyJson::Key(std::string_view key) {
  Level& level = stack_.back();
  out_ += level.empty ? "\n" : ",\n";
  level.empty = false;
  Indent(stack_.size());
  Escaped(key);
  out_ += ": ";
}

void PrettyJson::String(std::string_view value) {
  BeforeValue();
  Escaped(value);
}

void PrettyJson::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
}

void PrettyJson::Escaped(std::string_view s) {
  bool plain = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out_ += '"';
    out_ += s;
    out_ += '"';
    return;
  }
  out_ += nlohmann::json(std::string(s))
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cairn::sbom::internal
