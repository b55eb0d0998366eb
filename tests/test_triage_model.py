"""The triage classifier: the committed default model on held-out data, its manifest, training determinism,
the generic transformer backend and the m3e opt-in guard.  No mocked classifier anywhere."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from screening.triage.dataset import load_intents
from screening.triage.labels import INTENTS
from screening.triage.model import MODELS_DIR, load_model, read_manifest, sha256_file
from screening.triage.transformer import ModelError


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_default_model_is_committed_with_a_verified_manifest(model):
    d = model.dir
    m = read_manifest(d)
    assert m["files"], "manifest lists its files"
    for name, digest in m["files"].items():
        assert sha256_file(d / name) == digest
    assert m["training"]["data"]["intents_sha256"]
    assert m["metrics"]["test"]["intent"]["macro_f1"] > 0.6
    assert "licence" in m


def test_held_out_accuracy_of_the_default_model(model):
    from screening.triage.evaluate import intent_metrics

    test = [e for e in load_intents() if e.split == "test"]
    m = intent_metrics(model, test)
    assert m["n"] > 300
    assert m["accuracy"] >= 0.7, m
    assert m["macro_f1"] >= 0.65, m


@pytest.mark.parametrize("text,intent", [
    ("这件冲锋衣防水吗？下雨天能穿吗", "question"),
    ("下单一个星期了还没发货，物流太慢了", "logistics"),
    ("加我vx：abc12345，内部价更便宜", "spam"),
    ("需要的联系13912345678", "spam"),
    ("主播是傻X吗，听不懂人话", "abuse"),
    ("收到了，质量很好，穿着很舒服，回购", "praise"),
    ("拍两件有优惠吗，到手多少钱", "price"),
    ("申请退款三天了没人处理", "after_sales"),
])
def test_clear_comments_get_the_right_intent(model, text, intent):
    s = model.predict([text])
    assert INTENTS[int(s.intents[0].argmax())] == intent, {k: round(float(v), 2) for k, v in zip(INTENTS, s.intents[0])}


def test_negative_and_toxic_heads_separate_clear_cases(model):
    s = model.predict(["质量太差了，用一次就坏", "非常满意，包装很用心，谢谢主播", "你个傻逼，滚出直播间", "这个多少钱"])
    assert s.negative[0] > 0.7 and s.negative[1] < 0.3
    assert s.toxic[2] >= model.toxic_threshold and s.toxic[3] < model.toxic_threshold
    assert np.allclose(s.intents.sum(1), 1.0, atol=1e-4)


def test_tampered_model_file_is_refused(tmp_path, model):
    d = tmp_path / "m"
    shutil.copytree(model.dir, d)
    target = next(n for n in read_manifest(d)["files"] if n.endswith(".json"))
    with open(d / target, "a", encoding="utf-8") as fh:
        fh.write(" ")
    with pytest.raises(ModelError, match="校验失败"):
        load_model(d)


def test_missing_model_has_a_clear_message(tmp_path):
    with pytest.raises(ModelError, match="screening train"):
        load_model(tmp_path / "nothing")


def test_tfidf_training_is_deterministic(tmp_path):
    """Same data and seed -> byte-identical weights (fit on a small sample to stay quick)."""
    from screening.triage.labels import INTENT_INDEX
    from screening.triage.rules import RuleSet
    from screening.triage.tfidf import TfidfModel

    rows = [e for e in load_intents() if e.split == "train"][:600]
    intent = [(e.text, INTENT_INDEX[e.intent]) for e in rows]
    neg = [(e.text, e.negative) for e in rows if e.negative is not None]
    tox = [(e.text, e.toxic) for e in rows if e.toxic is not None]
    digests = []
    for k in range(2):
        m = TfidfModel.fit(intent, neg, tox, rules=RuleSet.default(), seed=7)
        out = tmp_path / f"run{k}"
        files = m.save(out)
        digests.append({f: sha256_file(out / f) for f in files})
    assert digests[0] == digests[1]


def test_train_cli_registers_and_reports_bad_backend_in_chinese(capsys):
    import argparse

    from screening import cli_train

    p = argparse.ArgumentParser()
    cli_train.register(p.add_subparsers())
    with pytest.raises(SystemExit):
        p.parse_args(["train", "--backend", "gpt"])
    args = p.parse_args(["train", "--backend", "m3e", "--quiet", "--out", "/nonexistent/m3e"])
    from screening.cli import CliError

    with pytest.raises(CliError, match="非商业|非商用"):
        args.func(args)


def test_m3e_backend_requires_licence_acknowledgement(tmp_path):
    from screening.triage.train import train_m3e

    with pytest.raises(ModelError, match="非商用|非商业"):
        train_m3e(tmp_path / "m3e", corpus=None, accept=False)


def test_generic_transformer_backend_loads_any_bert_checkpoint(tmp_path):
    """A tiny BERT built here -> fine-tuned into a triage checkpoint -> loaded through a manifest."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    from screening.triage.labels import INTENT_INDEX
    from screening.triage.train import _write_manifest
    from screening.triage.transformer import LABELS, TransformerModel, build_char_vocab, finetune, make_tokenizer

    rows = [e for e in load_intents() if e.split == "train" and e.intent in ("spam", "praise", "logistics")][:240]
    base = tmp_path / "base"
    tok = make_tokenizer(build_char_vocab([e.text for e in rows], min_freq=1), base)
    torch.manual_seed(0)
    BertForMaskedLM(BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=64, max_position_embeddings=64)).save_pretrained(str(base))
    # a plain encoder directory is not a triage model: the error says how to make one
    with pytest.raises(ModelError, match="screening train --backend transformer"):
        TransformerModel(base)
    out = tmp_path / "tri"
    data = [(e.text, INTENT_INDEX[e.intent], e.negative if e.negative is not None else -1, e.toxic or 0) for e in rows]
    finetune(base, data, out, epochs=3, batch_size=16, lr=3e-3, max_len=32, seed=1)
    manifest = {"name": "tiny", "backend": "transformer", "rules": False, "quantize": "int8", "max_len": 32,
                "labels": LABELS, "licence": "test", "training": {"seed": 1}}
    _write_manifest(out, manifest, [p.name for p in out.iterdir() if p.is_file()], None)
    m = load_model(out)
    s = m.predict(["物流太慢了还没到", "好用，已回购", "加vx领福利"])
    assert s.intents.shape == (3, len(INTENTS)) and np.allclose(s.intents.sum(1), 1, atol=1e-4)
    assert ((s.negative >= 0) & (s.negative <= 1)).all()
    acc = np.mean([INTENTS[int(k)] == e.intent for k, e in zip(m.predict([e.text for e in rows]).intents.argmax(1), rows)])
    assert acc > 0.6  # it learned something from 240 examples in seconds


def test_rule_layer_catches_contacts_and_spares_payment_questions():
    from screening.triage.rules import RuleSet

    rs = RuleSet.default()
    for t in ["加微信abc12345领福利", "1 5 9 0 0 1 2 3 4 5 6 联系", "ＶＸ：ａｂｃ６６６", "www.haoquan88.com 领券"]:
        assert rs.is_diversion(rs.hits(t)), t
    for t in ["能用微信支付吗", "满199减30", "扣1", "3月12日发货吗"]:
        assert not rs.is_diversion(rs.hits(t)), t


def test_models_dir_manifests_are_valid_json():
    manifests = list(MODELS_DIR.glob("*/manifest.json"))
    assert manifests, "no model manifests committed"
    for p in manifests:
        m = json.loads(p.read_text(encoding="utf-8"))
        assert m.get("name") and m.get("backend"), p
