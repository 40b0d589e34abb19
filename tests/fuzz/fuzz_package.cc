// libFuzzer target: package archives. The input is opened as an .apk
// (untrusted signatures allowed, so the data member is reached) and as a
// .deb, and every data entry is placed in a rootfs::Tree, which must refuse
// paths that leave the root. Errors are expected; crashes, leaks and
// anything written outside the scratch directory are not.
#include "cairn/extract/apk_package.h"
#include "cairn/extract/deb_package.h"
#include "cairn/rootfs/tree.h"
#include "fuzz_input.h"

namespace {

using namespace cairn;

// Feeds every entry of `package` into a fresh tree over its own store.
template <typename Package>
void Place(const Package& package) {
  auto store = rootfs::ContentStore::Create(fuzz::ScratchDir() / "store");
  if (!store.ok()) return;
  rootfs::Tree tree(**store);
  (void)package.ForEachDataEntry(
      [&](const rootfs::FsEntry& e, const rootfs::ContentReader* content) -> Status {
        (void)tree.Add(e, content);
        return {};
      });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto apk = fuzz::WriteInput("input.apk", data, size);
  if (auto pkg = extract::ApkPackage::Open(apk, extract::Keyring(), {}, /*allow_untrusted=*/true);
      pkg.ok())
    Place(*pkg);
  const auto deb = fuzz::WriteInput("input.deb", data, size);
  if (auto pkg = extract::DebPackage::Open(deb); pkg.ok()) Place(*pkg);
  return 0;
}
