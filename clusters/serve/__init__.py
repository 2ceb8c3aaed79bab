"""The online classification API (``clusters serve``).

One module per job:

- :mod:`~clusters.serve.settings`: the ``serve`` settings section;
- :mod:`~clusters.serve.schemas`: request and response models (limits from settings);
- :mod:`~clusters.serve.keys`: API keys, hashed at rest, with a role and a name;
- :mod:`clusters.ratelimit` (shared with the review app): a token bucket per API key;
- :mod:`~clusters.serve.holder`: the model loaded once, reloaded and swapped atomically;
- :mod:`~clusters.serve.crawled`: website text of a crawled URL from the crawl store;
- :mod:`~clusters.serve.predict`: companies in, results with explanations out (sync, CPU);
- :mod:`~clusters.serve.batcher`: micro-batching of concurrent requests into one model call;
- :mod:`~clusters.serve.metrics`: Prometheus metrics;
- :mod:`~clusters.serve.app`: the FastAPI app that wires them together.

This package's ``__init__`` imports nothing heavy: :mod:`clusters.config` imports its settings.
"""
