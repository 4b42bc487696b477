"""telephony.sip re-exports exactly its public names."""

from __future__ import annotations

import telephony.sip


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in vars(telephony.sip) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(telephony.sip, name)).__name__ == "module"}
    assert set(telephony.sip.__all__) == public - modules
