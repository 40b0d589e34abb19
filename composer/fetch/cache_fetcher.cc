// CacheFetcher: the cache protocol around the transfers in transfer.h.
//
// Per key: take the key's lock file (so two builds, or two threads, never
// download the same file at once and the second one finds the first one's
// result), look at the cached entry, and otherwise download into a temporary
// file beside the final name, verify it, fsync it and rename it into place.
// The final name therefore only ever holds a complete, verified file.

#include "cairn/fetch/fetcher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <system_error>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "fetch/transfer.h"

namespace cairn::fetch {
namespace fs = std::filesystem;

namespace {

/// A temporary file beside the final entry; unlinked unless committed.
class PartFile {
 public:
  static Result<PartFile> Create(const fs::path& final_path) {
    CAIRN_TRY(MakeDirs(final_path.parent_path()));
    std::string templ =
        (final_path.parent_path() / fmt::format(".{}.part.XXXXXX", final_path.filename().string()))
            .string();
    int fd = ::mkostemp(templ.data(), O_CLOEXEC);
    if (fd < 0) return ErrnoError(fmt::format("cannot create a temporary file for '{}'",
                                              final_path.string()), errno);
    return PartFile(fs::path(templ), fd);
  }
  PartFile(PartFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
    other.fd_ = -1;
    other.path_.clear();
  }
  PartFile& operator=(PartFile&&) = delete;
  ~PartFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  int fd() const { return fd_; }
  const fs::path& path() const { return path_; }

  /// Empties the file for another attempt.
  Status Reset() {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
      return ErrnoError(fmt::format("cannot truncate '{}'", path_.string()), errno);
    return {};
  }

  /// fsyncs, makes the file world-readable (the cache is shared) and renames it over `final_path`.
  Status CommitAs(const fs::path& final_path) {
    if (::fchmod(fd_, 0644) != 0 || ::fsync(fd_) != 0)
      return ErrnoError(fmt::format("cannot write '{}'", path_.string()), errno);
    ::close(fd_);
    fd_ = -1;
    if (::rename(path_.c_str(), final_path.c_str()) != 0)
      return ErrnoError(fmt::format("cannot rename into '{}'", final_path.string()), errno);
    path_.clear();
    return SyncDir(final_path.parent_path());
  }

 private:
  PartFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  fs::path path_;
  int fd_ = -1;
};

Status ValidateKey(const std::string& key) {
  fs::path p(key);
  bool ok = !key.empty() && p.is_relative() && key.back() != '/' &&
            key.find("//") == std::string::npos;
  bool first = true;
  for (const auto& part : p) {
    std::string s = part.string();
    if (s.empty() || s == "." || s == ".." || (first && s.front() == '.')) ok = false;
    first = false;
  }
  if (!ok)
    return InternalError(fmt::format(
        "invalid cache key '{}' (expected a relative path without '.' or '..' components)", key));
  return {};
}

/// The cheap checks on a file: size, then the caller's callback (the one for
/// cached entries when `cached` and the caller gave one).
Status CheckCheap(const FetchRequest& request, const fs::path& file, bool cached = false) {
  if (request.expected_size != 0) {
    std::error_code ec;
    uintmax_t size = fs::file_size(file, ec);
    if (ec) return IoError(fmt::format("cannot stat '{}': {}", file.string(), ec.message()));
    if (size != request.expected_size)
      return IntegrityError(fmt::format("'{}' has {} bytes (expected {})", request.url, size,
                                        request.expected_size));
  }
  const auto& verify = cached && request.verify_cached ? request.verify_cached : request.verify;
  if (verify) CAIRN_TRY(verify(file));
  return {};
}

// "2024-08-10 09:19:43 UTC", for the downgrade message.
std::string UtcTime(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  if (::gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// The newest date accepted for a key (FetchRequest::date_of), if recorded.
Result<std::optional<int64_t>> ReadDateRecord(const fs::path& record) {
  std::error_code ec;
  if (!fs::exists(record, ec)) return std::optional<int64_t>();
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(record));
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || (*end != '\n' && *end != '\0'))
    return IntegrityError(fmt::format("'{}' does not hold a date (seconds since 1970)",
                                      record.string()));
  return std::optional<int64_t>(v);
}

}  // namespace

std::string DeriveCacheKey(const std::string& url) {
  std::string_view rest(url);
  rest = rest.substr(0, rest.find_first_of("?#"));
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string base(rest.substr(rest.find_last_of('/') + 1));
  for (char& c : base) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    if (!keep) c = '_';
  }
  if (base.empty() || base.find("://") != std::string::npos) base = "index";
  return fmt::format("url/{}-{}", Sha256Hex(url).substr(0, 32), base);
}

CacheFetcher::CacheFetcher(CacheFetcherOptions options, Reporter& reporter)
    : options_(std::move(options)), reporter_(reporter) {}

Result<fs::path> CacheFetcher::CachePath(const FetchRequest& request) const {
  std::string key = request.cache_key.empty() ? DeriveCacheKey(request.url) : request.cache_key;
  CAIRN_TRY(ValidateKey(key));
  return options_.cache_dir / key;
}

