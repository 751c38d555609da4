#include "backfill_checkpoint.hpp"

#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "detail/text.hpp"
#include "output_file.hpp"

namespace imgstore::cli {

std::string load_checkpoint(const std::string& path, bool& found, backfill_checkpoint& out) {
    found = false;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return {};
        return "cannot open " + path + ": " + std::strerror(errno);
    }
    found = true;
    std::ostringstream text;
    text << in.rdbuf();
    const std::string bad = path + ": not a checkpoint of imgstore backfill";
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text.str(), ec);
    const boost::json::object* o = ec ? nullptr : v.if_object();
    if (o == nullptr) return bad;
    const auto* version = o->if_contains("imgstore_backfill_checkpoint");
    const auto* fingerprint = o->if_contains("fingerprint");
    const auto* last_id = o->if_contains("last_id");
    const auto* counters = o->if_contains("counters");
    if (version == nullptr || !version->is_int64() || version->as_int64() != 1 ||
        fingerprint == nullptr || !fingerprint->is_string() || last_id == nullptr ||
        !last_id->is_int64() || counters == nullptr || !counters->is_object() ||
        !counters_from_json(counters->get_object(), out.counters))
        return bad;
    out.fingerprint = fingerprint->get_string();
    out.last_id = last_id->as_int64();
    return {};
}

std::string save_checkpoint(const std::string& path, const backfill_checkpoint& c) {
    boost::json::object o;
    o["imgstore_backfill_checkpoint"] = 1;
    o["fingerprint"] = c.fingerprint;
    o["last_id"] = c.last_id;
    o["counters"] = counters_json(c.counters);
    const std::string text = boost::json::serialize(o) + "\n";
    auto file = output_file::create(path);
    if (!file) return "cannot write " + path + ": " + file.error().message();
    std::fwrite(text.data(), 1, text.size(), file->stream());
    if (auto r = file->commit(); !r) return "cannot write " + path + ": " + r.error().message();
    return {};
}

std::string backfill_fingerprint(std::string_view description) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(description.data(), description.size(), digest, &size, EVP_sha256(), nullptr);
    std::string out;
    detail::append_hex(out, {reinterpret_cast<const char*>(digest), size});
    return out;
}

}  // namespace imgstore::cli
