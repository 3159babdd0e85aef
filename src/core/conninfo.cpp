// Connection-string recognition and redaction; see conninfo.hpp.
#include "core/conninfo.hpp"

#include <cctype>

#include "core/escape.hpp"

namespace mq {
namespace {

constexpr std::string_view kMask = "***";
constexpr std::string_view kInvalid = "<invalid connection string>";

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool is_uri(std::string_view target) {
    return starts_with(target, "postgresql://") || starts_with(target, "postgres://");
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

bool is_secret_key(std::string_view key) {
    return iequals(key, "password") || iequals(key, "sslpassword");
}

// Redacts "key = value" pairs, following libpq's quoting rules: a value is a
// bare word or single-quoted with backslash escapes. Returns false on syntax
// libpq would reject.
bool redact_keyword_value(std::string_view in, std::string* out) {
    size_t i = 0;
    auto skip_space = [&] {
        while (i < in.size() && std::isspace(static_cast<unsigned char>(in[i])))
            out->push_back(in[i++]);
    };
    while (true) {
        skip_space();
        if (i >= in.size())
            return true;
        size_t key_start = i;
        while (i < in.size() && in[i] != '=' && !std::isspace(static_cast<unsigned char>(in[i])))
            ++i;
        std::string_view key = in.substr(key_start, i - key_start);
        out->append(key);
        skip_space();
        if (i >= in.size() || in[i] != '=' || key.empty())
            return false;
        out->push_back(in[i++]);
        skip_space();
        bool secret = is_secret_key(key);
        std::string value;
        if (i < in.size() && in[i] == '\'') {
            value.push_back(in[i++]);
            bool closed = false;
            while (i < in.size()) {
                char c = in[i++];
                value.push_back(c);
                if (c == '\\' && i < in.size()) {
                    value.push_back(in[i++]);
                } else if (c == '\'') {
                    closed = true;
                    break;
                }
            }
            if (!closed)
                return false;
        } else {
            while (i < in.size() && !std::isspace(static_cast<unsigned char>(in[i]))) {
                if (in[i] == '\\' && i + 1 < in.size())
                    value.push_back(in[i++]);
                value.push_back(in[i++]);
            }
        }
        out->append(secret ? std::string(kMask) : value);
    }
}

// Percent-decodes a URI query key as libpq does; false on a malformed escape.
bool percent_decode(std::string_view in, std::string* out) {
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out->push_back(in[i]);
            continue;
        }
        int high = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
        int low = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
        if (high < 0 || low < 0 || (high == 0 && low == 0))
            return false;
        out->push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return true;
}

// Redacts a URI's query parameters ("a=1&password=x"): keys are compared
// after percent-decoding, as libpq reads them, so "pass%77ord" is a password
// too; a key that does not decode may be anything, so its value is masked.
void redact_uri_query(std::string_view params, std::string* out) {
    while (true) {
        size_t amp = params.find('&');
        std::string_view param = params.substr(0, amp);
        size_t eq = param.find('=');
        std::string key;
        bool decoded = percent_decode(param.substr(0, eq), &key);
        if (eq != std::string_view::npos && (!decoded || is_secret_key(key))) {
            out->append(param.substr(0, eq + 1));
            out->append(kMask);
        } else {
            out->append(param);
        }
        if (amp == std::string_view::npos)
            return;
        out->push_back('&');
        params = params.substr(amp + 1);
    }
}

// True for a URI in which libpq finds no user info ('/' before any '@') but
// an '@' follows before the query: most likely a password holding '/'.
bool uri_misplaced_at(std::string_view rest) {
    size_t stop = rest.find_first_of("@/");
    if (stop == std::string_view::npos || rest[stop] == '@')
        return false;
    return rest.substr(0, rest.find('?')).find('@') != std::string_view::npos;
}

// Redacts a URI the way libpq splits it: the user info is everything before
// the first '@' that comes before any '/', so its password may hold '?', ':'
// or '#'; the query starts at the first '?' after the user info.
std::string redact_uri(std::string_view in) {
    std::string out;
    size_t scheme_end = in.find("://") + 3;
    out.append(in.substr(0, scheme_end));
    std::string_view rest = in.substr(scheme_end);
    size_t stop = rest.find_first_of("@/");
    if (stop != std::string_view::npos && rest[stop] == '@') {
        std::string_view userinfo = rest.substr(0, stop);
        size_t colon = userinfo.find(':');
        out.append(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) {
            out.push_back(':');
            out.append(kMask);
        }
        out.push_back('@');
        rest = rest.substr(stop + 1);
    } else if (uri_misplaced_at(rest)) {
        // libpq sees no user info, but a person may have meant one whose
        // password holds a '/' ("u:pa/ss@host"): libpq then takes pieces of
        // it for the port or database, and its errors would quote them. Mask
        // everything up to the last '@' before the query.
        out.append(kMask);
        rest = rest.substr(rest.substr(0, rest.find('?')).rfind('@'));
    }
    size_t query = rest.find('?');
    out.append(rest.substr(0, query));
    if (query == std::string_view::npos)
        return out;
    out.push_back('?');
    redact_uri_query(rest.substr(query + 1), &out);
    return out;
}

}  // namespace

bool looks_like_conninfo(std::string_view target) {
    return is_uri(target) || target.find('=') != std::string_view::npos;
}

bool ambiguous_uri_user_info(std::string_view conninfo) {
    return is_uri(conninfo) && uri_misplaced_at(conninfo.substr(conninfo.find("://") + 3));
}

std::string redact_conninfo(std::string_view conninfo) {
    if (is_uri(conninfo))
        return redact_uri(conninfo);
    std::string out;
    if (!redact_keyword_value(conninfo, &out))
        return std::string(kInvalid);
    return out;
}

}  // namespace mq
