// Decompressing Debian packages ahead of the installer. Installing is
// sequential (install order decides who owns a path), but most of its time is
// xz decompression, which does not depend on the order: worker threads
// decompress the next packages' data members into plain tar files while the
// installer streams the current one into the tree.
//
//   DebUnpackAhead ahead(packages, scratch_dir, /*window=*/2);
//   for (size_t i = 0; i < packages.size(); ++i) {
//     CAIRN_ASSIGN_OR_RETURN(auto tar, ahead.Get(i));
//     CAIRN_TRY(packages[i].file.ForEachDecompressedEntry(tar, fn));
//     ahead.Release(i);
//   }
#pragma once

#include <filesystem>
#include <vector>

#include "cairn/parallel.h"
#include "compose/deb_install.h"

namespace cairn::compose {

class DebUnpackAhead {
 public:
  /// Nothing starts until the first Get. `window` packages beyond the one
  /// asked for are decompressed in parallel (so window + 1 plain tars at most
  /// exist in `dir` at once).
  /// Only packages[first, end) are unpacked (the layer being installed).
  DebUnpackAhead(const std::vector<OpenedDeb>& packages, std::filesystem::path dir, size_t window,
                 size_t first = 0, size_t end = static_cast<size_t>(-1));
  /// Waits for the workers and removes every file it made.
  ~DebUnpackAhead();
  DebUnpackAhead(const DebUnpackAhead&) = delete;
  DebUnpackAhead& operator=(const DebUnpackAhead&) = delete;

  /// The plain data tar of package `i` once it is complete and its compressed
  /// stream checked; the package's decompression error otherwise.
  Result<std::filesystem::path> Get(size_t i);
  /// Removes package `i`'s tar.
  void Release(size_t i);

 private:
  std::filesystem::path PathOf(size_t i) const;
  Result<std::filesystem::path> Unpack(size_t i) const;

  const std::vector<OpenedDeb>& packages_;
  std::filesystem::path dir_;
  size_t first_;
  ReadAhead<std::filesystem::path> ahead_;
};

}  // namespace cairn::compose
