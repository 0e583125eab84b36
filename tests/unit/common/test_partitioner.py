"""The producers' partitioner places keys where Kafka's default partitioner (murmur2) does."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner

from vaxel_common.kafka import KeyHashPartitioner


def test_keys_land_on_the_partitions_of_kafkas_default_partitioner_also_when_remembered() -> None:
    partitioner = KeyHashPartitioner(remembered=50)
    keys = [b"default", b"", *(str(uuid.uuid4()).encode() for _ in range(200))]
    for partitions in ([0], [0, 1, 2], list(range(6)), list(range(12))):
        for key in keys + keys:  # the second pass hits remembered hashes (and a cleared memory)
            assert partitioner(key, partitions, partitions) == DefaultPartitioner()(
                key, partitions, partitions
            )


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    partitioner = KeyHashPartitioner()
    assert {partitioner(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
    assert {partitioner(None, [0, 1], []) for _ in range(50)} == {0, 1}
