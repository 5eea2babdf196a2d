"""Run ``consortium`` and stop it at the rename of its N-th output file.

``python tests/atomic_probe.py N ARGS...``: the console script's ``main`` with
ARGS; when ``consortium.io.jsonfile.atomic_path`` is about to rename its N-th
finished temporary file over the output, the probe prints ``ready TMP DEST``
and waits to be killed. If a command wrote an output some other way, the
destination changes before any ``ready`` (tests/test_atomic.py catches that).
"""

from __future__ import annotations

import sys
import time

import consortium.io.jsonfile as jf

AT = int(sys.argv[1])
_replace = jf._replace
seen = 0


def stop_here(tmp, dest):
    global seen
    seen += 1
    if seen == AT:
        print(f"ready {tmp} {dest}", flush=True)
        time.sleep(600)
    _replace(tmp, dest)


jf._replace = stop_here

if __name__ == "__main__":
    from consortium.cli.main import main

    sys.argv = ["consortium", *sys.argv[2:]]
    main()
