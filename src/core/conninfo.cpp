// Connection-string recognition and redaction; see conninfo.hpp.
#include "core/conninfo.hpp"

#include <cctype>

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
        bool secret = iequals(key, "password") || iequals(key, "sslpassword");
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

// Redacts the password of a URI's user info and any password query parameter.
std::string redact_uri(std::string_view in) {
    std::string out;
    size_t scheme_end = in.find("://") + 3;
    out.append(in.substr(0, scheme_end));
    std::string_view rest = in.substr(scheme_end);
    size_t authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        size_t colon = userinfo.find(':');
        out.append(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) {
            out.push_back(':');
            out.append(kMask);
        }
        out.append(authority.substr(at));
    } else {
        out.append(authority);
    }
    if (authority_end == std::string_view::npos)
        return out;
    rest = rest.substr(authority_end);
    size_t query = rest.find('?');
    out.append(rest.substr(0, query));
    if (query == std::string_view::npos)
        return out;
    out.push_back('?');
    std::string_view params = rest.substr(query + 1);
    bool first = true;
    while (true) {
        size_t amp = params.find('&');
        std::string_view param = params.substr(0, amp);
        size_t eq = param.find('=');
        std::string_view key = param.substr(0, eq);
        if (!first)
            out.push_back('&');
        first = false;
        if (eq != std::string_view::npos && (iequals(key, "password") || iequals(key, "sslpassword"))) {
            out.append(key);
            out.push_back('=');
            out.append(kMask);
        } else {
            out.append(param);
        }
        if (amp == std::string_view::npos)
            break;
        params = params.substr(amp + 1);
    }
    return out;
}

}  // namespace

bool looks_like_conninfo(std::string_view target) {
    return is_uri(target) || target.find('=') != std::string_view::npos;
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
