// OutputFile: a streamed output written under a temporary name beside its
// final path and renamed into place only by Commit(), so a failure, a crash
// or Ctrl-C never leaves a partial file under the real name (the streaming
// counterpart of WriteFileAtomic in cairn/file_util.h).
//
//   CAIRN_ASSIGN_OR_RETURN(OutputFile out, OutputFile::Create(path));
//   CAIRN_TRY(out.Write(data, size));     // or let a tool write out.temp_path()
//   CAIRN_TRY(out.Commit());              // fsync, rename, fsync the directory
// Destroyed without Commit(), it removes the temporary file.
#pragma once

#include <cstddef>
#include <filesystem>

#include "cairn/result.h"

namespace cairn {

class OutputFile {
 public:
  /// Creates "<dir>/.<name>.tmp.XXXXXX" beside `final_path` with `mode`
  /// (umask ignored). A missing or unwritable directory is kIo naming it.
  static Result<OutputFile> Create(const std::filesystem::path& final_path, unsigned mode = 0644);
  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  /// Where the bytes go until Commit(); another program may write it too.
  const std::filesystem::path& temp_path() const { return temp_path_; }
  const std::filesystem::path& final_path() const { return final_path_; }
  /// Appends all `size` bytes at the current offset.
  Status Write(const char* data, size_t size);
  /// fsyncs the file, renames it over final_path and fsyncs the directory.
  Status Commit();

 private:
  OutputFile(std::filesystem::path final_path, std::filesystem::path temp_path, int fd)
      : final_path_(std::move(final_path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace cairn
