// Seeded synthetic package sources (see synth.h for the shape).
#include "cairn/testrepo/synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace cairn::testrepo {
namespace {

// splitmix64: tiny, fast, and its output is fixed by its definition.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform enough in [0, n) for test data; n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

// Text-like content: 16 distinct letters and newlines, so gzip shrinks it to
// roughly half, as it would real files.
std::string TextContent(Rng& rng, uint64_t size) {
  static constexpr char kAlphabet[] = "etaoinshrdlucmfw";
  std::string s(size, '\0');
  for (uint64_t i = 0; i < size; i += 16) {
    uint64_t bits = rng.Next();
    for (uint64_t j = i; j < std::min(size, i + 16); ++j, bits >>= 4) s[j] = kAlphabet[bits & 15];
  }
  for (uint64_t i = 71; i < size; i += 72) s[i] = '\n';
  return s;
}

// Incompressible content for large packages.
std::string RandomContent(Rng& rng, uint64_t size) {
  std::string s(size, '\0');
  for (uint64_t i = 0; i < size; i += 8) {
    uint64_t bits = rng.Next();
    for (uint64_t j = i; j < std::min(size, i + 8); ++j, bits >>= 8) {
      s[j] = static_cast<char>(bits & 0xff);
    }
  }
  return s;
}

SourceFile Dir(std::string path) {
  SourceFile d;
  d.meta.path = std::move(path);
  d.meta.type = rootfs::FileType::kDirectory;
  d.meta.mode = 0755;
  return d;
}

SourceFile File(std::string path, std::string content, uint32_t mode) {
  SourceFile f;
  f.meta.path = std::move(path);
  f.meta.mode = mode;
  f.meta.size = content.size();
  f.content = std::move(content);
  return f;
}

void AddDirs(std::vector<SourceFile>& files, const std::string& leaf) {
  for (size_t slash = leaf.find('/'); slash != std::string::npos;
       slash = leaf.find('/', slash + 1)) {
    files.push_back(Dir(leaf.substr(0, slash)));
  }
  files.push_back(Dir(leaf));
}

void SortUnique(std::vector<SourceFile>& files) {
  std::stable_sort(files.begin(), files.end(), [](const SourceFile& a, const SourceFile& b) {
    return a.meta.path < b.meta.path;
  });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const SourceFile& a, const SourceFile& b) {
                            return a.meta.path == b.meta.path;
                          }),
              files.end());
}

PackageSource Skeleton(std::string name, std::string description) {
  PackageSource p;
  p.info.name = std::move(name);
  p.info.version = "1.0-r0";
  p.info.description = std::move(description);
  p.info.license = "CC0-1.0";
  p.info.origin = p.info.name;
  return p;
}

}  // namespace

std::vector<PackageSource> GenerateSources(const SynthOptions& o) {
  std::vector<PackageSource> out;
  if (o.count == 0 && o.large_count == 0) return out;
  Rng rng(o.seed);
  const int width =
      std::max<int>(4, o.count == 0 ? 0 : static_cast<int>(fmt::format("{}", o.count - 1).size()));
  auto small_name = [&](uint64_t i) { return fmt::format("synth-{:0{}}", i, width); };
  PackageSource all = Skeleton("synth-all", "depends on every synthetic package");

  for (uint64_t i = 0; i < o.count; ++i) {
    PackageSource p = Skeleton(small_name(i), fmt::format("synthetic package {}", i));
    std::set<uint64_t> deps;
    if (i > 0 && o.chain_length > 0 && i % o.chain_length != 0) deps.insert(i - 1);
    if (i > 0) {
      for (uint64_t k = rng.Below(o.max_depends + 1); k > 0; --k) deps.insert(rng.Below(i));
    }
    for (uint64_t d : deps) p.info.depends.push_back({small_name(d)});
    p.info.provides.push_back({fmt::format("cmd:{}", p.info.name), ""});

    const std::string root = "usr/share/synth/" + p.info.name;
    const uint64_t nfiles = 1 + rng.Below(std::max<uint64_t>(o.max_files, 1));
    uint64_t left = o.payload_size;
    for (uint64_t f = 0; f < nfiles; ++f) {
      const std::string dir = fmt::format("{}/d{}", root, rng.Below(3));
      AddDirs(p.files, dir);
      const uint64_t size = f + 1 == nfiles ? left : (left == 0 ? 0 : rng.Below(left + 1));
      left -= size;
      const uint32_t mode = rng.Below(8) == 0 ? 0755 : 0644;
      p.files.push_back(File(fmt::format("{}/f{}.dat", dir, f), TextContent(rng, size), mode));
    }
    SortUnique(p.files);
    all.info.depends.push_back({p.info.name});
    out.push_back(std::move(p));
  }
  for (uint64_t i = 0; i < o.large_count; ++i) {
    PackageSource p =
        Skeleton(fmt::format("synth-large-{:02}", i), fmt::format("synthetic large package {}", i));
    const std::string dir = "usr/share/synth-large";
    AddDirs(p.files, dir);
    p.files.push_back(
        File(fmt::format("{}/{}.bin", dir, p.info.name), RandomContent(rng, o.large_size), 0644));
    SortUnique(p.files);
    all.info.depends.push_back({p.info.name});
    out.push_back(std::move(p));
  }
  out.push_back(std::move(all));
  std::sort(out.begin(), out.end(), [](const PackageSource& a, const PackageSource& b) {
    return a.info.name < b.info.name;
  });
  return out;
}

}  // namespace cairn::testrepo
