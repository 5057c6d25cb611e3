// How long to wait before trying again after failures: exponential backoff
// with jitter. Pure. Used by webhook retries and bridge reconnects.
#pragma once

#include <chrono>
#include <cstdint>

namespace mqgate::support {

// The wait after `failed` failures in a row (1, 2, ...): `first` doubled per
// failure up to `max`, then a random part of it taken off ("equal jitter":
// between half and all of it, from `random`), so many clients failing
// together do not come back in lockstep.
std::chrono::milliseconds backoff_delay(unsigned failed, std::chrono::milliseconds first,
                                        std::chrono::milliseconds max, std::uint64_t random);

}  // namespace mqgate::support
