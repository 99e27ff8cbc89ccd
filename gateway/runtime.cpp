// The running gateway: an I/O context for sockets and timers, a pool for blocking work (files, SQLite),
// one scheduling loop per source and a signal handler that shuts everything down in order.

#include "gateway/runtime.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "gateway/api/api.hpp"
#include "gateway/http/client.hpp"
#include "gateway/http/client_settings.hpp"
#include "gateway/http/server.hpp"
#include "gateway/scheduler/source_monitor.hpp"
#include "gateway/subscriptions/webhooks.hpp"

// GCC 12 at -O2 reports Asio's coroutine frame allocation and deallocation as mismatched (a false positive of
// its coroutine lowering: the frame's operator new and delete are a matching pair in awaitable_frame_base).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace veikart {

namespace asio = boost::asio;

void log_line(std::string_view level, std::string_view message) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "%s %.*s %.*s\n", now_rfc3339().c_str(), static_cast<int>(level.size()), level.data(),
               static_cast<int>(message.size()), message.data());
}

namespace {

// After failed read attempt `attempt`: false when there is to be no retry (no monitor: a one-off run; the
// retries are used up; the gateway is stopping; the upstream's Retry-After asks for longer than a run waits),
// else true once the monitor's backoff with jitter, or the longer Retry-After, has passed.
asio::awaitable<bool> may_retry(const SourceMonitor* monitor, int attempt, const std::atomic<bool>* stopping,
                                std::mt19937& rng, std::optional<std::chrono::seconds> retry_after) {
  if (monitor == nullptr || attempt > monitor->policy().retries || (stopping && *stopping)) co_return false;
  const auto delay = monitor->retry_wait(attempt, std::uniform_real_distribution<double>(0, 1)(rng), retry_after);
  if (!delay) co_return false;
  asio::steady_timer wait(co_await asio::this_coro::executor);
  wait.expires_after(*delay);
  auto [ec] = co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;
  co_return true;
}

// Reads the source (retrying a failed read with backoff when a monitor is given) and applies what it read as one
// ingestion run. `attempts` receives how many reads it took, `retry_after` the last failed read's Retry-After.
asio::awaitable<IngestReport> pull_and_apply(SourceAdapter& adapter, const SourceEntry& source,
                                             const Reference& reference, Store& store,
                                             std::vector<std::filesystem::path> paths, bool dry_run,
                                             const SourceMonitor* monitor, int* attempts,
                                             const std::atomic<bool>* stopping, HttpFetcher* http,
                                             std::optional<std::chrono::seconds>* retry_after = nullptr) {
  const std::string started = now_rfc3339();
  PullContext ctx{reference, std::move(paths), http};
  const SourceInfo info{source.config.name, source.config.type, source.precedence};
  // A blocking adapter (files) reads inside the ingestion transaction and streams its fragments into it, so a
  // large source is never held whole. A failed read rolls its attempt back; a scheduled run waits (outside any
  // transaction) and tries again, and the run is recorded once, with the last attempt's outcome.
  std::mt19937 rng(std::random_device{}());
  if (auto* blocking = dynamic_cast<BlockingSourceAdapter*>(&adapter); blocking != nullptr) {
    StreamedRun run(store, info, dry_run, started);
    IngestReport report;
    for (int attempt = 1;; ++attempt) {
      report = run.attempt([&ctx, blocking](FragmentSink& sink) {
        ctx.sink = &sink;
        auto read = blocking->read(ctx);
        ctx.sink = nullptr;
        return read;
      });
      if (attempts) *attempts = attempt;
      if (!report.read_failed || !co_await may_retry(monitor, attempt, stopping, rng, std::nullopt)) break;
    }
    co_return run.finish(std::move(report));
  }
  Expected<Batch> batch = Error{"not read"};
  for (int attempt = 1;; ++attempt) {
    try {
      batch = co_await adapter.pull(ctx);
    } catch (const std::exception& e) {
      // An adapter must return failures as values; a throw is a bug, but the run is still recorded.
      batch = Error{std::string("adapter failed unexpectedly: ") + e.what()};
    }
    if (attempts) *attempts = attempt;
    if (batch.ok()) break;
    if (retry_after) *retry_after = batch.error().retry_after;
    if (!co_await may_retry(monitor, attempt, stopping, rng, batch.error().retry_after)) break;
  }
  co_return ingest_batch(store, info, batch, dry_run, started);
}

}  // namespace

