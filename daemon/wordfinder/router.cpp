#include "wordfinder/router.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <optional>

#include "http/accept.hpp"
#include "wordfinder/score.hpp"

namespace netsvcd::wordfinder {
namespace {

constexpr std::size_t kMaxMinLength = kMaxWordLength;

std::string usage(const RouterSettings& settings) {
  return "netsvcd word finder: the dictionary words a Scrabble rack can spell.\n"
         "\n"
         "  GET /<rack>                 e.g. /lexical, or /retain_s with _ for a blank tile\n"
         "  GET /<rack>?min_length=N    only words of at least N letters (default " +
         std::to_string(settings.min_length) +
         ")\n"
         "  GET /<rack>?sort=score      highest Scrabble score first (default sort=length)\n"
         "  GET /<rack>?details=1       adds \"details\": each word's score and the letters its\n"
         "                              blanks stood for\n"
         "\n"
         "A rack is letters a-z (any case) and _ for blanks: at most " +
         std::to_string(settings.limits.max_tiles) + " tiles, " +
         std::to_string(settings.limits.max_blanks) +
         " of them blank.\n"
         "The answer is JSON: {\"rack\", \"count\", \"cached\", \"client\", \"time\",\n"
         "\"possibilities\"}, the words longest first, then alphabetical; \"time\" is in\n"
         "seconds, \"client\" the address the answer went to.\n"
         "\n"
         "A browser (Accept: text/html) gets a web page here that does all this.\n";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX-decoding of a path segment; nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

http::Response bad_request(const std::string& message) {
  return http::error_response(400, message);
}

enum class Order { length, score };

// What a request asks beside its rack: everything that changes an answer.
struct AnswerOptions {
  std::size_t min_length;
  Order order = Order::length;
  bool details = false;

  // The rack's key, then the options that change the answer, in one canonical spelling:
  // "aelrrx__?details&sort=score". min_length is the cache's own key.
  std::string cache_key(std::string_view rack_key) const {
    std::string key(rack_key);
    if (details) key += "?details";
    if (order == Order::score) key += details ? "&sort=score" : "?sort=score";
    return key;
  }
};

// A parameter's value as a switch: "1" or "true" (or no value) is on, "0" or "false" off.
std::optional<bool> parse_switch(std::string_view value, bool present_without_value) {
  if (value == "1" || value == "true" || (value.empty() && present_without_value)) return true;
  if (value == "0" || value == "false") return false;
  return std::nullopt;
}

// Reads min_length, sort and details from the query into `options`; the message for a 400, or
// nullopt. A parameter given twice takes its last value.
std::optional<std::string> parse_query(std::string_view query, AnswerOptions& options) {
  for (std::string_view rest = query; !rest.empty();) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    const std::string_view name = pair.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    if (name == "min_length") {
      std::size_t min_length = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), min_length);
      if (ec != std::errc{} || end != value.data() + value.size() || value.empty() ||
          min_length < 1 || min_length > kMaxMinLength) {
        return "min_length must be a whole number from 1 to " + std::to_string(kMaxMinLength);
      }
      options.min_length = min_length;
    } else if (name == "sort") {
      if (value == "length") {
        options.order = Order::length;
      } else if (value == "score") {
        options.order = Order::score;
      } else {
        return "sort must be length or score";
      }
    } else if (name == "details") {
      const auto details = parse_switch(value, equals == std::string_view::npos);
      if (!details) return "details must be 1 or 0";
      options.details = *details;
    } else {
      return "unknown parameter \"" + std::string(name) +
             "\" (expected min_length, sort or details)";
    }
  }
  return std::nullopt;
}

struct ScoredWord {
  std::string_view word;
  WordScore score;
};

// The members of an answer that every request for it shares, as JSON readers sort them, after
// "cached" and "client": "count":3,"details":[...],"min_length":2,"possibilities":["abc","cab"],
// "rack":"abc", with "details" only when asked. Words and racks are letters and '_' only, so
// nothing needs escaping. `words` come longest first, then alphabetical.
std::string render(std::string_view rack_key, const Rack& rack, const AnswerOptions& options,
                   const std::vector<std::string_view>& words) {
  std::vector<ScoredWord> scored;
  if (options.order == Order::score || options.details) {
    scored.reserve(words.size());
    for (const auto word : words)
      scored.push_back({word, score_word(word, rack)});
  }
  if (options.order == Order::score) {
    std::sort(scored.begin(), scored.end(), [](const ScoredWord& a, const ScoredWord& b) {
      return a.score.score != b.score.score ? a.score.score > b.score.score : a.word < b.word;
    });
  }
  const auto word_at = [&](std::size_t i) { return scored.empty() ? words[i] : scored[i].word; };

  const std::string count = std::to_string(words.size());
  const std::string min = std::to_string(options.min_length);
  std::size_t size = 64 + count.size() + min.size() + rack_key.size();
  for (const auto word : words)
    size += (options.details ? 2 * word.size() + 48 : word.size() + 3);
  std::string json;
  json.reserve(size);
  json.append("\"count\":").append(count);
  if (options.details) {
    json.append(",\"details\":[");
    for (std::size_t i = 0; i < scored.size(); ++i) {
      if (i > 0) json += ',';
      json.append("{\"word\":\"").append(scored[i].word);
      json.append("\",\"score\":").append(std::to_string(scored[i].score.score));
      json.append(",\"blanks\":\"").append(scored[i].score.blanks).append("\"}");
    }
    json += ']';
  }
  json.append(",\"min_length\":").append(min);
  json.append(",\"possibilities\":[");
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) json += ',';
    json.append("\"").append(word_at(i)).append("\"");
  }
  json.append("],\"rack\":\"").append(rack_key).append("\",");
  return json;
}

