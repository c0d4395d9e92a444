-- wrk_report.lua: wrk's end-of-run summary as one JSON line for bench/run.py. Used alone for a
-- fixed URL (wrk -s bench/wrk_report.lua URL), and loaded by bench/random_racks.lua.
-- The line starts with "WRK_JSON " so that it can be told apart from wrk's own report;
-- latencies are in microseconds, as wrk measures them.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%.1f,"p99":%.1f,"p999":%.1f,"mean":%.1f,"max":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.mean, latency.max))
end