Expected<std::unique_ptr<HttpFetcher>> make_source_http_client(const SourceEntry& source) {
  if (!pulls_over_http(source.config)) return std::unique_ptr<HttpFetcher>();
  auto options = http_client_options(source.config);
  if (!options) return options.error();
  try {
    return make_http_client(std::move(*options));
  } catch (const std::exception& e) {
    return Error{"source '" + source.config.name + "': " + e.what()};
  }
}

IngestReport run_source_once(const SourceEntry& source, const AdapterRegistry& registry, const Reference& reference,
                             Store& store, const std::vector<std::filesystem::path>& paths, bool dry_run) {
  const auto failed = [&source](std::string error) {
    IngestReport r;
    r.source = source.config.name;
    r.read_failed = true;
    r.error = std::move(error);
    return r;
  };
  const AdapterType* type = registry.find(source.config.type);
  if (type == nullptr) return failed("unknown adapter type '" + source.config.type + "'");
  auto adapter = type->make(source.config);
  if (!adapter) return failed(adapter.error().message);
  auto http = make_source_http_client(source);
  if (!http) return failed(http.error().message);
  asio::io_context io;
  IngestReport report;
  std::exception_ptr failure;
  asio::co_spawn(
      io, pull_and_apply(**adapter, source, reference, store, paths, dry_run, nullptr, nullptr, nullptr, http->get()),
      [&](std::exception_ptr e, IngestReport r) {
        failure = e;
        report = std::move(r);
      });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return report;
}

