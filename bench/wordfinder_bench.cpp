// wordfinder_bench: the word index's search on the default dictionary against a naive scan of
// every word, in the same run, for 7 and 15 letters with and without blanks; and the time to
// load the dictionary. Each benchmark rotates through fixed racks. At the end it prints how many
// times faster the search is than the scan for each kind of rack.
// NETSVCD_DICTIONARY=FILE benchmarks another word list.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "wordfinder/rack.hpp"
#include "wordfinder/word_index.hpp"

namespace {

using netsvcd::wordfinder::parse_rack;
using netsvcd::wordfinder::Rack;
using netsvcd::wordfinder::RackLimits;
using netsvcd::wordfinder::WordIndex;

constexpr std::size_t kMinLength = 2;  // the listener's default

struct RackSet {
  const char* name;
  std::vector<std::string_view> racks;
};

const std::array<RackSet, 4> kRackSets{{
    {"7_letters",
     {"aeilnrt", "ednoqsu", "lexical", "hmortwy", "aeeilst", "cdeiknr", "giinnos", "aelprsy"}},
    {"7_letters_2_blanks",
     {"aeilnrt__", "ednoqsu__", "lexical__", "hmortwy__", "aeeilst__", "cdeiknr__", "giinnos__",
      "aelprsy__"}},
    {"15_letters",
     {"aeeilnnorsttuvw", "abcdeeghilmnort", "aadeeiilmnorsst", "bcdeefghiklnoru", "aaeeginorrsstty",
      "cdeeiilnoprsstu", "aeghiilmnoprstz", "abdeeilmnoorstu"}},
    {"15_letters_2_blanks",
     {"aeeilnnorsttuvw__", "abcdeeghilmnort__", "aadeeiilmnorsst__", "bcdeefghiklnoru__",
      "aaeeginorrsstty__", "cdeeiilnoprsstu__", "aeghiilmnoprstz__", "abdeeilmnoorstu__"}},
}};

std::string dictionary_path() {
  const char* path = std::getenv("NETSVCD_DICTIONARY");
  return path ? path : std::string(netsvcd::wordfinder::kDefaultDictionary);
}

std::vector<Rack> parse_racks(const RackSet& set) {
  std::vector<Rack> racks;
  for (const auto segment : set.racks) {
    racks.push_back(*parse_rack(segment, RackLimits{.max_tiles = 64, .max_blanks = 64}).rack);
  }
  return racks;
}

// What a server without an index does: every word of the dictionary checked against the rack.
std::vector<std::string_view> scan(const WordIndex& index, const Rack& rack,
                                   std::size_t min_length) {
  std::vector<std::string_view> found;
  for (std::size_t i = 0; i < index.size(); ++i) {
    const std::string_view word = index.word(i);
    if (word.size() < min_length || word.size() > rack.tiles()) continue;
    auto counts = rack.counts;
    std::uint32_t blanks = rack.blanks;
    const bool spelt = std::all_of(word.begin(), word.end(), [&](char c) {
      auto& count = counts[static_cast<std::size_t>(c - 'a')];
      if (count != 0) {
        --count;
      } else if (blanks != 0) {
        --blanks;
      } else {
        return false;
      }
      return true;
    });
    if (spelt) found.push_back(word);
  }
  std::stable_sort(found.begin(), found.end(), [](auto a, auto b) { return a.size() > b.size(); });
  return found;
}

template <typename Find>
void run_searches(benchmark::State& state, const std::vector<Rack>& racks, Find find) {
  std::size_t next = 0;
  std::size_t words = 0;
  for (auto _ : state) {
    const auto found = find(racks[next]);
    words += found.size();
    benchmark::DoNotOptimize(found.data());
    next = (next + 1) % racks.size();
  }
  state.counters["words"] =
      benchmark::Counter(static_cast<double>(words), benchmark::Counter::kAvgIterations);
}

// The console report, remembering each benchmark's mean time to print search against scan.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal: the figures are meant to be pasted.
  RatioReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& reports) override {
    ConsoleReporter::ReportRuns(reports);
    for (const auto& run : reports) {
      if (run.error_occurred) continue;
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "mean") continue;
      // With repetitions the mean, reported after the single runs, wins.
      times_[run.run_name.function_name] = run.GetAdjustedRealTime();
    }
  }

  void print_ratios() const {
    std::printf("\n%-22s %14s %14s %10s\n", "racks", "search (us)", "scan (us)", "speed-up");
    for (const auto& set : kRackSets) {
      const auto search = times_.find(std::string("search/") + set.name);
      const auto scanned = times_.find(std::string("scan/") + set.name);
      if (search == times_.end() || scanned == times_.end()) continue;
      std::printf("%-22s %14.2f %14.2f %9.1fx\n", set.name, search->second, scanned->second,
                  scanned->second / search->second);
    }
  }

 private:
  std::map<std::string, double> times_;  // microseconds per search
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  const std::string path = dictionary_path();
  const auto loaded = WordIndex::load_file(path);
  if (!loaded.index) {
    std::fprintf(stderr, "wordfinder_bench: %s\n", loaded.error.c_str());
    return 1;
  }
  const auto index = loaded.index;
  std::printf("dictionary %s: %zu words\n", path.c_str(), index->size());

  for (const auto& set : kRackSets) {
    const auto racks = parse_racks(set);
    // The two sides must agree, or the comparison means nothing.
    for (std::size_t i = 0; i < racks.size(); ++i) {
      if (index->search(racks[i], kMinLength) != scan(*index, racks[i], kMinLength)) {
        std::fprintf(stderr, "wordfinder_bench: search and scan differ on %s\n",
                     std::string(set.racks[i]).c_str());
        return 1;
      }
    }
    benchmark::RegisterBenchmark((std::string("search/") + set.name).c_str(),
                                 [index, racks](benchmark::State& state) {
                                   run_searches(state, racks, [&](const Rack& rack) {
                                     return index->search(rack, kMinLength);
                                   });
                                 })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((std::string("scan/") + set.name).c_str(),
                                 [index, racks](benchmark::State& state) {
                                   run_searches(state, racks, [&](const Rack& rack) {
                                     return scan(*index, rack, kMinLength);
                                   });
                                 })
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("load_dictionary", [path](benchmark::State& state) {
    for (auto _ : state) {
      const auto reloaded = WordIndex::load_file(path);
      benchmark::DoNotOptimize(reloaded.index.get());
    }
  })->Unit(benchmark::kMillisecond);

  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
