#include "hybrid/reactor/timeout_list.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace hybrid::reactor {
namespace {

// Pops every node due at `now`, returning their owners' indices in pop order.
std::vector<int> pop_all(TimeoutList& list, MonotonicMs now) {
  std::vector<int> popped;
  while (TimeoutNode* node = list.pop_expired(now)) {
    popped.push_back(*static_cast<int*>(node->owner));
  }
  return popped;
}

class TimeoutListTest : public ::testing::Test {
 protected:
  TimeoutListTest() {
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      ids_[i] = i;
      nodes_[i].owner = &ids_[i];
    }
  }

  std::array<int, 4> ids_{};
  std::array<TimeoutNode, 4> nodes_{};
  TimeoutList list_{100};
};

TEST_F(TimeoutListTest, EmptyListHasNoDeadlineAndNothingExpires) {
  EXPECT_EQ(list_.duration(), 100);
  EXPECT_EQ(list_.next_deadline(), -1);
  EXPECT_EQ(list_.pop_expired(1'000'000), nullptr);
}

TEST_F(TimeoutListTest, ArmSetsDeadlineAndLinksNode) {
  list_.arm(nodes_[0], 1000);
  EXPECT_TRUE(nodes_[0].linked());
  EXPECT_TRUE(nodes_[0].armed_in(list_));
  EXPECT_EQ(nodes_[0].deadline, 1100);
  EXPECT_EQ(list_.next_deadline(), 1100);
}

TEST_F(TimeoutListTest, ExpiresInArmOrder) {
  list_.arm(nodes_[2], 10);
  list_.arm(nodes_[0], 20);
  list_.arm(nodes_[1], 30);
  EXPECT_EQ(pop_all(list_, 1000), (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(list_.next_deadline(), -1);
}

TEST_F(TimeoutListTest, PopExpiredReturnsOnlyDueNodes) {
  list_.arm(nodes_[0], 0);   // due at 100
  list_.arm(nodes_[1], 50);  // due at 150
  list_.arm(nodes_[2], 60);  // due at 160
  EXPECT_EQ(list_.pop_expired(99), nullptr);
  EXPECT_EQ(pop_all(list_, 100), std::vector<int>{0});  // exactly at the deadline is due
  EXPECT_EQ(pop_all(list_, 155), std::vector<int>{1});
  EXPECT_EQ(list_.next_deadline(), 160);
  EXPECT_TRUE(nodes_[2].armed_in(list_));
  EXPECT_EQ(pop_all(list_, 160), std::vector<int>{2});
}

TEST_F(TimeoutListTest, PoppedNodeIsUnlinked) {
  list_.arm(nodes_[0], 0);
  TimeoutNode* popped = list_.pop_expired(100);
  ASSERT_EQ(popped, &nodes_[0]);
  EXPECT_FALSE(popped->linked());
  EXPECT_FALSE(popped->armed_in(list_));
  EXPECT_EQ(popped->prev, nullptr);
  EXPECT_EQ(popped->next, nullptr);
}

TEST_F(TimeoutListTest, RearmMovesNodeToTheBack) {
  list_.arm(nodes_[0], 10);
  list_.arm(nodes_[1], 20);
  list_.arm(nodes_[2], 30);
  list_.arm(nodes_[0], 40);  // re-armed: now the latest deadline
  EXPECT_EQ(nodes_[0].deadline, 140);
  EXPECT_EQ(list_.next_deadline(), 120);
  EXPECT_EQ(pop_all(list_, 135), (std::vector<int>{1, 2}));
  EXPECT_EQ(list_.next_deadline(), 140);
  EXPECT_EQ(pop_all(list_, 140), std::vector<int>{0});
}

TEST_F(TimeoutListTest, RearmOfTheOnlyNodeKeepsListConsistent) {
  list_.arm(nodes_[0], 10);
  list_.arm(nodes_[0], 20);
  EXPECT_EQ(list_.next_deadline(), 120);
  EXPECT_EQ(pop_all(list_, 1000), std::vector<int>{0});
  EXPECT_EQ(list_.next_deadline(), -1);
}

TEST_F(TimeoutListTest, UnlinkRemovesFromTheMiddle) {
  list_.arm(nodes_[0], 10);
  list_.arm(nodes_[1], 20);
  list_.arm(nodes_[2], 30);
  TimeoutList::unlink(nodes_[1]);
  EXPECT_FALSE(nodes_[1].linked());
  EXPECT_EQ(pop_all(list_, 1000), (std::vector<int>{0, 2}));
}

TEST_F(TimeoutListTest, UnlinkHeadAdvancesNextDeadline) {
  list_.arm(nodes_[0], 10);
  list_.arm(nodes_[1], 20);
  TimeoutList::unlink(nodes_[0]);
  EXPECT_EQ(list_.next_deadline(), 120);
  TimeoutList::unlink(nodes_[1]);
  EXPECT_EQ(list_.next_deadline(), -1);
  EXPECT_EQ(list_.pop_expired(1000), nullptr);
}

TEST_F(TimeoutListTest, UnlinkOfAnUnlinkedNodeIsHarmless) {
  TimeoutList::unlink(nodes_[0]);
  EXPECT_FALSE(nodes_[0].linked());
  list_.arm(nodes_[1], 0);
  TimeoutList::unlink(nodes_[1]);
  TimeoutList::unlink(nodes_[1]);
  EXPECT_EQ(list_.next_deadline(), -1);
}

TEST_F(TimeoutListTest, ArmingInAnotherListMovesTheNode) {
  TimeoutList other(500);
  list_.arm(nodes_[0], 0);
  list_.arm(nodes_[1], 0);
  other.arm(nodes_[0], 0);
  EXPECT_TRUE(nodes_[0].armed_in(other));
  EXPECT_FALSE(nodes_[0].armed_in(list_));
  EXPECT_EQ(nodes_[0].deadline, 500);
  EXPECT_EQ(pop_all(list_, 1000), std::vector<int>{1});
  EXPECT_EQ(other.next_deadline(), 500);
  EXPECT_EQ(pop_all(other, 499), std::vector<int>{});
  EXPECT_EQ(pop_all(other, 500), std::vector<int>{0});
}

TEST_F(TimeoutListTest, CallerMayRearmWhatItPops) {
  list_.arm(nodes_[0], 0);
  list_.arm(nodes_[1], 0);
  std::vector<int> popped;
  while (TimeoutNode* node = list_.pop_expired(100)) {
    popped.push_back(*static_cast<int*>(node->owner));
    list_.arm(*node, 100);  // due again at 200: must not be popped again at 100
  }
  EXPECT_EQ(popped, (std::vector<int>{0, 1}));
  EXPECT_EQ(list_.next_deadline(), 200);
  EXPECT_EQ(pop_all(list_, 200), (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace hybrid::reactor
