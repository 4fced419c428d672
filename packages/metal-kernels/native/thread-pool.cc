#include "thread-pool.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <algorithm>

#if defined(__linux__)
#include <sched.h>
#endif

namespace mk {
namespace {

struct Job {
  const TaskFn* fn = nullptr;
  int64_t ntasks = 0;
  std::atomic<int64_t> next{0};
  int max_helpers = 0;     // guarded by Pool::mutex
  int helpers_joined = 0;  // guarded by Pool::mutex
  int active = 0;          // helpers currently running tasks, guarded by Pool::mutex
  std::condition_variable done;
  std::atomic<bool> failed{false};
  std::exception_ptr error;  // first error, guarded by Pool::mutex
};

class Pool {
 public:
  Pool() : threads_(default_num_threads()) { resize_locked(threads_ - 1); }

  void set_threads(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    threads_ = n;
    resize_locked(n - 1);
    wake_.notify_all();
  }

  int threads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_;
  }

  void run(int64_t ntasks, int max_slots, const TaskFn& fn) {
    Job job;
    job.fn = &fn;
    job.ntasks = ntasks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      int slots = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({static_cast<int64_t>(max_slots), threads_, ntasks})));
      job.max_helpers = slots - 1;
      if (job.max_helpers > 0) {
        queue_.push_back(&job);
        wake_.notify_all();
      }
    }
    work(job, 0);
    std::unique_lock<std::mutex> lock(mutex_);
    // No new helper may join once the job leaves the queue; wait for the ones inside.
    auto it = std::find(queue_.begin(), queue_.end(), &job);
    if (it != queue_.end()) queue_.erase(it);
    job.done.wait(lock, [&] { return job.active == 0; });
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  static void work(Job& job, int slot) {
    for (;;) {
      if (job.failed.load(std::memory_order_relaxed)) return;
      int64_t t = job.next.fetch_add(1, std::memory_order_relaxed);
      if (t >= job.ntasks) return;
      try {
        (*job.fn)(t, slot);
      } catch (...) {
        record_error(job, std::current_exception());
        return;
      }
    }
  }

  static void record_error(Job& job, std::exception_ptr e);

  void resize_locked(int workers) {
    target_workers_ = std::max(0, workers);
    while (running_workers_ < target_workers_) {
      running_workers_++;
      std::thread([this] { worker_loop(); }).detach();
    }
  }

  void worker_loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (running_workers_ > target_workers_) {  // shrink: this worker retires
        running_workers_--;
        return;
      }
      Job* job = nullptr;
      for (Job* j : queue_) {
        if (j->helpers_joined < j->max_helpers && j->next.load(std::memory_order_relaxed) < j->ntasks &&
            !j->failed.load(std::memory_order_relaxed)) {
          job = j;
          break;
        }
      }
      if (!job) {
        wake_.wait(lock);
        continue;
      }
      int slot = ++job->helpers_joined;
      if (job->helpers_joined >= job->max_helpers) {
        auto it = std::find(queue_.begin(), queue_.end(), job);
        if (it != queue_.end()) queue_.erase(it);
      }
      job->active++;
      lock.unlock();
      try {
        work(*job, slot);
      } catch (...) {
      }
      lock.lock();
      if (--job->active == 0) job->done.notify_all();
    }
  }

 public:
  std::mutex mutex_;

 private:
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  int threads_;
  int target_workers_ = 0;
  int running_workers_ = 0;
};

// Leaked on purpose: detached workers may still be parked on its condition
// variable when the process exits, so it must never be destroyed.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

void Pool::record_error(Job& job, std::exception_ptr e) {
  std::lock_guard<std::mutex> lock(pool().mutex_);
  if (!job.error) job.error = e;
  job.failed.store(true, std::memory_order_relaxed);
}

}  // namespace

int default_num_threads() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return std::min(n, 256);
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(std::min(n, 256u));
}

void set_num_threads(int n) { pool().set_threads(std::max(1, std::min(n, 256))); }

int get_num_threads() { return pool().threads(); }

int planned_slots(int64_t ntasks) {
  int64_t t = get_num_threads();
  return static_cast<int>(std::max<int64_t>(1, std::min(t, ntasks)));
}

void parallel_for(int64_t ntasks, int max_slots, const TaskFn& fn) {
  if (ntasks <= 0) return;
  pool().run(ntasks, max_slots, fn);
}

}  // namespace mk
