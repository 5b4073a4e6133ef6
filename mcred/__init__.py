"""mcred's composition root: settings, storage adapters, HTTP fetchers, the app factory, the CLI."""

__all__: list[str] = []
