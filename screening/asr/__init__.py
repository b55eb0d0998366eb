"""Live audio tap: streaming Whisper transcription with alerts for the 场控.

Modules (none imports faster-whisper until a model is loaded):
model (manifest, cache, load), decoder (one window decode), vad (streaming Silero),
stream (rolling window + LocalAgreement-2), postprocess (OpenCC, hallucinations),
hotwords (static + contextual), live (LiveSession: PCM in, events out), cues,
sources (file/URL/stdin via PyAV), runner (feeding loop), record (database tables).
See docs/live.md.
"""