namespace {

// What the scheduling loops and the shutdown share while the gateway runs.
struct Running {
  asio::io_context& io;
  asio::thread_pool& blocking;
  Store& store;
  const Reference& reference;
  Metrics& metrics;
  std::atomic<std::size_t> first_pass_left{0};
  std::atomic<int> runs_in_flight{0};
  std::atomic<bool> stopping{false};
  std::vector<std::shared_ptr<asio::steady_timer>> timers;
  SourceMonitor monitor;
  std::unique_ptr<std::atomic<bool>[]> forced;  // per source: run now (POST /v1/sources/{name}/run)
  const WebhookDispatcher* webhooks = nullptr;
  std::map<const SourceEntry*, std::unique_ptr<HttpFetcher>> http = {};  // the HTTP client of each pulling source
};

// One run of one source, logged and counted. Coroutines here are plain functions, not capturing lambdas: their
// parameters live in the coroutine frame.
asio::awaitable<void> run_source(Running* state, const SourceEntry* source, SourceAdapter* adapter) {
  ++state->runs_in_flight;
  const auto t0 = std::chrono::steady_clock::now();
  int attempts = 0;
  std::optional<std::chrono::seconds> retry_after;
  IngestReport report = co_await asio::co_spawn(
      state->blocking,
      pull_and_apply(*adapter, *source, state->reference, state->store, {}, false, &state->monitor, &attempts,
                     &state->stopping, state->http.at(source).get(), &retry_after),
      asio::use_awaitable);
  --state->runs_in_flight;
  // An upstream that asked for a pause (429 or 503 with Retry-After) is not read again on schedule before then.
  if (report.read_failed && retry_after) {
    state->monitor.hold_until(source->config.name, std::chrono::system_clock::now() + *retry_after);
  }
  state->monitor.record(source->config.name, !report.read_failed, !report.rejected.empty(), report.error, attempts,
                        std::chrono::system_clock::now());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  state->metrics.observe_run(source->config.name, report.run.status, report.accepted,
                             static_cast<int>(report.rejected.size()), report.unchanged, report.removed, secs);
  log_line(report.read_failed ? "warn" : "info",
           "source " + source->config.name + ": " + report.run.status + ", " + std::to_string(report.accepted) +
               " accepted, " + std::to_string(report.unchanged) + " unchanged, " +
               std::to_string(report.rejected.size()) + " rejected, " + std::to_string(report.removed) + " removed" +
               (report.unlinked ? ", " + std::to_string(report.unlinked) + " unlinked" : "") +
               (attempts > 1 ? ", " + std::to_string(attempts) + " attempts" : "") +
               (report.read_failed ? " (" + report.error + ")" : ""));
}

// After the first pass: the source again every interval (plus up to 10 % jitter so equal intervals spread out).
asio::awaitable<void> source_loop(Running* state, std::size_t index, const SourceEntry* source, SourceAdapter* adapter,
                                  std::shared_ptr<asio::steady_timer> timer, unsigned seed) {
  std::mt19937 local(seed);
  const std::string& name = source->config.name;
  while (!state->stopping) {
    bool forced = state->forced[index].exchange(false);
    if (!forced) {
      const auto base = std::chrono::duration_cast<std::chrono::milliseconds>(source->interval);
      std::uniform_int_distribution<long long> jitter(0, base.count() / 10);
      const auto delay = base + std::chrono::milliseconds(jitter(local));
      state->monitor.set_next_run(name, std::chrono::system_clock::now() + delay);
      timer->expires_after(delay);
      auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
      forced = state->forced[index].exchange(false);
    }
    if (state->stopping) break;
    // An upstream's Retry-After and an open circuit skip scheduled runs until their time is up; a run asked for by
    // an operator always goes.
    if (auto until = state->monitor.held_until(name, std::chrono::system_clock::now()); until && !forced) {
      log_line("info", "source " + name + ": the upstream asked not to be read before " + to_rfc3339(*until) +
                           " (Retry-After), run skipped");
      continue;
    }
    if (!forced && !state->monitor.should_run(name, std::chrono::system_clock::now())) {
      log_line("info", "source " + name + ": circuit open, run skipped");
      continue;
    }
    co_await run_source(state, source, adapter);
  }
}

// Start-up reads the sources once, in config order, so records that attach to other sources' items (archive
// decisions) find them on the first pass; then every source goes on its own interval.
asio::awaitable<void> first_pass(Running* state, const GatewayConfig* config,
                                 std::vector<std::unique_ptr<SourceAdapter>>* adapters, unsigned seed) {
  for (std::size_t i = 0; i < config->sources.size() && !state->stopping; ++i) {
    co_await run_source(state, &config->sources[i], (*adapters)[i].get());
    --state->first_pass_left;
  }
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < config->sources.size() && !state->stopping; ++i) {
    asio::co_spawn(state->io, source_loop(state, i, &config->sources[i], (*adapters)[i].get(), state->timers[i], rng()),
                   asio::detached);
  }
}

// After a stop signal: wait (at most 10 s) for open requests and running ingestion runs, then stop the loop.
asio::awaitable<void> drain_and_stop(Running* state, HttpServer* server) {
  asio::steady_timer wait(state->io);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const auto busy = [&] {
    return server->open_connections() > 0 || state->runs_in_flight > 0 ||
           (state->webhooks != nullptr && state->webhooks->in_flight() > 0);
  };
  while (busy() && std::chrono::steady_clock::now() < deadline) {
    wait.expires_after(std::chrono::milliseconds(50));
    auto [ec] = co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  state->io.stop();
}

}  // namespace

