"""The learned content models: the shipped directory, its validation, explanations, and `callscreen train`
(adaptation to a domain the corpus lacks, the train → eval round trip), the way a centre would run them."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from callscreen.cli import main
from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.learned.data import read_calls
from screening.learned.model import (
    CARD,
    CENTRE,
    FORMAT,
    MANIFEST,
    SUMS,
    WEIGHTS,
    CentreHead,
    ContentModel,
    ModelError,
    load_scorer,
    save_model,
    sha256_of,
    shipped_dir,
    write_sums,
)  # fmt: skip
from screening.learned.normalize import learned_normal
from screening.verdict import Label, ReasonCode, SignalKind, Verdict
from tests.conftest import once_per_session

DATA = Path(__file__).resolve().parent.parent / "data" / "learned"
TRAIN = DATA / "travel_utilities_train.tsv"
TEST = DATA / "travel_utilities_test.tsv"
# a courier centre whose harassers speak its business words (包裹, 地址, 帮我查 …): the rules read them as business
COURIER_TRAIN = DATA / "courier_train.tsv"
COURIER_TEST = DATA / "courier_test.tsv"


@pytest.fixture(scope="module")
def shipped() -> ContentModel:
    return ContentModel.shipped()


@dataclass(frozen=True, slots=True)
class Trained:
    """One ``callscreen train FILE --out DIR --json`` run: the directory it wrote and the report it printed."""

    out: Path
    report: dict[str, Any]


@contextlib.contextmanager
def _as_a_test_would(cwd: Path) -> Iterator[None]:
    """What ``tmp_cwd`` and the autouse fixtures give a test, for a module-scoped fixture (which runs before
    them): an empty working directory, no CALLSCREEN_* from the developer, and the root logger put back after
    ``main`` installed its handler."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("CALLSCREEN_"):
                mp.delenv(key)
        mp.chdir(cwd)
        try:
            yield
        finally:
            for handler in list(root.handlers):
                if handler not in handlers:
                    root.removeHandler(handler)
            root.setLevel(level)


def train_cli(path: Path, out: Path) -> Trained:
    """``callscreen train`` as a centre runs it, its JSON report parsed."""
    stdout = io.StringIO()
    with _as_a_test_would(out.parent), contextlib.redirect_stdout(stdout):
        code = main(["train", str(path), "--out", str(out), "--json"])
    assert code == 0
    return Trained(out, json.loads(stdout.getvalue()))


@pytest.fixture(scope="module")
def travel_trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """The travel/utilities centre's adaptation, run once for the whole run (the first xdist worker to need it
    trains, the others read its directory): the round-trip test reads it and the determinism test compares a
    fresh run against it. Each run is a full adaptation with its calibration, the slowest thing these tests do."""
    with once_per_session(tmp_path_factory, "travel-trained") as (directory, first):
        if first:
            trained = train_cli(TRAIN, directory / "centre-model")
            (directory / "report.json").write_text(json.dumps(trained.report), encoding="utf-8")
        report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    return Trained(directory / "centre-model", report)


def _codes(verdict: Verdict) -> set[ReasonCode]:
    return {r.code for r in verdict.reasons}


