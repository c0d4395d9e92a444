// Unit tests for daemon/wordfinder/answer_cache.*: hits and misses, LRU eviction, the cache
// turned off, shards, and counters that stay consistent under concurrent use.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "wordfinder/answer_cache.hpp"

namespace {

using netsvcd::wordfinder::Answer;
using netsvcd::wordfinder::AnswerCache;
using netsvcd::wordfinder::AnswerCacheStats;

// An answer whose one word says which key it was made for. The view points at a literal or at a
// string that outlives the cache.
std::shared_ptr<const Answer> answer(std::string_view word) {
  return std::make_shared<const Answer>(Answer{std::string(word)});
}

AnswerCacheStats stats(std::uint64_t hits, std::uint64_t misses, std::uint64_t insertions,
                       std::uint64_t evictions, std::size_t entries) {
  return AnswerCacheStats{hits, misses, insertions, evictions, entries};
}

TEST_CASE("answer cache: a stored answer is a hit and anything else a miss", "[answer_cache]") {
  AnswerCache cache(10);
  CHECK(cache.lookup("aelrx", 2) == nullptr);

  const auto relax = answer("relax");
  cache.insert("aelrx", 2, relax);
  CHECK(cache.lookup("aelrx", 2) == relax);
  CHECK(cache.lookup("aelrx", 3) == nullptr);  // min_length is part of the key
  CHECK(cache.lookup("aelrx_", 2) == nullptr);
  CHECK(cache.stats() == stats(1, 3, 1, 0, 1));
}

TEST_CASE("answer cache: inserting a key again replaces its answer", "[answer_cache]") {
  AnswerCache cache(10);
  cache.insert("ab", 2, answer("first"));
  const auto second = answer("second");
  cache.insert("ab", 2, second);
  CHECK(cache.lookup("ab", 2) == second);
  CHECK(cache.stats() == stats(1, 0, 1, 0, 1));
}

TEST_CASE("answer cache: the least recently used answer is evicted first", "[answer_cache]") {
  AnswerCache cache(3, 1);
  REQUIRE(cache.shard_count() == 1);
  cache.insert("a", 2, answer("a"));
  cache.insert("b", 2, answer("b"));
  cache.insert("c", 2, answer("c"));
  REQUIRE(cache.lookup("a", 2));  // a is now the most recently used: b is the oldest

  cache.insert("d", 2, answer("d"));
  CHECK(cache.lookup("b", 2) == nullptr);
  CHECK(cache.stats().evictions == 1);

  // Order of use now, oldest first: c, a, d. Replacing c makes it the newest.
  cache.insert("c", 2, answer("c again"));
  cache.insert("e", 2, answer("e"));  // evicts a
  cache.insert("f", 2, answer("f"));  // evicts d
  CHECK(cache.lookup("a", 2) == nullptr);
  CHECK(cache.lookup("d", 2) == nullptr);
  REQUIRE(cache.lookup("c", 2));
  CHECK(cache.lookup("c", 2)->json == "c again");
  CHECK(cache.lookup("e", 2));
  CHECK(cache.lookup("f", 2));
  CHECK(cache.stats() == stats(5, 3, 6, 3, 3));
}

TEST_CASE("answer cache: capacity 0 turns it off", "[answer_cache]") {
  AnswerCache cache(0);
  CHECK(cache.shard_count() == 0);
  cache.insert("aelrx", 2, answer("relax"));
  CHECK(cache.lookup("aelrx", 2) == nullptr);
  CHECK(cache.lookup("aelrx", 2) == nullptr);
  CHECK(cache.stats() == stats(0, 2, 0, 0, 0));
}

TEST_CASE("answer cache: shards split the capacity and never hold more in all", "[answer_cache]") {
  CHECK(AnswerCache(10).shard_count() == 10);  // never a shard of capacity 0
  CHECK(AnswerCache(1000).shard_count() == AnswerCache::kDefaultShards);
  CHECK(AnswerCache(1000, 0).shard_count() == 1);

  AnswerCache cache(100);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i)
    keys.push_back("k" + std::to_string(i));
  for (const auto& key : keys)
    cache.insert(key, 2, answer(key));
  const AnswerCacheStats after = cache.stats();
  CHECK(after.entries <= 100);
  CHECK(after.entries >= 90);  // the hash spreads keys evenly enough to fill the shards
  CHECK(after.insertions == 1000);
  CHECK(after.evictions == 1000 - after.entries);
  // The last key inserted is always the newest of its shard.
  CHECK(cache.lookup(keys.back(), 2));
}

TEST_CASE("answer cache: counters stay consistent when threads share it", "[answer_cache]") {
  constexpr int kThreads = 4;
  constexpr int kRounds = 5000;
  constexpr int kKeys = 64;
  AnswerCache cache(32);
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i)
    keys.push_back("rack" + std::to_string(i));

  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const auto& key = keys[static_cast<std::size_t>((round * 7 + t * 13) % kKeys)];
        const std::size_t min_length = 2 + static_cast<std::size_t>(round % 2);
        if (const auto found = cache.lookup(key, min_length)) {
          if (found->json != key) ++wrong[t];
        } else {
          cache.insert(key, min_length, answer(key));
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();

  for (const int count : wrong)
    CHECK(count == 0);
  const AnswerCacheStats after = cache.stats();
  CHECK(after.hits + after.misses == std::uint64_t{kThreads} * kRounds);
  CHECK(after.hits > 0);
  CHECK(after.entries <= 32);
  CHECK(after.insertions - after.evictions == after.entries);
  CHECK(after.insertions <= after.misses);
}

}  // namespace

namespace {

// An answer of `count` words, 16 bytes each: its bytes() grow with count.
std::shared_ptr<const Answer> answer_of(std::size_t count) {
  return std::make_shared<const Answer>(Answer{std::string(count * 16, 'w')});
}

}  // namespace

TEST_CASE("answer cache: a byte budget evicts large answers before the count is reached",
          "[answer_cache]") {
  // One shard, room for 100 answers by count, but only about 10 KiB in all.
  AnswerCache cache(100, 1, 10 * 1024);
  const auto big = answer_of(300);  // about 4.8 KiB with its key: two fit, not three
  cache.insert("aaa", 2, big);
  cache.insert("bbb", 2, big);
  CHECK(cache.stats() == stats(0, 0, 2, 0, 2));
  cache.insert("ccc", 2, big);
  CHECK(cache.stats() == stats(0, 0, 3, 1, 2));
  CHECK(cache.lookup("aaa", 2) == nullptr);  // the least recently used went
  CHECK(cache.lookup("ccc", 2) == big);

  // An answer larger than the whole budget is never stored, and evicts nothing.
  cache.insert("ddd", 2, answer_of(1000));
  CHECK(cache.lookup("ddd", 2) == nullptr);
  CHECK(cache.lookup("bbb", 2) == big);
  CHECK(cache.stats() == stats(2, 2, 3, 1, 2));
}
