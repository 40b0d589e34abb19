// Release files: ParseRelease, ParseReleaseDate, FormatReleaseDate,
// CheckReleaseFresh.
//
// Dates are converted with our own civil-date arithmetic rather than
// timegm()/strptime(), so the result cannot depend on the host's TZ or locale.
#include "cairn/deb/release.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <utility>

namespace cairn::deb {
namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }
char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Parses a run of min..max decimal digits.
bool Number(std::string_view s, size_t min, size_t max, int* out) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 for a proleptic
// Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

Status ParseSha256List(std::string_view value, std::string_view origin, Release* out) {
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t nl = value.find('\n', pos);
    std::string_view line =
        value.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? value.size() + 1 : nl + 1;
    std::vector<std::string_view> words = Words(line);
    if (words.empty()) continue;  // the empty first line after "SHA256:"
    if (words.size() != 3) {
      return IntegrityError(std::string(origin) + ": malformed SHA256 entry '" +
                            std::string(Trim(line)) + "' (expected '<sha256> <size> <path>')");
    }
    ReleaseEntry e;
    bool hex = words[0].size() == 64;
    for (char c : words[0]) hex = hex && IsHex(c);
    if (!hex) {
      return IntegrityError(std::string(origin) + ": bad SHA256 hash '" + std::string(words[0]) +
                            "' for '" + std::string(words[2]) +
                            "' (expected 64 hexadecimal digits)");
    }
    e.sha256 = std::string(words[0]);
    for (char& c : e.sha256) c = LowerAscii(c);
    bool digits = !words[1].empty();
    for (char c : words[1]) digits = digits && IsDigit(c);
    auto [ptr, ec] = std::from_chars(words[1].data(), words[1].data() + words[1].size(), e.size);
    if (!digits || ec != std::errc() || ptr != words[1].data() + words[1].size()) {
      return IntegrityError(std::string(origin) + ": bad size '" + std::string(words[1]) +
                            "' for '" + std::string(words[2]) + "' (expected a decimal number)");
    }
    e.path = std::string(words[2]);
    if (out->files.count(e.path) != 0) {
      return IntegrityError(std::string(origin) + ": duplicate SHA256 entry for '" + e.path + "'");
    }
    std::string key = e.path;
    out->files.emplace(std::move(key), std::move(e));
  }
  return {};
}

}  // namespace

const ReleaseEntry* Release::FindFile(std::string_view path) const {
  auto it = files.find(path);
  return it == files.end() ? nullptr : &it->second;
}

