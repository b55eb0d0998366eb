from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> dict:
    """Liveness and the loaded lexicon version; the only endpoint that needs no key."""
    scr = getattr(request.app.state, "screener", None)
    return {"status": "ok", "lexicon_version": scr.lexicon.digest if scr else None}