def copy_shipped(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(shipped_dir(), target)
    return target


@functools.cache
def courier_centre() -> CentreHead:
    """A centre head fitted on the courier file, once per process (a cross-validated fit): the tests that need
    "some real centre head" only read it."""
    from screening.learned.noise import Homophones
    from screening.learned.train import fit_centre

    rows = read_calls(COURIER_TRAIN)
    centre = fit_centre(rows, ContentModel.shipped().features, Homophones.from_texts(e.text for e in rows))
    assert centre is not None
    return centre


def with_centre(tmp_path: Path, fusion: dict[str, float], centre: CentreHead | None = None,
                name: str = "centre-model") -> Path:  # fmt: skip
    """The shipped heads plus a centre head (by default fitted on the courier file) trusted by ``fusion`` — the
    shape of directory ``callscreen train`` writes when its calibration keeps the centre head."""
    base = ContentModel.shipped()
    centre = centre if centre is not None else courier_centre()
    return save_model(tmp_path / name, base.weights, base.bias, features=base.features,
                      thresholds=dict(base.thresholds), model_id=name, card="a centre's model\n", fusion=fusion,
                      centre=centre)  # fmt: skip


def test_normalisation_is_asr_like() -> None:
    assert learned_normal("喂，你好！！請問 我的訂單 😀 123號") == "喂你好请问我的订单0号"
    assert learned_normal("哈哈哈哈哈哈") == "哈哈哈"
    assert learned_normal("ＳＢ客服") == "sb客服"


def test_shipped_model_is_valid_small_and_separates_obvious_cases(shipped: ContentModel) -> None:
    size = sum(p.stat().st_size for p in shipped_dir().iterdir())
    assert size <= 20 * 1024 * 1024
    assert shipped.model_id
    abuse = shipped.score("你个傻逼客服给我滚")
    enquiry = shipped.score("你好我想查一下我的订单什么时候发货")
    # separates: by a wide margin, not at a fixed 0.5 (the abusive head sits near it on this line, 0.54 → 0.48 when
    # the call-handling rows were added; the rules' word lists hold 傻逼 for certain)
    assert abuse.abusive.prob > enquiry.abusive.prob + 0.3 and abuse.aimed.prob > enquiry.aimed.prob
    assert enquiry.business.prob > 0.5 > abuse.business.prob


def test_every_score_is_explained_by_ngrams_with_contributions(shipped: ContentModel) -> None:
    scores = shipped.score("你个傻逼客服给我滚")
    for head in (scores.abusive, scores.aimed, scores.business):
        assert 0 < len(head.evidence) <= 10  # the five strongest pushes each way
        magnitudes = [abs(c.weight) for c in head.evidence]
        assert magnitudes == sorted(magnitudes, reverse=True)
        assert all(c.ngram[:2] in ("c:", "p:") for c in head.evidence)
    # the contributions are exactly weight × value of the n-grams present: they and the bias make the logit
    _, contrib, _ = shipped.logits("你个傻逼客服给我滚")
    z = float(shipped.bias[2] + contrib[2].sum())
    assert scores.business.prob == pytest.approx(1 / (1 + np.exp(-z)), abs=1e-4)
    assert any("傻" in c.ngram or "sha" in c.ngram for c in scores.abusive.evidence)


def test_learned_reasons_reach_the_verdict_with_evidence(shipped: ContentModel) -> None:
    engine = ScreeningEngine.offline(ScreeningConfig(), shipped)
    verdict = engine.screen_transcript("我昨天去钓鱼了钓到一条大鱼你喜欢钓鱼吗", None, None)
    learned = [r for r in verdict.reasons if r.code.startswith("content.learned")]
    assert learned and all(r.kind is SignalKind.CONTENT and r.evidence for r in learned)
    assert verdict.label is Label.HARASSMENT


@pytest.mark.parametrize("text", ["讲个笑话", "来首周杰伦的歌", "你几岁了呀", "猜猜我是谁"])
def test_short_talk_with_another_purpose_is_judged(shipped: ContentModel, text: str) -> None:
    """The offtopic head's own evidence decides at any length the models score: a short assistant query or
    chit-chat line is no customer-service matter."""
    engine = ScreeningEngine.offline(ScreeningConfig(), shipped)
    verdict = engine.screen_transcript(text, None, None)
    no_business = [r for r in verdict.reasons if r.code == "content.learned_no_business"]
    assert verdict.label is Label.HARASSMENT and no_business, verdict
    assert "another purpose" in no_business[0].detail and no_business[0].evidence


@pytest.mark.parametrize("text", ["喂你好", "你好请问", "你好我想问一下", "喂喂听得到吗", "我要找人工", "我想咨询一下"])
def test_a_caller_cut_off_before_the_matter_is_not_judged(shipped: ContentModel, text: str) -> None:
    """A greeting, filler, or a sentence cut off before its matter says nothing yet: never harassment by the
    learned models (the fillers the offtopic head is taught as 'not another purpose')."""
    scores = shipped.score(text)
    assert scores.offtopic is not None and scores.offtopic.prob < shipped.thresholds["offtopic"], scores.offtopic
    verdict = ScreeningEngine.offline(ScreeningConfig(), shipped).screen_transcript(text, None, None)
    assert verdict.label is not Label.HARASSMENT and ReasonCode.LEARNED_NO_BUSINESS not in _codes(verdict), verdict


def test_a_format_1_model_still_loads_and_waits_for_enough_text(tmp_path: Path, shipped: ContentModel) -> None:
    """A centre's model directory adapted before the offtopic head existed (format 1, three heads) keeps working
    as it did: it has no offtopic score, so "no business" waits for ``no_business_min_chars`` of text."""
    from screening.learned.model import save_model

    old = save_model(tmp_path / "v1", shipped.weights[:3], shipped.bias[:3], features=shipped.features,
                     thresholds=dict(shipped.thresholds), model_id="centre-v1", card="adapted in 2026\n")  # fmt: skip
    manifest = json.loads((old / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == "callscreen-learned/1" and manifest["heads"] == ["abusive", "harassment", "business"]
    model = ContentModel.load(old)
    assert model.score("放首歌").offtopic is None
    engine = ScreeningEngine.offline(ScreeningConfig(), model)
    assert ReasonCode.LEARNED_NO_BUSINESS not in _codes(engine.screen_transcript("放首歌", None, None))
    long_chat = engine.screen_transcript("我昨天去钓鱼了钓到一条大鱼你喜欢钓鱼吗", None, None)
    assert ReasonCode.LEARNED_NO_BUSINESS in _codes(long_chat)
    # a model of this format adapted again stays format 1
    adapted = save_model(tmp_path / "v1b", model.weights, model.bias, features=model.features, thresholds={},
                         model_id="centre-v2", card="x\n")  # fmt: skip
    assert json.loads((adapted / MANIFEST).read_text(encoding="utf-8"))["format"] == "callscreen-learned/1"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / WEIGHTS).unlink(), "weights.npz: missing"),
        (lambda d: (d / SUMS).unlink(), "SHA256SUMS: missing"),
        (lambda d: (d / CARD).write_text("edited", encoding="utf-8"), "MODEL_CARD.md: checksum mismatch"),
        (lambda d: (d / WEIGHTS).write_bytes(b"\0" * 64), "weights.npz: checksum mismatch"),
    ],
)
def test_a_damaged_directory_is_refused_naming_the_file(tmp_path: Path, damage: Any, message: str) -> None:
    directory = copy_shipped(tmp_path)
    damage(directory)
    with pytest.raises(ModelError, match=message.replace(".", r"\.")):
        ContentModel.load(directory)


