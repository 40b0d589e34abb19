// Writing a whole disk image: partition table plus every filesystem, built in
// place at the partition offsets, without root, loop devices or a VM.
//
//   disk::PartitionContents contents{{"esp", {.tree = &esp_tree}},
//                                    {"root", {.tree = &root_tree}}};
//   CAIRN_ASSIGN_OR_RETURN(disk::DiskPlan plan,
//       disk::WriteDiskImage(layout, contents, out / "disk.img",
//                            {.epoch = epoch, .seed = lock_digest, .work_dir = work}));
//   // plan.Find("root")->part_uuid, plan.disk_id, ...
//
// WriteDiskImage creates a sparse file under a temporary name beside the
// output, writes the table with sfdisk (fixed disk GUID / MBR signature and
// partition UUIDs from the seed), builds each filesystem into its partition,
// and renames the file into place only when everything succeeded; on any
// failure the temporary file is removed and nothing exists under the output
// name. The same layout, contents, seed and epoch give a byte-identical image,
// with one exception: xfs and btrfs partitions (kernel_fs.h) are filled by
// the kernel in the libguestfs appliance, one launch for all of them, and
// their bytes differ between builds (ctimes, generation numbers, the log);
// DiskPlan::byte_reproducible is then false, so callers can warn.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/disk/ids.h"
#include "cairn/disk/layout.h"
#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::disk {

/// What goes into one partition: a tree (vfat, ext4, xfs, btrfs) or an image file (raw).
struct PartitionContent {
  const rootfs::Tree* tree = nullptr;
  std::filesystem::path image;
};

/// Contents by partition name. Partitions with filesystem kNone need no entry.
using PartitionContents = std::map<std::string, PartitionContent, std::less<>>;

/// Output container format.
enum class ImageFormat {
  kRaw,
  /// `qemu-img convert -O qcow2` of the raw image (in-order writes, so the
  /// result is as reproducible as the raw image).
  kQcow2,
};

struct DiskOptions {
  int64_t epoch = 0;   ///< SOURCE_DATE_EPOCH for every filesystem
  std::string seed;    ///< source of every id (see ids.h); must not be empty
  /// Scratch space for staging trees; each build uses a fresh subdirectory
  /// that is removed afterwards. Empty means the output's directory.
  std::filesystem::path work_dir;
  ImageFormat format = ImageFormat::kRaw;
  Reporter* reporter = nullptr;  ///< nullptr: silent
};

/// One partition as laid out on the disk.
struct PartitionPlan {
  PartitionSpec spec;
  int number = 0;       ///< 1-based index in the table
  uint64_t offset = 0;  ///< bytes from the start of the disk
  uint64_t size = 0;    ///< bytes
  std::string type;     ///< GPT GUID (uppercase) or MBR type byte ("0c")
  std::string label;    ///< the filesystem label used
  std::string part_uuid;
  std::string fs_uuid;
  std::string hash_seed;
  uint32_t vfat_serial = 0;
};

/// The resolved geometry and ids of a disk.
struct DiskPlan {
  TableType table = TableType::kGpt;
  uint64_t size = 0;    ///< total bytes
  std::string disk_id;  ///< GPT disk GUID or MBR signature (8 hex digits)
  std::vector<PartitionPlan> partitions;
  /// False when a partition is xfs or btrfs (NeedsKernel): the same inputs
  /// then give the same files, owners, modes, mtimes, labels and UUIDs, but
  /// not the same bytes. True otherwise.
  bool byte_reproducible = true;

  /// The partition with this name, or nullptr.
  const PartitionPlan* Find(std::string_view name) const;
};

/// Validates `layout` against `contents` and computes offsets, sizes ("auto"
/// from the contents, "fill" from the disk size), types and ids, without
/// writing anything. Errors (kConfig) name the partition: missing or
/// unexpected contents, a disk too small for its partitions, an xfs or btrfs
/// partition below what mkfs makes ("partition 'data': 200 MiB is too small
/// for xfs (mkfs.xfs makes at least 300 MiB)"), ...
Result<DiskPlan> PlanDisk(const DiskLayout& layout, const PartitionContents& contents,
                          std::string_view seed);

/// Plans, then writes the image to `out_path` (see the header comment).
Result<DiskPlan> WriteDiskImage(const DiskLayout& layout, const PartitionContents& contents,
                                const std::filesystem::path& out_path,
                                const DiskOptions& options);

/// Converts a raw image to qcow2 at `out_path` (via a temporary name).
Status ConvertToQcow2(const std::filesystem::path& raw, const std::filesystem::path& out_path);

}  // namespace cairn::disk
