// LayerCache: key records and digest-named blobs, placed by link or copy
// through uniquely named temporaries and rename(2).
#include "cairn/oci/layer_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"

namespace cairn::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kCopyBufferSize = 1 << 16;

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Status CheckKey(const std::string& key) {
  if (key.empty() || key.size() > 128 || !IsLowerHex(key))
    return UsageError(fmt::format(
        "layer cache key '{}' is not a lowercase hex string of 1 to 128 digits", key));
  return {};
}

// "sha256:<64 lowercase hex>" -> the hex, or "" if malformed.
std::string DigestHex(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view hex = digest.substr(kPrefix.size());
  if (hex.size() != 64 || !IsLowerHex(hex)) return "";
  return std::string(hex);
}

// A temporary name in `dir` unique across the threads and processes that
// share it: pid plus a per-process counter. A leftover from a crashed process
// whose pid was reused is removed before use.
fs::path TempName(const fs::path& dir) {
  static std::atomic<uint64_t> counter{0};
  return dir / fmt::format(".tmp-{}-{}", ::getpid(), counter.fetch_add(1));
}

// Size of a regular file, or -1 if it is missing or not a regular file.
int64_t RegularFileSize(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return static_cast<int64_t>(st.st_size);
}

// Copies `from` into the new file `to` (mode 0644), fsynced; returns the
// sha256 hex of the bytes copied.
Result<std::string> CopyHashed(const fs::path& from, const fs::path& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoError(fmt::format("cannot open '{}'", from.string()), errno);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    int e = errno;
    ::close(in);
    return ErrnoError(fmt::format("cannot create '{}'", to.string()), e);
  }
  auto fail = [&](std::string what, int e) {
    ::close(in);
    ::close(out);
    ::unlink(to.c_str());
    return ErrnoError(std::move(what), e);
  };
  Hasher hash = Hasher::Sha256();
  std::string buf(kCopyBufferSize, '\0');
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("cannot read '{}'", from.string()), errno);
    }
    if (n == 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        return fail(fmt::format("cannot write '{}'", to.string()), errno);
      }
      done += w;
    }
  }
  // O_CREAT's mode is masked by the umask; blobs are world-readable regardless.
  if (::fchmod(out, 0644) != 0 || ::fsync(out) != 0)
    return fail(fmt::format("cannot write '{}'", to.string()), errno);
  ::close(in);
  if (::close(out) != 0) {
    int e = errno;
    ::unlink(to.c_str());
    return ErrnoError(fmt::format("cannot close '{}'", to.string()), e);
  }
  return HexEncode(hash.Finish());
}

// Makes `dest` a file with the content of `src`, whose sha256 is `hex`: a hard
// link when the filesystem allows, else a verified copy. Lands by rename, so
// `dest` is never seen partial.
Status PlaceBlob(const fs::path& src, const fs::path& dest, const std::string& hex) {
  const fs::path dir = dest.parent_path();
  fs::path tmp = TempName(dir);
  ::unlink(tmp.c_str());
  if (::link(src.c_str(), tmp.c_str()) != 0) {
    int e = errno;
    if (e != EXDEV && e != EPERM && e != EMLINK && e != ENOTSUP && e != EACCES)
      return ErrnoError(fmt::format("cannot link '{}' to '{}'", src.string(), tmp.string()), e);
    CAIRN_ASSIGN_OR_RETURN(std::string got, CopyHashed(src, tmp));
    if (got != hex) {
      ::unlink(tmp.c_str());
      return IntegrityError(fmt::format("'{}' has sha256 {} (expected {})", src.string(), got,
                                        hex));
    }
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(fmt::format("cannot rename '{}' to '{}'", tmp.string(), dest.string()), e);
  }
  // rename(2) does nothing when both names are links to one file (another
  // thread placed the same link first): the temporary name must go then.
  ::unlink(tmp.c_str());
  return SyncDir(dir);
}

// Writes `content` to `path` through a unique temporary file, fsynced.
Status WriteUniqueAtomic(const fs::path& path, std::string_view content) {
  fs::path tmp = TempName(path.parent_path());
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(fmt::format("cannot create '{}'", tmp.string()), errno);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError(fmt::format("cannot write '{}'", tmp.string()), e);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(fmt::format("cannot write '{}'", tmp.string()), e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(fmt::format("cannot rename into '{}'", path.string()), e);
  }
  return SyncDir(path.parent_path());
}

std::optional<LayerResult> ParseRecord(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&](const char* k) -> const json* {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? &*it : nullptr;
  };
  auto num = [&](const char* k) -> const json* {
    auto it = j.find(k);
    return it != j.end() && it->is_number_unsigned() ? &*it : nullptr;
  };
  const json* digest = str("digest");
  const json* diff_id = str("diff_id");
  const json* size = num("size");
  const json* uncompressed = num("uncompressed_size");
  if (!digest || !diff_id || !size || !uncompressed) return std::nullopt;
  LayerResult r;
  r.digest = digest->get<std::string>();
  r.diff_id = diff_id->get<std::string>();
  r.size = size->get<uint64_t>();
  r.uncompressed_size = uncompressed->get<uint64_t>();
  if (DigestHex(r.digest).empty() || DigestHex(r.diff_id).empty()) return std::nullopt;
  return r;
}

}  // namespace

Result<LayerCache> LayerCache::Open(const fs::path& dir) {
  CAIRN_TRY_CTX(MakeDirs(dir / "blobs" / "sha256"), "opening the layer cache");
  CAIRN_TRY_CTX(MakeDirs(dir / "keys"), "opening the layer cache");
  return LayerCache(dir);
}

