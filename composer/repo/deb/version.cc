// Debian versions, parsed and ordered exactly as dpkg 1.21 does
// (lib/dpkg/parsehelp.c parseversion, lib/dpkg/version.c verrevcmp).
//
// Parsing works on string_views so that comparing two version strings, which
// the resolver does a great many times, allocates nothing. dpkg separates
// hard errors from warnings; only the hard errors fail here, the warnings
// (upstream not starting with a digit, odd characters) are accepted, as
// dpkg accepts them when it reads a Packages index.
#include "cairn/deb/version.h"

#include <climits>
#include <string>

namespace cairn::deb {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
// C isspace() in the "C" locale, which strtol() skips before the number.
bool IsCSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

struct VersionView {
  unsigned long epoch = 0;
  std::string_view upstream;
  std::string_view revision;
};

// parseversion()'s hard errors; returns nullptr on success, else dpkg's reason.
const char* ParseView(std::string_view text, VersionView* out) {
  size_t b = 0;
  while (b < text.size() && IsBlank(text[b])) ++b;
  if (b == text.size()) return "version string is empty";
  size_t e = b;
  while (e < text.size() && !IsBlank(text[e])) ++e;
  for (size_t i = e; i < text.size(); ++i) {
    if (!IsBlank(text[i])) return "version string has embedded spaces";
  }
  std::string_view s = text.substr(b, e - b);

  out->epoch = 0;
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    // strtol(string, &end, 10) semantics: leading space, an optional sign,
    // digits; "empty" means strtol consumed nothing at all.
    size_t i = 0;
    while (i < colon && IsCSpace(s[i])) ++i;
    bool negative = false;
    if (i < colon && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    size_t digits_begin = i;
    unsigned long long value = 0;
    bool too_big = false;
    while (i < s.size() && IsDigit(s[i])) {
      if (value > static_cast<unsigned long long>(INT_MAX)) {
        too_big = true;
      } else {
        value = value * 10 + static_cast<unsigned>(s[i] - '0');
      }
      ++i;
    }
    if (i == digits_begin) return "epoch in version is empty";
    if (i != colon) return "epoch in version is not number";
    if (negative && (value != 0 || too_big)) return "epoch in version is negative";
    if (too_big || value > static_cast<unsigned long long>(INT_MAX)) {
      return "epoch in version is too big";
    }
    if (colon + 1 == s.size()) return "nothing after colon in version number";
    out->epoch = static_cast<unsigned long>(value);
    s.remove_prefix(colon + 1);
  }

  size_t hyphen = s.rfind('-');
  if (hyphen != std::string_view::npos) {
    out->upstream = s.substr(0, hyphen);
    out->revision = s.substr(hyphen + 1);
    if (out->revision.empty()) return "revision number is empty";
  } else {
    out->upstream = s;
    out->revision = {};
  }
  if (out->upstream.empty()) return "version number is empty";
  return nullptr;
}

// dpkg's order(): digits 0, letters their ASCII value, '~' below everything
// (even the end), any other character after all letters. dpkg reads `char`,
// which is signed on amd64; we fix that reading so the order of non-ASCII
// bytes does not change with the build architecture.
int Order(char c) {
  if (IsDigit(c)) return 0;
  if (IsAlpha(c)) return c;
  if (c == '~') return -1;
  if (c != '\0') return static_cast<int>(static_cast<signed char>(c)) + 256;
  return 0;
}

int VerRevCmp(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
      int ac = Order(at(a, i));
      int bc = Order(at(b, j));
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    while (IsDigit(at(a, i)) && IsDigit(at(b, j))) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (IsDigit(at(a, i))) return 1;
    if (IsDigit(at(b, j))) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

int CompareViews(const VersionView& a, const VersionView& b) {
  if (a.epoch > b.epoch) return 1;
  if (a.epoch < b.epoch) return -1;
  int rc = VerRevCmp(a.upstream, b.upstream);
  if (rc != 0) return rc;
  return VerRevCmp(a.revision, b.revision);
}

}  // namespace

Result<Version> Version::Parse(std::string_view text) {
  VersionView v;
  if (const char* why = ParseView(text, &v)) {
    return IntegrityError("bad version '" + std::string(text) + "': " + why);
  }
  Version out;
  out.epoch = v.epoch;
  out.upstream = std::string(v.upstream);
  out.revision = std::string(v.revision);
  return out;
}

std::string Version::Format() const {
  std::string out;
  // Like dpkg's vdew_nonambig: a ':' in the rest would be read back as an
  // epoch separator, so "0:" is written whenever one is there.
  if (epoch != 0 || upstream.find(':') != std::string::npos ||
      revision.find(':') != std::string::npos) {
    out = std::to_string(epoch) + ":";
  }
  out += upstream;
  if (!revision.empty()) {
    out += '-';
    out += revision;
  }
  return out;
}

int CompareVersions(const Version& a, const Version& b) {
  return CompareViews(VersionView{a.epoch, a.upstream, a.revision},
                      VersionView{b.epoch, b.upstream, b.revision});
}

int CompareVersions(std::string_view a, std::string_view b) {
  VersionView va, vb;
  if (ParseView(a, &va) != nullptr) va = VersionView{0, a, {}};
  if (ParseView(b, &vb) != nullptr) vb = VersionView{0, b, {}};
  return CompareViews(va, vb);
}

}  // namespace cairn::deb
