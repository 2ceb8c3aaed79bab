"""The served model: loaded once, reloaded in the background, swapped atomically.

:class:`ModelHolder` keeps a reference to the current :class:`LoadedModel`. A reload loads
the new version completely (in the caller's thread, never the event loop) and then replaces
the reference in one assignment: a prediction that has already taken the old model finishes
on it, the next one takes the new one, and no request waits or fails. A ``models:/`` URI
with an alias (``models:/NAME@champion``) is pinned to the version it resolves to at load
time, so the version reported is the version used; :meth:`ModelHolder.reload` reloads only
when the alias has moved (one cheap registry call) unless forced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from classifier.model import ClusterModel
from clusters.config import Settings

logger = logging.getLogger(__name__)

Loader = Callable[[str, Settings], ClusterModel]
VersionOf = Callable[[str, Settings], str]


@dataclass(frozen=True)
class LoadedModel:
    """A model and where it came from."""

    model: ClusterModel
    version: str
    uri: str
    registered: str = "unregistered"
    """What the served URI resolved to when this was loaded (``NAME/vN``)."""
    loaded_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did."""

    old_version: str | None
    new_version: str
    reloaded: bool
    seconds: float


def _default_loader(uri: str, settings: Settings) -> ClusterModel:
    from classifier.classify import resolve_model

    return resolve_model(uri, settings)


def _default_version_of(uri: str, settings: Settings) -> str:
    from classifier.classify import registered_version

    return registered_version(uri, settings)


def pinned_uri(uri: str, version: str) -> str:
    """``models:/NAME@alias`` → ``models:/NAME/N`` for ``version`` ``NAME/vN``; other URIs
    unchanged."""
    if uri.startswith("models:/") and "@" in uri and "/v" in version:
        name, number = version.rsplit("/v", 1)
        return f"models:/{name}/{number}"
    return uri


class ModelHolder:
    """Holds the served model (see the module docs).

    Args:
        uri: model URI; ``models:/NAME@champion`` follows the alias.
        loader, version_of: injectable for tests (default: the registry helpers of
            :mod:`classifier.classify`).
    """

    def __init__(
        self,
        uri: str,
        settings: Settings,
        loader: Loader = _default_loader,
        version_of: VersionOf = _default_version_of,
    ) -> None:
        self.uri = uri
        self.settings = settings
        self._loader = loader
        self._version_of = version_of
        self._current: LoadedModel | None = None
        self._reload_lock = threading.Lock()
        self.last_error: str | None = None

    @property
    def current(self) -> LoadedModel | None:
        """The model to use now (``None`` until the first load)."""
        return self._current

    @property
    def ready(self) -> bool:
        return self._current is not None

    def registered_version(self) -> str:
        """The version the URI resolves to now (no model loaded)."""
        return self._version_of(self.uri, self.settings)

    def reload(self, force: bool = False) -> ReloadResult:
        """Load the version the URI resolves to now, if it is not the one served (or
        ``force``), and swap it in. Reloads run one at a time.

        Raises:
            Exception: whatever loading raised; the served model is unchanged.
        """
        with self._reload_lock:
            started = time.perf_counter()
            old = self._current
            old_version = old.version if old else None
            try:
                version = self.registered_version()
                if old is not None and not force and version == old.registered:
                    return ReloadResult(old_version, version, False, 0.0)
                uri = pinned_uri(self.uri, version)
                model = self._loader(uri, self.settings)
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                raise
            loaded = LoadedModel(model, model.meta.model_version, uri, version)
            self._current = loaded  # the swap: one reference assignment
            self.last_error = None
            seconds = time.perf_counter() - started
            logger.info(
                "serving model %s (was %s; loaded in %.1fs)", loaded.version, old_version, seconds
            )
            return ReloadResult(old_version, loaded.version, True, seconds)
