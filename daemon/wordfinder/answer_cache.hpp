// AnswerCache: a bounded LRU of word-finder answers keyed by the normalised rack and min_length,
// and Answer, what it holds. One cache per wordfinder listener, shared by all its connections:
// safe from any thread. It is split into shards by the key's hash, each with its own mutex,
// list and map, so that concurrent hits on different racks do not wait on one lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace netsvcd::wordfinder {

// The answer for one rack, rendered once: the JSON members that are the same for every request
// that asks it (count, min_length, possibilities, rack), ready to send between the ones that
// are not (cached, client, time): one answer serves every client.
struct Answer {
  std::string json;

  // The memory the answer holds, which the cache's byte budget counts.
  std::size_t bytes() const { return sizeof(Answer) + json.capacity(); }
};

struct AnswerCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;      // every lookup that is not a hit, also when the cache is off
  std::uint64_t insertions = 0;  // new keys; replacing a key's answer is not one
  std::uint64_t evictions = 0;   // least recently used answers dropped to make room
  std::size_t entries = 0;       // insertions - evictions

  bool operator==(const AnswerCacheStats&) const = default;
};

class AnswerCache {
 public:
  static constexpr std::size_t kDefaultShards = 16;
  // Racks with blanks can spell tens of thousands of words: the count of answers alone would
  // not bound the memory, so their bytes are bounded too.
  static constexpr std::size_t kDefaultMaxBytes = 64 * 1024 * 1024;

  // Holds at most `capacity` answers; 0 turns the cache off (lookups miss, inserts do nothing).
  // The capacity is split between min(shards, capacity) shards, each evicting its own least
  // recently used answer: the order of eviction is LRU within a shard, and exact with one shard.
  // Each shard also keeps its answers within its share of `max_bytes`, evicting as it must; an
  // answer larger than a shard's share is not cached.
  explicit AnswerCache(std::size_t capacity, std::size_t shards = kDefaultShards,
                       std::size_t max_bytes = kDefaultMaxBytes);
  AnswerCache(const AnswerCache&) = delete;
  AnswerCache& operator=(const AnswerCache&) = delete;

  // The answer for `rack_key` (Rack::key()) and `min_length`, made the most recently used; or
  // nullptr.
  std::shared_ptr<const Answer> lookup(std::string_view rack_key, std::size_t min_length);

  // Stores `answer` as the most recently used, evicting the shard's least recently used answer
  // if the shard is full. An answer already there for the key is replaced.
  void insert(std::string_view rack_key, std::size_t min_length,
              std::shared_ptr<const Answer> answer);

  std::size_t capacity() const { return capacity_; }
  std::size_t shard_count() const { return shards_.size(); }
  // A sum over the shards, each read under its lock: exact when no other thread is using the cache.
  AnswerCacheStats stats() const;

 private:
  // A key as the map sees it: a view of the rack held by its list entry.
  struct KeyView {
    std::string_view rack;
    std::size_t min_length;
    bool operator==(const KeyView&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const KeyView& key) const;
  };
  struct Entry {
    std::string rack;
    std::size_t min_length;
    std::shared_ptr<const Answer> answer;
    std::size_t bytes;  // the answer's and the key's
  };
  struct Shard {
    std::mutex mutex;
    std::size_t capacity = 0;
    std::size_t max_bytes = 0;
    std::size_t bytes = 0;  // guarded by mutex: what the entries hold
    // Guarded by mutex: entries most recently used first, the map from key to entry (its keys
    // view the entries' racks), and the shard's counters.
    std::list<Entry> entries;
    std::unordered_map<KeyView, std::list<Entry>::iterator, KeyHash> by_key;
    AnswerCacheStats stats;
  };

  Shard& shard_for(const KeyView& key);

  std::size_t capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;     // none when the cache is off
  std::atomic<std::uint64_t> disabled_misses_{0};  // the lookups while it is off
};

}  // namespace netsvcd::wordfinder