fs::path LayerCache::BlobPath(const LayerResult& layer) const {
  return dir_ / "blobs" / "sha256" / layer.digest.substr(layer.digest.find(':') + 1);
}

Result<std::optional<LayerResult>> LayerCache::Find(const std::string& key,
                                                    bool verify_digest) const {
  CAIRN_TRY(CheckKey(key));
  auto text = ReadFile(dir_ / "keys" / (key + ".json"));
  if (!text.ok()) return std::optional<LayerResult>();
  std::optional<LayerResult> record = ParseRecord(*text);
  if (!record) return std::optional<LayerResult>();
  const fs::path blob = BlobPath(*record);
  if (RegularFileSize(blob) != static_cast<int64_t>(record->size))
    return std::optional<LayerResult>();
  if (verify_digest) {
    auto hex = Sha256FileHex(blob.string());
    if (!hex.ok() || *hex != DigestHex(record->digest)) return std::optional<LayerResult>();
  }
  return record;
}

Status LayerCache::Store(const std::string& key, const LayerResult& layer,
                         const fs::path& blob_file) const {
  CAIRN_TRY(CheckKey(key));
  const std::string ctx = fmt::format("storing layer {} in the cache", layer.digest);
  const std::string hex = DigestHex(layer.digest);
  if (hex.empty() || DigestHex(layer.diff_id).empty())
    return InternalError(fmt::format("layer digest '{}' or diff_id '{}' is not a sha256 digest",
                                     layer.digest, layer.diff_id));
  int64_t size = RegularFileSize(blob_file);
  if (size != static_cast<int64_t>(layer.size))
    return IntegrityError(fmt::format("'{}' is {} (expected a file of {} bytes)",
                                      blob_file.string(),
                                      size < 0 ? std::string("missing")
                                               : fmt::format("{} bytes", size),
                                      layer.size))
        .Context(ctx);
  auto got = Sha256FileHex(blob_file.string());
  if (!got.ok()) return std::move(got).error().Context(ctx);
  if (*got != hex)
    return IntegrityError(
               fmt::format("'{}' has sha256 {} (expected {})", blob_file.string(), *got, hex))
        .Context(ctx);
  const fs::path blob = BlobPath(layer);
  if (RegularFileSize(blob) != size) CAIRN_TRY_CTX(PlaceBlob(blob_file, blob, hex), ctx);
  json record = {{"digest", layer.digest},
                 {"diff_id", layer.diff_id},
                 {"size", layer.size},
                 {"uncompressed_size", layer.uncompressed_size}};
  CAIRN_TRY_CTX(WriteUniqueAtomic(dir_ / "keys" / (key + ".json"), record.dump()), ctx);
  return {};
}

Result<LayerResult> LayerCache::AddTo(const OciLayoutWriter& layout,
                                      const LayerResult& layer) const {
  const std::string ctx = fmt::format("adding cached layer {} to '{}'", layer.digest,
                                      layout.dir().string());
  const std::string hex = DigestHex(layer.digest);
  if (hex.empty())
    return InternalError(fmt::format("layer digest '{}' is not a sha256 digest", layer.digest));
  const fs::path src = BlobPath(layer);
  if (RegularFileSize(src) != static_cast<int64_t>(layer.size))
    return NotFoundError(fmt::format("the cache has no blob '{}' of {} bytes", src.string(),
                                     layer.size))
        .Context(ctx);
  const fs::path dest = layout.BlobPath(layer.digest);
  if (RegularFileSize(dest) != static_cast<int64_t>(layer.size)) {
    CAIRN_TRY_CTX(MakeDirs(dest.parent_path()), ctx);
    CAIRN_TRY_CTX(PlaceBlob(src, dest, hex), ctx);
  }
  LayerResult out = layer;
  out.timings = {};
  return out;
}

Result<fs::path> LayerCache::NewSnapshotDir() const {
  const fs::path parent = dir_ / "snapshots";
  CAIRN_TRY(MakeDirs(parent));
  fs::path tmp = TempName(parent);
  std::error_code ec;
  fs::remove_all(tmp, ec);  // a leftover of a crashed process whose pid came back
  if (::mkdir(tmp.c_str(), 0755) != 0)
    return ErrnoError(fmt::format("cannot create '{}'", tmp.string()), errno);
  return tmp;
}

Status LayerCache::StoreSnapshot(const std::string& key, const fs::path& prepared) const {
  CAIRN_TRY(CheckKey(key));
  const fs::path dest = dir_ / "snapshots" / key;
  // rename(2) cannot replace a non-empty directory: move the old one aside
  // first (a reader in between sees no snapshot, which is a miss, not harm).
  if (fs::exists(dest)) {
    fs::path old = TempName(dest.parent_path());
    if (::rename(dest.c_str(), old.c_str()) == 0) {
      std::error_code ec;
      fs::remove_all(old, ec);
    }
  }
  if (::rename(prepared.c_str(), dest.c_str()) != 0) {
    int e = errno;
    std::error_code ec;
    fs::remove_all(prepared, ec);
    // Another build stored the same key between our two renames: same inputs, same snapshot.
    if (e == ENOTEMPTY || e == EEXIST) return {};
    return ErrnoError(fmt::format("cannot rename '{}' to '{}'", prepared.string(), dest.string()),
                      e);
  }
  return SyncDir(dest.parent_path());
}

Result<std::optional<fs::path>> LayerCache::FindSnapshot(const std::string& key) const {
  CAIRN_TRY(CheckKey(key));
  const fs::path dir = dir_ / "snapshots" / key;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::optional<fs::path>();
  return std::optional<fs::path>(dir);
}

}  // namespace cairn::oci