def _other_centre(directory: Path) -> None:
    """A different, well-formed centre.npz with SHA256SUMS rewritten to match it: only the manifest's checksum
    still names the head the calibration was chosen for."""
    with (directory / CENTRE).open("wb") as fh:
        np.savez_compressed(fh, index=np.asarray([1], np.int32), weights=np.asarray([2.0], np.float32),
                            bias=np.asarray([0.0], np.float32))  # fmt: skip
    write_sums(directory, (MANIFEST, WEIGHTS, CARD, CENTRE))


def _unlisted_centre(directory: Path) -> None:
    write_sums(directory)  # the three required files only


def _malformed_centre_entry(directory: Path) -> None:
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    manifest["centre"] = {"file": "../elsewhere.npz"}
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    write_sums(directory, (MANIFEST, WEIGHTS, CARD, CENTRE))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / CENTRE).unlink(), r"centre\.npz: missing"),
        (lambda d: (d / CENTRE).write_bytes(b"PK\0\0 half a copy"), r"centre\.npz: checksum mismatch"),
        (_other_centre, r"centre\.npz: checksum does not match the manifest's"),
        (_unlisted_centre, r"SHA256SUMS: no checksum for centre\.npz"),
        (_malformed_centre_entry, r"manifest\.json: centre must be"),
    ],
)
def test_a_centre_head_that_is_missing_or_corrupt_refuses_the_directory(tmp_path: Path, damage: Any,
                                                                        message: str) -> None:  # fmt: skip
    """An adapted model whose calibration trusts its centre head must not run without it or with another one:
    the head is listed in the manifest with its checksum and covered by SHA256SUMS, and either failing refuses
    the whole directory, naming the file."""
    directory = with_centre(tmp_path, {"learned_centre_up": 0.5, "learned_centre_down": 0.5})
    assert ContentModel.load(directory).centre is not None
    damage(directory)
    with pytest.raises(ModelError, match=message):
        ContentModel.load(directory)


