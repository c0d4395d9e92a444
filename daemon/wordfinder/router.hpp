// WordfinderRouter: the word-finder HTTP API as a pure function of a request: GET /<rack> answers
// {"cached", "client", "count", "min_length", "possibilities", "rack", "time"} (and "details"
// with ?details=1), in length or score order; GET / the usage text, or the web page to a client
// whose Accept names text/html; every error a JSON {"error"} with its status. No I/O. Owned by
// the wordfinder service; immutable apart from its cache, which is thread-safe, so route() may
// run on many threads at once.
#pragma once

#include <cstddef>
#include <memory>

#include "http/message.hpp"
#include "wordfinder/answer_cache.hpp"
#include "wordfinder/page.hpp"
#include "wordfinder/rack.hpp"
#include "wordfinder/word_index.hpp"

namespace netsvcd::wordfinder {

struct RouterSettings {
  std::size_t min_length = 2;  // shortest word reported unless ?min_length= says otherwise
  RackLimits limits;
  std::size_t cache_entries = 10000;  // 0 turns the cache off
};

class WordfinderRouter final : public http::Router {
 public:
  WordfinderRouter(std::shared_ptr<const WordIndex> index, const RouterSettings& settings);

  http::Response route(const http::Request& request) const override;
  // A search with blanks, or of more than kCheapTiles tiles: hundreds of microseconds to
  // milliseconds (see make bench's search timings).
  bool costly(const http::Request& request) const override;
  static constexpr std::uint32_t kCheapTiles = 10;

  const WordIndex& index() const { return *index_; }
  AnswerCacheStats cache_stats() const { return cache_.stats(); }

 private:
  // GET /: the web page or the usage text, as `accept` asks.
  http::Response front(std::string_view accept) const;
  http::Response find_words(std::string_view segment, std::string_view query,
                            const boost::asio::ip::address& client) const;

  std::shared_ptr<const WordIndex> index_;
  RouterSettings settings_;
  std::shared_ptr<const std::string> usage_;  // GET /
  WebPage page_;                              // GET / with Accept: text/html
  mutable AnswerCache cache_;  // thread-safe; a cache does not change what route() answers
};

}  // namespace netsvcd::wordfinder