Result<int64_t> ParseReleaseDate(std::string_view text) {
  auto bad = [&]() {
    return IntegrityError("bad date '" + std::string(text) +
                          "' (expected RFC 2822 form like 'Sat, 10 Aug 2024 09:19:43 UTC')");
  };
  std::vector<std::string_view> w = Words(text);
  // Optional "Sat," in front.
  if (!w.empty() && w[0].size() == 4 && w[0][3] == ',') {
    bool known = false;
    for (std::string_view d : kWeekdays) known = known || EqualsIgnoreCase(w[0].substr(0, 3), d);
    if (!known) return bad();
    w.erase(w.begin());
  }
  if (w.size() != 5) return bad();
  int day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!Number(w[0], 1, 2, &day)) return bad();
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (EqualsIgnoreCase(w[1], kMonths[i])) month = static_cast<int>(i) + 1;
  }
  if (month == 0 || !Number(w[2], 4, 4, &year)) return bad();
  std::string_view t = w[3];
  if (t.size() != 8 || t[2] != ':' || t[5] != ':' || !Number(t.substr(0, 2), 2, 2, &hour) ||
      !Number(t.substr(3, 2), 2, 2, &minute) || !Number(t.substr(6, 2), 2, 2, &second)) {
    return bad();
  }
  // RFC 2822 allows second 60 for a leap second; it counts as the next second.
  if (day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  int64_t offset = 0;
  std::string_view zone = w[4];
  if (zone == "UTC" || zone == "GMT" || zone == "Z") {
    offset = 0;
  } else if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    int hh = 0, mm = 0;
    if (!Number(zone.substr(1, 2), 2, 2, &hh) || !Number(zone.substr(3, 2), 2, 2, &mm) || mm > 59) {
      return bad();
    }
    offset = (hh * 3600 + mm * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return bad();
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

std::string FormatReleaseDate(int64_t unix_time) {
  int64_t days = unix_time >= 0 ? unix_time / 86400 : -((-unix_time + 86399) / 86400);
  int64_t secs = unix_time - days * 86400;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  // 1970-01-01 was a Thursday.
  int64_t wd = (days % 7 + 7 + 4) % 7;
  char buf[64];  // the names are string literals, so .data() is NUL-terminated
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02lld:%02lld:%02lld UTC",
                kWeekdays[static_cast<size_t>(wd)].data(), d, kMonths[m - 1].data(),
                static_cast<long long>(y), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

Result<Release> ParseRelease(std::string_view text, std::string_view origin) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<Paragraph> paragraphs, ParseControlFile(text, origin));
  if (paragraphs.empty()) {
    return IntegrityError(std::string(origin) + ": release file has no fields");
  }
  if (paragraphs.size() > 1) {
    return IntegrityError(std::string(origin) + ":" + std::to_string(paragraphs[1].line) +
                          ": unexpected second paragraph in release file (expected one)");
  }
  Release r;
  r.paragraph = std::move(paragraphs[0]);
  const Paragraph& p = r.paragraph;
  r.origin = p.Get("Origin");
  r.label = p.Get("Label");
  r.suite = p.Get("Suite");
  r.codename = p.Get("Codename");
  r.version = p.Get("Version");
  const std::string architectures = p.Get("Architectures");
  for (std::string_view a : Words(architectures)) r.architectures.emplace_back(a);
  const std::string components = p.Get("Components");
  for (std::string_view c : Words(components)) r.components.emplace_back(c);
  r.acquire_by_hash = EqualsIgnoreCase(p.Get("Acquire-By-Hash"), "yes");

  const std::string* date = p.Find("Date");
  if (date == nullptr) {
    return IntegrityError(std::string(origin) + ": release file has no 'Date' field");
  }
  auto parsed_date = ParseReleaseDate(*date);
  if (!parsed_date) {
    return IntegrityError(std::string(origin) + ": 'Date' field: " + parsed_date.error().message());
  }
  r.date = *parsed_date;
  if (const std::string* until = p.Find("Valid-Until")) {
    auto parsed = ParseReleaseDate(*until);
    if (!parsed) {
      return IntegrityError(std::string(origin) +
                            ": 'Valid-Until' field: " + parsed.error().message());
    }
    r.valid_until = *parsed;
  }

  const std::string* sha256 = p.Find("SHA256");
  if (sha256 != nullptr) CAIRN_TRY(ParseSha256List(*sha256, origin, &r));
  if (r.files.empty()) {
    return IntegrityError(std::string(origin) +
                          ": release file has no 'SHA256' list (only SHA256 is accepted to "
                          "verify index files; MD5Sum and SHA1 are too weak)");
  }
  return r;
}

Status CheckReleaseFresh(const Release& release, int64_t now_unix, std::string_view origin) {
  if (!release.valid_until || now_unix <= *release.valid_until) return {};
  return IntegrityError("release '" + std::string(origin) + "' expired at " +
                        FormatReleaseDate(*release.valid_until) + " (Valid-Until); it is now " +
                        FormatReleaseDate(now_unix) +
                        ", so the mirror is stale or is replaying old metadata")
      .Hint(
          "if this is a dated snapshot archive, turn the check off with "
          "'contents.debian.allow-expired: true' (apt: [check-valid-until=no])");
}

}  // namespace cairn::deb