Result<fs::path> CacheFetcher::Fetch(const FetchRequest& request) {
  CAIRN_ASSIGN_OR_RETURN(fs::path final_path, CachePath(request));
  fs::path key = final_path.lexically_relative(options_.cache_dir);
  std::error_code ec;
  // An immutable entry only ever appears by rename of a verified file, so a
  // hit needs no lock (the common case, thousands of times per build). A
  // failed check falls through to the locked path, which repairs it.
  std::optional<Status> unlocked_check;
  if (request.immutable && fs::is_regular_file(final_path, ec)) {
    unlocked_check = CheckCheap(request, final_path, /*cached=*/true);
    if (unlocked_check->ok()) {
      reporter_.Debug(fmt::format("cache hit: '{}' ({})", request.url, key.string()));
      return final_path;
    }
  }

  fs::path lock_path = options_.cache_dir / ".locks" / key;
  lock_path += ".lock";
  CAIRN_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_path));

  bool cached = fs::is_regular_file(final_path, ec);
  if (cached && (request.immutable || options_.offline)) {
    // Checked just now without the lock: a bad entry is not checked twice.
    Status check = unlocked_check ? std::move(*unlocked_check)
                                  : CheckCheap(request, final_path, /*cached=*/true);
    if (check.ok()) {
      reporter_.Debug(fmt::format("cache hit: '{}' ({})", request.url, key.string()));
      return final_path;
    }
    if (options_.offline)
      return std::move(check).error().Context(
          fmt::format("checking the cached copy of '{}'", request.url));
    reporter_.Warn(fmt::format("cached copy of '{}' is corrupt ({}); fetching it again",
                               request.url, check.error().message()));
  }
  if (options_.offline)
    return NotFoundError(
        fmt::format("'{}' is not in the cache and --offline was given", request.url));

  CAIRN_TRY(Download(request, final_path));
  return final_path;
}

Status CacheFetcher::Download(const FetchRequest& request, const fs::path& final_path) {
  CAIRN_ASSIGN_OR_RETURN(internal::Source source, internal::ParseSource(request.url));
  CAIRN_ASSIGN_OR_RETURN(PartFile part, PartFile::Create(final_path));
  internal::TransferOptions transfer{options_.connect_timeout, options_.stall_timeout};
  int attempts = 1 + (options_.retries > 0 ? options_.retries : 0);
  auto backoff = options_.retry_backoff;
  reporter_.Debug(fmt::format("fetching '{}'", request.url));
  for (int attempt = 1;; ++attempt) {
    CAIRN_TRY(part.Reset());
    internal::TransferOutcome outcome =
        source.kind == internal::SourceKind::kHttp
            ? internal::HttpGet(source.url, part.fd(), transfer)
            : internal::CopyLocal(source.path, part.fd());
    if (outcome.status.ok()) break;
    if (!outcome.retryable || attempts == 1) return std::move(outcome.status).error();
    if (attempt >= attempts) {
      const Error& e = outcome.status.error();
      return Error(e.code(), fmt::format("{} (gave up after {} attempts)", e.message(), attempts));
    }
    reporter_.Warn(fmt::format("{}; retrying in {} ms ({} of {})", outcome.status.error().message(),
                               backoff.count(), attempt + 1, attempts));
    std::this_thread::sleep_for(backoff);
    CAIRN_TRY(CheckInterrupted());
    backoff *= 2;
  }

  // Size and hash first: the caller's callback parses the file, and nothing
  // should parse bytes that a checksum already says are not the promised ones.
  FetchRequest size_only = request;
  size_only.verify = nullptr;
  CAIRN_TRY(CheckCheap(size_only, part.path()));
  if (!request.expected_sha256.empty()) {
    CAIRN_ASSIGN_OR_RETURN(std::string actual, Sha256FileHex(part.path().string()));
    if (actual != request.expected_sha256)
      return IntegrityError(fmt::format("'{}' has sha256 {} (expected {})", request.url, actual,
                                        request.expected_sha256));
  }
  if (request.verify) CAIRN_TRY(request.verify(part.path()));
  if (!request.date_of) return part.CommitAs(final_path);

  // Downgrade protection: an older index, validly signed, is how a replayed
  // or rolled-back mirror looks (apt's "Release file ... is not valid yet"
  // and Valid-Until cover other halves of this).
  CAIRN_ASSIGN_OR_RETURN(int64_t date, request.date_of(part.path()));
  fs::path record = options_.cache_dir / ".dates" / final_path.lexically_relative(options_.cache_dir);
  CAIRN_ASSIGN_OR_RETURN(std::optional<int64_t> newest, ReadDateRecord(record));
  if (newest && date < *newest)
    return IntegrityError(fmt::format("'{}' is dated {}, older than the copy dated {} this cache "
                                      "accepted before",
                                      request.url, UtcTime(date), UtcTime(*newest)))
        .Hint(fmt::format("a validly signed but older index is how a replayed or rolled-back "
                          "mirror looks; if the repository really went back, remove '{}'",
                          record.string()));
  CAIRN_TRY(part.CommitAs(final_path));
  if (newest && *newest == date) return {};
  CAIRN_TRY(MakeDirs(record.parent_path()));
  return WriteFileAtomic(record, std::to_string(date) + "\n");
}

}  // namespace cairn::fetch
