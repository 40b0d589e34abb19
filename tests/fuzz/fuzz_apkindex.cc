// libFuzzer target: APKINDEX text records and .PKGINFO files. Any input must
// give packages or a located error; a parsed record must format and parse
// back to the same fields.
#include <cstdlib>

#include "cairn/apk/index_text.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  const std::string_view text = fuzz::AsText(data, size);
  auto pkgs = apk::ParseApkIndexText(text, "APKINDEX");
  if (pkgs.ok()) {
    for (const auto& p : *pkgs) {
      auto again = apk::ParseApkIndexText(apk::FormatIndexRecord(p), "again");
      // What cairn writes (installed database, test indexes) it must read back.
      if (!again.ok() || again->size() != 1 || again->front().name != p.name ||
          again->front().version != p.version)
        std::abort();
    }
  }
  (void)apk::ParsePkgInfo(text);
  return 0;
}
