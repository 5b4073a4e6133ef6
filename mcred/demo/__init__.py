"""The demo alliance that `make run` seeds."""

__all__: list[str] = []