def test_a_refused_centre_head_keeps_the_running_model_serving(tmp_path: Path) -> None:
    """`serve` reloads the directory on SIGHUP or the admin API: a centre head damaged on disk is refused and
    calls go on being screened by the model that was loaded, centre head and all."""
    from callscreen.model_reload import ModelReloader
    from screening.errors import ModelRefusedError

    directory = with_centre(tmp_path, {"learned_centre_up": 0.5, "learned_centre_down": 0.5})
    engine = ScreeningEngine.offline(ScreeningConfig())
    reloader = ModelReloader(engine, lambda: ContentModel.load(directory))
    reloader.start()
    running = engine.scorer
    assert reloader.state.model_id == "centre-model" and isinstance(running, ContentModel) and running.centre
    text = "包裹放你家门口了你晚上一个人在家吧"  # a courier-style advance: the centre head reads it as harassment
    before = engine.screen_transcript(text, None, None)
    assert ReasonCode.LEARNED_CENTRE in _codes(before)
    (directory / CENTRE).write_bytes(b"an interrupted copy")
    with pytest.raises(ModelRefusedError, match=r"centre\.npz: checksum mismatch"):
        reloader.reload(trigger="test")
    assert engine.scorer is running and reloader.state.last_error
    assert engine.screen_transcript(text, None, None) == before


def test_without_a_centre_head_nothing_changes(tmp_path: Path, shipped: ContentModel) -> None:
    """The shipped model has no centre head and the lexicon's weights for one are 0: its verdicts are exactly
    those of a model that never heard of it, and a directory written without a head drops a stale file."""
    assert shipped.centre is None and shipped.score("你个傻逼客服给我滚").centre is None
    directory = with_centre(tmp_path, {})
    assert (directory / CENTRE).is_file()
    save_model(directory, shipped.weights, shipped.bias, features=shipped.features,
               thresholds=dict(shipped.thresholds), model_id="again", card="x\n")  # fmt: skip
    assert not (directory / CENTRE).exists() and "centre" not in json.loads((directory / MANIFEST).read_text())
    engine = ScreeningEngine.offline(ScreeningConfig(), shipped)
    for e in read_calls(COURIER_TEST):
        assert ReasonCode.LEARNED_CENTRE not in _codes(engine.screen_transcript(e.text, None, None))


def test_the_centre_head_never_makes_an_angry_customer_a_harasser(tmp_path: Path, shipped: ContentModel) -> None:
    """A centre head that reads everything as harassment, trusted fully, still cannot make a swearing customer
    who talks business harassment by content alone: its push is abuse under the complaint guard. Its reason
    lists the n-grams that pushed it, with their contributions."""
    size = shipped.features.size
    eager = CentreHead(np.full(size, 2.0, dtype=np.float32), 3.0, 1)  # every n-gram pushes towards harassment
    directory = with_centre(tmp_path, {"learned_centre_up": 1.0}, centre=eager)
    engine = ScreeningEngine.offline(ScreeningConfig(), ContentModel.load(directory))
    angry = engine.screen_transcript("你们这什么垃圾快递我的包裹丢了三天了赶紧给我退款", None, None)
    assert angry.label is not Label.HARASSMENT, angry
    centre = next(r for r in angry.reasons if r.code is ReasonCode.LEARNED_CENTRE)
    assert "an angry customer" in centre.detail and centre.weight < 1.0
    assert centre.evidence and all(re.fullmatch(r".+ \+\d+\.\d\d", e) for e in centre.evidence), centre
    chatter = engine.screen_transcript("陪我聊聊天嘛你今天穿的什么衣服", None, None)
    assert ReasonCode.LEARNED_CENTRE in _codes(chatter) and chatter.label is Label.HARASSMENT


