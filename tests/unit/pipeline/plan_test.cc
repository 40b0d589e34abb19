// The build matrix plan (cairn/plan.h) of a small project in a scratch
// directory: one entry per board or arch in a stable order, the outputs and
// output directory of each, every input file with its sha256 (checked with
// sha256sum), keys that change exactly when an entry's inputs change, the
// --arch filter, the errors a user can hit, and the JSON forms. Also the
// target selection behind `cairn build --matrix-entry`.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "cairn/pipeline.h"
#include "cairn/plan.h"
#include "pipeline/select_targets.h"
#include "support/test_support.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// Runs in the project directory, as `cairn plan` does, and goes back after.
struct Project {
  testing::ScratchDir scratch{"unit-plan"};
  fs::path root = scratch.path() / "project";
  fs::path old_cwd = fs::current_path();

  Project() {
    Write(root / "keys/test.rsa.pub", "-----BEGIN PUBLIC KEY-----\nnot a real key\n");
    const std::string contents = "contents:\n  repositories: [https://example.invalid/alpine]\n"
                                 "  keyring: [../keys/test.rsa.pub]\n";
    Write(root / "common/base.yaml", contents);
    Write(root / "images/app.yaml",
          "include: ../common/base.yaml\n"
          "contents:\n  packages: [hello]\n"
          "archs: [x86_64, aarch64]\n"
          "outputs:\n  - squashfs\n  - {type: squashfs, compression: xz}\n  - cpio\n");
    Write(root / "layers/tools.yaml", "packages: {apk: [busybox]}\n");
    Write(root / "boards/a-one.yaml", "arch: x86_64\n");
    Write(root / "boards/b-two.yaml",
          "arch: aarch64\n"
          "layout:\n  table: gpt\n  partitions:\n"
          "    - {role: root, size: rest, filesystem: ext4, label: root}\n");
    Write(root / "images/kit.yaml", contents +
                                        "  packages: [hello]\n"
                                        "layers: [tools]\n"
                                        "boards: [b-two, a-one]\n");
    fs::current_path(root);
  }
  ~Project() { fs::current_path(old_cwd); }

  Result<BuildPlan> Plan(std::vector<std::string> archs = {}, bool disks = true) {
    PlanOptions o;
    o.archs = std::move(archs);
    o.disks = disks;
    return PlanBuilds(o);
  }
};

std::vector<std::string> Names(const BuildPlan& plan) {
  std::vector<std::string> out;
  for (const auto& e : plan.entries) out.push_back(e.image + "-" + e.target);
  return out;
}

// sha256sum's hash of a file (an independent implementation).
std::string Sha256Sum(const fs::path& file) {
  auto r = testing::RunCommand({"sha256sum", file.string()});
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, 64);
}

const PlanInput* FindInput(const PlanEntry& e, const std::string& path) {
  for (const auto& i : e.inputs)
    if (i.path == path) return &i;
  return nullptr;
}

}  // namespace

TEST_CASE("a plan has one entry per board or arch, sorted by image then target",
          "[pipeline][plan]") {
  Project p;
  auto plan = p.Plan();
  INFO((plan.ok() ? "" : plan.error().Render()));
  REQUIRE(plan.ok());
  CHECK(Names(*plan) ==
        std::vector<std::string>{"app-aarch64", "app-x86_64", "kit-a-one", "kit-b-two"});
  for (size_t i = 0; i < plan->entries.size(); ++i) CHECK(plan->entries[i].index == i);

  const PlanEntry& app = plan->entries[1];
  CHECK(app.declaration == "images/app.yaml");
  CHECK(app.arch == "x86_64");
  CHECK(app.board.empty());
  CHECK(app.output_dir == "out/app/x86_64");
  CHECK(app.outputs == std::vector<std::string>{"oci", "squashfs", "cpio"});
  CHECK(app.lockfile.empty());

  const PlanEntry& one = plan->entries[2];
  CHECK(one.board == "a-one");
  CHECK(one.arch == "x86_64");
  CHECK(one.output_dir == "out/kit/a-one");
  CHECK(one.outputs == std::vector<std::string>{"oci"});
  const PlanEntry& two = plan->entries[3];
  CHECK(two.arch == "aarch64");
  CHECK(two.outputs == std::vector<std::string>{"oci", "disk"});  // it has a layout

  auto no_disk = p.Plan({}, false);
  REQUIRE(no_disk.ok());
  CHECK(no_disk->entries[3].outputs == std::vector<std::string>{"oci"});

  // Planning again gives the same entries, keys included.
  auto again = p.Plan();
  REQUIRE(again.ok());
  CHECK(PlanJson(*again) == PlanJson(*plan));
}

