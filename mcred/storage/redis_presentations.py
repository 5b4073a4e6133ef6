"""The verifier's OpenID4VP presentation requests in Redis, shared by every worker and instance.

Implements :class:`verifier.openid4vp.ports.PresentationRequestStore` as
:class:`verifier.openid4vp.memory.InMemoryPresentationRequestStore` does. Keys (``<p>`` is the
prefix, :data:`DEFAULT_KEY_PREFIX` by default; :func:`mcred.storage.bridge_stores.
build_bridge_stores` uses ``MCRED_REDIS_KEY_PREFIX`` followed by :data:`SUB_PREFIX`)::

    <p>request:<id>     hash: record (JSON), expires_us, drop_us, answer (JSON, once answered)
    <p>state:<state>    hash: id, drop_us

A request is kept until ``retention`` after its ``expires_at`` (so its status can still say
``expired``): both keys expire then (``PX`` from the store's clock), and ``drop_us``, checked
against that clock on every read, makes the request gone at exactly that instant whatever
Redis's own clock says. Times are microseconds since the Unix epoch.

Both writes are Lua scripts, which Redis runs without interleaving other commands:
:data:`PUT_SCRIPT` refuses an ``id`` or a ``state`` still held by a kept request (``ValueError``,
as the in-memory store) and writes both keys; :data:`ANSWER_SCRIPT` is ``answer_once``: it sets
``answer`` only if the request is there, has none and ``now < expires_at``, and otherwise says
why. Each script names every key it touches, so a request and its state key may live anywhere
(but ``find_by_state`` reads the two one after the other: one Redis, or a primary, is assumed,
as for the wallet bridge).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis

from mcred.storage.presentation_records import (
    DEFAULT_RETENTION,
    answer_from_json,
    answer_to_json,
    request_from_json,
    request_to_json,
)
from mcred.storage.redis_bridge import DEPLOYMENT_PREFIX
from verifier.openid4vp.ports import (
    Answer,
    AnswerOutcome,
    PresentationRequestRecord,
    StoredRequest,
)
from wallet_bridge.memory import Clock, system_clock

__all__ = [
    "ANSWER_SCRIPT",
    "DEFAULT_KEY_PREFIX",
    "PUT_SCRIPT",
    "SUB_PREFIX",
    "RedisPresentationRequestStore",
]

SUB_PREFIX = "oid4vp:"
"""What follows the deployment's key prefix in every key of this store."""

DEFAULT_KEY_PREFIX = DEPLOYMENT_PREFIX + SUB_PREFIX
"""The prefix with the default ``MCRED_REDIS_KEY_PREFIX``."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

PUT_SCRIPT = """
-- KEYS[1] request hash, KEYS[2] state hash; ARGV[1] now (epoch us), ARGV[2] TTL (ms),
-- ARGV[3] the id, ARGV[4] the record (JSON), ARGV[5] expires_us, ARGV[6] drop_us
local function kept(key)
  local drop = redis.call('HGET', key, 'drop_us')
  return drop and tonumber(drop) > tonumber(ARGV[1])
end
if kept(KEYS[1]) or kept(KEYS[2]) then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], 'record', ARGV[4], 'expires_us', ARGV[5], 'drop_us', ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('HSET', KEYS[2], 'id', ARGV[3], 'drop_us', ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
"""
"""Store a new request and its state key, unless its id or state is held (returns 0)."""

ANSWER_SCRIPT = """
-- KEYS[1] request hash; ARGV[1] now (epoch us), ARGV[2] the answer (JSON)
local request = redis.call('HMGET', KEYS[1], 'expires_us', 'drop_us', 'answer')
if not request[1] or tonumber(request[2]) <= tonumber(ARGV[1]) then
  return 'unknown'
end
if request[3] then
  return 'already_answered'
end
if tonumber(request[1]) <= tonumber(ARGV[1]) then
  return 'expired'
end
redis.call('HSET', KEYS[1], 'answer', ARGV[2])
return 'answered'
"""
"""``answer_once``: the outcome's value (:class:`~verifier.openid4vp.ports.AnswerOutcome`)."""


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisPresentationRequestStore:
    """Presentation requests and their single answer (module doc)."""

    def __init__(
        self,
        client: Redis,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        retention: timedelta = DEFAULT_RETENTION,
        clock: Clock = system_clock,
    ) -> None:
        self._client = client
        self._prefix = key_prefix
        self._retention = retention
        self._clock = clock
        self._put = client.register_script(PUT_SCRIPT)
        self._answer = client.register_script(ANSWER_SCRIPT)

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}{kind}:{name}"

    def put(self, record: PresentationRequestRecord) -> None:
        now = self._clock()
        dropped_at = record.expires_at + self._retention
        ttl_ms = math.ceil((dropped_at - now) / timedelta(milliseconds=1))
        stored = self._put(
            keys=[self._key("request", record.id), self._key("state", record.state)],
            args=[
                _epoch_us(now),
                ttl_ms,
                record.id,
                json.dumps(request_to_json(record)),
                _epoch_us(record.expires_at),
                _epoch_us(dropped_at),
            ],
        )
        if int(stored) != 1:
            raise ValueError("a presentation request id or state is used twice")

    def get(self, request_id: str) -> StoredRequest | None:
        record, drop_us, answer = self._client.hmget(
            self._key("request", request_id), ["record", "drop_us", "answer"]
        )
        if record is None or not self._kept(drop_us):
            return None
        return StoredRequest(
            request_from_json(json.loads(record)),
            None if answer is None else answer_from_json(json.loads(answer)),
        )

    def find_by_state(self, state: str) -> StoredRequest | None:
        request_id, drop_us = self._client.hmget(self._key("state", state), ["id", "drop_us"])
        if request_id is None or not self._kept(drop_us):
            return None
        stored = self.get(_text(request_id))
        return stored if stored is not None and stored.record.state == state else None

    def answer_once(self, request_id: str, answer: Answer, *, now: datetime) -> AnswerOutcome:
        reply: Any = self._answer(
            keys=[self._key("request", request_id)],
            args=[_epoch_us(now), json.dumps(answer_to_json(answer))],
        )
        return AnswerOutcome(_text(reply))

    def _kept(self, drop_us: bytes | str | None) -> bool:
        return drop_us is not None and int(drop_us) > _epoch_us(self._clock())
