"""Objectivity evidence turned into format 3 part by part in a process of its own (``share_part``, as
``web.identification.store.OutcomeSink`` does for a country year) is byte for byte what the storing
thread makes school by school (``share_json``), and so are the run's shared parts."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import orjson

from shnor.core.config import default_config
from shnor.core.evidence.objectivity_shared import FORMAT, share_json, share_part
from shnor.core.methods import objectivity
from tests.core.methods.contract_region import region_inputs


def test_parts_turned_in_another_process_are_what_the_thread_makes() -> None:
    out = objectivity.run(region_inputs(), default_config()["objectivity"])
    evidence = [e.encode() for e in out["evidence"].to_list()] + [None, b"[1, 2]"]
    shared_here: dict = {}
    here = [share_json(ev, shared_here) for ev in evidence]
    parts = [evidence[i : i + 7] for i in range(0, len(evidence), 7)]
    assert len(parts) > 2
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        turned = [pool.submit(share_part, 41, part) for part in parts]
        results = [t.result() for t in turned]
    apart = [ev for part, _ in results for ev in part]
    assert apart == here
    assert results[-1][1] == shared_here
    assert results[0][1] != shared_here  # (the shared parts grew part by part)
    assert orjson.loads(here[0])["format"] == FORMAT
    assert here[-2:] == [None, b"[1, 2]"]  # (what is not an object's JSON is left as it is)
