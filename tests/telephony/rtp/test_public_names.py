from __future__ import annotations

import telephony.rtp


def test_all_is_exactly_the_public_names() -> None:
    public = {n for n in vars(telephony.rtp) if not n.startswith("_")}
    modules = {n for n in public if type(vars(telephony.rtp)[n]).__name__ == "module"}
    assert set(telephony.rtp.__all__) == public - modules