TEST_CASE("plan inputs are every file an entry reads, with sha256sum's hashes",
          "[pipeline][plan]") {
  Project p;
  Write(p.root / "images/app.lock", "{}\n");
  auto plan = p.Plan();
  REQUIRE(plan.ok());
  const PlanEntry& app = plan->entries[0];
  std::vector<std::string> paths;
  for (const auto& i : app.inputs) paths.push_back(i.path);
  CHECK(paths == std::vector<std::string>{"images/app.yaml", "common/base.yaml",
                                          "keys/test.rsa.pub", "images/app.lock"});
  for (const auto& i : app.inputs) {
    INFO(i.path);
    CHECK(i.sha256 == Sha256Sum(p.root / i.path));
  }
  CHECK(app.lockfile == "images/app.lock");

  const PlanEntry& kit = plan->entries[2];
  CHECK(kit.lockfile.empty());
  for (const char* f : {"images/kit.yaml", "layers/tools.yaml", "boards/a-one.yaml",
                        "boards/b-two.yaml", "keys/test.rsa.pub"}) {
    INFO(f);
    const PlanInput* in = FindInput(kit, f);
    REQUIRE(in != nullptr);
    CHECK(in->sha256 == Sha256Sum(p.root / f));
  }
  CHECK(FindInput(kit, "images/app.lock") == nullptr);
}

TEST_CASE("an entry's key changes exactly when what it is built from changes",
          "[pipeline][plan]") {
  Project p;
  auto before = p.Plan();
  REQUIRE(before.ok());
  std::set<std::string> keys;
  for (const auto& e : before->entries) {
    CHECK(e.key.size() == 64);
    keys.insert(e.key);
  }
  CHECK(keys.size() == 4);  // two boards of one image still differ

  Write(p.root / "boards/a-one.yaml", "arch: x86_64\ndescription: changed\n");
  auto after = p.Plan();
  REQUIRE(after.ok());
  // Every kit entry reads both board files; the app entries read neither.
  CHECK(after->entries[0].key == before->entries[0].key);
  CHECK(after->entries[1].key == before->entries[1].key);
  CHECK(after->entries[2].key != before->entries[2].key);
  CHECK(after->entries[3].key != before->entries[3].key);

  Write(p.root / "images/app.lock", "{}\n");  // a lock appears: the app entries change
  auto locked = p.Plan();
  REQUIRE(locked.ok());
  CHECK(locked->entries[0].key != after->entries[0].key);
  CHECK(locked->entries[2].key == after->entries[2].key);
}

TEST_CASE("plan --arch picks the archs of images without boards and filters boards",
          "[pipeline][plan]") {
  Project p;
  auto arm = p.Plan({"arm64"});
  REQUIRE(arm.ok());
  CHECK(Names(*arm) == std::vector<std::string>{"app-aarch64", "kit-b-two"});
  CHECK(arm->entries[1].index == 1);

  // No board is for riscv64: the kit image has no entry, the app builds for it.
  auto riscv = p.Plan({"riscv64"});
  REQUIRE(riscv.ok());
  CHECK(Names(*riscv) == std::vector<std::string>{"app-riscv64"});

  auto bad = p.Plan({"arm64v8"});
  REQUIRE(!bad.ok());
  CHECK(bad.error().code() == Code::kUsage);
  CHECK(bad.error().message() == "unknown architecture 'arm64v8' given to --arch");
}