def test_the_centre_heads_push_towards_harassment_is_abusive_content_for_the_call_flow(tmp_path: Path) -> None:
    """A courier centre's harassers chat without one abusive word; its adapted model, trusting its centre head,
    makes such a call harassment. The call flow counts that push as abusive content (as the complaint guard
    does), so after the question it is not downgraded to "suspect: no abusive content" — while the same
    directory with the head's push towards harassment untrusted leaves the call suspect, without the reason."""
    from telephony.conversation import unsure, without_abuse_evidence

    text = "查一下刘德华多大年纪了"  # courier_test.tsv: chitchat, harassment=1, abusive=0
    trusted = ScreeningEngine.offline(ScreeningConfig(), ContentModel.load(with_centre(
        tmp_path, {"learned_centre_up": 1.0, "learned_centre_down": 0.5}, name="trusted")))  # fmt: skip
    verdict = trusted.screen_transcript(text, None, None)
    centre = next(r for r in verdict.reasons if r.code is ReasonCode.LEARNED_CENTRE)
    assert centre.weight > 0 and verdict.label is Label.HARASSMENT, verdict
    assert not unsure(verdict) and without_abuse_evidence(verdict).label is Label.HARASSMENT
    untrusted = ScreeningEngine.offline(ScreeningConfig(), ContentModel.load(with_centre(
        tmp_path, {"learned_centre_down": 0.5}, name="untrusted")))  # fmt: skip
    plain = untrusted.screen_transcript(text, None, None)
    assert ReasonCode.LEARNED_CENTRE not in _codes(plain) and plain.label is Label.SUSPECT, plain
    assert unsure(plain)


