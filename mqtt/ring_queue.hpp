// RingQueue: the FIFO behind per-client queues (a session's queued and
// in-flight messages, a connection's outbound frames).
//
// Why not std::deque: libstdc++'s deque allocates a 512-byte block and its map
// even when empty, and a connection holds three of them: about 1.8 KiB per idle
// client, more than Mosquitto spends on a whole connection. This ring holds
// nothing until the first push, grows by doubling, and gives its storage back
// when it drains after a burst, so an idle client costs the three words of
// the object itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace mqgate::mqtt {

template <class T>
class RingQueue {
    template <bool Const>
    class Iter {
        using Owner = std::conditional_t<Const, const RingQueue, RingQueue>;

    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = std::conditional_t<Const, const T*, T*>;
        using reference = std::conditional_t<Const, const T&, T&>;

        Iter() = default;
        Iter(Owner* q, std::size_t i) : q_(q), i_(i) {}
        operator Iter<true>() const { return {q_, i_}; }  // iterator -> const_iterator
        reference operator*() const { return q_->at(i_); }
        pointer operator->() const { return &q_->at(i_); }
        Iter& operator++() {
            ++i_;
            return *this;
        }
        Iter operator++(int) {
            Iter old = *this;
            ++i_;
            return old;
        }
        bool operator==(const Iter& o) const { return i_ == o.i_; }

    private:
        friend class RingQueue;
        Owner* q_ = nullptr;
        std::size_t i_ = 0;  // position from the front
    };

public:
    using value_type = T;
    using iterator = Iter<false>;
    using const_iterator = Iter<true>;

    RingQueue() noexcept = default;
    RingQueue(const RingQueue& o) {
        for (const T& v : o) push_back(v);
    }
    RingQueue(RingQueue&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)),
          cap_(std::exchange(o.cap_, 0)),
          head_(std::exchange(o.head_, 0)),
          size_(std::exchange(o.size_, 0)),
          peak_(std::exchange(o.peak_, 0)) {}
    RingQueue& operator=(RingQueue o) noexcept {
        swap(o);
        return *this;
    }
    ~RingQueue() { release(); }

    void swap(RingQueue& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(cap_, o.cap_);
        std::swap(head_, o.head_);
        std::swap(size_, o.size_);
        std::swap(peak_, o.peak_);
    }

    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return cap_; }
    T& front() { return at(0); }
    const T& front() const { return at(0); }
    T& back() { return at(size_ - 1); }

    iterator begin() { return {this, 0}; }
    iterator end() { return {this, size_}; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }

    void push_back(T value) {
        if (size_ == cap_) grow();
        std::construct_at(data_ + index(size_), std::move(value));
        if (++size_ > peak_) peak_ = size_;
    }

    void pop_front() {
        std::destroy_at(data_ + head_);
        head_ = (head_ + 1) & (cap_ - 1);
        if (--size_ == 0) drained();
    }

    // Removes one element, moving the shorter side; returns the next one.
    iterator erase(const_iterator pos) {
        const std::size_t i = pos.i_;
        if (i < size_ / 2) {
            for (std::size_t k = i; k > 0; --k) at(k) = std::move(at(k - 1));
            pop_front();
        } else {
            for (std::size_t k = i; k + 1 < size_; ++k) at(k) = std::move(at(k + 1));
            std::destroy_at(&at(size_ - 1));
            if (--size_ == 0) drained();
        }
        return {this, i};
    }

    // Frees the storage if nothing is queued (an idle owner keeps none).
    void shrink() noexcept {
        if (size_ == 0) release();
    }

    void clear() noexcept {
        while (size_ > 0) {
            std::destroy_at(data_ + head_);
            head_ = (head_ + 1) & (cap_ - 1);
            --size_;
        }
        drained();
    }

private:
    // When drained, storage is kept if it is small, or if it was mostly used
    // since the last drain (a busy connection refills it at once: freeing it
    // would mean malloc/free churn on every write). A ring far bigger than
    // what the last cycle needed is what is left of a past burst: freed.
    static constexpr std::size_t keep_capacity = 8;

    std::size_t index(std::size_t i) const noexcept { return (head_ + i) & (cap_ - 1); }
    T& at(std::size_t i) { return data_[index(i)]; }
    const T& at(std::size_t i) const { return data_[index(i)]; }

    void grow() {
        // As std::vector does past max_size(): a defined failure, not a wrapped count.
        if (cap_ > std::numeric_limits<std::uint32_t>::max() / 2) {
            throw std::length_error("RingQueue: too many elements");
        }
        const std::uint32_t cap = cap_ ? cap_ * 2 : 2;  // powers of two: index() masks
        T* data = std::allocator<T>().allocate(cap);
        for (std::size_t i = 0; i < size_; ++i) {
            std::construct_at(data + i, std::move(at(i)));
            std::destroy_at(&at(i));
        }
        if (data_) std::allocator<T>().deallocate(data_, cap_);
        data_ = data;
        cap_ = cap;
        head_ = 0;
    }

    void drained() noexcept {
        head_ = 0;
        if (cap_ > keep_capacity && cap_ > 4 * peak_) release();
        peak_ = 0;
    }

    void release() noexcept {
        clear_elements();
        if (data_) std::allocator<T>().deallocate(data_, cap_);
        data_ = nullptr;
        cap_ = 0;
        head_ = 0;
    }

    void clear_elements() noexcept {
        for (std::size_t i = 0; i < size_; ++i) std::destroy_at(&at(i));
        size_ = 0;
    }

    // 32-bit counts: every session holds two rings and every connection one,
    // idle or not (memory per idle connection), and 2^31 elements is far
    // beyond any queue limit.
    T* data_ = nullptr;
    std::uint32_t cap_ = 0;
    std::uint32_t head_ = 0;
    std::uint32_t size_ = 0;
    std::uint32_t peak_ = 0;  // most elements held since the last drain
};

}  // namespace mqgate::mqtt
