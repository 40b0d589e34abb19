#include "cairn/error.h"

#include <cstring>

#include <fmt/format.h>

namespace cairn {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kUsage: return "usage";
    case Code::kConfig: return "config";
    case Code::kNotFound: return "not-found";
    case Code::kUnsatisfiable: return "unsatisfiable";
    case Code::kIntegrity: return "integrity";
    case Code::kIo: return "io";
    case Code::kTool: return "tool";
    case Code::kInterrupted: return "interrupted";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

std::string SourceLoc::ToString() const {
  if (line <= 0) return file;
  if (col <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, col);
}

std::string Error::Render() const {
  std::string out;
  std::string prefix;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) prefix += *it + ": ";
  if (loc_.known()) {
    out = fmt::format("{}: error: {}{}\n", loc_.ToString(), prefix, message_);
    if (!loc_.line_text.empty()) {
      out += "  " + loc_.line_text + "\n";
      // Keep tabs in the caret line so the caret lands under the column.
      std::string pad;
      for (int i = 0; i + 1 < loc_.col && i < static_cast<int>(loc_.line_text.size()); ++i)
        pad += loc_.line_text[i] == '\t' ? '\t' : ' ';
      out += "  " + pad + "^\n";
    }
  } else {
    out = fmt::format("{}{}\n", prefix, message_);
  }
  if (!hint_.empty()) out += "hint: " + hint_ + "\n";
  out.pop_back();  // no trailing newline; the caller adds one
  return out;
}

Error ErrnoError(std::string what, int errno_value) {
  return IoError(fmt::format("{}: {}", what, std::strerror(errno_value)));
}

}  // namespace cairn
