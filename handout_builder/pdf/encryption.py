"""PDF stage: encryption of a finished PDF (AES-256) for a patient's copy, on a copy of its bytes."""

from __future__ import annotations

import io
import secrets


def encrypt(data: bytes, password: str) -> bytes:
    """AES-256, with printing at full quality and text extraction (screen readers) still allowed."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.constants import UserAccessPermissions as Allow

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    allowed = (Allow.PRINT | Allow.PRINT_TO_REPRESENTATION | Allow.EXTRACT
               | Allow.EXTRACT_TEXT_AND_GRAPHICS)
    # The owner password is random and thrown away: nobody can lift the restrictions afterwards.
    writer.encrypt(user_password=password, owner_password=secrets.token_urlsafe(32),
                   algorithm="AES-256", permissions_flag=allowed)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
