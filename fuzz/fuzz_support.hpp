// Helpers shared by the fuzz targets: property checks that abort with the failing input (so
// libFuzzer saves it and the corpus replay fails its ctest), and a normalised "contains" used to
// look for sentinels that may have been lower-cased or percent-decoded on the way out.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace imgstore::fuzz {

/// Prints `what` and the offending input (escaped) to stderr and aborts.
[[noreturn]] inline void fail(std::string_view target,
                              std::string_view what,
                              std::string_view input) {
    std::string escaped;
    for (char c : input) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F && c != '\\') {
            escaped += c;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            escaped += buf;
        }
    }
    std::fprintf(stderr, "%.*s: property violated: %.*s\n  input: \"%s\"\n",
                 static_cast<int>(target.size()), target.data(), static_cast<int>(what.size()),
                 what.data(), escaped.c_str());
    std::abort();
}

/// `s` lower-cased with every valid `%XX` decoded once (the resolver decodes at most once).
inline std::string normalise(std::string_view s) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            c = static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        }
        out += c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    }
    return out;
}

/// True if `haystack`, normalised, contains `needle` (lower-case, no '%').
inline bool contains_normalised(std::string_view haystack, std::string_view needle) {
    return normalise(haystack).find(needle) != std::string::npos;
}

}  // namespace imgstore::fuzz
