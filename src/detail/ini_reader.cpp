#include "detail/ini_reader.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

#include "detail/text.hpp"
#include "detail/utf8.hpp"

namespace imgstore::detail {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view lstrip(std::string_view s) noexcept {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    return s;
}

std::string_view rstrip(std::string_view s) noexcept {
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// The oslo.config INI dialect (oslo_config/iniparser.py), one file at a time, collecting every
// problem instead of stopping at the first. See doc/config-dialect.md for the decisions.
class ini_reader {
  public:
    ini_reader(glance_config& into,
               std::string_view file,
               std::vector<diagnostic>& out,
               const ini_key_rules& rules)
        : into_(into), file_(file), out_(out), rules_(rules) {}

    void read(std::string_view text) {
        if (text.starts_with(utf8_bom)) text.remove_prefix(utf8_bom.size());
        std::uint32_t line_no = 0;
        // Python's universal newlines, as oslo reads files in text mode: \n, \r\n and a lone \r.
        while (!text.empty()) {
            const std::size_t eol = text.find_first_of("\r\n");
            std::string_view line = text.substr(0, eol);
            std::size_t next = text.size();
            if (eol != std::string_view::npos) {
                next = eol + 1;
                if (text[eol] == '\r' && next < text.size() && text[next] == '\n') ++next;
            }
            text.remove_prefix(next);
            read_line(line, ++line_no);
        }
        flush();
    }

  private:
    enum class section_state { none, valid, broken };
    enum class pending_state { none, value, discard };

    void report(severity level, std::uint32_t line, std::string message, std::string_view key) {
        // Keys come from arbitrary lines (`cinder_store_password SENTINEL:x` has the key
        // `cinder_store_password SENTINEL`): only a bounded, value-free form is shown.
        out_.push_back({level, std::string(file_), line,
                        section_state_ == section_state::valid ? section_ : std::string(),
                        key.empty() ? std::string() : rules_.printable_key(key),
                        std::move(message)});
    }
    void error(std::uint32_t line, std::string message, std::string_view key = {}) {
        report(severity::error, line, std::move(message), key);
    }
    void warning(std::uint32_t line, std::string message, std::string_view key = {}) {
        report(severity::warning, line, std::move(message), key);
    }

    // A line with a NUL byte or invalid UTF-8. It keeps its place in the structure (header,
    // key line or continuation) so that the lines around it are read as they would be, but
    // nothing from it reaches the config.
    void read_bad_line(std::string_view raw, std::uint32_t line_no) {
        std::string message;
        if (std::size_t nul = raw.find('\0'); nul != std::string_view::npos) {
            message = fmt::format("NUL byte (byte {} of the line)", nul + 1);
        } else {
            message = fmt::format("invalid UTF-8 (byte {} of the line)", invalid_utf8_at(raw) + 1);
        }
        const std::string_view line = rstrip(raw);
        if (is_blank(line.front())) {
            std::string key = pending_ == pending_state::value ? pending_key_ : std::string();
            if (pending_ == pending_state::value) pending_ = pending_state::discard;
            return error(line_no, std::move(message), key);
        }
        flush();
        if (line.front() == '[') {
            section_state_ = section_state::broken;  // the entries below belong to no known section
            return error(line_no, std::move(message));
        }
        if (line.front() == '#' || line.front() == ';') return error(line_no, std::move(message));
        pending_ = pending_state::discard;
        const std::size_t split = line.find_first_of(":=");
        std::string_view key;
        if (split != std::string_view::npos) key = strip_blanks(line.substr(0, split));
        if (key.find('\0') != std::string_view::npos ||
            invalid_utf8_at(key) != std::string_view::npos) {
            key = {};  // the bad byte is in the key itself: do not echo it
        }
        error(line_no, std::move(message), key);
    }

    void read_line(std::string_view raw, std::uint32_t line_no) {
        if (raw.find('\0') != std::string_view::npos ||
            invalid_utf8_at(raw) != std::string_view::npos) {
            return read_bad_line(raw, line_no);
        }
        const std::string_view line = rstrip(raw);
        if (line.empty()) return flush();  // a blank line ends a multi-line value
        if (is_blank(line.front())) return read_continuation(lstrip(line), line_no);
        flush();
        if (line.front() == '[') return read_header(line, line_no);
        if (line.front() == '#' || line.front() == ';') return;  // comments start in column 1
        read_assignment(line, line_no);
    }

    void read_continuation(std::string_view text, std::uint32_t line_no) {
        const bool comment_like = text.front() == '#' || text.front() == ';';
        switch (pending_) {
            case pending_state::value:
                if (comment_like) {
                    warning(line_no,
                            "indented comment is read as part of the value above (oslo.config "
                            "continues a value on every indented line); start comments in "
                            "column 1",
                            pending_key_);
                }
                pending_value_ += '\n';
                pending_value_ += text;
                return;
            case pending_state::discard:
                return;  // continues a line that was already reported
            case pending_state::none:
                break;
        }
        if (comment_like) {
            return error(line_no,
                         "indented comment: oslo.config reads an indented line as the "
                         "continuation of a value and there is none here; start comments in "
                         "column 1");
        }
        error(line_no,
              "indented line continues no value (a blank line, comment or section header ended "
              "the previous one)");
    }

    void read_header(std::string_view line, std::uint32_t line_no) {
        if (line.back() != ']') {
            section_state_ = section_state::broken;
            return error(line_no, "section header has no closing ']'");
        }
        if (line.size() == 2) {
            section_state_ = section_state::broken;
            return error(line_no, "empty section name '[]'");
        }
        section_ = std::string(line.substr(1, line.size() - 2));
        section_state_ = section_state::valid;
        into_.add_section(section_, file_, line_no);
        if (rules_.strict_repeats) check_repeated_header(line_no);
        if (is_blank(section_.front()) || is_blank(section_.back())) {
            warning(line_no,
                    "section name has leading or trailing blanks, which are part of the name "
                    "(oslo.config does not strip them)");
        }
    }

    // configparser (strict) refuses a section written twice in a file; its `[DEFAULT]` holds
    // defaults and may be. Sections are told apart by their exact name there, so two that
    // differ only in case, which glance_config merges, are refused too.
    void check_repeated_header(std::uint32_t line_no) {
        const auto [it, inserted] = headers_.try_emplace(ascii_lower(section_), section_, line_no);
        if (inserted) return;
        const auto& [first_name, first_line] = it->second;
        if (first_name != section_) {
            error(line_no, fmt::format("section [{}] differs from [{}] of line {} only in case: "
                                       "Python's configparser reads them as two sections, "
                                       "imgstore as one; rename one",
                                       cut_text(section_), cut_text(first_name), first_line));
        } else if (section_ != defaults_section) {
            error(line_no, fmt::format("section repeats line {}: Python's configparser refuses a "
                                       "section written twice (DuplicateSectionError)",
                                       first_line));
        }
    }

    void read_assignment(std::string_view line, std::uint32_t line_no) {
        pending_ = pending_state::discard;                   // until the line proves good
        const std::size_t split = line.find_first_of(":=");  // the first of either wins
        if (split == std::string_view::npos) {
            return error(line_no,
                         "line has no '=' or ':' (expected a [section] header, a comment or "
                         "key = value)");
        }
        const std::string_view key = strip_blanks(line.substr(0, split));
        std::string_view value = strip_blanks(line.substr(split + 1));
        if (key.empty()) return error(line_no, "empty key before '=' or ':'");
        if (section_state_ == section_state::none) {
            return error(line_no, "key before any [section] header", key);
        }
        if (section_state_ == section_state::broken) return;  // the header was reported
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.front() == value.back()) {
            value = value.substr(1, value.size() - 2);
        }
        pending_ = pending_state::value;
        pending_key_ = std::string(key);
        pending_value_ = std::string(value);
        pending_line_ = line_no;
    }

    void flush() {
        const bool have_value = pending_ == pending_state::value;
        pending_ = pending_state::none;
        if (!have_value) return;
        if (pending_value_.find('/') != std::string::npos &&
            (pending_value_.find(" #") != std::string::npos ||
             pending_value_.find("\t#") != std::string::npos) &&
            !(rules_.secret && rules_.secret(ascii_lower(pending_key_)))) {
            warning(pending_line_,
                    "inline '#' is part of the value (oslo.config has no inline comments)",
                    pending_key_);
        }
        if (!(rules_.multi_valued && rules_.multi_valued(pending_key_))) {
            // oslo.config: sections any case, keys as written. configparser: sections exact
            // (those differing in case were refused), keys lower-cased (its optionxform).
            std::string id = rules_.strict_repeats ? section_ : ascii_lower(section_);
            id += '\n';  // cannot occur in a section name or key
            id += rules_.strict_repeats ? ascii_lower(pending_key_) : pending_key_;
            auto [it, inserted] = seen_.try_emplace(std::move(id), pending_line_);
            if (!inserted && rules_.strict_repeats) {
                error(pending_line_,
                      fmt::format("repeats the key of line {} in this section: Python's "
                                  "configparser refuses a repeated key, compared lower-cased "
                                  "(DuplicateOptionError)",
                                  it->second),
                      pending_key_);
            } else if (!inserted) {
                warning(pending_line_,
                        fmt::format("repeated in this section; line {} wins over line {}",
                                    pending_line_, it->second),
                        pending_key_);
                it->second = pending_line_;
            }
        }
        // configparser hands every key to its reader lower-cased (optionxform): `User` is `user`.
        into_.add(section_, rules_.strict_repeats ? ascii_lower(pending_key_) : pending_key_,
                  pending_value_, file_, pending_line_);
    }

    glance_config& into_;
    std::string_view file_;
    std::vector<diagnostic>& out_;
    const ini_key_rules& rules_;
    section_state section_state_ = section_state::none;
    std::string section_;
    pending_state pending_ = pending_state::none;
    std::string pending_key_;
    std::string pending_value_;
    std::uint32_t pending_line_ = 0;
    // "<lower-cased section>\n<key>" -> line of its latest occurrence in this file (with
    // strict_repeats: "<section>\n<lower-cased key>" -> line of its first)
    std::unordered_map<std::string, std::uint32_t> seen_;
    // strict_repeats: lower-cased section name -> the name as first written and its line
    std::unordered_map<std::string, std::pair<std::string, std::uint32_t>> headers_;
};

}  // namespace

void read_ini(glance_config& into,
              std::string_view text,
              std::string_view file_name,
              std::vector<diagnostic>& out,
              const ini_key_rules& rules) {
    ini_reader(into, file_name, out, rules).read(text);
}

}  // namespace imgstore::detail
