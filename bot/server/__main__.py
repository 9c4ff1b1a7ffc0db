"""The Rasa server: Rasa's command line, in a process whose settings are read once and whose
patches of Rasa and Sanic (bot.server.patches) are installed before Rasa starts.

    python -m bot.server run ...     (instead of `rasa run ...`; `shell` likewise)

Sanic and TensorFlow read some of their settings from the environment when Rasa creates
them, so they are written there first, from the assistant's settings.
"""

from __future__ import annotations

import os
import sys

from bot.errors import UnsupportedVersionError
from bot.server.versions import check_versions, installed_versions
from bot.settings import Settings, current_settings


def sanic_and_tensorflow_environment(settings: Settings) -> dict[str, str]:
    """What Rasa, Sanic and TensorFlow read from the environment, from the settings.

    - SANIC_WORKERS: how many server processes `rasa run` starts.
    - SANIC_REQUEST_MAX_SIZE: a body over it gets 413 as soon as its Content-Length is read
      (or, sent in chunks, as soon as it grows too large), before any handler parses it.
    - SANIC_PROXIES_COUNT and SANIC_REAL_IP_HEADER: which forwarded address to trust
      (bot.protection.clients).
    - TF_*_PARALLELISM_THREADS: with several server processes sharing the cores, each runs
      TensorFlow on one thread, for a pipeline with a TensorFlow component (config.yml has
      none now): the ResponseSelector's small predictions were split over threads that the
      other processes needed (bench/load_benchmark.py). One process keeps TensorFlow's threads.
    """
    server = settings.server
    environment = {"SANIC_WORKERS": str(server.workers), "SANIC_REQUEST_MAX_SIZE": str(server.max_request_bytes),
                   "SANIC_PROXIES_COUNT": str(server.trusted_proxies)}
    if server.real_ip_header:
        environment["SANIC_REAL_IP_HEADER"] = server.real_ip_header
    if server.workers > 1:
        environment["TF_INTRA_OP_PARALLELISM_THREADS"] = "1"
        environment["TF_INTER_OP_PARALLELISM_THREADS"] = "1"
    return environment


def main() -> None:
    try:
        check_versions(installed_versions())
    except UnsupportedVersionError as error:
        sys.exit(f"error: {error}")
    settings = current_settings()
    os.environ.update(sanic_and_tensorflow_environment(settings))
    from bot.server import patches

    patches.install(settings)
    # The intent classifier's model is read with skops, whose first import imports
    # numpy.distutils, and that sets the root logger to WARNING (setuptools' distutils log):
    # imported during a model load it silenced our INFO logs for good. Imported now, Rasa's
    # logging configuration comes after it.
    import skops.io  # noqa: F401
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
