"""whisper.cpp's own speed: the reference `scripts/bench transcribe` measures Offbeat against.

    whisper_reference.py MODEL PCM THREADS RUNS

PCM is raw 32-bit float little-endian mono at 16 kHz: exactly what Offbeat's pipeline feeds
whisper for the clip measured. Transcribes it with PyPI's pywhispercpp (whisper.cpp as its
maintainers build it; its default context and decoding parameters: greedy, flash attention,
no token timestamps) RUNS times and prints one line of JSON: the median inference time, the
audio's length, which build ran, and the text.
"""

import importlib.metadata
import json
import statistics
import sys
import time

import numpy as np
from pywhispercpp.model import Model


def main() -> None:
    model_path, pcm_path, threads, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    pcm = np.fromfile(pcm_path, dtype="<f4")
    model = Model(model_path, n_threads=threads, redirect_whispercpp_logs_to=None, print_progress=False)
    times, text = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        segments = model.transcribe(pcm, language="en")
        times.append(time.perf_counter() - started)
        text = " ".join(s.text.strip() for s in segments)
    build = f"pywhispercpp {importlib.metadata.version('pywhispercpp')}"
    print(json.dumps({"inference_s": statistics.median(times), "audio_s": len(pcm) / 16000, "build": build, "text": text}))


if __name__ == "__main__":
    main()
