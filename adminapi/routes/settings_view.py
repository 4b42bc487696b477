"""``/admin/settings``: the screening settings this node runs with, for the admin's page (read-only).

Settings live in the node's TOML file and environment (``callscreen.settings``), validated in one place and
audited by whoever edits the file; the page shows what is in force so an admin can check it next to a shadow
comparison, and reloads the content model through ``/admin/model``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from adminapi.deps import AdminUser, ConfigDep
from adminapi.schemas.common import Schema

router = APIRouter(prefix="/admin/settings", tags=["settings"])


class SettingsView(Schema):
    timezone: str
    screening: dict[str, Any]
    model_control: bool  # whether /admin/model answers on this API


@router.get("", response_model=SettingsView)
def settings_view(config: ConfigDep, _user: AdminUser) -> SettingsView:
    return SettingsView(
        timezone=str(config.zone),
        screening=config.screening.model_dump(mode="json"),
        model_control=config.model_control is not None,
    )
