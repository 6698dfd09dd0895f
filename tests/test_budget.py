"""The process-wide request budget: pacing, one pause for every caller on a 429, and the settings that set it."""

from __future__ import annotations

import heapq
import random
import threading
import time

import pytest
from _waits import joined

from pulumi_vpsorg import Client, ConfigurationError, budget
from pulumi_vpsorg.budget import ADDITIVE_STEP, BURST, DECREASE, JITTER, LOOKAHEAD, RequestBudget, rate_limit
from pulumi_vpsorg.emulator import Emulator
from pulumi_vpsorg.emulator.faults import RateLimit

TOKEN = "vps_budget"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_request_per_interval():
    clock = Clock()
    b = RequestBudget(10, clock=clock)
    asked = [b.reserve()[:2] for _ in range(BURST + 3)]
    assert asked[:BURST] == [(0.0, True)] * BURST
    assert asked[BURST:] == [(pytest.approx(0.1), True), (pytest.approx(0.2), True), (LOOKAHEAD, False)]


def test_a_429_pauses_every_caller_and_slows_the_rate_once_per_pause():
    clock = Clock()
    b = RequestBudget(10, clock=clock, jitter=lambda: 0.0)
    b.refused(2.0)
    b.refused(2.0)  # another caller's 429 from the same burst: the rate drops once
    assert b.rate == 5 and b.throttled == 2  # the first refusal halves the rate sent
    assert b.reserve()[:2] == (pytest.approx(2.0), True)  # any caller, not only the refused one
    assert b.reserve()[:2] == (pytest.approx(2.2), True)  # and no burst after the pause: one per 1/5 s
    clock.now += 3
    for _ in range(300):
        b.answered()
    assert b.rate == 10  # recovers to the limit, never above it


def test_a_pause_is_its_retry_after_and_at_most_a_fifth_more_so_processes_do_not_come_back_at_once():
    clock = Clock()
    for jitter, until in [(0.0, 101.0), (0.999, 101.0 + JITTER * 0.999)]:
        b = RequestBudget(None, clock=clock, jitter=lambda j=jitter: j)
        b.refused(1.0)
        assert b.paused_until == pytest.approx(until)


def test_without_a_ceiling_the_rate_grows_by_two_per_answer_until_a_refusal_then_slowly_from_what_was_answered():
    clock = Clock()
    b = RequestBudget(None, clock=clock, jitter=lambda: 0.0)
    assert b.rate == 10
    for _ in range(45):
        b.answered()
    assert b.rate == 100  # slow start: two requests a second more for each answer
    b.refused(1.0)  # the first refusal halves: what the slow start saw answered includes the API's burst
    assert b.rate == 50 and b.threshold == 50
    clock.now += 2  # the pause is over; a second of answers, 20 of the 50 a second sent
    for _ in range(20):
        b.answered()
    b.refused(1.0)
    assert b.rate == pytest.approx(DECREASE * 20) and b.threshold == b.rate  # from what was answered, not halved
    before = b.rate
    for _ in range(round(before)):  # about a second of answers at that rate
        b.answered()
    assert b.rate == pytest.approx(before + ADDITIVE_STEP, abs=0.01)  # additive: ADDITIVE_STEP a second per second


def test_a_ceiling_is_never_passed_and_the_start_is_never_above_it():
    clock = Clock()
    assert RequestBudget(4, clock=clock).rate == 4
    b = RequestBudget(25, clock=clock)
    for _ in range(100):
        b.answered()
    assert b.rate == 25


def test_a_503_slows_every_caller_as_a_429_does(monkeypatch):
    monkeypatch.delenv("VPSORG_MAX_RPS")  # the default: adaptive, no ceiling
    emu = Emulator(token=TOKEN)
    sleeps: list[float] = []
    api = Client(TOKEN, "http://emulator/api/v1", transport=emu.transport(), sleep=sleeps.append)
    emu.inject(status=503, retry_after=2, method="GET")
    api.list_servers()
    assert api.budget.throttled == 1 and 5 <= api.budget.rate < 6  # halved from 10, then one answer
    assert sleeps and 1.9 <= sleeps[0] <= 2.0 * (1 + JITTER)  # everyone paused for its Retry-After


def test_a_slot_is_taken_at_the_rate_of_when_it_comes_not_of_when_it_was_asked_for():
    """500 callers asking at once at 10 a second would otherwise hold slots 50 s ahead, however fast the rate grows."""
    clock = Clock()
    b = RequestBudget(None, clock=clock)
    asked = [b.reserve() for _ in range(500)]
    taken = [wait for wait, took, _ in asked if took]
    assert len(taken) == BURST + 2 and max(taken) <= LOOKAHEAD  # the rest ask again in LOOKAHEAD
    for _ in range(190):
        b.answered()  # the burst answered: 200 a second now
    clock.now += LOOKAHEAD
    again = [b.reserve() for _ in range(500)]
    assert sum(took for _, took, _ in again) > 40  # a quarter second at 200 a second, not at 10


def test_zero_is_unpaced_until_a_429_then_paced_at_half_what_was_sent():
    clock = Clock()
    b = RequestBudget(0, clock=clock, jitter=lambda: 0.0)
    assert [b.reserve()[0] for _ in range(100)] == [0.0] * 100
    b.refused(1.5)
    assert b.rate == 50  # 100 went out in the last second
    assert b.reserve()[:2] == (pytest.approx(1.5), True)  # everyone pauses
    clock.now += 2
    for _ in range(400):
        b.answered()
    assert b.rate == 0  # recovered past 1,000 a second: unpaced again