TEST_CASE("plan errors: no images, a name declared twice, a lock for several images",
          "[pipeline][plan]") {
  Project p;
  {
    PlanOptions o;
    o.project_dir = p.root / "layers";
    auto none = PlanBuilds(o);
    REQUIRE(!none.ok());
    CHECK(none.error().code() == Code::kNotFound);
    CHECK(none.error().message() == "'layers' has no images/ directory to plan");
  }
  {
    PlanOptions o;
    o.lockfile = "images/app.lock";
    auto several = PlanBuilds(o);
    REQUIRE(!several.ok());
    CHECK(several.error().code() == Code::kUsage);
    CHECK(several.error().message() == "--lockfile names the lock of one image, but 2 are planned");
    o.images = {"images/app.yaml"};
    Write(p.root / "other.lock", "{}\n");
    o.lockfile = "other.lock";
    auto one = PlanBuilds(o);
    REQUIRE(one.ok());
    CHECK(one->entries[0].lockfile == "other.lock");
  }
  Write(p.root / "images/zzz.yaml",
        "name: app\ncontents:\n  repositories: [https://example.invalid/alpine]\n"
        "  packages: [hello]\n");
  auto twice = p.Plan();
  REQUIRE(!twice.ok());
  CHECK(twice.error().code() == Code::kConfig);
  CHECK(twice.error().Render().find(
            "images/zzz.yaml: error: image 'app' is also declared by 'images/app.yaml'; their "
            "builds would share out/app") != std::string::npos);
}

TEST_CASE("the plan's JSON and the GitHub Actions matrix", "[pipeline][plan]") {
  Project p;
  auto plan = p.Plan();
  REQUIRE(plan.ok());
  auto j = nlohmann::json::parse(PlanJson(*plan));
  CHECK(j["version"] == 1);
  CHECK(j["count"] == 4);
  REQUIRE(j["entries"].size() == 4);
  CHECK(j["entries"][0]["board"].is_null());
  CHECK(j["entries"][0]["lockfile"].is_null());
  CHECK(j["entries"][3]["board"] == "b-two");
  CHECK(j["entries"][3]["outputs"] == nlohmann::json({"oci", "disk"}));
  CHECK(j["entries"][3]["key"] == plan->entries[3].key);
  CHECK(j["entries"][3]["inputs"][0]["path"] == "images/kit.yaml");
  CHECK(GithubMatrixJson(*plan) ==
        "{\"include\":[{\"entry\":0,\"name\":\"app-aarch64\"},{\"entry\":1,\"name\":"
        "\"app-x86_64\"},{\"entry\":2,\"name\":\"kit-a-one\"},{\"entry\":3,\"name\":"
        "\"kit-b-two\"}]}\n");

  auto entry = PlanEntryAt(*plan, 2);
  REQUIRE(entry.ok());
  CHECK(entry->target == "a-one");
  auto out = PlanEntryAt(*plan, 4);
  REQUIRE(!out.ok());
  CHECK(out.error().code() == Code::kUsage);
  CHECK(out.error().message() == "matrix entry 4 does not exist: the plan has 4 entries (0 to 3)");
  CHECK(!PlanEntryAt(*plan, -1).ok());
}

TEST_CASE("BuildOptions::targets builds only the named targets", "[pipeline][plan]") {
  Project p;
  std::vector<config::BuildTarget> all(3);
  all[0].name = "a";
  all[1].name = "b";
  all[2].name = "c";
  auto some = pipeline::SelectTargets(all, {"c", "a"}, "kit");
  REQUIRE(some.ok());
  REQUIRE(some->size() == 2);
  CHECK((*some)[0].name == "a");
  CHECK((*some)[1].name == "c");
  CHECK(pipeline::SelectTargets(all, {}, "kit")->size() == 3);

  // Through the pipeline: an unknown name fails before anything is resolved.
  BuildOptions o;
  o.config_file = "images/kit.yaml";
  o.targets = {"a-two"};
  o.cache_dir = p.scratch.path() / "cache";
  NullReporter reporter;
  auto r = BuildImage(o, reporter);
  REQUIRE(!r.ok());
  CHECK(r.error().code() == Code::kUsage);
  CHECK(r.error().Render() ==
        "image 'kit' has no build target 'a-two'\nhint: its targets are 'b-two', 'a-one'");
  CHECK(!fs::exists(p.root / "out"));
}

}  // namespace cairn