def test_a_wrong_format_is_refused_even_with_good_checksums(tmp_path: Path) -> None:
    directory = copy_shipped(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == FORMAT
    manifest["format"] = "callscreen-learned/99"
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    write_sums(directory)
    with pytest.raises(ModelError, match=r"manifest\.json: format 'callscreen-learned/99'"):
        ContentModel.load(directory)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"thresholds": {"harassment": 1.5}}, "threshold harassment = 1.5 is not a probability"),
        ({"thresholds": {"harassment": "0.7"}}, "threshold harassment = '0.7' is not a probability"),
        ({"thresholds": {"aimed": 0.5}}, "threshold 'aimed' is not one of"),
        ({"fusion": {"learned_no_business_veto": -0.2}}, r"fusion knob learned_no_business_veto = -0\.2 is outside"),
        ({"fusion": {"learned_guard_veto": float("nan")}}, "fusion knob learned_guard_veto = nan is outside"),
        ({"fusion": {"complaint_abuse_cap": 1.0}}, "fusion knob 'complaint_abuse_cap' is not one of"),
        ({"fusion": [0.4]}, "fusion must be an object"),
    ],
)
def test_a_manifest_with_bad_calibration_values_is_refused(tmp_path: Path, change: dict[str, Any],
                                                            message: str) -> None:  # fmt: skip
    """An adapted model's calibration (thresholds, fusion knobs) changes every verdict: a value out of range, a
    knob nothing reads or one of the rules' knobs is refused on load, naming the manifest, even with good sums."""
    directory = copy_shipped(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    (directory / MANIFEST).write_text(json.dumps(manifest | change), encoding="utf-8")
    write_sums(directory)
    with pytest.raises(ModelError, match=r"manifest\.json: " + message):
        ContentModel.load(directory)


def test_eval_refuses_a_broken_model_dir_with_a_clear_error(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = copy_shipped(tmp_cwd)
    (directory / WEIGHTS).unlink()
    assert main(["eval", str(TEST), "--model", str(directory)]) == 2
    assert "weights.npz: missing" in capsys.readouterr().err


def test_configured_model_dir_and_switch(tmp_path: Path, shipped: ContentModel) -> None:
    directory = copy_shipped(tmp_path)
    assert load_scorer(ScreeningConfig(learned=False)) is None
    assert load_scorer(ScreeningConfig()) is shipped
    assert load_scorer(ScreeningConfig(model_dir=directory)).model_id == shipped.model_id  # type: ignore[union-attr]


def _eval(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["eval", *args, "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_train_then_eval_round_trip_and_adaptation_teaches_a_new_domain(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], shipped: ContentModel, travel_trained: Trained
) -> None:
    out, report = travel_trained.out, travel_trained.report
    assert report["out"] == str(out) and report["rows"] == 50 and report["base_model"] == shipped.model_id
    assert {"base", "adapted"} <= set(report["held_out"]) and {"base", "adapted"} <= set(report["held_out_fused"])
    adapted = ContentModel.load(out)  # complete directory: manifest, weights, card, checksums
    card = (out / CARD).read_text(encoding="utf-8")
    assert adapted.model_id in card and shipped.model_id in card and "callscreen train" in card
    # the business head learned the domain: on enquiries it never saw, it is surer they are business
    unseen = [e for e in read_calls(TEST) if not e.harassment]
    before = np.mean([shipped.score(e.text).business.prob for e in unseen])
    after = np.mean([adapted.score(e.text).business.prob for e in unseen])
    assert after > before + 0.1
    # and the full screening on the unseen file is no worse, with no legitimate caller newly flagged
    base = _eval(capsys, str(TEST))
    new = _eval(capsys, str(TEST), "--model", str(out))
    assert new["fp"] <= base["fp"] and new["f1"] >= base["f1"]


def test_adaptation_calibrates_the_centres_thresholds_where_the_rules_overrule_the_model(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A courier centre's threats and advances name parcels, addresses and pick-ups, so the rules hear business:
    their words veto the model's "no business" and the complaint guard caps the abuse — refitting the heads alone
    flags no more of the unseen harassment than the base. ``callscreen train`` cross-validates the centre's own
    thresholds and fusion knobs on its file and writes them into the manifest; ``callscreen eval`` with the new
    directory then finds more of the unseen harassment with no legitimate caller and no angry customer flagged."""
    out = tmp_cwd / "courier-model"
    assert main(["train", str(COURIER_TRAIN), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    calibration = report["calibration"]
    assert calibration["chosen"] != "base", calibration
    assert calibration["out_of_fold_chosen"]["f1"] >= calibration["out_of_fold_base_values"]["f1"] + 0.01
    assert calibration["out_of_fold_chosen"]["fp"] <= calibration["out_of_fold_base_values"]["fp"]
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["fusion"] and manifest["calibration"]["chosen"] == calibration["chosen"]
    assert {"base", "adapted_heads_only", "adapted"} <= set(report["held_out_fused"])
    card = (out / CARD).read_text(encoding="utf-8")
    assert "cross-validation" in card and "learned_no_business_veto" in card
    # the centre head: chosen out of fold, written with its checksum in the manifest and in SHA256SUMS
    chosen = calibration["chosen"]
    assert chosen["learned_centre_up"] + chosen["learned_centre_down"] > 0, calibration
    assert manifest["centre"] | {"c": 0} == {"file": CENTRE, "sha256": sha256_of(out / CENTRE), "rows": 60, "c": 0}
    assert CENTRE in (out / SUMS).read_text(encoding="utf-8") and "Centre head" in card
    head = report["centre_head"]
    assert head["rows"] == 60 and head["learned_centre_up"] == chosen["learned_centre_up"], head
    base = _eval(capsys, str(COURIER_TEST))
    new = _eval(capsys, str(COURIER_TEST), "--model", str(out))
    assert new["f1"] >= base["f1"] + 0.2 and new["fp"] <= base["fp"], (base, new)
    assert new["by_subtype"]["angry"]["harassment"] == 0  # swearing customers stay allowed
    # every reason of the centre head is explained by the n-grams that pushed it
    engine = ScreeningEngine.offline(ScreeningConfig(), ContentModel.load(out))
    centre = [r for e in read_calls(COURIER_TEST) for r in engine.screen_transcript(e.text, None, None).reasons
              if r.code is ReasonCode.LEARNED_CENTRE]  # fmt: skip
    assert centre and all(r.evidence and all(re.fullmatch(r".+ [+-]\d+\.\d\d", ev) for ev in r.evidence)
                          for r in centre)  # fmt: skip


def test_adaptation_moves_only_the_ngrams_of_the_centre_rows_towards_their_labels(shipped: ContentModel) -> None:
    """The correction is fitted on the feature columns the centre's rows touch, with the base logit of every
    n-gram they contain: nothing else changes, and the rows' own log-loss falls (a bug once fitted arbitrary
    columns numbered like the rows, leaving the rows' scores where they were and damaging unrelated n-grams)."""
    from screening.learned.data import call_example
    from screening.learned.features import hashed
    from screening.learned.train import TrainSet, adapt_heads

    rows = [call_example("宽带又断网了师傅什么时候上门", "legit", "", "centre"),
            call_example("燃气表不走字了帮我报修", "legit", "", "centre"),
            call_example("陪我聊聊明星八卦呗", "harassment", "offtopic", "centre")]  # fmt: skip
    data = TrainSet()
    for row in rows:
        assert row is not None
        data.add(row)
    fitted = adapt_heads(shipped, data)
    touched = {b for e in data.examples for b in hashed(e.text, shipped.features)[1]}
    changed = set(np.flatnonzero((fitted.weights != shipped.weights).any(axis=0)).tolist())
    assert changed and changed <= touched
    adapted = ContentModel(shipped.manifest, fitted.weights, fitted.bias)

    def loss(model: ContentModel) -> float:
        total = 0.0
        for e in data.examples:
            p = model.score(e.text).business.prob
            total -= np.log(p if e.business else 1 - p)
        return total

    assert loss(adapted) < loss(shipped)


def test_a_centres_own_subtype_names_teach_the_abuse_heads_only_when_they_say_abuse(tmp_path: Path) -> None:
    """Centres name their kinds in their own words: a "threats" or "sexual_talk" row is abuse, "chitchat" is
    harassment without it, and a name that says neither teaches the abuse heads nothing (not "not abuse")."""
    path = tmp_path / "centre.tsv"
    rows = ["text\tlabel\tsubtype", "我知道你住哪等着\tharassment\tthreats", "你穿的什么衣服\tharassment\tsexual_talk",
            "陪我聊聊天吧\tharassment\tchitchat", "你们都是骗子\tharassment\t辱骂", "喂喂喂嘻嘻\tharassment\tother",
            "我的快递到哪了\tlegit\tenquiry"]  # fmt: skip
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    got = [(e.abusive, e.aimed, e.label("offtopic")) for e in read_calls(path)]
    assert got == [(1, 1, 1), (1, 1, 1), (0, 0, 1), (1, 1, 1), (None, None, 1), (0, 0, 0)]


def test_adaptation_is_deterministic(tmp_path: Path, travel_trained: Trained) -> None:
    """A second run on the same file, in its own directory (and perhaps another worker's process than the first),
    writes the same model and prints the same report."""
    again = train_cli(TRAIN, tmp_path / "b")
    a, b = ContentModel.load(travel_trained.out), ContentModel.load(again.out)
    assert np.array_equal(a.weights, b.weights) and a.model_id == b.model_id
    assert again.report | {"out": ""} == travel_trained.report | {"out": ""}


def test_train_refuses_bad_input_naming_the_line(tmp_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_cwd / "bad.tsv"
    bad.write_text("text\tlabel\n你好\tmaybe\n", encoding="utf-8")
    assert main(["train", str(bad), "--out", str(tmp_cwd / "m")]) == 2
    assert "bad.tsv:2" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_cwd / "m")]) == 2
    assert "nothing to learn from" in capsys.readouterr().err


def test_from_reviews_learns_from_reviewed_calls_and_audits_the_reads(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from records import Database
    from records.models import AuditEntry, ScreenedCall
    from screening.interfaces import Route

    url = f"sqlite:///{tmp_cwd / 'reviews.db'}"
    monkeypatch.setenv("CALLSCREEN_DATABASE_URL", url)
    db = Database(url)
    db.migrate()
    start = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    rows = [e for e in read_calls(TRAIN)]
    with db.session() as session:
        for i, example in enumerate(rows):
            truth = Label.HARASSMENT if example.harassment else Label.ALLOW
            session.add(ScreenedCall(
                call_id=f"c{i}", node="n1", started_at=start + timedelta(minutes=i), caller_kind="mobile",
                route=Route.AGENTS_FLAGGED, label=Label.SUSPECT, score=0.5, transcript=example.text,
                review_label=truth if i % 5 else None, confirmed_by="agent 7" if not i % 5 and example.harassment
                else None,
            ))  # fmt: skip
        session.add(ScreenedCall(call_id="unreviewed", node="n1", started_at=start, caller_kind="mobile",
                                 route=Route.AGENTS, label=Label.ALLOW, score=0.0,
                                 transcript="你好我想问一下"))  # fmt: skip
    expected = sum(1 for i, e in enumerate(rows) if i % 5 or e.harassment)
    assert main(["train", "--from-reviews", "--out", str(tmp_cwd / "m"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == expected
    ContentModel.load(tmp_cwd / "m")
    with db.session() as session:
        reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "transcript.read")).all()
        assert len(reads) == expected and {r.actor for r in reads} == {"callscreen train"}
    db.dispose()
