// Installed-database writer and reader (apk-tools apk_db_write_fdb format).
//
// apk-tools groups a package's files under the directory that holds them, in
// the order the directories were first created, so the writer regroups the
// flat file list the same way; the reader produces that flat list again.
#include "cairn/apk/installed_db.h"

#include <map>

#include "cairn/apk/index_text.h"
#include "cairn/digest.h"

namespace cairn::apk {
namespace {

std::string ParentDir(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string Octal(uint32_t v) {
  if (v == 0) return "0";
  std::string s;
  while (v) {
    s.insert(s.begin(), static_cast<char>('0' + (v & 7)));
    v >>= 3;
  }
  return s;
}

std::string Acl(char field, const InstalledFile& f) {
  return std::string(1, field) + ":" + std::to_string(f.uid) + ":" + std::to_string(f.gid) + ":" +
         Octal(f.mode) + "\n";
}

struct DirBlock {
  InstalledFile dir;
  std::vector<const InstalledFile*> files;
};

void FormatFiles(const std::vector<InstalledFile>& files, std::string* out) {
  std::vector<DirBlock> blocks;
  std::map<std::string, size_t> index;
  auto block_for = [&](const std::string& dir) -> DirBlock& {
    auto it = index.find(dir);
    if (it != index.end()) return blocks[it->second];
    InstalledFile d;
    d.path = dir;
    d.type = rootfs::FileType::kDirectory;
    d.mode = 0755;
    index[dir] = blocks.size();
    blocks.push_back(DirBlock{d, {}});
    return blocks.back();
  };
  for (const auto& f : files) {
    if (f.type == rootfs::FileType::kDirectory) {
      block_for(f.path).dir = f;
    } else {
      block_for(ParentDir(f.path)).files.push_back(&f);
    }
  }
  for (const auto& b : blocks) {
    *out += "F:" + b.dir.path + "\n";
    if (!(b.dir.uid == 0 && b.dir.gid == 0 && b.dir.mode == 0755)) *out += Acl('M', b.dir);
    for (const InstalledFile* f : b.files) {
      *out += "R:" + BaseName(f->path) + "\n";
      if (!(f->uid == 0 && f->gid == 0 && f->mode == 0644)) *out += Acl('a', *f);
      if (!f->sha1.empty()) *out += "Z:Q1" + Base64Encode(f->sha1) + "\n";
    }
  }
}

bool ParseUint(std::string_view s, int base, uint32_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = c - '0';
    if (d < 0 || d >= base) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (v > 0xffffffffu) return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

// "uid:gid:mode[:xattr-digest]"
bool ParseAcl(std::string_view v, InstalledFile* f) {
  size_t a = v.find(':');
  if (a == std::string_view::npos) return false;
  size_t b = v.find(':', a + 1);
  if (b == std::string_view::npos) return false;
  size_t c = v.find(':', b + 1);
  std::string_view mode = v.substr(b + 1, c == std::string_view::npos ? std::string_view::npos : c - b - 1);
  return ParseUint(v.substr(0, a), 10, &f->uid) && ParseUint(v.substr(a + 1, b - a - 1), 10, &f->gid) &&
         ParseUint(mode, 8, &f->mode);
}

}  // namespace

std::string FormatInstalledDb(const std::vector<InstalledPackage>& packages) {
  std::string out;
  for (const auto& p : packages) {
    out += FormatIndexRecord(p.info);
    if (!p.info.replaces.empty()) {
      out += "r:";
      for (size_t i = 0; i < p.info.replaces.size(); ++i) {
        if (i) out += ' ';
        out += p.info.replaces[i].Format();
      }
      out += "\n";
    }
    if (p.info.replaces_priority != 0) out += "q:" + std::to_string(p.info.replaces_priority) + "\n";
    if (!p.repository_tag.empty()) out += "s:" + p.repository_tag + "\n";
    if (!p.flags.empty()) out += "f:" + p.flags + "\n";
    FormatFiles(p.files, &out);
    out += "\n";
  }
  return out;
}

Result<std::vector<InstalledPackage>> ParseInstalledDb(std::string_view text,
                                                       std::string_view source_name) {
  std::vector<InstalledPackage> out;
  InstalledPackage cur;
  bool in_record = false;
  int record_line = 0, line_no = 0;
  std::string dir;
  bool have_dir = false;
  InstalledFile* last_file = nullptr;  // the last R: entry, for a: and Z:
  size_t last_dir_index = 0;
  auto at = [&](int line) { return std::string(source_name) + ":" + std::to_string(line) + ": "; };
  auto finish = [&]() -> Result<void> {
    if (!in_record) return {};
    if (cur.info.name.empty() || cur.info.version.empty()) {
      return Error(Code::kIntegrity, at(record_line) + "record has no P: or V: line");
    }
    out.push_back(std::move(cur));
    cur = InstalledPackage();
    in_record = false;
    have_dir = false;
    last_file = nullptr;
    return {};
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) {
      CAIRN_TRY(finish());
      continue;
    }
    if (line.size() < 2 || line[1] != ':') {
      return Error(Code::kIntegrity, at(line_no) + "malformed line '" + std::string(line) +
                                         "' (expected 'X:value')");
    }
    if (!in_record) {
      in_record = true;
      record_line = line_no;
    }
    char field = line[0];
    std::string_view value = line.substr(2);
    switch (field) {
      case 'F': {
        dir = std::string(value);
        have_dir = true;
        last_file = nullptr;
        InstalledFile d;
        d.path = dir;
        d.type = rootfs::FileType::kDirectory;
        d.mode = 0755;
        last_dir_index = cur.files.size();
        cur.files.push_back(std::move(d));
        break;
      }
      case 'M':
        if (!have_dir) return Error(Code::kIntegrity, at(line_no) + "M: before any F: line");
        if (!ParseAcl(value, &cur.files[last_dir_index])) {
          return Error(Code::kIntegrity, at(line_no) + "bad M: value '" + std::string(value) +
                                             "' (expected uid:gid:octal-mode)");
        }
        break;
      case 'R': {
        if (!have_dir) return Error(Code::kIntegrity, at(line_no) + "R: before any F: line");
        InstalledFile f;
        f.path = dir.empty() ? std::string(value) : dir + "/" + std::string(value);
        cur.files.push_back(std::move(f));
        last_file = &cur.files.back();
        break;
      }
      case 'a':
        if (!last_file) return Error(Code::kIntegrity, at(line_no) + "a: before any R: line");
        if (!ParseAcl(value, last_file)) {
          return Error(Code::kIntegrity, at(line_no) + "bad a: value '" + std::string(value) +
                                             "' (expected uid:gid:octal-mode)");
        }
        // The database records no file type; 0777 is how apk-tools shows symlinks.
        if (last_file->mode == 0777) last_file->type = rootfs::FileType::kSymlink;
        break;
      case 'Z': {
        if (!last_file) return Error(Code::kIntegrity, at(line_no) + "Z: before any R: line");
        auto raw = value.substr(0, 2) == "Q1" ? Base64Decode(value.substr(2))
                                              : Result<std::string>(Error(Code::kIntegrity, ""));
        if (!raw || raw->size() != 20) {
          return Error(Code::kIntegrity, at(line_no) + "bad Z: digest '" + std::string(value) +
                                             "' (expected Q1 + base64 SHA-1)");
        }
        last_file->sha1 = std::move(raw).value();
        break;
      }
      case 's': cur.repository_tag = std::string(value); break;
      case 'f': cur.flags = std::string(value); break;
      default: {
        auto r = ApplyIndexField(field, value, &cur.info);
        if (!r) return Error(r.error().code(), at(line_no) + r.error().message());
      }
    }
  }
  CAIRN_TRY(finish());
  return out;
}

std::string FormatTriggers(const std::vector<InstalledPackage>& packages) {
  std::string out;
  for (const auto& p : packages) {
    if (p.info.triggers.empty()) continue;
    out += p.info.checksum;
    for (const auto& t : p.info.triggers) out += " " + t;
    out += "\n";
  }
  return out;
}

}  // namespace cairn::apk