int serve(const GatewayConfig& config, const Reference& reference, Store& store, const AdapterRegistry& registry) {
  asio::io_context io;
  asio::thread_pool blocking(static_cast<std::size_t>(config.worker_threads));
  Metrics metrics;

  std::vector<std::unique_ptr<SourceAdapter>> adapters;
  for (const auto& s : config.sources) {
    auto made = registry.find(s.config.type)->make(s.config);
    if (!made) {
      log_line("error", "source " + s.config.name + ": " + made.error().message);
      return 2;
    }
    adapters.push_back(std::move(*made));
  }

  Running state{io,
                blocking,
                store,
                reference,
                metrics,
                {0},
                {0},
                {false},
                {},
                SourceMonitor(config.scheduler),
                std::make_unique<std::atomic<bool>[]>(config.sources.size())};
  state.first_pass_left = config.sources.size();
  for (const auto& s : config.sources) {
    auto http = make_source_http_client(s);
    if (!http) {
      log_line("error", http.error().message);
      return 2;
    }
    state.http[&s] = std::move(*http);
  }

  ApiContext api_context{store,    config, reference, metrics, [&state] { return state.first_pass_left.load() == 0; },
                         &registry};
  api_context.monitor = &state.monitor;
  api_context.trigger_run = [&state, &config](const std::string& name) {
    for (std::size_t i = 0; i < config.sources.size(); ++i) {
      if (config.sources[i].config.name != name) continue;
      state.forced[i] = true;
      // Wake the source's loop on its own executor; during the first pass the flag alone does it.
      asio::post(state.io, [timer = state.timers[i]] { timer->cancel(); });
      return true;
    }
    return false;
  };
  const std::unique_ptr<PushStore> push_store = open_sqlite_push_store(config.data_dir.string());
  api_context.push_store = push_store.get();
  Api api(api_context);
  HttpServer server(
      io, blocking, [&api](const HttpRequest& r) { return api.handle(r); }, config.limits, &metrics);
  server.set_push_routes(&Api::is_push);
  try {
    if (config.tls) server.set_tls(*config.tls);
    server.listen(config.listen_host, config.listen_port);
  } catch (const std::exception& e) {
    log_line("error", e.what());
    return 1;
  }

  for (std::size_t i = 0; i < config.sources.size(); ++i) {
    state.timers.push_back(std::make_shared<asio::steady_timer>(io));
  }
  asio::co_spawn(io, first_pass(&state, &config, &adapters, std::random_device{}()), asio::detached);

  // Webhooks: https to public addresses only (checked after DNS resolution) unless the config allows a host.
  HttpClientOptions webhook_http;
  webhook_http.https_only = true;
  webhook_http.public_addresses_only = true;
  webhook_http.allow_hosts = config.webhooks.allow_hosts;
  webhook_http.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.webhooks.timeout);
  webhook_http.read_timeout = webhook_http.total_timeout;
  webhook_http.connect_timeout = std::min(webhook_http.total_timeout, std::chrono::milliseconds(10'000));
  webhook_http.max_body_bytes = 1 << 20;  // a receiver's answer is not read beyond its status
  webhook_http.max_redirects = 0;
  auto webhook_client = make_http_client(webhook_http);
  WebhookDispatcher webhooks(store, *webhook_client, config.webhooks);
  state.webhooks = &webhooks;
  asio::co_spawn(blocking, webhooks.run(std::chrono::milliseconds(250), &state.stopping), asio::detached);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&state, &server](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log_line("info", "signal " + std::to_string(signo) + ": stopping (finishing in-flight requests and runs)");
    state.stopping = true;
    server.stop();
    for (auto& t : state.timers) t->cancel();
    asio::co_spawn(state.io, drain_and_stop(&state, &server), asio::detached);
  });

  log_line("info", std::string("listening on ") + (config.tls ? "https://" : "http://") + config.listen_host + ":" +
                       std::to_string(server.port()) + " with " + std::to_string(config.sources.size()) +
                       " sources; store in " + config.data_dir.string());
  std::vector<std::thread> threads;
  for (int i = 1; i < config.worker_threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  blocking.join();
  log_line("info", "stopped");
  return 0;
}

}  // namespace veikart
