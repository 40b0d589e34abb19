// libFuzzer target: Debian control text (Packages indexes, Release files,
// package control files) and relation fields. Any input must give a result
// or a located error, never a crash, a hang or a leak.
#include "cairn/deb/control.h"
#include "cairn/deb/package.h"
#include "cairn/deb/release.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  const std::string_view text = fuzz::AsText(data, size);
  if (auto paragraphs = deb::ParseControlFile(text, "control"); paragraphs.ok())
    for (const auto& p : *paragraphs) (void)deb::PackageFromParagraph(p, "control");
  (void)deb::ParsePackagesIndex(text, "Packages", "main", "http://archive.invalid/debian");
  (void)deb::ParseRelease(text, "Release");
  (void)deb::ParseRelations(text);
  return 0;
}
