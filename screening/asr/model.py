"""The Whisper model: find the PyPI parts, assemble them once, verify, load once.

The manifest (``models/whisper-base.json``) names the packages, the part files
and their sha256.  :func:`ensure_model` assembles the model directory in a cache
(default ``<data_dir or ~/.cache/screening>/models/whisper-base-ct2``; the env
variable ``SCREENING_MODEL_CACHE`` names the ``models`` directory instead) and
checks every file against the manifest.  Nothing here imports faster-whisper or
CTranslate2 until :func:`load_whisper` is called.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent.parent.parent / "models"
DEFAULT_MANIFEST = MANIFEST_DIR / "whisper-base.json"
_CHUNK = 1 << 20


class ModelError(RuntimeError):
    """The model is missing, corrupt or cannot be loaded.  Message: Chinese, then English."""


@dataclass(frozen=True)
class Manifest:
    path: Path
    data: dict

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def target_dir(self) -> str:
        return self.data.get("target_dir", self.data["name"])

    @property
    def files(self) -> list[dict]:
        return self.data["files"]

    @property
    def packages(self) -> dict[str, dict]:
        return {p["name"]: p for p in self.data["packages"]}


def load_manifest(path: Path | str | None = None) -> Manifest:
    path = Path(path) if path else DEFAULT_MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"模型清单无法读取 / cannot read model manifest {path}: {exc}") from exc
    for key in ("name", "packages", "files"):
        if key not in data:
            raise ModelError(f"模型清单缺少字段 {key!r} / model manifest {path} lacks {key!r}")
    return Manifest(path, data)


def cache_root(data_dir: Path | str | None = None) -> Path:
    """The directory holding assembled models."""
    env = os.environ.get("SCREENING_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    base = Path(data_dir) if data_dir else Path.home() / ".cache" / "screening"
    return base / "models"


def _install_hint(pkg: dict) -> str:
    return f"pip install {pkg['name']}=={pkg['version']}"


def package_dir(pkg: dict) -> Path:
    """Directory of an installed model package, found without importing it."""
    try:
        spec = importlib.util.find_spec(pkg["module"])
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    try:  # fall back to the distribution's file list
        dist = importlib.metadata.distribution(pkg["name"])
        return Path(dist.locate_file(pkg["module"]))
    except importlib.metadata.PackageNotFoundError:
        pass
    raise ModelError(
        f"缺少模型包 {pkg['name']}，请先安装：{_install_hint(pkg)} / "
        f"model package {pkg['name']} is not installed; run: {_install_hint(pkg)}"
    )


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def _part_path(manifest: Manifest, part: dict) -> Path:
    pkg = manifest.packages[part["package"]]
    path = package_dir(pkg) / part["path"]
    if not path.is_file():
        raise ModelError(
            f"模型包 {pkg['name']} 缺少文件 {part['path']}，请重新安装：{_install_hint(pkg)} --force-reinstall / "
            f"model package {pkg['name']} lacks {part['path']}; reinstall it"
        )
    return path


def _verify(path: Path, spec: dict, what: str) -> None:
    size = path.stat().st_size
    if size != spec["size"]:
        raise ModelError(
            f"模型文件大小不符 {what}：{size} 字节，应为 {spec['size']} / "
            f"model file size mismatch for {what}: {size} bytes, expected {spec['size']}"
        )
    digest = _sha256_file(path)
    if digest != spec["sha256"]:
        raise ModelError(
            f"模型文件校验和不符 {what}：sha256 {digest[:12]}…，应为 {spec['sha256'][:12]}…，文件已损坏 / "
            f"model file checksum mismatch for {what}: sha256 {digest}, expected {spec['sha256']} (corrupt file)"
        )


def _assemble(manifest: Manifest, spec: dict, dest: Path) -> None:
    """Concatenate the parts into ``dest`` (atomically), checking sha256 on the way."""
    parts = [(_part_path(manifest, p), p) for p in spec["parts"]]
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    whole = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for path, part in parts:
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    while block := f.read(_CHUNK):
                        h.update(block)
                        whole.update(block)
                        out.write(block)
                if h.hexdigest() != part["sha256"]:
                    pkg = manifest.packages[part["package"]]
                    raise ModelError(
                        f"模型包 {pkg['name']} 的文件 {part['path']} 校验和不符（已损坏），请重新安装："
                        f"{_install_hint(pkg)} --force-reinstall / checksum mismatch in {pkg['name']}/{part['path']}; reinstall it"
                    )
            out.flush()
            os.fsync(out.fileno())
        if whole.hexdigest() != spec["sha256"]:
            raise ModelError(
                f"拼接后的 {spec['name']} 校验和不符 / assembled {spec['name']} checksum mismatch: "
                f"{whole.hexdigest()} != {spec['sha256']}"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


_ensure_lock = threading.Lock()


def ensure_model(data_dir: Path | str | None = None, manifest: Manifest | Path | str | None = None) -> Path:
    """Return the verified model directory, assembling it from the packages if needed."""
    m = manifest if isinstance(manifest, Manifest) else load_manifest(manifest)
    target = cache_root(data_dir) / m.target_dir
    with _ensure_lock:
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelError(f"无法创建模型缓存目录 {target} / cannot create model cache {target}: {exc}") from exc
        for spec in m.files:
            dest = target / spec["name"]
            if not dest.is_file():
                _assemble(m, spec, dest)
            _verify(dest, spec, str(dest))
    return target


_models: dict[str, object] = {}
_load_lock = threading.Lock()


def load_whisper(data_dir: Path | str | None = None, manifest: Manifest | Path | str | None = None):
    """The process-wide ``faster_whisper.WhisperModel`` (int8, CPU), loaded once."""
    m = manifest if isinstance(manifest, Manifest) else load_manifest(manifest)
    with _load_lock:
        key = str(cache_root(data_dir) / m.target_dir)
        if key in _models:
            return _models[key]
        path = ensure_model(data_dir, m)
        opts = {"device": "cpu", "compute_type": "int8", "cpu_threads": 2, "num_workers": 1}
        opts.update(m.data.get("load", {}))
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ModelError("缺少 faster-whisper，请安装：pip install faster-whisper==1.2.1 / "
                             "faster-whisper is not installed") from exc
        try:
            model = WhisperModel(str(path), **opts)
        except Exception as exc:  # noqa: BLE001 - CTranslate2 raises plain RuntimeError
            raise ModelError(f"模型加载失败 / failed to load model from {path}: {exc}") from exc
        _models[key] = model
        return model
