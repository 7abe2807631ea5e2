// O(1) timeouts for many connections that share one duration (keep-alive idle, header read,
// send): an intrusive list kept in deadline order simply by appending, because every entry gets
// the same duration. Arming, re-arming and cancelling are O(1); expiry only looks at entries that
// are due. No allocation, no scan of live connections per tick.
#pragma once

#include <cstdint>

#include "hybrid/reactor/event_loop.h"

namespace hybrid::reactor {

class TimeoutList;

// Embedded in the object that can time out. One node can be in at most one list at a time.
struct TimeoutNode {
  void* owner = nullptr;  // what timed out, for the code that pops the node
  TimeoutNode* prev = nullptr;
  TimeoutNode* next = nullptr;
  const TimeoutList* list = nullptr;  // the list holding the node, if any
  MonotonicMs deadline = 0;
  bool linked() const { return list != nullptr; }
  bool armed_in(const TimeoutList& candidate) const { return list == &candidate; }
};

class TimeoutList {
 public:
  explicit TimeoutList(MonotonicMs duration_ms) : duration_(duration_ms) {
    head_.prev = head_.next = &head_;
  }
  TimeoutList(const TimeoutList&) = delete;
  TimeoutList& operator=(const TimeoutList&) = delete;

  MonotonicMs duration() const { return duration_; }

  // (Re)arms `node` to expire duration() after `now`; takes it out of whatever list held it.
  void arm(TimeoutNode& node, MonotonicMs now) {
    unlink(node);
    node.deadline = now + duration_;
    node.list = this;
    node.prev = head_.prev;
    node.next = &head_;
    head_.prev->next = &node;
    head_.prev = &node;
  }

  // Safe on a node that is in no list.
  static void unlink(TimeoutNode& node) {
    if (!node.linked()) return;
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.prev = node.next = nullptr;
    node.list = nullptr;
  }

  // The earliest deadline, or -1 when the list is empty.
  MonotonicMs next_deadline() const { return head_.next == &head_ ? -1 : head_.next->deadline; }

  // Unlinks and returns the first entry due at `now`, or nullptr. Call in a loop; the caller may
  // re-arm or destroy the returned node's owner.
  TimeoutNode* pop_expired(MonotonicMs now) {
    TimeoutNode* first = head_.next;
    if (first == &head_ || first->deadline > now) return nullptr;
    unlink(*first);
    return first;
  }

 private:
  MonotonicMs duration_;
  TimeoutNode head_;  // sentinel: head_.next is the earliest deadline
};

}  // namespace hybrid::reactor
