// cairn::Error: what went wrong, where, and what cairn was doing at the time.
//
// An Error carries a Code (few and specific), a message in lowercase without a
// full stop, an optional SourceLoc pointing into a YAML file (with the source
// line, so Render() can draw a caret), an optional hint, and a chain of
// context strings added by each boundary it crosses ("resolving 'busybox' for
// aarch64"). Build errors with the helpers below, e.g.
//   return cairn::ConfigError(node_loc, "unknown key 'pakages'").Hint("did you mean 'packages'?");
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn {

/// The kinds of failure; each maps to an exit code in the CLI (docs/cairn.1.md).
enum class Code {
  kUsage,          ///< bad command line
  kConfig,         ///< bad declaration (YAML syntax, unknown key, wrong type)
  kNotFound,       ///< a file, package, image or key that does not exist
  kUnsatisfiable,  ///< the package request has no solution
  kIntegrity,      ///< a signature, checksum or size did not verify
  kIo,             ///< reading, writing or downloading failed
  kTool,           ///< an external program failed or is missing
  kInterrupted,    ///< SIGINT/SIGTERM arrived
  kInternal,       ///< a bug in cairn
};

/// Short lowercase name of a code ("config", "integrity", ...).
std::string_view CodeName(Code code);

/// A position in a declaration file; line and col are 1-based, 0 means unknown.
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
  /// The text of `line` (without newline), used to draw the caret.
  std::string line_text;

  bool known() const { return !file.empty(); }
  /// "file:line:col" (or just "file" when line is unknown).
  std::string ToString() const;
};

class Error {
 public:
  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const SourceLoc& loc() const { return loc_; }
  const std::string& hint() const { return hint_; }
  /// Context strings, innermost first.
  const std::vector<std::string>& context() const { return context_; }

  Error& At(SourceLoc loc) & { loc_ = std::move(loc); return *this; }
  Error&& At(SourceLoc loc) && { loc_ = std::move(loc); return std::move(*this); }
  Error& Hint(std::string hint) & { hint_ = std::move(hint); return *this; }
  Error&& Hint(std::string hint) && { hint_ = std::move(hint); return std::move(*this); }
  /// Adds what the caller was doing; rendered outermost first.
  Error& Context(std::string what) & { context_.push_back(std::move(what)); return *this; }
  Error&& Context(std::string what) && { context_.push_back(std::move(what)); return std::move(*this); }

  /// The full text a user sees (without the leading "cairn: "):
  ///   file:line:col: error: message
  ///     <source line>
  ///     <caret>
  ///   hint: ...
  /// Context is prefixed as "outer: inner: message" when there is no location.
  std::string Render() const;

 private:
  Code code_;
  std::string message_;
  SourceLoc loc_;
  std::string hint_;
  std::vector<std::string> context_;
};

inline Error UsageError(std::string m) { return Error(Code::kUsage, std::move(m)); }
inline Error ConfigError(SourceLoc loc, std::string m) {
  return Error(Code::kConfig, std::move(m)).At(std::move(loc));
}
inline Error NotFoundError(std::string m) { return Error(Code::kNotFound, std::move(m)); }
inline Error IntegrityError(std::string m) { return Error(Code::kIntegrity, std::move(m)); }
inline Error IoError(std::string m) { return Error(Code::kIo, std::move(m)); }
inline Error ToolError(std::string m) { return Error(Code::kTool, std::move(m)); }
inline Error InternalError(std::string m) { return Error(Code::kInternal, std::move(m)); }

/// IoError with strerror(errno_value) appended: "<what>: <strerror>".
Error ErrnoError(std::string what, int errno_value);

}  // namespace cairn
