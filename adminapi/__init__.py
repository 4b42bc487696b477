"""The admin API and manager page (FastAPI). ``create_app`` is the only public name."""

from adminapi.app import create_app

__all__ = ["create_app"]
