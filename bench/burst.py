"""Many people opening one page at once: Streamlit's websocket protocol spoken without a browser.

A browser opens ``/_stcore/stream`` with the subprotocol ``streamlit`` and sends a protobuf
``BackMsg`` whose ``rerun_script`` carries its ClientState: the query string without ``?`` and
the page as ``page_name``, the URL path without the leading slash (``report``; ``""`` is the
default page), with an empty ``page_script_hash`` on a session's first run. The server answers
with ForwardMsgs (new_session, page_info, navigation, deltas, ...) and ends the run with one whose
``script_finished`` is set. Origin may be absent or the server's own host; the XSRF token only
guards Streamlit's own auth cookie, which the portal does not use, so none is sent.

The burst first opens every session, then all send their rerun together, so the figure is the
server running N scripts at once, not N TCP handshakes. A session counts as failed when it sees
no ``script_finished``, an exception element, a page-not-found message, one of the expected
texts missing from the page's deltas, or a select box not starting on the expected option (which
shows that the query string, e.g. the scanned place, was read).
"""
from __future__ import annotations

import asyncio
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect


EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


@dataclass
class Session:
    """What one websocket session saw: its latency, the texts it found, and why it failed."""

    latency_ms: float | None = None
    finished_at: float | None = None  # perf_counter at script_finished
    messages: int = 0
    found: set[str] = field(default_factory=set)
    chosen: dict[str, str] = field(default_factory=dict)  # select box label -> option shown
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.latency_ms is not None


@dataclass
class BurstResult:
    sessions: list[Session]
    connect_s: float  # opening every session
    wall_s: float  # from the common start of the reruns to the last script_finished

    @property
    def failed(self) -> list[Session]:
        return [session for session in self.sessions if not session.ok]

    @property
    def latencies_ms(self) -> list[float]:
        return sorted(s.latency_ms for s in self.sessions if s.ok and s.latency_ms is not None)

    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    def p95_ms(self) -> float:
        values = self.latencies_ms
        return values[min(len(values) - 1, int(len(values) * 0.95))] if values else float("nan")


def rerun_message(page: str, query: str, url: str) -> bytes:
    """The BackMsg a browser sends when it opens ``url`` (page = URL path, query without ``?``)."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query
    state.page_name = page
    state.page_script_hash = ""
    state.context_info.timezone = "Asia/Shanghai"
    state.context_info.timezone_offset = -480
    state.context_info.locale = "zh-CN"
    state.context_info.url = url
    state.context_info.is_embedded = False
    state.context_info.color_scheme = "light"
    return message.SerializeToString()


async def _session(base_url: str, page: str, query: str, expect: tuple[str, ...],
                   chosen: dict[str, str], start: asyncio.Event, opened: list[int], total: int,
                   all_open: asyncio.Event, timeout: float) -> Session:
    result = Session()
    host = urlparse(base_url)
    address = f"ws://{host.netloc}/_stcore/stream"
    page_url = f"{base_url}/{page}" + (f"?{query}" if query else "")
    wanted = [(text, text.encode()) for text in expect]
    counted = False
    try:
        async with connect(address, subprotocols=["streamlit"], origin=f"http://{host.netloc}",
                           max_size=None, open_timeout=timeout, ping_interval=None,
                           close_timeout=5) as socket:
            opened.append(1)
            counted = True
            if len(opened) == total:
                all_open.set()
            await start.wait()
            began = time.perf_counter()
            await socket.send(rerun_message(page, query, page_url))
            async with asyncio.timeout(timeout):
                async for raw in socket:
                    result.messages += 1
                    message = ForwardMsg()
                    message.ParseFromString(raw)
                    kind = message.WhichOneof("type")
                    if kind == "delta":
                        for text, encoded in wanted:
                            if encoded in raw:
                                result.found.add(text)
                        element = message.delta.WhichOneof("type") == "new_element"
                        shown = message.delta.new_element
                        if element and shown.WhichOneof("type") == "exception":
                            result.error = "exception: " + shown.exception.message[:200]
                        elif element and shown.WhichOneof("type") == "selectbox":
                            box = shown.selectbox
                            result.chosen[box.label] = (box.options[box.default]
                                                        if box.HasField("default") else "")
                    elif kind == "page_not_found":
                        result.error = f"page not found: {page!r}"
                    elif kind == "script_finished" and message.script_finished != EARLY_FOR_RERUN:
                        result.finished_at = time.perf_counter()
                        result.latency_ms = (result.finished_at - began) * 1000
                        break
            if result.latency_ms is None and result.error is None:
                result.error = f"connection closed after {result.messages} messages"
    except TimeoutError:
        result.error = result.error or f"timed out after {result.messages} messages"
    except Exception as error:  # noqa: BLE001 - a failed session is counted, not fatal
        result.error = result.error or f"{type(error).__name__}: {error}"
    finally:
        if not counted:  # a session that could not open must not hold up the others
            opened.append(0)
            if len(opened) == total:
                all_open.set()
    missing = [text for text in expect if text not in result.found]
    if result.error is None and missing:
        result.error = f"page text missing: {missing}"
    for label, option in chosen.items():
        if result.error is None and option not in result.chosen.get(label, ""):
            result.error = f"{label!r} shows {result.chosen.get(label)!r}, not {option!r}"
    return result


async def _burst(base_url: str, sessions: int, page: str, query: str, expect: tuple[str, ...],
                 chosen: dict[str, str], timeout: float) -> BurstResult:
    start, all_open, opened = asyncio.Event(), asyncio.Event(), []
    began = time.perf_counter()
    tasks = [asyncio.create_task(_session(base_url, page, query, expect, chosen, start, opened,
                                          sessions, all_open, timeout)) for _ in range(sessions)]
    await asyncio.wait_for(all_open.wait(), timeout)
    connected = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    ends = [result.finished_at for result in results if result.finished_at is not None]
    return BurstResult(results, connect_s=connected - began,
                       wall_s=(max(ends) if ends else time.perf_counter()) - connected)


def burst(base_url: str, sessions: int, page: str = "", query: str = "",
          expect: tuple[str, ...] = (), chosen: dict[str, str] | None = None,
          timeout: float = 180) -> BurstResult:
    """Open ``sessions`` websocket sessions on a running server, rerun ``page`` in all at once.

    ``base_url`` is the server's http address (``http://127.0.0.1:PORT``); ``expect`` lists
    texts every session must find in the page's deltas, so a burst that ran nothing fails;
    ``chosen`` maps a select box's label to text its starting option must contain.
    """
    work = _burst(base_url.rstrip("/"), sessions, page, query, expect, chosen or {}, timeout)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    # Called where an event loop already runs (Playwright's sync API in the same test session):
    # asyncio.run refuses that thread, so the burst gets a thread and a loop of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()
