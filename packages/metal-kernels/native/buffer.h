// 64-byte aligned, uninitialised storage owned by one call (scratch, packed
// panels, per-slot results). Shared by every baseline-ISA driver.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace mk {

template <typename T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(int64_t n) { reset(n); }
  void reset(int64_t n) {
    size_t bytes = (static_cast<size_t>(n < 1 ? 1 : n) * sizeof(T) + 63) & ~size_t(63);
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    ptr_.reset(static_cast<T*>(p));
  }
  T* get() const { return ptr_.get(); }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> ptr_;
};

}  // namespace mk
