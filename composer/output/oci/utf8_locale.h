// ScopedUtf8Locale (private to output/oci): switches the calling thread alone
// to C.UTF-8 while alive; the tar writer and the layer reader use it.
//
// libarchive converts names between the current locale and the UTF-8 of pax
// headers, and in the "C" locale it cannot represent non-ASCII names at all
// (its pax writer then crashes or falls back to hdrcharset=BINARY). Switching
// this thread alone to C.UTF-8 (built into glibc >= 2.35) makes names pass
// through as bytes and the output independent of the caller's locale.
#pragma once

extern "C" {
#include <locale.h>
}

namespace cairn::oci::internal {

class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale() : loc_(newlocale(LC_ALL_MASK, "C.UTF-8", static_cast<locale_t>(0))) {
    if (loc_ != static_cast<locale_t>(0)) old_ = uselocale(loc_);
  }
  ~ScopedUtf8Locale() {
    if (loc_ == static_cast<locale_t>(0)) return;
    uselocale(old_);
    freelocale(loc_);
  }
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;
  bool ok() const { return loc_ != static_cast<locale_t>(0); }

 private:
  locale_t loc_;
  locale_t old_ = static_cast<locale_t>(0);
};

}  // namespace cairn::oci::internal
