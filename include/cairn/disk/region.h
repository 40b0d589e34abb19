// disk::Region: the byte range of a disk image file that one filesystem
// builder writes into (a partition), so builders never touch the table or
// their neighbours.
//
//   disk::Region root{.image = tmp_path, .offset = 65 * disk::kMiB, .size = 512 * disk::kMiB};
//   CAIRN_TRY(disk::BuildExt4(tree, root, ext4_options));
#pragma once

#include <cstdint>
#include <filesystem>

namespace cairn::disk {

struct Region {
  /// An existing (sparse, zero-filled) image file at least offset + size long.
  std::filesystem::path image;
  uint64_t offset = 0;  ///< bytes; a multiple of 512
  uint64_t size = 0;    ///< bytes; a multiple of 512
};

}  // namespace cairn::disk
