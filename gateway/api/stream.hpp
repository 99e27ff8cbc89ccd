#pragma once
/// @brief The live change stream (Server-Sent Events): reads the change log at the client's pace, so nothing is
/// buffered for a slow client, and resumes from any sequence number without gaps.

#include <chrono>
#include <cstdint>
#include <memory>

#include "gateway/http/http_types.hpp"
#include "gateway/store/store.hpp"

namespace veikart {

/// One SSE client: events after `since` that pass `filter`, a heartbeat comment after `heartbeat` of silence.
/// A client that has reached the head once and then falls more than `max_lag` changes behind (it reads too
/// slowly) gets a final `cutoff` event with the sequence to resume from, and the stream ends.
std::shared_ptr<ResponseStream> make_change_stream(Store& store, RoadmapQuery filter, std::int64_t since,
                                                   std::chrono::milliseconds heartbeat, std::int64_t max_lag = 10000);

}  // namespace veikart
