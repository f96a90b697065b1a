"""PDF stage: a finished PDF saved as bytes, encrypted (AES-256) for a patient's copy when it has a password."""

from __future__ import annotations

import io
import secrets


def save(pdf, password: str | None) -> bytes:
    """An open pikepdf PDF as bytes, encrypted with `password` (AES-256, R6) if one is given: printing at
    full quality and text extraction (screen readers) still allowed.

    qpdf (pikepdf) rewrites the file in C++: about 0.05 s for a 6-page handout, where pypdf's clone and
    write took 0.4 to 0.8 s, more than the personalised copy's own rendering.
    """
    import pikepdf

    options = {}
    if password:
        allowed = pikepdf.Permissions(accessibility=True, extract=True, print_lowres=True, print_highres=True,
                                      modify_annotation=False, modify_assembly=False, modify_form=False,
                                      modify_other=False)
        # The owner password is random and thrown away: nobody can lift the restrictions afterwards.
        options["encryption"] = pikepdf.Encryption(user=password, owner=secrets.token_urlsafe(32), R=6,
                                                   allow=allowed)
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.preserve, **options)
    return out.getvalue()
