#include "wordfinder/answer_cache.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace netsvcd::wordfinder {

std::size_t AnswerCache::KeyHash::operator()(const KeyView& key) const {
  const std::size_t rack = std::hash<std::string_view>{}(key.rack);
  // min_length takes few values: spread it over the word before mixing it in.
  return rack ^ (key.min_length * 0x9e3779b97f4a7c15u + (rack << 6) + (rack >> 2));
}

AnswerCache::AnswerCache(std::size_t capacity, std::size_t shards, std::size_t max_bytes)
    : capacity_(capacity) {
  const std::size_t count = std::min(std::max<std::size_t>(shards, 1), capacity);
  shards_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->capacity = capacity / count + (i < capacity % count ? 1 : 0);
    shard->max_bytes = max_bytes / count;
    // A huge capacity must not cost its memory up front: the map grows as answers come.
    shard->by_key.reserve(std::min<std::size_t>(shard->capacity, 1024));
    shards_.push_back(std::move(shard));
  }
}

AnswerCache::Shard& AnswerCache::shard_for(const KeyView& key) {
  // The map's buckets take the hash modulo a prime; the shard takes the high half, so that the
  // keys of one shard still spread over its buckets.
  const std::size_t hash = KeyHash{}(key);
  return *shards_[(hash >> (sizeof hash * 4)) % shards_.size()];
}

std::shared_ptr<const Answer> AnswerCache::lookup(std::string_view rack_key,
                                                  std::size_t min_length) {
  if (shards_.empty()) {
    disabled_misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const KeyView key{rack_key, min_length};
  Shard& shard = shard_for(key);
  const std::lock_guard lock(shard.mutex);
  const auto found = shard.by_key.find(key);
  if (found == shard.by_key.end()) {
    ++shard.stats.misses;
    return nullptr;
  }
  ++shard.stats.hits;
  shard.entries.splice(shard.entries.begin(), shard.entries, found->second);
  return found->second->answer;
}

void AnswerCache::insert(std::string_view rack_key, std::size_t min_length,
                         std::shared_ptr<const Answer> answer) {
  if (shards_.empty()) return;
  const KeyView key{rack_key, min_length};
  Shard& shard = shard_for(key);
  const std::size_t bytes = answer->bytes() + sizeof(Entry) + rack_key.size();
  // The answers dropped are released after the lock: they may free a whole index.
  std::vector<std::shared_ptr<const Answer>> dropped;
  const std::lock_guard lock(shard.mutex);
  const auto found = shard.by_key.find(key);
  const bool replacing = found != shard.by_key.end();
  if (replacing) {
    // The old answer goes, and the new one must fit like any other.
    const auto entry = found->second;
    shard.by_key.erase(found);  // first: its key views the entry's rack
    shard.bytes -= entry->bytes;
    dropped.push_back(std::move(entry->answer));
    shard.entries.erase(entry);
  }
  if (bytes > shard.max_bytes) {
    if (replacing) ++shard.stats.evictions;
    return;
  }
  while (!shard.entries.empty() &&
         (shard.entries.size() >= shard.capacity || shard.bytes + bytes > shard.max_bytes)) {
    Entry& oldest = shard.entries.back();
    shard.by_key.erase(KeyView{oldest.rack, oldest.min_length});
    shard.bytes -= oldest.bytes;
    dropped.push_back(std::move(oldest.answer));
    shard.entries.pop_back();
    ++shard.stats.evictions;
  }
  shard.bytes += bytes;
  shard.entries.push_front(Entry{std::string(rack_key), min_length, std::move(answer), bytes});
  shard.by_key.emplace(KeyView{shard.entries.front().rack, min_length}, shard.entries.begin());
  if (!replacing) ++shard.stats.insertions;
}

AnswerCacheStats AnswerCache::stats() const {
  AnswerCacheStats total;
  total.misses = disabled_misses_.load(std::memory_order_relaxed);
  for (const auto& shard : shards_) {
    const std::lock_guard lock(shard->mutex);
    total.hits += shard->stats.hits;
    total.misses += shard->stats.misses;
    total.insertions += shard->stats.insertions;
    total.evictions += shard->stats.evictions;
    total.entries += shard->entries.size();
  }
  return total;
}

}  // namespace netsvcd::wordfinder
