#include "hybrid/tls/ticket_keys.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hybrid::tls {
namespace {

using std::chrono::seconds;
const TicketKeys::Clock::time_point kStart{};

TEST(TicketKeys, SealsWithOneKeyWithinAPeriod) {
  TicketKeys keys(seconds(60), kStart);
  EXPECT_EQ(keys.current(kStart).name, keys.current(kStart + seconds(59)).name);
}

TEST(TicketKeys, RotatesOnceThePeriodIsOver) {
  TicketKeys keys(seconds(60), kStart);
  const TicketKeys::Key first = keys.current(kStart);
  const TicketKeys::Key second = keys.current(kStart + seconds(60));
  EXPECT_NE(first.name, second.name);
  EXPECT_NE(first.aes, second.aes);
  EXPECT_NE(first.hmac, second.hmac);
}

TEST(TicketKeys, PreviousKeyStillOpensButAsksForRenewal) {
  TicketKeys keys(seconds(60), kStart);
  const TicketKeys::Key first = keys.current(kStart);
  const auto found = keys.find(first.name.data(), kStart + seconds(61));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->is_current);
  EXPECT_EQ(found->key.aes, first.aes);
}

TEST(TicketKeys, KeyTwoRotationsOldIsForgotten) {
  TicketKeys keys(seconds(60), kStart);
  const TicketKeys::Key first = keys.current(kStart);
  keys.current(kStart + seconds(60));
  EXPECT_FALSE(keys.find(first.name.data(), kStart + seconds(120)));
}

TEST(TicketKeys, IdleForTwoPeriodsForgetsBothKeys) {
  TicketKeys keys(seconds(60), kStart);
  const TicketKeys::Key first = keys.current(kStart);
  EXPECT_FALSE(keys.find(first.name.data(), kStart + seconds(125)));
}

TEST(TicketKeys, ExplicitRotationKeepsOnePrevious) {
  TicketKeys keys(seconds(3600), kStart);
  const TicketKeys::Key first = keys.current(kStart);
  ASSERT_TRUE(keys.rotate(kStart));
  EXPECT_TRUE(keys.find(first.name.data(), kStart));
  ASSERT_TRUE(keys.rotate(kStart));
  EXPECT_FALSE(keys.find(first.name.data(), kStart));
}

TEST(TicketKeys, UnknownNameIsNotFound) {
  TicketKeys keys(seconds(60), kStart);
  const unsigned char unknown[TicketKeys::kNameBytes] = {};
  EXPECT_FALSE(keys.find(unknown, kStart));
}

TEST(TicketKeys, PeriodMustBePositive) {
  EXPECT_THROW(TicketKeys(seconds(0), kStart), std::invalid_argument);
}

}  // namespace
}  // namespace hybrid::tls