// {"cached":<cached>,"client":"<address>", before the shared members. An IPv4 client of a
// dual-stack socket (::ffff:a.b.c.d) is shown as the a.b.c.d it is; an IPv6 address has no
// scope. No allocation: the text is put together on the stack.
void append_start(decltype(http::Response::prefix)& prefix, bool cached,
                  const boost::asio::ip::address& client) {
  namespace ip = boost::asio::ip;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (client.is_v6() && client.to_v6().is_v4_mapped()) {
    const auto bytes = ip::make_address_v4(ip::v4_mapped, client.to_v6()).to_bytes();
    ::inet_ntop(AF_INET, bytes.data(), text.data(), text.size());
  } else if (client.is_v6()) {
    const auto bytes = client.to_v6().to_bytes();
    ::inet_ntop(AF_INET6, bytes.data(), text.data(), text.size());
  } else {
    const auto bytes = client.to_v4().to_bytes();
    ::inet_ntop(AF_INET, bytes.data(), text.data(), text.size());
  }
  prefix.append(cached ? "{\"cached\":true,\"client\":\"" : "{\"cached\":false,\"client\":\"");
  prefix.append(text.data());
  prefix.append("\",");
}

// ,"time":<seconds>}\n after the shared members: the shortest text that reads back as `seconds`.
void append_time(decltype(http::Response::tail)& tail, std::chrono::duration<double> seconds) {
  std::array<char, 32> digits;
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), seconds.count()).ptr;
  tail.append("\"time\":");
  tail.append({digits.data(), static_cast<std::size_t>(end - digits.data())});
  tail.append("}\n");
}

}  // namespace

WordfinderRouter::WordfinderRouter(std::shared_ptr<const WordIndex> index,
                                   const RouterSettings& settings)
    : index_(std::move(index)),
      settings_(settings),
      usage_(std::make_shared<const std::string>(usage(settings))),
      page_(settings.limits),
      cache_(settings.cache_entries) {}

http::Response WordfinderRouter::route(const http::Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = http::error_response(
        405, "method " + std::string(request.method) + " not allowed (expected GET or HEAD)");
    response.allow = "GET, HEAD";
    return response;
  }
  const std::string_view segment = request.path.substr(1);
  if (segment.empty()) return front(request.accept);
  if (segment.find('/') != std::string_view::npos || segment == "favicon.ico") {
    return http::error_response(404, "not found: the API is GET /<rack>; GET / explains it");
  }
  return find_words(segment, request.query, request.client);
}

http::Response WordfinderRouter::front(std::string_view accept) const {
  // Only a client that names text/html gets the page: curl's */* and scripts keep the text.
  if (http::accepts_media_type(accept, "text/html")) {
    auto response = http::text_response(200, "text/html; charset=utf-8", page_.html());
    response.headers = WebPage::headers();
    return response;
  }
  auto response = http::text_response(200, "text/plain; charset=utf-8", usage_);
  response.headers = kVaryAccept;
  return response;
}

bool WordfinderRouter::costly(const http::Request& request) const {
  const std::string_view segment = request.path.substr(1);
  if (segment.find('/') != std::string_view::npos) return false;
  // Asked of every request: the tiles are counted, not parsed (a bad rack is refused cheaply
  // by route() anyway). An escape is decoded first, as route() would.
  if (segment.find('%') == std::string_view::npos) {
    return segment.size() > kCheapTiles || segment.find('_') != std::string_view::npos;
  }
  const auto decoded = percent_decode(segment);
  return decoded && (decoded->size() > kCheapTiles || decoded->find('_') != std::string::npos);
}

http::Response WordfinderRouter::find_words(std::string_view segment, std::string_view query,
                                            const boost::asio::ip::address& client) const {
  const auto started = std::chrono::steady_clock::now();

  AnswerOptions options{settings_.min_length};
  if (auto error = parse_query(query, options)) return bad_request(*error);

  const auto decoded = percent_decode(segment);
  if (!decoded) return bad_request("bad percent-encoding in the rack");
  const ParsedRack parsed = parse_rack(*decoded, settings_.limits);
  if (!parsed.rack) return bad_request(parsed.message);
  const std::string rack_key = parsed.rack->key();
  const std::string key = options.cache_key(rack_key);

  auto answer = cache_.lookup(key, options.min_length);
  const bool cached = answer != nullptr;
  if (!cached) {
    answer = std::make_shared<const Answer>(Answer{
        render(rack_key, *parsed.rack, options, index_->search(*parsed.rack, options.min_length))});
    cache_.insert(key, options.min_length, answer);
  }
  http::Response response;
  response.cache = cached ? http::CacheUse::hit : http::CacheUse::miss;
  append_start(response.prefix, cached, client);
  // Shares the answer's ownership: sent as it is, kept alive while it is.
  response.shared = std::shared_ptr<const std::string>(answer, &answer->json);
  append_time(response.tail, std::chrono::steady_clock::now() - started);
  return response;
}

}  // namespace netsvcd::wordfinder
