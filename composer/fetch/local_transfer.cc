// Sources on the local filesystem (file:// URLs and plain paths), and the URL
// classification that decides between them and http(s).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include <fmt/format.h>

#include "cairn/interrupt.h"
#include "fetch/transfer.h"

namespace cairn::fetch::internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(const std::string& url, std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return Error(Code::kConfig, fmt::format("invalid percent escape in URL '{}'", url));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

Result<Source> ParseSource(const std::string& url) {
  if (url.empty()) return InternalError("empty URL in a fetch request");
  size_t sep = url.find("://");
  if (sep == std::string::npos) return Source{SourceKind::kLocal, "", url};
  std::string scheme = url.substr(0, sep);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "http" || scheme == "https") return Source{SourceKind::kHttp, url, {}};
  if (scheme == "file") {
    std::string_view rest = std::string_view(url).substr(sep + 3);
    if (rest.substr(0, 9) == "localhost") rest.remove_prefix(9);
    if (rest.empty() || rest.front() != '/')
      return Error(Code::kConfig,
                   fmt::format("unsupported file URL '{}' (expected file:///absolute/path)", url));
    CAIRN_ASSIGN_OR_RETURN(std::string path, PercentDecode(url, rest));
    return Source{SourceKind::kLocal, "", path};
  }
  return Error(Code::kConfig,
               fmt::format("unsupported URL scheme '{}' in '{}' (expected http, https or file)",
                           scheme, url));
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

TransferOutcome CopyLocal(const std::filesystem::path& source, int fd) {
  int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    int e = errno;
    if (e == ENOENT) return {NotFoundError(fmt::format("'{}' does not exist", source.string()))};
    return {ErrnoError(fmt::format("cannot open '{}'", source.string()), e)};
  }
  struct stat st {};
  if (::fstat(in, &st) == 0 && !S_ISREG(st.st_mode)) {
    ::close(in);
    return {IoError(fmt::format("'{}' is not a regular file", source.string()))};
  }
  char buf[1 << 16];
  for (;;) {
    if (Status s = CheckInterrupted(); !s) {
      ::close(in);
      return {std::move(s).error()};
    }
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(in);
      return {ErrnoError(fmt::format("cannot read '{}'", source.string()), e)};
    }
    if (n == 0) break;
    if (!WriteAll(fd, buf, static_cast<size_t>(n))) {
      int e = errno;
      ::close(in);
      return {ErrnoError(fmt::format("cannot write the copy of '{}'", source.string()), e)};
    }
  }
  ::close(in);
  return {};
}

}  // namespace cairn::fetch::internal
