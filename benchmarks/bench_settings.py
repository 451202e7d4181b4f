from hongxia.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
