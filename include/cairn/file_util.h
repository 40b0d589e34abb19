// Small filesystem helpers that return Result instead of throwing, and the
// atomic-output primitives every writer uses: content goes to a temporary
// sibling, is fsync'ed, and only then renamed over the final name, so a crash
// or Ctrl-C never leaves a half-written file under its real name.
//
//   CAIRN_TRY(cairn::WriteFileAtomic(out / "index.json", json));
//   CAIRN_ASSIGN_OR_RETURN(auto text, cairn::ReadFile(path));
//   CAIRN_ASSIGN_OR_RETURN(auto tmp, cairn::TempDir::Create(parent, "cairn-build"));
//   ... fill tmp.path() ...;  CAIRN_TRY(tmp.CommitAs(final_dir));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "cairn/result.h"

namespace cairn {

Result<std::string> ReadFile(const std::filesystem::path& path);
/// Writes to "<path>.tmp.<pid>", fsyncs, renames over `path`; mode applies to the new file.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view content,
                       unsigned mode = 0644);
/// Creates the directory and its parents; an existing directory is fine.
Status MakeDirs(const std::filesystem::path& path);
/// fsyncs a directory so a rename inside it is durable.
Status SyncDir(const std::filesystem::path& dir);

/// A directory removed on destruction unless committed (renamed into place).
class TempDir {
 public:
  /// Creates a fresh directory "<parent>/.<stem>.XXXXXX".
  static Result<TempDir> Create(const std::filesystem::path& parent, std::string_view stem);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  /// Replaces `final_path` (a directory, removed first if present) with this one.
  Status CommitAs(const std::filesystem::path& final_path);

 private:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

/// An exclusive advisory lock (flock) on a file, released on destruction.
class FileLock {
 public:
  /// Blocks until the lock is held; creates the lock file if needed.
  static Result<FileLock> Acquire(const std::filesystem::path& lock_file);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace cairn
