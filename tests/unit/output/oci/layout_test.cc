#include <catch2/catch.hpp>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layout.h"
#include "support/test_support.h"

namespace cairn::oci {
namespace {

using nlohmann::json;
using testing::RunCommand;

// jq -r FILTER FILE, trimmed of the final newline.
std::string Jq(const std::filesystem::path& file, const std::string& filter) {
  auto r = RunCommand({"jq", "-r", filter, file.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string out = r.out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// One architecture's root: a file naming the arch, a usr-merge symlink.
struct ArchRoot {
  testing::ScratchDir dir{"oci-root"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};

  explicit ArchRoot(const std::string& arch) {
    REQUIRE(tree.AddDirectory("usr/bin").ok());
    REQUIRE(tree.AddSymlink("bin", "usr/bin").ok());
    REQUIRE(tree.AddFile("etc/arch", arch + "\n").ok());
    REQUIRE(tree.AddFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n").ok());
    REQUIRE(tree.AddFile("usr/bin/hello", "#!/bin/sh\necho " + arch + "\n", 0755).ok());
  }
};

ImageConfigSpec Spec(const std::string& arch) {
  ImageConfigSpec spec;
  spec.arch = arch;
  spec.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};
  spec.entrypoint = {"/bin/hello"};
  spec.cmd = {"--verbose"};
  spec.work_dir = "/srv";
  spec.user = "65532";
  spec.labels = {{"org.example.team", "core"}};
  spec.stop_signal = "SIGTERM";
  spec.volumes = {"/data"};
  spec.epoch = 1700000000;
  spec.history_comment = "built by cairn";
  spec.annotations = {{"org.opencontainers.image.title", "hello"}};
  return spec;
}

TEST_CASE("apk architectures map to OCI platforms", "[oci][layout]") {
  auto check = [](const char* apk, const char* want) {
    auto p = PlatformForApkArch(apk);
    REQUIRE(p.ok());
    CHECK(p->ToString() == want);
  };
  check("x86_64", "linux/amd64");
  check("aarch64", "linux/arm64");
  check("armv7", "linux/arm/v7");
  check("armhf", "linux/arm/v6");
  check("x86", "linux/386");
  check("ppc64le", "linux/ppc64le");
  check("s390x", "linux/s390x");
  check("riscv64", "linux/riscv64");
  check("loongarch64", "linux/loong64");
  auto bad = PlatformForApkArch("arm64");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Code::kConfig);
  CHECK(bad.error().message() ==
        "unknown architecture 'arm64' (expected one of 'aarch64', 'armhf', 'armv7', "
        "'loongarch64', 'ppc64le', 'riscv64', 's390x', 'x86', 'x86_64')");
}

TEST_CASE("json helpers are canonical and ref names follow the OCI grammar", "[oci][layout]") {
  CHECK(Rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(Rfc3339(1700000000) == "2023-11-14T22:13:20Z");
  json j = {{"b", 1}, {"a", {{"y", "é"}, {"x", json::array({1, 2})}}}};
  CHECK(*CanonicalJson(j) == "{\"a\":{\"x\":[1,2],\"y\":\"é\"},\"b\":1}");
  auto bad_utf8 = CanonicalJson(json("\xff"));
  REQUIRE_FALSE(bad_utf8.ok());
  CHECK(bad_utf8.error().code() == Code::kConfig);

  for (const char* ok : {"latest", "v1.2.3", "a--b", "repo/name:tag", "x86_64", "A+b@c"})
    CHECK(ValidateRefName(ok).ok());
  for (const char* bad : {"", "-x", "x-", "a..b", "a//b", "a b", "a_b/", "a---b"}) {
    INFO(bad);
    auto st = ValidateRefName(bad);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kUsage);
  }
  CHECK(ValidateRefName("a b").error().message() ==
        "invalid image reference name 'a b' (expected letters and digits joined by one of "
        "'-._:@+', '--' or '/')");
}

TEST_CASE("a two-arch layout is accepted by skopeo and umoci", "[oci][layout]") {
  testing::ScratchDir out("oci-layout");
  const auto layout_dir = out.path() / "image";
  auto layout = OciLayoutWriter::Open(layout_dir);
  REQUIRE(layout.ok());

  std::vector<ImageResult> images;
  // aarch64 first: the index must still list amd64 first.
  for (const std::string arch : {"aarch64", "x86_64"}) {
    ArchRoot root(arch);
    auto layer = layout->AddLayer(root.tree);
    REQUIRE(layer.ok());
    auto image = layout->AddImage(Spec(arch), {*layer});
    REQUIRE(image.ok());
    images.push_back(*image);
  }
  auto tagged = layout->TagImages("hello", images);
  REQUIRE(tagged.ok());
  CHECK(tagged->media_type == kMediaTypeIndex);
  REQUIRE(layout->Commit().ok());

  const auto index_json = layout_dir / "index.json";
  CHECK(*ReadFile(layout_dir / "oci-layout") == "{\"imageLayoutVersion\":\"1.0.0\"}");
  CHECK(Jq(index_json, "[.schemaVersion, .mediaType] | @tsv") ==
        "2\tapplication/vnd.oci.image.index.v1+json");
  CHECK(Jq(index_json, "[.manifests[] | .annotations[\"org.opencontainers.image.ref.name\"] + "
                       "\" \" + .mediaType] | join(\",\")") ==
        "hello application/vnd.oci.image.index.v1+json,"
        "hello-amd64 application/vnd.oci.image.manifest.v1+json,"
        "hello-arm64 application/vnd.oci.image.manifest.v1+json");
  CHECK(Jq(index_json, ".manifests[1].platform | [.os, .architecture] | @tsv") ==
        "linux\tamd64");

  // The nested index: sorted by architecture, each with a platform.
  const auto nested = layout->BlobPath(tagged->digest);
  CHECK(std::filesystem::file_size(nested) == tagged->size);
  CHECK(Jq(nested, "[.manifests[].platform.architecture] | join(\",\")") == "amd64,arm64");
  CHECK(Jq(nested, ".manifests[0].digest") == images[1].manifest.digest);

  // Manifest and config of amd64, field by field.
  const auto manifest = layout->BlobPath(images[1].manifest.digest);
  CHECK(Jq(manifest, "[.schemaVersion, .mediaType, .config.mediaType, .layers[0].mediaType, "
                     ".annotations[\"org.opencontainers.image.created\"], "
                     ".annotations[\"org.opencontainers.image.title\"]] | @tsv") ==
        "2\tapplication/vnd.oci.image.manifest.v1+json\t"
        "application/vnd.oci.image.config.v1+json\t"
        "application/vnd.oci.image.layer.v1.tar+gzip\t2023-11-14T22:13:20Z\thello");
  CHECK(Jq(manifest, ".layers[0].size | tostring") ==
        std::to_string(std::filesystem::file_size(layout->BlobPath(images[1].layers[0].digest))));
  const auto config = layout->BlobPath(images[1].config.digest);
  CHECK(*ReadFile(config) ==
        "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"--verbose\"],\"Entrypoint\":"
        "[\"/bin/hello\"],\"Env\":[\"PATH=/usr/sbin:/usr/bin:/sbin:/bin\",\"LANG=C.UTF-8\"],"
        "\"Labels\":{\"org.example.team\":\"core\"},\"StopSignal\":\"SIGTERM\",\"User\":\"65532\","
        "\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/srv\"},\"created\":\"2023-11-14T22:13:20Z\","
        "\"history\":[{\"comment\":\"built by cairn\",\"created\":\"2023-11-14T22:13:20Z\","
        "\"created_by\":\"cairn\"}],\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"" +
            images[1].diff_ids[0] + "\"],\"type\":\"layers\"}}");
  // Every blob is named by its content.
  for (const auto& entry : std::filesystem::directory_iterator(layout_dir / "blobs/sha256"))
    CHECK(Sha256FileHex(entry.path().string()).value() == entry.path().filename().string());

  SECTION("skopeo reads the index and each image") {
    auto raw = RunCommand({"skopeo", "inspect", "--raw", "oci:" + layout_dir.string() + ":hello"});
    INFO(raw.err);
    REQUIRE(raw.exit_code == 0);
    CHECK(raw.out == *ReadFile(nested));
    auto inspect = RunCommand({"skopeo", "--override-arch", "arm64", "inspect",
                               "oci:" + layout_dir.string() + ":hello"});
    INFO(inspect.err);
    REQUIRE(inspect.exit_code == 0);
    json info = json::parse(inspect.out);
    CHECK(info["Architecture"] == "arm64");
    // skopeo 1.9.3 reports the digest of what the ref names (the index) but
    // the chosen platform's layers.
    CHECK(info["Digest"] == tagged->digest);
    CHECK(info["Layers"][0] == images[0].layers[0].digest);
    CHECK(info["Env"][1] == "LANG=C.UTF-8");
    auto single = RunCommand({"skopeo", "inspect", "oci:" + layout_dir.string() + ":hello-amd64"});
    REQUIRE(single.exit_code == 0);
    CHECK(json::parse(single.out)["Layers"][0] == images[1].layers[0].digest);
  }
  SECTION("skopeo copies the whole list, verifying every digest") {
    const auto copy = out.path() / "copy";
    auto r = RunCommand({"skopeo", "copy", "--all", "oci:" + layout_dir.string() + ":hello",
                         "oci:" + copy.string() + ":hello"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(Jq(copy / "index.json", ".manifests[0].digest") == tagged->digest);
  }
  SECTION("umoci unpacks a per-arch ref (checking diff_ids)") {
    const auto bundle = out.path() / "bundle";
    auto r = RunCommand({"umoci", "unpack", "--rootless", "--image",
                         layout_dir.string() + ":hello-arm64", bundle.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(*ReadFile(bundle / "rootfs/etc/arch") == "aarch64\n");
    CHECK(std::filesystem::read_symlink(bundle / "rootfs/bin") == "usr/bin");
    CHECK(*ReadFile(bundle / "rootfs/bin/hello") == "#!/bin/sh\necho aarch64\n");
    auto ls = RunCommand({"umoci", "ls", "--layout", layout_dir.string()});
    CHECK(ls.out == "hello\nhello-amd64\nhello-arm64\n");
  }
  SECTION("reopening keeps existing refs; tagging again replaces one") {
    auto again = OciLayoutWriter::Open(layout_dir);
    REQUIRE(again.ok());
    REQUIRE(again->TagImages("single", {images[1]}).ok());
    REQUIRE(again->Tag("hello-arm64", images[1].manifest).ok());
    REQUIRE(again->Commit().ok());
    CHECK(Jq(index_json, "[.manifests[] | .annotations[\"org.opencontainers.image.ref.name\"] "
                         "+ \"=\" + .digest[7:15]] | join(\",\")") ==
          "hello=" + tagged->Hex().substr(0, 8) +
              ",hello-amd64=" + images[1].manifest.Hex().substr(0, 8) +
              ",hello-arm64=" + images[1].manifest.Hex().substr(0, 8) +
              ",single=" + images[1].manifest.Hex().substr(0, 8));
    auto r = RunCommand({"skopeo", "inspect", "oci:" + layout_dir.string() + ":single"});
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("layout writer rejects foreign layouts and bad requests", "[oci][layout]") {
  testing::ScratchDir out("oci-layout");
  SECTION("another layout version") {
    REQUIRE(WriteFileAtomic(out.path() / "oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}").ok());
    auto w = OciLayoutWriter::Open(out.path());
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().code() == Code::kIntegrity);
    CHECK(w.error().message() == "'" + (out.path() / "oci-layout").string() +
                                     "' has imageLayoutVersion '2.0.0' (expected '1.0.0')");
  }
  SECTION("an index.json that is not an index") {
    REQUIRE(WriteFileAtomic(out.path() / "index.json", "[]").ok());
    auto w = OciLayoutWriter::Open(out.path());
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().message() == "'" + (out.path() / "index.json").string() +
                                     "' is not an image index (expected a \"manifests\" array)");
  }
  SECTION("bad refs, empty tags, duplicate platforms, unknown arch") {
    auto w = OciLayoutWriter::Open(out.path());
    REQUIRE(w.ok());
    auto blob = w->AddBlob("x", "text/plain");
    REQUIRE(blob.ok());
    CHECK(blob->digest == "sha256:" + Sha256Hex("x"));
    CHECK(w->Tag("no spaces", *blob).error().code() == Code::kUsage);
    auto none = w->TagImages("t", {});
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message() == "no images to tag as 't'");
    auto img = w->AddImage(Spec("x86_64"), {});
    REQUIRE(img.ok());
    auto dup = w->AddIndex({*img, *img});
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().code() == Code::kUsage);
    CHECK(dup.error().message() == "two images for platform 'linux/amd64' in one index");
    auto bad = w->AddImage(Spec("sparc"), {});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == Code::kConfig);
  }
  SECTION("armv7 configs carry the variant; a single arch can still get an index") {
    auto w = OciLayoutWriter::Open(out.path());
    REQUIRE(w.ok());
    ImageConfigSpec spec;
    spec.arch = "armv7";
    auto img = w->AddImage(spec, {});
    REQUIRE(img.ok());
    CHECK(*ReadFile(w->BlobPath(img->config.digest)) ==
          "{\"architecture\":\"arm\",\"config\":{},\"created\":\"1970-01-01T00:00:00Z\","
          "\"history\":[],\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[],\"type\":\"layers\"},"
          "\"variant\":\"v7\"}");
    TagOptions options;
    options.index_for_single = true;
    options.index_annotations = {{"org.opencontainers.image.title", "t"}};
    auto tagged = w->TagImages("edge", {*img}, options);
    REQUIRE(tagged.ok());
    REQUIRE(w->Commit().ok());
    CHECK(Jq(out.path() / "index.json",
             "[.manifests[].annotations[\"org.opencontainers.image.ref.name\"]] | join(\",\")") ==
          "edge,edge-armv7");
    CHECK(Jq(w->BlobPath(tagged->digest),
             "[.manifests[0].platform.variant, .annotations[\"org.opencontainers.image.title\"]]"
             " | @tsv") == "v7\tt");
  }
}

}  // namespace
}  // namespace cairn::oci