@pytest.mark.parametrize("value, rate", [(None, None), ("", None), ("2.5", 2.5), (0, 0.0), ("0", 0.0)])
def test_rate_limit_setting(value, rate, monkeypatch):
    monkeypatch.delenv("VPSORG_MAX_RPS", raising=False)
    assert rate_limit(value) == rate


@pytest.mark.parametrize("value", ["fast", "-1", "inf", "nan"])
def test_a_bad_rate_limit_names_the_setting(value, monkeypatch):
    monkeypatch.setenv("VPSORG_MAX_RPS", value)
    with pytest.raises(ConfigurationError, match="maxRequestsPerSecond or VPSORG_MAX_RPS"):
        Client(TOKEN, "http://emulator/api/v1")


def test_the_environment_sets_the_budget(monkeypatch):
    monkeypatch.setenv("VPSORG_MAX_RPS", "3")
    assert Client(TOKEN, "http://emulator/api/v1").budget.limit == 3


def test_clients_of_one_endpoint_share_one_budget():
    a = Client(TOKEN, "http://emulator/api/v1", max_requests_per_second=5)
    b = Client(TOKEN, "http://emulator/api/v1", max_requests_per_second=5)
    c = Client(TOKEN, "http://other/api/v1", max_requests_per_second=5)
    assert a.budget is b.budget and a.budget is not c.budget and a.budget is budget.for_endpoint(a.endpoint_key, 5)
    # one key per endpoint, for the budget as for the locks: this machine's loopback names are one API
    here = Client(TOKEN, "http://localhost:8080/api/v1/", max_requests_per_second=5)
    assert here.budget is Client(TOKEN, "http://127.0.0.1:8080/api/v1", max_requests_per_second=5).budget


def test_many_callers_against_a_rate_limited_api_all_succeed_and_slow_down_together():
    emu = Emulator(token=TOKEN, rate_limit=10)
    api = Client(TOKEN, "http://emulator/api/v1", transport=emu.transport(), max_requests_per_second=50)
    errors: list[Exception] = []

    def calls() -> None:
        for _ in range(3):
            try:
                api.list_servers()
            except Exception as e:  # noqa: BLE001 - any failure fails the test below
                errors.append(e)

    threads = [threading.Thread(target=calls) for _ in range(10)]
    started = time.monotonic()
    for t in threads:
        t.start()
    joined(threads)
    statuses = [r["status"] for r in emu.log]
    assert errors == [] and statuses.count(200) == 30
    assert 0 < statuses.count(429) <= 30 and api.budget.throttled == statuses.count(429)
    assert api.budget.rate < 50 and time.monotonic() - started >= 1.5  # 30 calls at 10/s, after a burst of 10


def test_the_emulator_rate_limit_is_checked_and_can_be_lifted():
    emu = Emulator(token=TOKEN)
    with pytest.raises(ValueError, match="rate_limit must be"):
        emu.inject(rate_limit=-1)
    emu.inject(rate_limit=1)
    statuses = [emu.handle("GET", "/api/v1/servers/", f"Bearer {TOKEN}", b"").status for _ in range(3)]  # type: ignore[union-attr]
    assert statuses == [200, 429, 429]
    emu.inject(rate_limit=0)
    assert emu.handle("GET", "/api/v1/servers/", f"Bearer {TOKEN}", b"").status == 200  # type: ignore[union-attr]


def _share_one_limit(processes: int, limit: float, seconds: float) -> tuple[list[int], int]:
    """Independent processes, each with its own budget and always more to send, against one API that refuses
    (429, ``Retry-After: 1``) beyond ``limit`` requests a second, as the emulator does; simulated time, so no test
    waits. Returns the requests answered per process, and those refused."""
    clock, chance = Clock(), random.Random(7)
    clock.now = 0.0
    budgets = [RequestBudget(None, clock=clock, jitter=chance.random) for _ in range(processes)]
    api = RateLimit(limit, 0.0)
    answered, refused = [0] * processes, 0
    asks = [(chance.random() * 0.01, p, None) for p in range(processes)]  # (when, process, the pause count it took)
    while asks:
        clock.now, p, took = heapq.heappop(asks)
        if clock.now >= seconds:
            continue
        if took is not None and took == budgets[p].pauses:  # its slot came, and no pause began meanwhile: sent
            if api.take(clock.now) is None:
                answered[p] += 1
                budgets[p].answered()
            else:
                refused += 1
                budgets[p].refused(1.0)
            heapq.heappush(asks, (clock.now, p, None))
            continue
        wait, taken, pauses = budgets[p].reserve()
        heapq.heappush(asks, (clock.now + wait + 1e-9, p, pauses if taken else None))
    return answered, refused


@pytest.mark.parametrize("processes, most_refused", [(1, 0.05), (5, 0.10)])
def test_processes_sharing_one_limit_get_fair_shares_near_it_with_few_refusals(processes, most_refused):
    """Nothing is shared but the API's answers: each process paces from the rate it was answered, so together they
    stay just under the limit (as TCP flows share a link). Halving the rate sent at every refusal refused 18% with 5
    processes."""
    answered, refused = _share_one_limit(processes, limit=10, seconds=120)
    total = sum(answered)
    assert refused <= most_refused * (total + refused), (refused, total)
    assert total >= 0.9 * 10 * 120  # near the limit, not far under it
    assert max(answered) <= 2 * min(answered), answered
