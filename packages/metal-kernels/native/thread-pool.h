// A blocking thread pool: idle workers sleep on a condition variable (they
// never spin). Each parallel_for() call is a job in a queue; the calling
// thread works on its own job too, so a job always completes even when every
// worker is busy with other jobs (several async calls may run at once from
// libuv's pool). Tasks are handed out dynamically with an atomic counter.
#pragma once
#include <cstdint>
#include <functional>

namespace mk {

// Participants of one job get distinct slots in [0, max_slots): slot 0 is the
// calling thread. Per-call scratch memory is indexed by slot.
using TaskFn = std::function<void(int64_t task, int slot)>;

// The number of threads a job may use (the caller plus workers), 1..256.
void set_num_threads(int n);
int get_num_threads();
// The default: CPUs this process may run on.
int default_num_threads();

// Runs fn(task, slot) for every task in [0, ntasks) on up to `max_slots`
// threads (clamped to get_num_threads() and ntasks), then returns. Each slot
// runs its tasks in increasing order. If a task throws, no new tasks start
// and the first exception is rethrown here.
void parallel_for(int64_t ntasks, int max_slots, const TaskFn& fn);

// The slot count parallel_for would use for `ntasks` tasks.
int planned_slots(int64_t ntasks);

}  // namespace mk
