"""Find an embedded head an earlier sovtui left running (`--keep`) that answers with its token."""

from __future__ import annotations

from sovtui.cluster.head_records import HeadRecord, live_records


def accepts_token(url: str, token: str, timeout: float) -> bool:
    """A token-protected route answers 200: the head is up and this is its token."""
    import httpx  # here, not at import: the TUI's start-up does not need it

    try:
        response = httpx.get(
            f"{url}/api/version", headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def reachable_kept_head(timeout: float = 1.0) -> tuple[HeadRecord, str] | None:
    """The newest recorded head whose guard runs and whose dashboard takes its token."""
    for record in live_records():
        if not record.kept:  # another sovtui's head: it goes when that sovtui quits
            continue
        token = record.read_token()
        if token and accepts_token(record.dashboard_url, token, timeout):
            return record, token
    return None
