"""``/admin/model``: which learned content model this node screens with, and reloading it (admin).

``POST /admin/model/reload`` loads the configured model directory (``screening.model_dir``) beside the running
model and swaps it in; calls being screened keep the model they started with, none is dropped. A directory that
fails validation (format, checksums, a missing file) is refused with 422 and its reason, and the running model
stays. Both outcomes are written to the audit log. The API never takes a path: what is loaded is what the
node's settings say, so an API key cannot make a node read arbitrary files.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adminapi.config import ApiConfig
from adminapi.deps import AdminUser, ConfigDep, SessionDep
from records.audit import record_change
from screening.errors import ModelRefusedError

router = APIRouter(prefix="/admin/model", tags=["model"])
TARGET = "content_model"


class ModelStateView(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


class ModelControl(Protocol):
    """What the composition root hands the API (``callscreen.model_reload.ModelReloader``)."""

    @property
    def state(self) -> ModelStateView: ...

    def reload(self, *, trigger: str) -> ModelStateView: ...


class ModelStatus(BaseModel):
    model_id: str
    loaded_at: str | None
    load_seconds: float | None
    reloads: int
    last_error: str | None


def _control(config: ApiConfig) -> ModelControl:
    control = config.model_control
    if control is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this API is not served by a screening node (no model)")
    return control


@router.get("", response_model=ModelStatus)
def model_status(config: ConfigDep, _user: AdminUser) -> ModelStatus:
    return ModelStatus(**_control(config).state.as_dict())


@router.post("/reload", response_model=ModelStatus, responses={422: {"description": "directory refused"}})
def reload_model(config: ConfigDep, session: SessionDep, user: AdminUser) -> ModelStatus | JSONResponse:
    control = _control(config)
    before = control.state.as_dict()
    try:
        after = control.reload(trigger=f"api by {user.actor}").as_dict()
    except ModelRefusedError as exc:
        record_change(session, actor=user.actor, action="model.reload_refused", target=TARGET,
                      before={"model_id": before["model_id"]}, after={"error": str(exc)})  # fmt: skip
        state = control.state.as_dict()
        return JSONResponse(
            {"detail": f"model directory refused, still screening with {state['model_id']}: {exc}", "model": state},
            status_code=422,  # the directory (what the settings name) is unprocessable
        )
    record_change(session, actor=user.actor, action="model.reload", target=TARGET,
                  before={"model_id": before["model_id"]}, after={"model_id": after["model_id"]})  # fmt: skip
    return ModelStatus(**after)
