"""The fragment reassembler: any order, second copies, overlaps, timeouts, the memory budget
and the end of the input; every fragment taken comes back in exactly one outcome."""

from __future__ import annotations

import random
import struct

from minewatch.decode.ipfrag import fragment, parse_fragment
from minewatch.decode.packet import encode_udp
from minewatch.flows.ipfrag import FRAGMENT_COST, MAX_PIECES, FragmentReassembler
from minewatch.flows.meter import DUPLICATE_S


def pieces(ident: int, size: int = 2000, mtu: int = 576) -> tuple[bytes, list]:
    packet = bytearray(encode_udp("10.0.0.5", "192.0.2.80", 5, 6, bytes(size))[14:])
    packet[4:6], packet[10:12] = ident.to_bytes(2, "big"), b"\0\0"
    words = sum(struct.unpack("!10H", packet[:20]))
    words = (words & 0xFFFF) + (words >> 16)
    packet[10:12] = (~((words & 0xFFFF) + (words >> 16)) & 0xFFFF).to_bytes(2, "big")
    return bytes(packet), [parse_fragment(p) for p in fragment(bytes(packet), mtu)]


def test_any_order_gives_the_datagram_once_with_every_record():
    packet, frags = pieces(1)
    order = list(range(len(frags)))
    random.Random(5).shuffle(order)
    gather, out = FragmentReassembler(), []
    for k in order:
        out += gather.add(1.0 + k / 1000, frags[k], k)
    assert [(o.packet, sorted(o.records)) for o in out] == [(packet, order and sorted(order))]
    assert (gather.rebuilt, gather.given_up, gather.held, gather.oldest) == (1, 0, 0, None)
    assert gather.add(2.0, frags[0], "again") == [] and gather.held == len(frags[0].data) \
        + FRAGMENT_COST


def test_second_copies_are_dropped_and_counted_also_just_after_the_datagram():
    packet, frags = pieces(2)
    gather, out = FragmentReassembler(), []
    for k, frag in enumerate(frags):
        out += gather.add(1.0, frag, k)
        out += gather.add(1.0 + DUPLICATE_S / 2, frag, f"copy {k}")
    assert [o.packet for o in out] == [packet] and out[0].records == list(range(len(frags)))
    assert gather.repeats == len(frags)
    late = gather.add(1.0 + 2 * DUPLICATE_S, frags[0], "much later")  # a new datagram
    assert late == [] and gather.oldest == 1.0 + 2 * DUPLICATE_S


def test_an_overlap_spoils_the_datagram_and_its_fragments_come_back_at_the_timeout():
    _, frags = pieces(3)
    bad = frags[1]._replace(offset=frags[1].offset - 8)  # overlaps the first by 8 bytes
    gather = FragmentReassembler(timeout=30.0)
    assert gather.add(10.0, frags[0], "a") == [] and gather.add(10.1, bad, "b") == []
    assert gather.add(10.2, frags[1], "c") == []  # (the rest no longer helps)
    assert gather.expire(40.0) == []
    [gone] = gather.expire(40.3)
    assert (gone.packet, gone.records, gone.why) == (None, ["a", "b", "c"],
                                                     "overlapping fragments")


def test_cut_fragments_and_the_end_of_the_input_give_up_with_their_reason():
    _, frags = pieces(4)
    cut = frags[0]._replace(data=frags[0].data[:100])
    gather = FragmentReassembler()
    gather.add(1.0, cut, "cut")
    gather.add(1.0, pieces(5)[1][0], "alone")
    assert [(o.records, o.why) for o in gather.flush()] == [
        (["cut"], "a fragment cut by the snap length"),
        (["alone"], "incomplete at the end of the input")]
    assert (gather.given_up, gather.held) == (2, 0)


def test_the_budget_pushes_out_the_oldest_datagram():
    first, second = pieces(6)[1], pieces(7)[1]
    gather = FragmentReassembler(budget=len(first[0].data) + FRAGMENT_COST + 10)
    assert gather.add(1.0, first[0], "old") == []
    [pushed] = gather.add(2.0, second[0], "new")
    assert (pushed.records, pushed.why, gather.held) == (["old"], "fragment memory full",
                                                         len(second[0].data) + FRAGMENT_COST)


def test_tiny_fragments_are_bounded_in_number_and_memory():
    """A flood of 8-byte fragments: each datagram stops at MAX_PIECES, and what is held stays
    within the budget, counting what each fragment costs besides its data."""
    _, frags = pieces(8, size=8 * (MAX_PIECES + 40), mtu=28)  # 8 data bytes a fragment
    gather = FragmentReassembler()
    for k, frag in enumerate(frags[:-1]):
        assert gather.add(1.0, frag, k) == []
    [gone] = gather.flush()
    assert gone.why == f"more than {MAX_PIECES} fragments" and len(gone.records) == len(frags) - 1
    small = FragmentReassembler(budget=100 * (8 + FRAGMENT_COST))
    out = []
    for k, frag in enumerate(frags[:300]):
        out += small.add(1.0 + k, frag._replace(key=(4, b"a", b"b", 17, k)), k)
        assert small.held <= small.budget
    assert sum(len(o.records) for o in out) == 200 and small.given_up == 200
