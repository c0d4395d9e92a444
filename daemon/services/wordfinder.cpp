// The wordfinder kind: the Scrabble word-finder HTTP/1.1 JSON API (wordfinder/router.hpp) over
// an HTTP session (http/session.hpp), with its dictionary loaded when the config is.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>
#include <string>

#include "config/listener_kind.hpp"
#include "config/mapping_reader.hpp"
#include "http/session.hpp"
#include "services/service.hpp"
#include "wordfinder/router.hpp"

namespace netsvcd::services {
namespace {

class WordfinderService final : public Service {
 public:
  WordfinderService(std::shared_ptr<const wordfinder::WordIndex> index,
                    const wordfinder::RouterSettings& settings, http::SessionLimits limits,
                    std::string dictionary)
      : router_(std::move(index), settings), limits_(limits), dictionary_(std::move(dictionary)) {}

  void serve(connection::StreamConnection connection) const override {
    connection.pin();
    http::serve_http(std::move(connection), limits_, router_, shared_from_this());
  }

  std::size_t refuse(const UniqueFd& socket, connection::Refusal reason) const override {
    // Over a limit, a client is told to come back; one that may not connect at all, that
    // comes when netsvcd saves its last descriptors, or whose PROXY header is refused (no
    // HTTP exchange began), gets nothing.
    if (reason == connection::Refusal::max_connections ||
        reason == connection::Refusal::max_per_source || reason == connection::Refusal::rate_limit)
      return http::answer_busy(socket);
    return 0;
  }

  metrics::ServiceMetrics metrics() const override {
    return {.http = true,
            .cache_entries = router_.cache_stats().entries,
            .dictionary_words = router_.index().stats().words};
  }

  std::optional<std::chrono::milliseconds> request_timeout() const override {
    return limits_.request_timeout;
  }

  std::string summary() const override {
    const auto& stats = router_.index().stats();
    return "dictionary " + dictionary_ + ": " + std::to_string(stats.words) + " words, " +
           std::to_string(stats.skipped()) + " lines skipped, " + std::to_string(stats.duplicates) +
           " duplicates; index " + std::to_string((router_.index().bytes() + 1023) / 1024) + " KiB";
  }

 private:
  wordfinder::WordfinderRouter router_;
  http::SessionLimits limits_;
  std::string dictionary_;
};

std::shared_ptr<const Service> configure(config::MappingReader& options,
                                         const config::ListenerTraits& /*listener*/) {
  const std::size_t errors_before = options.errors().size();
  wordfinder::RouterSettings settings;
  settings.min_length = static_cast<std::size_t>(options.integer("min_length", 1, 64).value_or(2));
  settings.limits.max_tiles =
      static_cast<std::uint32_t>(options.integer("max_letters", 1, 64).value_or(20));
  settings.limits.max_blanks =
      static_cast<std::uint32_t>(options.integer("max_blanks", 0, 64).value_or(2));
  if (options.errors().size() == errors_before) {
    if (settings.limits.max_blanks > settings.limits.max_tiles) {
      options.error("max_blanks", "more blanks than max_letters (" +
                                      std::to_string(settings.limits.max_tiles) + ") allows");
    }
    if (settings.min_length > settings.limits.max_tiles) {
      options.error("min_length", "longer than max_letters (" +
                                      std::to_string(settings.limits.max_tiles) +
                                      "): every answer would be empty");
    }
  }
  settings.cache_entries =
      static_cast<std::size_t>(options.integer("cache_entries", 0, 10'000'000).value_or(10000));
  http::SessionLimits limits;
  limits.request_timeout = options.duration("request_timeout", std::chrono::milliseconds(1))
                               .value_or(limits.request_timeout);
  limits.idle_timeout =
      options.duration("idle_timeout", std::chrono::milliseconds(1)).value_or(limits.idle_timeout);

  std::filesystem::path dictionary(
      options.string("dictionary").value_or(std::string(wordfinder::kDefaultDictionary)));
  if (dictionary.is_relative()) {
    // Relative to the config file, so a config and its word list can travel together.
    dictionary = std::filesystem::path(options.errors().file()).parent_path() / dictionary;
  }
  if (options.errors().size() != errors_before) return nullptr;
  auto loaded = wordfinder::WordIndex::load_file(dictionary);
  if (!loaded.index) {
    options.error("dictionary", loaded.error);
    return nullptr;
  }
  return std::make_shared<WordfinderService>(std::move(loaded.index), settings, limits,
                                             dictionary.string());
}

constexpr std::string_view kKeys[] = {"dictionary",  "min_length",    "max_letters",
                                      "max_blanks",  "cache_entries", "request_timeout",
                                      "idle_timeout"};

}  // namespace

extern const config::ListenerKind kWordfinderKind{"wordfinder", kKeys, false, &configure};

}  // namespace netsvcd::services
