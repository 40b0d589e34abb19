// `outputs:` of an image: the short and the long form, merged across
// includes, and every misuse located at its node with what was expected.
#include <catch2/catch.hpp>

#include "cairn/config/validate.h"
#include "unit/config/config_test_util.h"

namespace cairn::config {
namespace {

using test::LoadText;

constexpr const char* kBase =
    "contents:\n"
    "  repositories: [https://example.com/alpine/main]\n"
    "  packages: [busybox]\n";

// The rendered error of loading and validating `outputs` (YAML lines after
// kBase), with the scratch path replaced by "F".
std::string OutputsError(const std::string& outputs) {
  testing::ScratchDir dir("config-outputs");
  auto img = LoadText(dir, std::string(kBase) + outputs);
  Status s = img.ok() ? Validate(*img) : Status(img.error());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == Code::kConfig);
  return test::RenderedAsF(s.error(), dir);
}

TEST_CASE("outputs: a type alone or a mapping with its options", "[config][outputs]") {
  testing::ScratchDir dir("config-outputs");
  auto img = LoadText(dir, std::string(kBase) +
                               "outputs:\n"
                               "  - squashfs\n"
                               "  - {type: squashfs, layer: core, compression: xz, level: 9}\n"
                               "  - {type: cpio, contents: root, compression: zstd}\n"
                               "  - {type: erofs, level: 12}\n");
  REQUIRE(img.ok());
  REQUIRE(Validate(*img).ok());
  REQUIRE(img->outputs.size() == 4);
  CHECK(img->outputs[3].type.value == "erofs");
  CHECK(img->outputs[3].level == 12);
  CHECK(img->outputs[0].type.value == "squashfs");
  CHECK(img->outputs[0].compression.value.empty());
  CHECK(img->outputs[1].layer.value == "core");
  CHECK(img->outputs[1].compression.value == "xz");
  CHECK(img->outputs[1].level == 9);
  CHECK(img->outputs[1].loc.line == 6);
  CHECK(img->outputs[2].contents.value == "root");
}

TEST_CASE("outputs: misuse is located and says what was expected", "[config][outputs]") {
  CHECK_THAT(OutputsError("outputs:\n  - iso\n"),
             Catch::StartsWith("F:5:5: error: unknown output type 'iso'"));
  CHECK_THAT(OutputsError("outputs:\n  - iso\n"),
             Catch::Contains("expected 'squashfs', 'erofs', 'cpio' or 'disk'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: erofs, compression: zstd}\n"),
             Catch::StartsWith("F:5:32: error: unknown erofs compression 'zstd'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: erofs, compression: lz4, level: 3}\n"),
             Catch::StartsWith("F:5:32: error: erofs compression 'lz4' takes no level"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: erofs, level: 13}\n"),
             Catch::StartsWith("F:5:5: error: erofs lz4hc level 13 is out of range (1..12)"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: squashfs, compression: bzip2}\n"),
             Catch::StartsWith("F:5:35: error: unknown squashfs compression 'bzip2'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: cpio, compression: xz}\n"),
             Catch::Contains("unknown cpio compression 'xz'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: cpio, layer: core}\n"),
             Catch::Contains("'layer' is an option of 'squashfs' outputs, not of 'cpio'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: disk, format: vmdk}\n"),
             Catch::Contains("unknown disk format 'vmdk'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: disk}\n"),
             Catch::Contains("a 'disk' output needs a board"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: cpio, contents: initramfs}\n"),
             Catch::Contains("a generated initramfs needs a board with a kernel"));
  CHECK_THAT(OutputsError("outputs:\n  - {compression: xz}\n"),
             Catch::StartsWith("F:5:5: error: output without a 'type'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: squashfs, levle: 3}\n"),
             Catch::Contains("unknown key 'levle' in 'outputs[]'"));
  CHECK_THAT(OutputsError("outputs:\n  - {type: squashfs, level: 40}\n"),
             Catch::Contains("'outputs[].level' must be 1..22, not 40"));
  CHECK_THAT(OutputsError("outputs: squashfs\n"),
             Catch::Contains("expected a list of outputs"));
}

}  // namespace
}  // namespace cairn::config
